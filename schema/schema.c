#include "schema/schema.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "engine/db.h"
#include "engine/log.h"

/* The file format, and what each part is used for:
 *   -- version: 1      CREATE TABLE statements: the full schema.
 *   -- version: N > 1  forward migrations.  Every statement is run, in order,
 *                      on a database at version N-1 (with the reporting
 *                      schema as the default database, so names stay
 *                      unqualified).  A section that changes a table also
 *                      restates its full CREATE TABLE: that text becomes the
 *                      table's current definition (staging tables and fresh
 *                      databases use it) and is skipped on upgrade when the
 *                      table already exists.
 * A statement ends with ';' at the end of a line; lines starting with "--"
 * are comments.  A fresh database is created from the current definitions
 * and stamped with the latest version directly. */

typedef struct schema_stmt {
  unsigned version;
  char *sql;
  char *creates; /* table name when the statement is a CREATE TABLE, else NULL */
} schema_stmt;

typedef struct schema_table {
  char *name;
  char *create; /* latest CREATE TABLE text, unqualified name */
} schema_table;

struct schema_def {
  char *path;
  unsigned version;
  schema_stmt *stmts;
  size_t n_stmts;
  schema_table *tables;
  size_t n_tables;
};

/* The state schema's own table (version 1 of pollster's state). */
static const char schema_version_ddl[] =
    "CREATE TABLE IF NOT EXISTS `%s`.schema_version ("
    "version int NOT NULL COMMENT 'Reporting schema version applied', "
    "applied_at timestamp NULL DEFAULT NULL COMMENT 'When it was applied (UTC)', "
    "PRIMARY KEY (version)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
    "COMMENT='pollster: reporting schema versions'";

