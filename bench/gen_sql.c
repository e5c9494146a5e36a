/* gen_sql: rows to the server in big batches (~2 MB): LOAD DATA LOCAL INFILE
 * text fed from memory through the client's local-infile callbacks when the
 * server allows it, else multi-row INSERT statements.  One gen_ins belongs
 * to one thread (and its connection). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen.h"

enum { INS_FLUSH_AT = 2u << 20 };

static bool ins_reserve(gen_ins *w, size_t more) {
  if (w->st != PS_OK)
    return false;
  if (w->len + more + 1 <= w->cap)
    return true;
  size_t cap = w->cap ? w->cap : 4096;
  while (cap < w->len + more + 1)
    cap *= 2;
  char *b = realloc(w->buf, cap);
  if (!b) {
    w->st = ERROR_SET(w->err, PS_ENOMEM, "%s: statement buffer of %zu bytes", w->what, cap);
    return false;
  }
  w->buf = b;
  w->cap = cap;
  return true;
}

/* "INSERT [IGNORE] INTO t (cols) VALUES " -> the equivalent LOAD DATA. */
static char *load_statement(const char *head) {
  bool ignore = strncmp(head, "INSERT IGNORE INTO ", 19) == 0;
  const char *t = head + (ignore ? 19 : 12);
  const char *paren = strchr(t, '(');
  const char *close = paren ? strchr(paren, ')') : NULL;
  if (!paren || !close)
    return NULL;
  char *sql = NULL;
  if (asprintf(&sql,
               /* the defaults: fields end at tab, lines at newline, escape is \ */
               "LOAD DATA LOCAL INFILE 'pollster-gen' %sINTO TABLE %.*s CHARACTER SET utf8mb3 %.*s",
               ignore ? "IGNORE " : "", (int)(paren - t), t, (int)(close - paren + 1),
               paren) < 0)
    return NULL;
  return sql;
}

ps_status ins_open(const gen_model *M, gen_ins *w, MYSQL *m, const char *what,
                   const char *head, ps_error *err) {
  memset(w, 0, sizeof *w);
  w->m = m;
  w->err = err;
  w->what = what;
  w->st = PS_OK;
  if (M->infile) {
    w->infile = true;
    w->load_sql = load_statement(head);
    if (!w->load_sql)
      return w->st = ERROR_SET(err, PS_EINTERNAL, "%s: cannot derive LOAD DATA from [%s]",
                               what, head);
    head = "";
  }
  size_t n = strlen(head);
  if (!ins_reserve(w, INS_FLUSH_AT + n + 65536))
    return w->st;
  memcpy(w->buf, head, n);
  w->len = w->head_len = n;
  return PS_OK;
}

static void ins_sep(gen_ins *w) {
  if (!w->first_val)
    w->buf[w->len++] = w->infile ? '\t' : ',';
  w->first_val = false;
}

void ins_row(gen_ins *w) {
  if (!ins_reserve(w, 2))
    return;
  w->row_open = true;
  w->first_val = true;
  if (w->infile)
    return;
  if (w->len > w->head_len)
    w->buf[w->len++] = ',';
  w->buf[w->len++] = '(';
}

void ins_strn(gen_ins *w, const char *s, size_t n) {
  if (!ins_reserve(w, 2 * n + 4))
    return;
  ins_sep(w);
  if (w->infile) {
    /* LOAD DATA escaping: only the escape, the terminators and NUL. */
    char *o = w->buf + w->len;
    for (size_t i = 0; i < n; i++) {
      char c = s[i];
      if (c == '\\' || c == '\t' || c == '\n') {
        *o++ = '\\';
        *o++ = c == '\t' ? 't' : c == '\n' ? 'n' : '\\';
      } else if (c == '\0') {
        *o++ = '\\';
        *o++ = '0';
      } else {
        *o++ = c;
      }
    }
    w->len = (size_t)(o - w->buf);
    return;
  }
  w->buf[w->len++] = '\'';
  w->len += mysql_real_escape_string(w->m, w->buf + w->len, s, (unsigned long)n);
  w->buf[w->len++] = '\'';
}

void ins_str(gen_ins *w, const char *s) {
  if (!s)
    ins_null(w);
  else
    ins_strn(w, s, strlen(s));
}

void ins_null(gen_ins *w) {
  if (!ins_reserve(w, 6))
    return;
  ins_sep(w);
  if (w->infile) {
    memcpy(w->buf + w->len, "\\N", 2);
    w->len += 2;
    return;
  }
  memcpy(w->buf + w->len, "NULL", 4);
  w->len += 4;
}

