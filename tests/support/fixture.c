#include "tests/support/fixture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/db.h"
#include "tests/support/testdb.h"

/* ------------------------------------------------------------------ load */

/* The logical source databases in the order they are created; nova cells
 * are inserted after nova_api. */
static const char *const plain_sources[] = {"keystone", "nova_api", "cinder", "glance",
                                            "rcshibboleth", "dashboard"};
enum { N_PLAIN = sizeof plain_sources / sizeof *plain_sources };

static char *slurp(const char *path, size_t *len_out) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (cap - len < 65536) {
      cap = cap ? cap * 2 : 65536;
      buf = realloc(buf, cap + 1);
      cr_assert(buf != NULL);
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0)
      break;
  }
  fclose(f);
  buf[len] = '\0';
  if (len_out)
    *len_out = len;
  return buf;
}

/* Run a whole SQL file as one multi-statement request, so that the server's
 * own parser splits it (semicolons inside strings and comments are its
 * problem, not ours), and drain every result. */
static void run_sql_file(MYSQL *c, const char *schema, const char *path) {
  size_t len = 0;
  char *sql = slurp(path, &len);
  cr_assert(sql != NULL, "fixture: cannot read %s: %s", path, strerror(errno));
  cr_assert(mysql_select_db(c, schema) == 0, "fixture: USE %s: %s", schema, mysql_error(c));
  int rc = mysql_real_query(c, sql, (unsigned long)len);
  unsigned stmt = 1;
  for (;;) {
    cr_assert(rc == 0, "fixture: %s (statement %u) into %s: %s", path, stmt, schema,
              mysql_error(c));
    MYSQL_RES *res = mysql_store_result(c);
    if (res)
      mysql_free_result(res);
    rc = mysql_next_result(c);
    if (rc == -1)
      break;
    stmt++;
  }
  free(sql);
}

static void load_one(MYSQL *m, MYSQL *c, const char *prefix, const char *name,
                     const char *ddl, const char *dataset) {
  char schema[192];
  snprintf(schema, sizeof schema, "%s_%s", prefix, name);
  /* The OpenStack schemas are utf8 (3-byte): 4-byte characters cannot be
   * stored in the sources, exactly as in production. */
  testdb_exec(m, "CREATE DATABASE `%s` CHARACTER SET utf8", schema);
  char rel[256];
  snprintf(rel, sizeof rel, "tests/fixtures/sources/%s.sql", ddl);
  char *path = testdb_source_path(rel);
  run_sql_file(c, schema, path);
  free(path);
  snprintf(rel, sizeof rel, "tests/fixtures/%s/%s.sql", dataset, name);
  path = testdb_source_path(rel);
  if (access(path, R_OK) == 0)
    run_sql_file(c, schema, path);
  free(path);
}

void fixture_load(MYSQL *m, const char *prefix, const char *dataset, unsigned cells) {
  MYSQL *c = testdb_connect();
  cr_assert(mysql_set_server_option(c, MYSQL_OPTION_MULTI_STATEMENTS_ON) == 0, "%s",
            mysql_error(c));
  for (size_t i = 0; i < N_PLAIN; i++) {
    load_one(m, c, prefix, plain_sources[i], plain_sources[i], dataset);
    if (strcmp(plain_sources[i], "nova_api") == 0) {
      for (unsigned k = 1; k <= (cells ? cells : 1); k++) {
        char name[32];
        snprintf(name, sizeof name, "nova_cell%u", k);
        load_one(m, c, prefix, name, "nova", dataset);
      }
    }
  }
  db_close(c);
}

void fixture_drop(MYSQL *m, const char *prefix, unsigned cells) {
  for (size_t i = 0; i < N_PLAIN; i++)
    testdb_exec(m, "DROP DATABASE IF EXISTS `%s_%s`", prefix, plain_sources[i]);
  for (unsigned k = 1; k <= (cells ? cells : 1); k++)
    testdb_exec(m, "DROP DATABASE IF EXISTS `%s_nova_cell%u`", prefix, k);
  testdb_exec(m, "DROP DATABASE IF EXISTS `%s_reporting`", prefix);
  testdb_exec(m, "DROP DATABASE IF EXISTS `%s_reporting_pollster`", prefix);
}

