#include "loaders/staging.h"

#include <errno.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/db.h"
#include "engine/log.h"

#define SUFFIX_STAGING "__staging"
#define SUFFIX_OLD "__old"

ps_status staging_ensure_state_schema(MYSQL *conn, const cfg_target *target, ps_error *err) {
  return db_execf(conn, err,
                  "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 "
                  "COLLATE utf8mb4_general_ci",
                  target->state_schema);
}

ps_status staging_lock(MYSQL *conn, const cfg_target *target, unsigned wait_s,
                       ps_error *err) {
  /* Lock names are limited to 64 characters: the schema name is hashed. */
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT GET_LOCK(CONCAT('pollster:', MD5('%s')), %u)",
           target->state_schema, wait_s);
  int64_t got = 0;
  bool null = true;
  ps_status s = db_query_i64(conn, sql, &got, &null, err);
  if (s != PS_OK)
    return s;
  if (null || got != 1)
    return ERROR_SET(err, PS_EBUSY,
                     "another pollster run is refreshing `%s` (its staging tables in `%s`); "
                     "waited %u s for it to end",
                     target->schema, target->state_schema, wait_s);
  return PS_OK;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Secondary (non-unique, non-primary) key lines of our CREATE TABLE text
 * ("  KEY name (cols)," one per line, as schema/reporting.sql is written)
 * are cut out and collected as "ADD KEY name (cols), ...".  The element
 * before the closing ")" loses its trailing comma. */
