/* db: one connection to a MariaDB/MySQL server, opened and set up the way
 * every pollster session is (utf8mb4, UTC, strict sql_mode), plus the few
 * statement helpers everything else uses.  No shared state: a MYSQL handle
 * belongs to one thread at a time (the pool hands it out). */
#ifndef POLLSTER_DB_H
#define POLLSTER_DB_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/config.h"
#include "engine/status.h"

/* Session roles: a source session is READ ONLY (a write through it fails). */
typedef enum db_role { DB_ROLE_TARGET, DB_ROLE_SOURCE } db_role;

/* Open a connection to `srv` (socket, host, or the first answering node of
 * srv->hosts) and set it up for `role`.  Returns a new handle the caller owns
 * (close with db_close), or NULL with err set.  The error message names the
 * server, host/socket and user, never the password. */
MYSQL *db_connect(const cfg_server *srv, db_role role, ps_error *err);
/* Same, to an explicit socket or host:port (tests, tools); user/password
 * borrowed for the call. */
MYSQL *db_connect_raw(const char *host, unsigned port, const char *socket,
                      const char *user, const char *password, db_role role,
                      ps_error *err);
void db_close(MYSQL *m); /* accepts NULL */

/* Switch an open session between roles (the pool reuses connections). */
ps_status db_set_role(MYSQL *m, db_role role, ps_error *err);

/* Run one statement, discarding any result.  sql is borrowed. */
ps_status db_exec(MYSQL *m, const char *sql, ps_error *err);
ps_status db_execf(MYSQL *m, ps_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Run a query whose first column of the first row is an integer (NULL -> *is_null).
 * is_null may be NULL (then NULL reads as 0). */
ps_status db_query_i64(MYSQL *m, const char *sql, int64_t *out, bool *is_null, ps_error *err);
/* First column of the first row as a string into buf (NULL -> ""; *found=false
 * when no row).  found may be NULL. */
ps_status db_query_str(MYSQL *m, const char *sql, char *buf, size_t cap, bool *found,
                       ps_error *err);

/* Whether a table exists (schema and table are plain identifiers). */
ps_status db_table_exists(MYSQL *m, const char *schema, const char *table, bool *exists,
                          ps_error *err);
/* Whether a column exists on a table. */
ps_status db_column_exists(MYSQL *m, const char *schema, const char *table,
                           const char *column, bool *exists, ps_error *err);

/* Append `s` (len bytes) as a quoted SQL string literal, escaped for the
 * connection's charset, to buf at *pos.  Caller guarantees capacity of
 * 2*len+3 bytes past *pos. */
void db_quote_into(MYSQL *m, char *buf, size_t *pos, const char *s, size_t len);

/* Client library version string. */
const char *db_client_version(void);

#endif