static ps_status read_all(const char *path, char **out, size_t *out_len, ps_error *err) {
  ps_status s = PS_OK;
  char *buf = NULL;
  size_t len = 0, cap = 0;
  gzFile f = gzopen(path, "rb");
  if (!f)
    return ERROR_SET(err, PS_EIO, "cannot open schema file %s", path);
  for (;;) {
    if (cap - len < 65536) {
      cap = cap ? cap * 2 : 131072;
      char *nb = realloc(buf, cap + 1);
      if (!nb) {
        s = ERROR_SET(err, PS_ENOMEM, "reading schema file %s", path);
        goto out;
      }
      buf = nb;
    }
    int n = gzread(f, buf + len, (unsigned)(cap - len));
    if (n < 0) {
      int zerr;
      s = ERROR_SET(err, PS_EIO, "reading schema file %s: %s", path, gzerror(f, &zerr));
      goto out;
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  *out = buf;
  *out_len = len;
  buf = NULL;
out:
  gzclose(f);
  free(buf);
  return s;
}

/* "CREATE TABLE [IF NOT EXISTS] name" -> malloc'd name, else NULL. */
static char *create_table_name(const char *sql) {
  const char *p = sql;
  if (strncasecmp(p, "CREATE TABLE", 12) != 0)
    return NULL;
  p += 12;
  while (isspace((unsigned char)*p))
    p++;
  if (strncasecmp(p, "IF NOT EXISTS", 13) == 0) {
    p += 13;
    while (isspace((unsigned char)*p))
      p++;
  }
  bool quoted = *p == '`';
  if (quoted)
    p++;
  size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$");
  if (n == 0 || n > 64)
    return NULL;
  return strndup(p, n);
}

static ps_status add_stmt(schema_def *s, unsigned version, const char *sql, size_t len,
                          ps_error *err) {
  schema_stmt *ns = realloc(s->stmts, (s->n_stmts + 1) * sizeof *ns);
  if (!ns)
    return ERROR_SET(err, PS_ENOMEM, "schema statements");
  s->stmts = ns;
  schema_stmt *st = &s->stmts[s->n_stmts];
  st->version = version;
  st->sql = strndup(sql, len);
  st->creates = st->sql ? create_table_name(st->sql) : NULL;
  if (!st->sql)
    return ERROR_SET(err, PS_ENOMEM, "schema statements");
  s->n_stmts++;
  if (!st->creates)
    return PS_OK;
  for (size_t i = 0; i < s->n_tables; i++)
    if (strcmp(s->tables[i].name, st->creates) == 0) {
      s->tables[i].create = st->sql; /* a later version restates it */
      return PS_OK;
    }
  schema_table *nt = realloc(s->tables, (s->n_tables + 1) * sizeof *nt);
  if (!nt)
    return ERROR_SET(err, PS_ENOMEM, "schema tables");
  s->tables = nt;
  s->tables[s->n_tables].name = strdup(st->creates);
  s->tables[s->n_tables].create = st->sql;
  if (!s->tables[s->n_tables].name)
    return ERROR_SET(err, PS_ENOMEM, "schema tables");
  s->n_tables++;
  return PS_OK;
}

static ps_status parse(schema_def *s, char *text, ps_error *err) {
  unsigned version = 0;
  char *stmt = NULL; /* start of the statement being collected */
  unsigned lineno = 0;
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    char *end = nl ? nl : line + strlen(line);
    lineno++;
    char *p = line;
    while (p < end && isspace((unsigned char)*p))
      p++;
    unsigned v;
    if (!stmt && strncmp(p, "--", 2) == 0) {
      if (sscanf(p, "-- version: %u", &v) == 1) {
        if (v != version + 1)
          return ERROR_SET(err, PS_ESCHEMA, "%s:%u: version %u follows version %u", s->path,
                           lineno, v, version);
        version = v;
      }
    } else if (p < end) {
      if (!stmt) {
        if (version == 0)
          return ERROR_SET(err, PS_ESCHEMA, "%s:%u: statement before '-- version: 1'",
                           s->path, lineno);
        stmt = p;
      }
      char *q = end;
      while (q > p && isspace((unsigned char)q[-1]))
        q--;
      if (q > p && q[-1] == ';') {
        ps_status st = add_stmt(s, version, stmt, (size_t)(q - 1 - stmt), err);
        if (st != PS_OK)
          return st;
        stmt = NULL;
      }
    }
    line = nl ? nl + 1 : NULL;
  }
  if (stmt)
    return ERROR_SET(err, PS_ESCHEMA, "%s: last statement has no ';'", s->path);
  if (version == 0 || s->n_tables == 0)
    return ERROR_SET(err, PS_ESCHEMA, "%s: no '-- version: 1' section with tables", s->path);
  s->version = version;
  return PS_OK;
}

static bool readable(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f)
    fclose(f);
  return f != NULL;
}

schema_def *schema_load(const char *path, ps_error *err) {
  const char *found = path;
  if (!found) {
    const char *env = getenv("POLLSTER_SCHEMA");
    const char *candidates[] = {
        env && *env ? env : NULL,
        POLLSTER_SCHEMA_DIR "/reporting.sql.gz",
        POLLSTER_SCHEMA_BUILD_FILE,
        POLLSTER_SCHEMA_SOURCE_FILE,
    };
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates && !found; i++)
      if (candidates[i] && readable(candidates[i]))
        found = candidates[i];
    if (env && *env && found != env) {
      ERROR_SET(err, PS_EIO, "POLLSTER_SCHEMA=%s is not readable", env);
      return NULL;
    }
    if (!found) {
      ERROR_SET(err, PS_EIO, "no schema file: set POLLSTER_SCHEMA or install %s",
                POLLSTER_SCHEMA_DIR "/reporting.sql.gz");
      return NULL;
    }
  }
  schema_def *s = calloc(1, sizeof *s);
  char *text = NULL;
  size_t len;
  if (!s || !(s->path = strdup(found))) {
    ERROR_SET(err, PS_ENOMEM, "schema");
    goto fail;
  }
  if (read_all(found, &text, &len, err) != PS_OK || parse(s, text, err) != PS_OK)
    goto fail;
  free(text);
  return s;
fail:
  free(text);
  schema_free(s);
  return NULL;
}

