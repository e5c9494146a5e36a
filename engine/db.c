#include "engine/db.h"

#include <errmsg.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/log.h"

/* Strict mode so that bad data is an error the loader reports, never a
 * silent truncation; UTC so DATETIME/TIMESTAMP round-trip unchanged. */
static const char db_session_sql[] =
    "SET NAMES utf8mb4 COLLATE utf8mb4_bin, time_zone = '+00:00', "
    "sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO,ERROR_FOR_DIVISION_BY_ZERO', "
    "SESSION group_concat_max_len = 1048576";

ps_status db_set_role(MYSQL *m, db_role role, ps_error *err) {
  return db_exec(m,
                 role == DB_ROLE_SOURCE ? "SET SESSION TRANSACTION READ ONLY"
                                        : "SET SESSION TRANSACTION READ WRITE",
                 err);
}

static MYSQL *db_open(const char *host, unsigned port, const char *socket, const char *user,
                      const char *password, const cfg_server *srv, db_role role,
                      ps_error *err) {
  MYSQL *m = mysql_init(NULL);
  if (!m) {
    ERROR_SET(err, PS_ENOMEM, "mysql_init failed");
    return NULL;
  }
  unsigned ct = srv ? srv->connect_timeout_s : 10;
  unsigned rt = srv ? srv->read_timeout_s : 600;
  unsigned wt = srv ? srv->write_timeout_s : 600;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
  if (rt)
    mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &rt);
  if (wt)
    mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &wt);
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  unsigned char local_infile = 1;
  mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  my_bool no = 0, yes = 1;
  mysql_optionsv(m, MYSQL_OPT_RECONNECT, &no); /* never replay silently */
  if (srv) {
    switch (srv->ssl_mode) {
    case CFG_SSL_DISABLED:
      mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &no);
      break;
    case CFG_SSL_PREFERRED:
      break;
    case CFG_SSL_REQUIRED:
      mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &yes);
      break;
    case CFG_SSL_VERIFY_CA:
    case CFG_SSL_VERIFY_IDENTITY:
      mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &yes);
      mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
      break;
    }
    if (srv->ssl_ca)
      mysql_optionsv(m, MYSQL_OPT_SSL_CA, srv->ssl_ca);
  }
  if (!mysql_real_connect(m, socket ? NULL : host, user, password, NULL, socket ? 0 : port,
                          socket, CLIENT_MULTI_RESULTS)) {
    if (socket)
      ERROR_MYSQL(err, m, "connect to server '%s' via socket %s as '%s'",
                  srv ? srv->name : "-", socket, user);
    else
      ERROR_MYSQL(err, m, "connect to server '%s' at %s:%u as '%s'", srv ? srv->name : "-",
                  host, port, user);
    if (err && err->status == PS_ECONNLOST)
      err->status = PS_ECONNECT;
    mysql_close(m);
    return NULL;
  }
  if (db_exec(m, db_session_sql, err) != PS_OK || db_set_role(m, role, err) != PS_OK) {
    mysql_close(m);
    return NULL;
  }
  return m;
}

MYSQL *db_connect_raw(const char *host, unsigned port, const char *socket, const char *user,
                      const char *password, db_role role, ps_error *err) {
  return db_open(host, port, socket, user, password ? password : "", NULL, role, err);
}

MYSQL *db_connect(const cfg_server *srv, db_role role, ps_error *err) {
  if (srv->socket || !srv->n_hosts)
    return db_open(srv->host, srv->port, srv->socket, srv->user, srv->password, srv, role, err);
  /* Several nodes: the first that answers (and, on Galera, is Synced). */
  for (size_t i = 0; i < srv->n_hosts; i++) {
    MYSQL *m = db_open(srv->hosts[i].host, srv->hosts[i].port, NULL, srv->user,
                       srv->password, srv, role, err);
    if (!m)
      continue;
    char state[64];
    bool found = false;
    ps_error e2;
    if (db_query_str(m,
                     "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                     "WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT'",
                     state, sizeof state, &found, &e2) == PS_OK &&
        (!found || state[0] == '\0' || strcmp(state, "Synced") == 0))
      return m;
    log_warn("server '%s': node %s:%u is not Synced (%s), trying the next", srv->name,
             srv->hosts[i].host, srv->hosts[i].port, found ? state : "?");
    ERROR_SET(err, PS_ECONNECT, "server '%s': node %s:%u is not Synced", srv->name,
              srv->hosts[i].host, srv->hosts[i].port);
    mysql_close(m);
  }
  return NULL;
}