static ps_status split_keys(char *sql, char *keys, size_t keys_cap, const char *table,
                            ps_error *err) {
  size_t kpos = 0;
  keys[0] = '\0';
  char *out = sql, *last_elem_end = NULL;
  for (char *line = sql; *line;) {
    char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
    char *p = line;
    while (*p == ' ' || *p == '\t')
      p++;
    if (strncmp(p, "KEY ", 4) == 0) {
      size_t klen = (size_t)(line + len - p);
      while (klen && (p[klen - 1] == '\n' || p[klen - 1] == ',' || p[klen - 1] == ' '))
        klen--;
      int n = snprintf(keys + kpos, keys_cap - kpos, "%sADD %.*s", kpos ? ", " : "",
                       (int)klen, p);
      if (n < 0 || (size_t)n >= keys_cap - kpos)
        return ERROR_SET(err, PS_EINTERNAL, "%s: secondary keys do not fit the buffer", table);
      kpos += (size_t)n;
    } else {
      if (*p == ')' && last_elem_end && last_elem_end[-1] == ',') {
        /* remove the dangling comma before the closing parenthesis */
        memmove(last_elem_end - 1, last_elem_end, (size_t)(out - last_elem_end));
        out--;
      }
      memmove(out, line, len);
      out += len;
      /* end of this element's text, before its newline */
      char *e = out;
      while (e > sql && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
        e--;
      last_elem_end = e;
    }
    line += len;
  }
  *out = '\0';
  return PS_OK;
}

ps_status staging_create(MYSQL *conn, const cfg_target *target, const schema_def *schema,
                         const char *table, bool defer_keys, staging_table *out,
                         ps_error *err) {
  char name[128];
  snprintf(out->table, sizeof out->table, "%s", table);
  out->deferred_keys[0] = '\0';
  snprintf(name, sizeof name, "%s" SUFFIX_STAGING, table);
  char *sql = schema_create_sql(schema, table, target->state_schema, name);
  if (!sql)
    return ERROR_SET(err, PS_ESCHEMA, "table %s is not in the schema file %s", table,
                     schema_path(schema));
  ps_status s = db_execf(conn, err, "DROP TABLE IF EXISTS `%s`.`%s`", target->state_schema,
                         name);
  if (s == PS_OK && defer_keys)
    s = split_keys(sql, out->deferred_keys, sizeof out->deferred_keys, table, err);
  if (s == PS_OK)
    s = db_exec(conn, sql, err);
  free(sql);
  return s;
}

ps_status staging_build_keys(MYSQL *conn, const cfg_target *target, staging_table *st,
                             ps_error *err) {
  if (!st->deferred_keys[0])
    return PS_OK;
  ps_status s = db_execf(conn, err, "ALTER TABLE `%s`.`%s" SUFFIX_STAGING "` %s",
                         target->state_schema, st->table, st->deferred_keys);
  if (s == PS_OK)
    st->deferred_keys[0] = '\0';
  return s;
}

ps_status staging_drop(MYSQL *conn, const cfg_target *target, const char *table,
                       ps_error *err) {
  return db_execf(conn, err, "DROP TABLE IF EXISTS `%s`.`%s" SUFFIX_STAGING "`",
                  target->state_schema, table);
}

ps_status staging_write_metadata(MYSQL *conn, const cfg_target *target, const char *table,
                                 const char *refresh_started, ps_error *err) {
  if (strcmp(table, "metadata") == 0)
    return PS_OK;
  char ts[64];
  size_t pos = 0;
  size_t n = strlen(refresh_started);
  if (n > 26)
    return ERROR_SET(err, PS_EDATA, "bad refresh time '%.40s'", refresh_started);
  db_quote_into(conn, ts, &pos, refresh_started, n);
  /* COUNT(*) of the live table in the same statement, so the number is the
   * one readers see (inside the caller's transaction on the incremental path). */
  return db_execf(conn, err,
                  "INSERT INTO `%s`.metadata (table_name, last_update, row_count) "
                  "SELECT '%s', %s, COUNT(*) FROM `%s`.`%s` "
                  "ON DUPLICATE KEY UPDATE last_update = VALUES(last_update), "
                  "row_count = VALUES(row_count)",
                  target->schema, table, ts, target->schema, table);
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

ps_status staging_swap(MYSQL *conn, const cfg_target *target, const char *const *tables,
                       size_t n, const staging_swap_opts *opts, ps_error *err) {
  ps_status s = PS_OK;
  size_t cap = 64 + n * (4 * 64 + 4 * strlen(target->schema) + 4 * strlen(target->state_schema) + 64);
  char *sql = malloc(cap);
  if (!sql)
    return ERROR_SET(err, PS_ENOMEM, "swap statement");
  size_t pos = (size_t)snprintf(sql, cap, "RENAME TABLE ");
  for (size_t i = 0; i < n; i++) {
    bool live = false;
    /* A leftover __old from a crashed swap would make the RENAME fail. */
    if ((s = db_execf(conn, err, "DROP TABLE IF EXISTS `%s`.`%s" SUFFIX_OLD "`",
                      target->state_schema, tables[i])) ||
        (s = db_table_exists(conn, target->schema, tables[i], &live, err)))
      goto out;
    if (live)
      pos += (size_t)snprintf(sql + pos, cap - pos, "`%s`.`%s` TO `%s`.`%s" SUFFIX_OLD "`, ",
                              target->schema, tables[i], target->state_schema, tables[i]);
    pos += (size_t)snprintf(sql + pos, cap - pos, "`%s`.`%s" SUFFIX_STAGING "` TO `%s`.`%s`%s",
                            target->state_schema, tables[i], target->schema, tables[i],
                            i + 1 < n ? ", " : "");
  }

  /* A reader's open transaction holds a metadata lock on the live table and
   * RENAME waits for it (and, while waiting, blocks new readers): wait only
   * briefly, back off, and try again. */
  if ((s = db_execf(conn, err, "SET SESSION lock_wait_timeout = %u",
                    opts->lock_wait_s ? opts->lock_wait_s : 1)))
    goto out;
  unsigned backoff = opts->backoff_ms ? opts->backoff_ms : 100;
  ps_error e;
  bool gave_up = false;
  for (unsigned attempt = 0;; attempt++) {
    error_clear(&e);
    s = db_exec(conn, sql, &e);
    if (s == PS_OK || e.db_errno != ER_LOCK_WAIT_TIMEOUT)
      break;
    if (attempt >= opts->retries) {
      gave_up = true;
      s = ERROR_SET(err, PS_ELOCK,
                    "swap of `%s`.`%s`%s: a reader holds a lock on the live table; gave up "
                    "after %u attempts of %u s: %s",
                    target->schema, tables[0], n > 1 ? " (and others)" : "", attempt + 1,
                    opts->lock_wait_s, e.msg);
      if (err) {
        err->db_errno = e.db_errno;
        memcpy(err->sqlstate, e.sqlstate, sizeof err->sqlstate);
      }
      break;
    }
    log_warn("swap of `%s`.`%s`: a reader holds a lock, retrying in %u ms", target->schema,
             tables[0], backoff);
    sleep_ms(backoff);
    backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
  }
  if (s != PS_OK && !gave_up && err)
    *err = e;
  ps_error e2;
  error_clear(&e2);
  /* The pooled connection goes back with the server's default. */
  if (db_exec(conn, "SET SESSION lock_wait_timeout = DEFAULT", &e2) != PS_OK && s == PS_OK) {
    if (err)
      *err = e2;
    s = e2.status;
  }
  if (s != PS_OK)
    goto out;

  for (size_t i = 0; i < n; i++) {
    /* The swap is done; an old copy that cannot be dropped now is dropped by
     * the next swap or cleanup, so it is not a failure of this one. */
    if (db_execf(conn, &e2, "DROP TABLE IF EXISTS `%s`.`%s" SUFFIX_OLD "`",
                 target->state_schema, tables[i]) != PS_OK)
      log_warn("after swap of `%s`.`%s`: %s", target->schema, tables[i], e2.msg);
  }
  if (opts->refresh_started)
    for (size_t i = 0; i < n && s == PS_OK; i++)
      s = staging_write_metadata(conn, target, tables[i], opts->refresh_started, err);
out:
  free(sql);
  return s;
}

/* Names of the tables of `schema` (optionally only those LIKE `like`). */
static ps_status list_tables(MYSQL *conn, const char *schema, char (**names)[65], size_t *n,
                             ps_error *err) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '%s' "
           "ORDER BY TABLE_NAME",
           schema);
  *names = NULL;
  *n = 0;
  if (mysql_query(conn, sql) != 0)
    return ERROR_MYSQL(err, conn, "listing tables of `%s`", schema);
  MYSQL_RES *res = mysql_store_result(conn);
  if (!res)
    return ERROR_MYSQL(err, conn, "listing tables of `%s`", schema);
  size_t rows = (size_t)mysql_num_rows(res);
  *names = calloc(rows ? rows : 1, sizeof **names);
  MYSQL_ROW row;
  while (*names && (row = mysql_fetch_row(res)))
    snprintf((*names)[(*n)++], sizeof **names, "%s", row[0]);
  mysql_free_result(res);
  return *names ? PS_OK : ERROR_SET(err, PS_ENOMEM, "table list");
}

