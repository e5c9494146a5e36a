#include "engine/status.h"

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  bool transient;
  const char *msg;
} status_table[] = {
#define PS__ROW(name, transient, msg) {#name, transient, msg},
  PS_STATUS_MAP(PS__ROW)
#undef PS__ROW
};

static bool status_valid(ps_status s) {
  return (unsigned)s < (unsigned)PS__STATUS_COUNT;
}

const char *status_str(ps_status s) {
  return status_valid(s) ? status_table[s].msg : "unknown status";
}

const char *status_name(ps_status s) {
  return status_valid(s) ? status_table[s].name : "PS_UNKNOWN";
}

bool status_is_transient(ps_status s) {
  return status_valid(s) && status_table[s].transient;
}

void error_clear(ps_error *e) {
  if (!e)
    return;
  memset(e, 0, sizeof *e);
  e->status = PS_OK;
}

static void error_vfill(ps_error *e, ps_status s, const char *file, int line,
                        const char *fmt, va_list ap) {
  e->status = s;
  e->file = file;
  e->line = line;
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

ps_status error__set(ps_error *e, ps_status s, const char *file, int line,
                     const char *fmt, ...) {
  if (!e)
    return s;
  va_list ap;
  va_start(ap, fmt);
  e->db_errno = 0;
  e->sqlstate[0] = '\0';
  error_vfill(e, s, file, line, fmt, ap);
  va_end(ap);
  return s;
}

ps_status status_from_db_errno(unsigned int n) {
  switch (n) {
  case 0:
    return PS_OK;
  case CR_OUT_OF_MEMORY:
    return PS_ENOMEM;
  case CR_CONNECTION_ERROR:
  case CR_CONN_HOST_ERROR:
  case CR_UNKNOWN_HOST:
  case CR_SERVER_HANDSHAKE_ERR:
  case ER_CON_COUNT_ERROR:
  case ER_SERVER_SHUTDOWN:
    return PS_ECONNECT;
  case CR_SERVER_GONE_ERROR:
  case CR_SERVER_LOST:
  case CR_SERVER_LOST_EXTENDED:
  case CR_COMMANDS_OUT_OF_SYNC:
  case ER_CONNECTION_KILLED:
  case ER_NET_READ_ERROR:
  case ER_NET_READ_INTERRUPTED:
  case ER_NET_ERROR_ON_WRITE:
  case ER_NET_WRITE_INTERRUPTED:
  case ER_QUERY_INTERRUPTED:
  case 1047: /* ER_UNKNOWN_COM_ERROR: Galera node not ready (WSREP has not yet prepared node) */
    return PS_ECONNLOST;
  case ER_LOCK_WAIT_TIMEOUT:
  case ER_LOCK_DEADLOCK:
    return PS_ELOCK;
  case ER_ACCESS_DENIED_ERROR:
  case ER_DBACCESS_DENIED_ERROR:
  case ER_TABLEACCESS_DENIED_ERROR:
  case ER_COLUMNACCESS_DENIED_ERROR:
  case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    return PS_EACCESS;
  case ER_NET_PACKET_TOO_LARGE:
  case CR_NET_PACKET_TOO_LARGE:
    return PS_ETOOBIG;
  case ER_NO_SUCH_TABLE:
  case ER_BAD_DB_ERROR:
  case ER_BAD_FIELD_ERROR:
  case ER_BAD_TABLE_ERROR:
    return PS_ESCHEMA;
  default:
    /* Client-side errors (2000..2999) not listed above are about the
     * connection itself; everything else is a statement the server refused. */
    return (n >= 2000 && n < 3000) ? PS_ECONNLOST : PS_ESQL;
  }
}

ps_status error__mysql(ps_error *e, void *conn, const char *file, int line,
                       const char *fmt, ...) {
  MYSQL *m = conn;
  unsigned int n = m ? mysql_errno(m) : 0;
  ps_status s = n ? status_from_db_errno(n) : PS_ESQL;
  if (!e)
    return s;
  va_list ap;
  va_start(ap, fmt);
  error_vfill(e, s, file, line, fmt, ap);
  va_end(ap);
  e->db_errno = n;
  snprintf(e->sqlstate, sizeof e->sqlstate, "%s", m ? mysql_sqlstate(m) : "");
  size_t len = strlen(e->msg);
  snprintf(e->msg + len, sizeof e->msg - len, ": %s (errno %u, SQLSTATE %s)",
           m ? mysql_error(m) : "no connection", n, e->sqlstate);
  return s;
}

void error_prefix(ps_error *e, const char *fmt, ...) {
  if (!e)
    return;
  char head[512], old[sizeof e->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(head, sizeof head, fmt, ap);
  va_end(ap);
  memcpy(old, e->msg, sizeof old);
  /* Truncation is intended: the message is bounded. */
  size_t n = strlen(head);
  if (n > sizeof e->msg - 1)
    n = sizeof e->msg - 1;
  memcpy(e->msg, head, n);
  size_t rest = sizeof e->msg - 1 - n;
  const char sep[] = ": ";
  size_t k = rest < 2 ? rest : 2;
  memcpy(e->msg + n, sep, k);
  n += k;
  rest -= k;
  size_t olen = strlen(old);
  if (olen > rest)
    olen = rest;
  memcpy(e->msg + n, old, olen);
  e->msg[n + olen] = '\0';
}