void schema_free(schema_def *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n_stmts; i++) {
    free(s->stmts[i].sql);
    free(s->stmts[i].creates);
  }
  for (size_t i = 0; i < s->n_tables; i++)
    free(s->tables[i].name);
  free(s->stmts);
  free(s->tables);
  free(s->path);
  free(s);
}

const char *schema_path(const schema_def *s) { return s->path; }
unsigned schema_version(const schema_def *s) { return s->version; }
size_t schema_table_count(const schema_def *s) { return s->n_tables; }
const char *schema_table_name(const schema_def *s, size_t i) {
  return i < s->n_tables ? s->tables[i].name : NULL;
}

static const schema_table *find_table(const schema_def *s, const char *table) {
  for (size_t i = 0; i < s->n_tables; i++)
    if (strcmp(s->tables[i].name, table) == 0)
      return &s->tables[i];
  return NULL;
}

bool schema_has_table(const schema_def *s, const char *table) {
  return find_table(s, table) != NULL;
}

/* Rewrite the head "CREATE TABLE [IF NOT EXISTS] name" of `sql`. */
static char *rewrite_create(const char *sql, const char *schema_name, const char *new_name,
                            bool if_not_exists) {
  const char *p = sql + 12; /* past "CREATE TABLE" */
  while (isspace((unsigned char)*p))
    p++;
  if (strncasecmp(p, "IF NOT EXISTS", 13) == 0)
    p += 13;
  while (isspace((unsigned char)*p))
    p++;
  if (*p == '`')
    p = strchr(p + 1, '`') + 1;
  else
    p += strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$");
  char *out = NULL;
  if (asprintf(&out, "CREATE TABLE %s`%s`.`%s`%s", if_not_exists ? "IF NOT EXISTS " : "",
               schema_name, new_name, p) < 0)
    return NULL;
  return out;
}

char *schema_create_sql(const schema_def *s, const char *table, const char *schema_name,
                        const char *new_name) {
  const schema_table *t = find_table(s, table);
  if (!t)
    return NULL;
  return rewrite_create(t->create, schema_name, new_name ? new_name : table, false);
}

/* ---- db-sync ---------------------------------------------------------- */

static ps_status drop_own_tables(MYSQL *conn, const cfg_target *target, const schema_def *s,
                                 ps_error *err) {
  for (size_t i = 0; i < s->n_tables; i++) {
    ps_status st = db_execf(conn, err, "DROP TABLE IF EXISTS `%s`.`%s`", target->schema,
                            s->tables[i].name);
    if (st != PS_OK)
      return st;
  }
  /* The state schema is pollster's alone (schema_version, staging and old
   * copies, other modules' bookkeeping): all of it goes. */
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '%s'",
           target->state_schema);
  if (mysql_query(conn, sql) != 0)
    return ERROR_MYSQL(err, conn, "listing tables of %s", target->state_schema);
  MYSQL_RES *res = mysql_store_result(conn);
  if (!res)
    return ERROR_MYSQL(err, conn, "listing tables of %s", target->state_schema);
  size_t n = (size_t)mysql_num_rows(res), k = 0;
  char(*names)[65] = calloc(n ? n : 1, sizeof *names);
  MYSQL_ROW row;
  while (names && (row = mysql_fetch_row(res)))
    snprintf(names[k++], sizeof names[0], "%s", row[0]);
  mysql_free_result(res);
  if (!names)
    return ERROR_SET(err, PS_ENOMEM, "table list");
  ps_status st = PS_OK;
  for (size_t i = 0; i < k && st == PS_OK; i++)
    st = db_execf(conn, err, "DROP TABLE IF EXISTS `%s`.`%s`", target->state_schema, names[i]);
  free(names);
  return st;
}

static ps_status record_version(MYSQL *conn, const cfg_target *target, unsigned v,
                                ps_error *err) {
  return db_execf(conn, err,
                  "INSERT INTO `%s`.schema_version (version, applied_at) VALUES (%u, "
                  "UTC_TIMESTAMP()) ON DUPLICATE KEY UPDATE applied_at = VALUES(applied_at)",
                  target->state_schema, v);
}