/* An __old copy: back to live when the live table is missing, else dropped. */
static ps_status settle_old(MYSQL *conn, const cfg_target *target, const char *schema,
                            const char *name, ps_error *err) {
  char live[65];
  snprintf(live, sizeof live, "%.*s", (int)(strlen(name) - strlen(SUFFIX_OLD)), name);
  bool exists = false;
  ps_status s = db_table_exists(conn, target->schema, live, &exists, err);
  if (s != PS_OK)
    return s;
  if (exists) {
    log_info("cleanup: dropping leftover `%s`.`%s`", schema, name);
    return db_execf(conn, err, "DROP TABLE `%s`.`%s`", schema, name);
  }
  log_warn("cleanup: `%s`.`%s` is missing; restoring it from `%s`.`%s`", target->schema, live,
           schema, name);
  return db_execf(conn, err, "RENAME TABLE `%s`.`%s` TO `%s`.`%s`", schema, name,
                  target->schema, live);
}

static bool wanted(const char *name, const char *suffix, const char *table) {
  if (!ends_with(name, suffix))
    return false;
  size_t base = strlen(name) - strlen(suffix);
  return !table || (strlen(table) == base && strncmp(name, table, base) == 0);
}

static ps_status clean_schema(MYSQL *conn, const cfg_target *target, const schema_def *schema,
                              const char *db, bool reporting, const char *table,
                              ps_error *err) {
  char(*names)[65] = NULL;
  size_t n = 0;
  ps_status s = list_tables(conn, db, &names, &n, err);
  /* Staging copies first: an __old may need its live name back. */
  for (size_t i = 0; i < n && s == PS_OK; i++)
    if (wanted(names[i], SUFFIX_STAGING, table)) {
      log_info("cleanup: dropping leftover `%s`.`%s`", db, names[i]);
      s = db_execf(conn, err, "DROP TABLE `%s`.`%s`", db, names[i]);
    }
  for (size_t i = 0; i < n && s == PS_OK; i++)
    if (wanted(names[i], SUFFIX_OLD, table))
      s = settle_old(conn, target, db, names[i], err);
  if (reporting && !table)
    for (size_t i = 0; i < n && s == PS_OK; i++)
      if (!ends_with(names[i], SUFFIX_STAGING) && !ends_with(names[i], SUFFIX_OLD) &&
          !schema_has_table(schema, names[i]))
        log_warn("`%s`.`%s` is not a reporting table: the reporting API publishes it; "
                 "left in place, move it out of the reporting schema",
                 db, names[i]);
  free(names);
  return s;
}

ps_status staging_cleanup(MYSQL *conn, const cfg_target *target, const schema_def *schema,
                          const char *table, ps_error *err) {
  ps_status s = clean_schema(conn, target, schema, target->state_schema, false, table, err);
  if (s == PS_OK)
    s = clean_schema(conn, target, schema, target->schema, true, table, err);
  return s;
}