/* --------------------------------------------------------------- compare */

typedef struct fx_val {
  char *s; /* unescaped bytes, NUL-terminated for printing; NULL when null */
  size_t len;
  bool null; /* \N */
  bool any;  /* *  */
} fx_val;

typedef struct fx_row {
  fx_val *v;
  unsigned line; /* line in the expected file (0 for live rows) */
  char *why;     /* the comment lines above it (owned), or NULL */
} fx_row;

typedef struct fx_rows {
  fx_row *r;
  size_t n, cap;
} fx_rows;

typedef enum { COL_TEXT, COL_NUM, COL_DATE, COL_DATETIME } col_kind;

typedef struct fx_cmp {
  MYSQL *m;
  const char *schema, *table, *path;
  char **names; /* header columns */
  size_t ncols;
  col_kind *kind;
  size_t *pk; /* indexes into names */
  size_t npk;
  fx_rows exp, live;
  char *after;     /* #@ directive: the date, or NULL */
  char *after_val; /* its values */
  unsigned after_line;
  FILE *out; /* report */
  char *outbuf;
  size_t outlen;
  unsigned ndiff;
} fx_cmp;

static void rows_push(fx_rows *rs, fx_row row) {
  if (rs->n == rs->cap) {
    rs->cap = rs->cap ? rs->cap * 2 : 32;
    rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
    cr_assert(rs->r != NULL);
  }
  rs->r[rs->n++] = row;
}

static void rows_free(fx_rows *rs, size_t ncols) {
  for (size_t i = 0; i < rs->n; i++) {
    for (size_t c = 0; c < ncols; c++)
      free(rs->r[i].v[c].s);
    free(rs->r[i].v);
    free(rs->r[i].why);
  }
  free(rs->r);
  rs->r = NULL;
  rs->n = rs->cap = 0;
}

/* One field of the expected file: \N, *, or an escaped string. */
static fx_val parse_field(const char *f, size_t n) {
  fx_val v = {0};
  if (n == 2 && f[0] == '\\' && f[1] == 'N') {
    v.null = true;
    return v;
  }
  if (n == 1 && f[0] == '*') {
    v.any = true;
    return v;
  }
  v.s = malloc(n + 1);
  cr_assert(v.s != NULL);
  for (size_t i = 0; i < n; i++) {
    char ch = f[i];
    if (ch == '\\' && i + 1 < n) {
      switch (f[++i]) {
      case 't': ch = '\t'; break;
      case 'n': ch = '\n'; break;
      case 'r': ch = '\r'; break;
      case '0': ch = '\0'; break;
      default: ch = f[i]; break;
      }
    }
    v.s[v.len++] = ch;
  }
  v.s[v.len] = '\0';
  return v;
}

/* Split `line` on `sep`; returns the number of fields written to out. */
static size_t split(const char *line, char sep, const char **start, size_t *len, size_t max) {
  size_t n = 0;
  const char *p = line;
  for (;;) {
    const char *e = strchr(p, sep);
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (n < max) {
      start[n] = p;
      len[n] = l;
    }
    n++;
    if (!e)
      break;
    p = e + 1;
  }
  return n;
}

/* Print a value the way the expected file would spell it, shortened. */
static void put_val(FILE *o, const fx_val *v) {
  if (v->null) {
    fputs("\\N", o);
    return;
  }
  if (v->any) {
    fputs("*", o);
    return;
  }
  fputc('\'', o);
  size_t shown = v->len > 100 ? 100 : v->len;
  for (size_t i = 0; i < shown; i++) {
    unsigned char ch = (unsigned char)v->s[i];
    if (ch == '\t')
      fputs("\\t", o);
    else if (ch == '\n')
      fputs("\\n", o);
    else if (ch == '\\')
      fputs("\\\\", o);
    else if (ch < 0x20)
      fprintf(o, "\\x%02x", ch);
    else
      fputc(ch, o);
  }
  fputc('\'', o);
  if (shown < v->len)
    fprintf(o, "... (%zu bytes)", v->len);
}