static ps_status create_missing(MYSQL *conn, const cfg_target *target, const schema_def *s,
                                ps_error *err) {
  for (size_t i = 0; i < s->n_tables; i++) {
    char *sql = rewrite_create(s->tables[i].create, target->schema, s->tables[i].name, true);
    if (!sql)
      return ERROR_SET(err, PS_ENOMEM, "CREATE TABLE %s", s->tables[i].name);
    ps_status st = db_exec(conn, sql, err);
    free(sql);
    if (st != PS_OK)
      return st;
  }
  return PS_OK;
}

static ps_status migrate(MYSQL *conn, const cfg_target *target, const schema_def *s,
                         unsigned from, ps_error *err) {
  ps_status st = PS_OK;
  char prev_db[256] = "";
  bool had_db = false;
  if ((st = db_query_str(conn, "SELECT DATABASE()", prev_db, sizeof prev_db, &had_db, err)))
    return st;
  if (mysql_select_db(conn, target->schema) != 0)
    return ERROR_MYSQL(err, conn, "USE `%s`", target->schema);
  for (unsigned v = from + 1; v <= s->version && st == PS_OK; v++) {
    log_info("db-sync: migrating `%s` to version %u", target->schema, v);
    for (size_t i = 0; i < s->n_stmts && st == PS_OK; i++) {
      const schema_stmt *m = &s->stmts[i];
      if (m->version != v)
        continue;
      if (m->creates) {
        bool exists;
        if ((st = db_table_exists(conn, target->schema, m->creates, &exists, err)) ||
            exists)
          continue;
      }
      if ((st = db_exec(conn, m->sql, err)) != PS_OK)
        error_prefix(err, "migration to version %u", v);
    }
    if (st == PS_OK)
      st = record_version(conn, target, v, err);
  }
  /* Leave the session's default database as it was (pooled connection). */
  if (prev_db[0] && mysql_select_db(conn, prev_db) != 0 && st == PS_OK)
    st = ERROR_MYSQL(err, conn, "USE `%s`", prev_db);
  return st;
}

ps_status schema_sync(MYSQL *conn, const cfg_target *target, const schema_def *s,
                      const schema_sync_opts *opts, ps_error *err) {
  ps_status st;
  if ((st = db_execf(conn, err,
                     "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 "
                     "COLLATE utf8mb4_general_ci",
                     target->schema)) ||
      (st = db_execf(conn, err,
                     "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 "
                     "COLLATE utf8mb4_general_ci",
                     target->state_schema)))
    return st;
  if (opts && opts->recreate) {
    log_warn("db-sync: dropping pollster's tables in `%s` and `%s`", target->schema,
             target->state_schema);
    if ((st = drop_own_tables(conn, target, s, err)))
      return st;
  }
  if ((st = db_execf(conn, err, schema_version_ddl, target->state_schema)))
    return st;
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT MAX(version) FROM `%s`.schema_version",
           target->state_schema);
  int64_t current = 0;
  bool none = true;
  if ((st = db_query_i64(conn, sql, &current, &none, err)))
    return st;
  if (!none && current > (int64_t)s->version)
    return ERROR_SET(err, PS_EVERSION,
                     "database `%s` is at schema version %lld, newer than version %u of %s: "
                     "this pollster is older than the one that last ran db-sync; upgrade it",
                     target->schema, (long long)current, s->version, s->path);
  if (none) {
    if ((st = create_missing(conn, target, s, err)) ||
        (st = record_version(conn, target, s->version, err)))
      return st;
    log_info("db-sync: `%s` created at schema version %u", target->schema, s->version);
    return PS_OK;
  }
  if (current < (int64_t)s->version && (st = migrate(conn, target, s, (unsigned)current, err)))
    return st;
  /* A table dropped by hand (or new in a version) is recreated. */
  return create_missing(conn, target, s, err);
}