void ins_int(gen_ins *w, int64_t v) {
  if (!ins_reserve(w, 24))
    return;
  ins_sep(w);
  w->len += (size_t)snprintf(w->buf + w->len, 24, "%lld", (long long)v);
}

void ins_dbl(gen_ins *w, double v) {
  if (!ins_reserve(w, 32))
    return;
  ins_sep(w);
  w->len += (size_t)snprintf(w->buf + w->len, 32, "%.4g", v);
}

static void ins_time(gen_ins *w, time_t t, int us, int kind) {
  if (t < 0) {
    ins_null(w);
    return;
  }
  if (!ins_reserve(w, 40))
    return;
  ins_sep(w);
  struct tm tm;
  gmtime_r(&t, &tm);
  char *p = w->buf + w->len;
  const char *q = w->infile ? "" : "'";
  if (kind == 0)
    w->len += (size_t)snprintf(p, 40, "%s%04d-%02d-%02d%s", q, tm.tm_year + 1900,
                               tm.tm_mon + 1, tm.tm_mday, q);
  else if (kind == 1)
    w->len += (size_t)snprintf(p, 40, "%s%04d-%02d-%02d %02d:%02d:%02d%s", q, tm.tm_year + 1900,
                               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, q);
  else
    w->len += (size_t)snprintf(p, 40, "%s%04d-%02d-%02d %02d:%02d:%02d.%06d%s", q,
                               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                               tm.tm_min, tm.tm_sec, us, q);
}

void ins_dt(gen_ins *w, time_t t) { ins_time(w, t, 0, 1); }
void ins_date(gen_ins *w, time_t t) { ins_time(w, t, 0, 0); }
void ins_dt6(gen_ins *w, int64_t us) {
  ins_time(w, (time_t)(us / 1000000), (int)(us % 1000000), 2);
}

/* The local-infile callbacks: the "file" is the batch buffer. */
typedef struct infile_src {
  const char *p;
  size_t left;
} infile_src;

static int infile_init(void **ptr, const char *filename, void *userdata) {
  (void)filename;
  *ptr = userdata;
  return 0;
}
static int infile_read(void *ptr, char *buf, unsigned int len) {
  infile_src *src = ptr;
  size_t n = src->left < len ? src->left : len;
  memcpy(buf, src->p, n);
  src->p += n;
  src->left -= n;
  return (int)n;
}
static void infile_end(void *ptr) { (void)ptr; }
static int infile_error(void *ptr, char *msg, unsigned int len) {
  (void)ptr;
  snprintf(msg, len, "pollster-gen: local infile failed");
  return 2000;
}

static ps_status ins_flush(gen_ins *w) {
  if (w->st != PS_OK || w->len == w->head_len)
    return w->st;
  int rc;
  if (w->infile) {
    infile_src src = {w->buf, w->len};
    mysql_set_local_infile_handler(w->m, infile_init, infile_read, infile_end, infile_error,
                                   &src);
    rc = mysql_real_query(w->m, w->load_sql, strlen(w->load_sql));
    mysql_set_local_infile_default(w->m);
  } else {
    rc = mysql_real_query(w->m, w->buf, w->len);
  }
  if (rc != 0)
    return w->st = ERROR_MYSQL(w->err, w->m, "loading %s", w->what);
  w->rows += (int64_t)mysql_affected_rows(w->m);
  w->len = w->head_len;
  return PS_OK;
}

ps_status ins_end_row(gen_ins *w) {
  if (!ins_reserve(w, 2))
    return w->st;
  w->buf[w->len++] = w->infile ? '\n' : ')';
  w->row_open = false;
  if (w->len >= INS_FLUSH_AT)
    return ins_flush(w);
  return PS_OK;
}

ps_status ins_close(gen_ins *w) {
  ps_status s = ins_flush(w);
  free(w->buf);
  free(w->load_sql);
  w->buf = NULL;
  w->load_sql = NULL;
  w->cap = w->len = 0;
  return s;
}

void gen_count(gen_counts *c, const char *db, const char *table, int64_t rows) {
  if (c->len >= sizeof c->text)
    return;
  int n = snprintf(c->text + c->len, sizeof c->text - c->len, "  %-14s %-32s %10lld\n", db,
                   table, (long long)rows);
  if (n > 0)
    c->len += (size_t)n;
  if (c->len > sizeof c->text)
    c->len = sizeof c->text;
}