static void put_key(fx_cmp *c, const fx_row *r) {
  fputc('(', c->out);
  for (size_t k = 0; k < c->npk; k++) {
    fprintf(c->out, "%s%s=", k ? ", " : "", c->names[c->pk[k]]);
    put_val(c->out, &r->v[c->pk[k]]);
  }
  fputc(')', c->out);
}

static void put_why(fx_cmp *c, const fx_row *r) {
  if (r->line)
    fprintf(c->out, "\n      expected at %s:%u", c->path, r->line);
  if (r->why)
    fprintf(c->out, "\n      reason: %s", r->why);
}

/* The report lists the first differences only: enough to see the pattern. */
enum { MAX_SHOWN = 25 };

static bool diff_shown(fx_cmp *c) { return ++c->ndiff <= MAX_SHOWN; }

static bool fail_setup(fx_cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail_setup(fx_cmp *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(c->out, "%s.%s vs %s: ", c->schema, c->table, c->path);
  vfprintf(c->out, fmt, ap);
  fputc('\n', c->out);
  va_end(ap);
  return false;
}

static bool parse_expected(fx_cmp *c) {
  FILE *f = fopen(c->path, "r");
  if (!f)
    return fail_setup(c, "cannot open the expected file: %s", strerror(errno));
  char *line = NULL, *why = NULL;
  size_t cap = 0;
  ssize_t n;
  unsigned lineno = 0;
  bool ok = true;
  while ((n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = '\0';
    if (strncmp(line, "#@", 2) == 0) {
      char date[16];
      int used = 0;
      if (sscanf(line, "#@ after %10[0-9-]:%n", date, &used) != 1 || used == 0) {
        ok = fail_setup(c, "line %u: bad directive (want '#@ after YYYY-MM-DD: v ...')", lineno);
        break;
      }
      free(c->after);
      free(c->after_val);
      c->after = strdup(date);
      const char *rest = line + used;
      while (*rest == ' ')
        rest++;
      c->after_val = strdup(rest);
      c->after_line = lineno;
      continue;
    }
    if (line[0] == '#') {
      const char *text = line[1] == ' ' ? line + 2 : line + 1;
      if (!why) {
        why = strdup(text);
      } else {
        char *joined = NULL;
        cr_assert(asprintf(&joined, "%s\n              %s", why, text) >= 0);
        free(why);
        why = joined;
      }
      continue;
    }
    if (n == 0)
      continue;
    enum { MAXF = 64 };
    const char *fs[MAXF];
    size_t fl[MAXF];
    size_t nf = split(line, '\t', fs, fl, MAXF);
    if (nf > MAXF) {
      ok = fail_setup(c, "line %u: more than %d fields", lineno, MAXF);
      break;
    }
    if (!c->names) {
      c->ncols = nf;
      c->names = calloc(nf, sizeof *c->names);
      for (size_t i = 0; i < nf; i++)
        c->names[i] = strndup(fs[i], fl[i]);
      free(why);
      why = NULL;
      continue;
    }
    if (nf != c->ncols) {
      ok = fail_setup(c, "line %u: %zu fields, the header has %zu", lineno, nf, c->ncols);
      break;
    }
    fx_row row = {.v = calloc(nf, sizeof(fx_val)), .line = lineno, .why = why};
    why = NULL;
    for (size_t i = 0; i < nf; i++)
      row.v[i] = parse_field(fs[i], fl[i]);
    rows_push(&c->exp, row);
  }
  free(why);
  free(line);
  fclose(f);
  if (ok && !c->names)
    return fail_setup(c, "the expected file has no header line");
  return ok;
}

static col_kind kind_of(const char *data_type) {
  static const char *const nums[] = {"tinyint", "smallint", "mediumint", "int",   "bigint",
                                     "decimal", "float",    "double",    "bit",   "year"};
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
    if (strcmp(data_type, nums[i]) == 0)
      return COL_NUM;
  if (strcmp(data_type, "date") == 0)
    return COL_DATE;
  if (strcmp(data_type, "datetime") == 0 || strcmp(data_type, "timestamp") == 0)
    return COL_DATETIME;
  return COL_TEXT;
}

/* Column kinds and the primary key, from information_schema. */
static bool describe_table(fx_cmp *c) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT column_name, data_type FROM information_schema.columns "
           "WHERE table_schema = '%s' AND table_name = '%s' ORDER BY ordinal_position",
           c->schema, c->table);
  if (mysql_query(c->m, sql) != 0)
    return fail_setup(c, "%s", mysql_error(c->m));
  MYSQL_RES *res = mysql_store_result(c->m);
  if (!res)
    return fail_setup(c, "%s", mysql_error(c->m));
  if (mysql_num_rows(res) == 0) {
    mysql_free_result(res);
    return fail_setup(c, "no such table");
  }
  c->kind = calloc(c->ncols, sizeof *c->kind);
  bool *seen = calloc(c->ncols, sizeof *seen);
  MYSQL_ROW row;
  char extra[512] = "";
  while ((row = mysql_fetch_row(res))) {
    size_t i = 0;
    while (i < c->ncols && strcmp(c->names[i], row[0]) != 0)
      i++;
    if (i == c->ncols) {
      size_t l = strlen(extra);
      snprintf(extra + l, sizeof extra - l, "%s%s", l ? ", " : "", row[0]);
      continue;
    }
    c->kind[i] = kind_of(row[1]);
    seen[i] = true;
  }
  mysql_free_result(res);
  bool ok = true;
  for (size_t i = 0; i < c->ncols && ok; i++)
    if (!seen[i])
      ok = fail_setup(c, "the table has no column `%s` (named in the header)", c->names[i]);
  free(seen);
  if (!ok)
    return false;
  if (extra[0])
    fprintf(c->out, "note: %s.%s has columns the expected file does not check: %s\n",
            c->schema, c->table, extra);

  snprintf(sql, sizeof sql,
           "SELECT column_name FROM information_schema.statistics WHERE table_schema = '%s' "
           "AND table_name = '%s' AND index_name = 'PRIMARY' ORDER BY seq_in_index",
           c->schema, c->table);
  if (mysql_query(c->m, sql) != 0 || !(res = mysql_store_result(c->m)))
    return fail_setup(c, "%s", mysql_error(c->m));
  c->pk = calloc(c->ncols, sizeof *c->pk);
  while ((row = mysql_fetch_row(res)) && ok) {
    size_t i = 0;
    while (i < c->ncols && strcmp(c->names[i], row[0]) != 0)
      i++;
    if (i == c->ncols)
      ok = fail_setup(c, "primary-key column `%s` is not in the expected file", row[0]);
    else
      c->pk[c->npk++] = i;
  }
  mysql_free_result(res);
  if (ok && c->npk == 0) /* no primary key: every column is the key */
    for (size_t i = 0; i < c->ncols; i++)
      c->pk[c->npk++] = i;
  return ok;
}