void db_close(MYSQL *m) {
  if (m)
    mysql_close(m);
}

ps_status db_exec(MYSQL *m, const char *sql, ps_error *err) {
  if (mysql_real_query(m, sql, strlen(sql)) != 0)
    return ERROR_MYSQL(err, m, "query failed [%.200s]", sql);
  /* Drain every result so the connection is ready for the next statement. */
  do {
    MYSQL_RES *res = mysql_store_result(m);
    if (res)
      mysql_free_result(res);
    else if (mysql_field_count(m) != 0)
      return ERROR_MYSQL(err, m, "reading result of [%.200s]", sql);
  } while (mysql_next_result(m) == 0);
  if (mysql_errno(m))
    return ERROR_MYSQL(err, m, "query failed [%.200s]", sql);
  return PS_OK;
}

ps_status db_execf(MYSQL *m, ps_error *err, const char *fmt, ...) {
  char stack[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(stack, sizeof stack, fmt, ap);
  va_end(ap);
  if (n < 0)
    return ERROR_SET(err, PS_EINTERNAL, "bad format [%s]", fmt);
  if ((size_t)n < sizeof stack)
    return db_exec(m, stack, err);
  char *heap = malloc((size_t)n + 1);
  if (!heap)
    return ERROR_SET(err, PS_ENOMEM, "statement of %d bytes", n);
  va_start(ap, fmt);
  vsnprintf(heap, (size_t)n + 1, fmt, ap);
  va_end(ap);
  ps_status s = db_exec(m, heap, err);
  free(heap);
  return s;
}

static ps_status db_first_row(MYSQL *m, const char *sql, MYSQL_RES **res, MYSQL_ROW *row,
                              ps_error *err) {
  *res = NULL;
  *row = NULL;
  if (mysql_real_query(m, sql, strlen(sql)) != 0)
    return ERROR_MYSQL(err, m, "query failed [%.200s]", sql);
  *res = mysql_store_result(m);
  if (!*res)
    return ERROR_MYSQL(err, m, "no result for [%.200s]", sql);
  *row = mysql_fetch_row(*res);
  return PS_OK;
}

ps_status db_query_i64(MYSQL *m, const char *sql, int64_t *out, bool *is_null, ps_error *err) {
  MYSQL_RES *res;
  MYSQL_ROW row;
  ps_status s = db_first_row(m, sql, &res, &row, err);
  if (s != PS_OK)
    goto out;
  bool null = !row || !row[0];
  *out = null ? 0 : strtoll(row[0], NULL, 10);
  if (is_null)
    *is_null = null;
out:
  if (res)
    mysql_free_result(res);
  return s;
}

ps_status db_query_str(MYSQL *m, const char *sql, char *buf, size_t cap, bool *found,
                       ps_error *err) {
  MYSQL_RES *res;
  MYSQL_ROW row;
  ps_status s = db_first_row(m, sql, &res, &row, err);
  if (s != PS_OK)
    goto out;
  if (found)
    *found = row != NULL;
  snprintf(buf, cap, "%s", row && row[0] ? row[0] : "");
out:
  if (res)
    mysql_free_result(res);
  return s;
}

ps_status db_table_exists(MYSQL *m, const char *schema, const char *table, bool *exists,
                          ps_error *err) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '%s' "
           "AND TABLE_NAME = '%s'",
           schema, table);
  int64_t n = 0;
  ps_status s = db_query_i64(m, sql, &n, NULL, err);
  *exists = n > 0;
  return s;
}

ps_status db_column_exists(MYSQL *m, const char *schema, const char *table, const char *column,
                           bool *exists, ps_error *err) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' "
           "AND TABLE_NAME = '%s' AND COLUMN_NAME = '%s'",
           schema, table, column);
  int64_t n = 0;
  ps_status s = db_query_i64(m, sql, &n, NULL, err);
  *exists = n > 0;
  return s;
}

void db_quote_into(MYSQL *m, char *buf, size_t *pos, const char *s, size_t len) {
  buf[(*pos)++] = '\'';
  *pos += mysql_real_escape_string(m, buf + *pos, s, (unsigned long)len);
  buf[(*pos)++] = '\'';
  buf[*pos] = '\0';
}

const char *db_client_version(void) { return mysql_get_client_info(); }