static bool read_live(fx_cmp *c) {
  char *sql = NULL;
  size_t len = 0;
  FILE *q = open_memstream(&sql, &len);
  fputs("SELECT ", q);
  for (size_t i = 0; i < c->ncols; i++) {
    const char *n = c->names[i];
    if (i)
      fputs(", ", q);
    if (c->kind[i] == COL_DATETIME)
      fprintf(q, "DATE_FORMAT(`%s`, '%%Y-%%m-%%d %%H:%%i:%%s')", n);
    else if (c->kind[i] == COL_DATE)
      fprintf(q, "DATE_FORMAT(`%s`, '%%Y-%%m-%%d')", n);
    else
      fprintf(q, "`%s`", n);
  }
  fprintf(q, " FROM `%s`.`%s` ORDER BY ", c->schema, c->table);
  /* Strings by bytes, as the expected files are sorted. */
  for (size_t k = 0; k < c->npk; k++) {
    size_t i = c->pk[k];
    if (c->kind[i] == COL_TEXT)
      fprintf(q, "%sCAST(`%s` AS BINARY)", k ? ", " : "", c->names[i]);
    else
      fprintf(q, "%s`%s`", k ? ", " : "", c->names[i]);
  }
  fclose(q);
  bool ok = true;
  if (mysql_real_query(c->m, sql, (unsigned long)len) != 0) {
    ok = fail_setup(c, "%s: %s", sql, mysql_error(c->m));
    free(sql);
    return ok;
  }
  free(sql);
  MYSQL_RES *res = mysql_store_result(c->m);
  if (!res)
    return fail_setup(c, "%s", mysql_error(c->m));
  MYSQL_ROW row;
  while ((row = mysql_fetch_row(res))) {
    unsigned long *lens = mysql_fetch_lengths(res);
    fx_row r = {.v = calloc(c->ncols, sizeof(fx_val))};
    for (size_t i = 0; i < c->ncols; i++) {
      if (!row[i]) {
        r.v[i].null = true;
        continue;
      }
      r.v[i].s = malloc(lens[i] + 1);
      memcpy(r.v[i].s, row[i], lens[i]);
      r.v[i].s[lens[i]] = '\0';
      r.v[i].len = lens[i];
    }
    rows_push(&c->live, r);
  }
  mysql_free_result(res);
  return true;
}

/* Primary-key order: numbers numerically, everything else by bytes (dates
 * and datetimes are fixed-width text, so bytes are chronological). */
static int key_cmp(const fx_cmp *c, const fx_row *a, const fx_row *b) {
  for (size_t k = 0; k < c->npk; k++) {
    size_t i = c->pk[k];
    const fx_val *x = &a->v[i], *y = &b->v[i];
    if (x->null || y->null) {
      if (x->null != y->null)
        return x->null ? -1 : 1;
      continue;
    }
    int r;
    if (c->kind[i] == COL_NUM) {
      long double dx = strtold(x->s, NULL), dy = strtold(y->s, NULL);
      r = dx < dy ? -1 : dx > dy;
    } else {
      size_t l = x->len < y->len ? x->len : y->len;
      r = memcmp(x->s, y->s, l);
      if (r == 0)
        r = x->len < y->len ? -1 : x->len > y->len;
    }
    if (r)
      return r;
  }
  return 0;
}

/* Expand `#@ after D: v...` into explicit rows for D+1 .. yesterday (UTC
 * by the server's clock). */
static bool expand_after(fx_cmp *c) {
  if (!c->after)
    return true;
  if (c->npk != 1 || c->pk[0] != 0 || c->kind[0] != COL_DATE)
    return fail_setup(c, "the #@ rule needs a table keyed by its first column, a date");
  enum { MAXF = 64 };
  const char *fs[MAXF];
  size_t fl[MAXF];
  size_t nf = c->after_val[0] ? split(c->after_val, ' ', fs, fl, MAXF) : 0;
  if (nf + 1 != c->ncols)
    return fail_setup(c, "line %u: the #@ rule gives %zu values for %zu columns", c->after_line,
                      nf, c->ncols - 1);
  char yesterday[16];
  bool found = false;
  ps_error err;
  error_clear(&err);
  if (db_query_str(c->m, "SELECT DATE_FORMAT(UTC_DATE() - INTERVAL 1 DAY, '%Y-%m-%d')",
                   yesterday, sizeof yesterday, &found, &err) != PS_OK || !found)
    return fail_setup(c, "reading the server's date: %s", err.msg);
  struct tm tm = {0};
  if (sscanf(c->after, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
    return fail_setup(c, "line %u: bad date '%s'", c->after_line, c->after);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_hour = 12;
  for (;;) {
    tm.tm_mday++;
    time_t t = timegm(&tm); /* normalises tm */
    gmtime_r(&t, &tm);
    char day[16];
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    if (strcmp(day, yesterday) > 0)
      break;
    fx_row r = {.v = calloc(c->ncols, sizeof(fx_val)), .line = c->after_line};
    cr_assert(asprintf(&r.why, "#@ after %s: every later day up to yesterday (%s)", c->after,
                       yesterday) >= 0);
    r.v[0] = parse_field(day, strlen(day));
    for (size_t i = 0; i < nf; i++)
      r.v[i + 1] = parse_field(fs[i], fl[i]);
    rows_push(&c->exp, r);
  }
  return true;
}

static bool check_sorted(fx_cmp *c) {
  for (size_t i = 0; i < c->exp.n; i++) {
    for (size_t k = 0; k < c->npk; k++)
      if (c->exp.r[i].v[c->pk[k]].any)
        return fail_setup(c, "line %u: '*' in primary-key column `%s`", c->exp.r[i].line,
                          c->names[c->pk[k]]);
    if (i && key_cmp(c, &c->exp.r[i - 1], &c->exp.r[i]) >= 0)
      return fail_setup(c, "line %u: rows not sorted by primary key, or a duplicate key",
                        c->exp.r[i].line);
  }
  return true;
}

static bool val_eq(const fx_val *want, const fx_val *got) {
  if (want->any)
    return !got->null;
  if (want->null || got->null)
    return want->null == got->null;
  return want->len == got->len && memcmp(want->s, got->s, want->len) == 0;
}

static void put_row(fx_cmp *c, const fx_row *r) {
  for (size_t i = 0; i < c->ncols; i++) {
    fputs(i ? "\t" : "", c->out);
    put_val(c->out, &r->v[i]);
  }
}

static void merge(fx_cmp *c) {
  size_t i = 0, j = 0;
  while (i < c->exp.n || j < c->live.n) {
    int r = i == c->exp.n ? 1 : j == c->live.n ? -1 : key_cmp(c, &c->exp.r[i], &c->live.r[j]);
    if (r < 0) {
      if (diff_shown(c)) {
        fputs("  missing row ", c->out);
        put_key(c, &c->exp.r[i]);
        fputs(": ", c->out);
        put_row(c, &c->exp.r[i]);
        put_why(c, &c->exp.r[i]);
        fputc('\n', c->out);
      }
      i++;
    } else if (r > 0) {
      if (diff_shown(c)) {
        fputs("  unexpected row ", c->out);
        put_key(c, &c->live.r[j]);
        fputs(": ", c->out);
        put_row(c, &c->live.r[j]);
        fputc('\n', c->out);
      }
      j++;
    } else {
      const fx_row *e = &c->exp.r[i], *l = &c->live.r[j];
      for (size_t k = 0; k < c->ncols; k++) {
        if (val_eq(&e->v[k], &l->v[k]))
          continue;
        if (diff_shown(c)) {
          fputs("  row ", c->out);
          put_key(c, e);
          fprintf(c->out, " column `%s`: expected ", c->names[k]);
          put_val(c->out, &e->v[k]);
          fputs(", got ", c->out);
          put_val(c->out, &l->v[k]);
          put_why(c, e);
          fputc('\n', c->out);
        }
      }
      i++;
      j++;
    }
  }
}

bool fixture_compare(MYSQL *m, const char *schema, const char *table,
                     const char *expected_tsv_path, char **report) {
  fx_cmp c = {.m = m, .schema = schema, .table = table, .path = expected_tsv_path};
  c.out = open_memstream(&c.outbuf, &c.outlen);
  cr_assert(c.out != NULL);
  bool ok = parse_expected(&c) && describe_table(&c) && expand_after(&c) && check_sorted(&c) &&
            read_live(&c);
  if (ok) {
    merge(&c);
    ok = c.ndiff == 0;
    if (ok)
      fprintf(c.out, "%s.%s matches %s (%zu rows)\n", schema, table, expected_tsv_path,
              c.live.n);
    else
      fprintf(c.out, "%s.%s differs from %s: %u difference(s)%s; %zu rows expected, %zu in "
                     "the table\n",
              schema, table, expected_tsv_path, c.ndiff,
              c.ndiff > MAX_SHOWN ? " (first ones above)" : " (above)", c.exp.n, c.live.n);
  }
  fclose(c.out);
  rows_free(&c.exp, c.ncols);
  rows_free(&c.live, c.ncols);
  for (size_t i = 0; i < c.ncols; i++)
    free(c.names ? c.names[i] : NULL);
  free(c.names);
  free(c.kind);
  free(c.pk);
  free(c.after);
  free(c.after_val);
  *report = c.outbuf;
  return ok;
}
