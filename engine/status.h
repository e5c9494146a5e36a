/* status: the project-wide status codes and the error record that carries
 * the details of a failure (after libuv's UV_ERRNO_MAP and curl's CURLcode).
 *
 * Every fallible function returns a ps_status and, when it fails, fills the
 * caller's ps_error (if not NULL) with what failed and where.  Worker threads
 * never exit(): they return a status to whoever scheduled them. */
#ifndef POLLSTER_STATUS_H
#define POLLSTER_STATUS_H

#include <stdbool.h>
#include <stdarg.h>

/* X(name, transient, message).  "transient" means a retry of the whole unit
 * of work may succeed (lost connection, lock wait, deadlock); the scheduler
 * retries only those. */
#define PS_STATUS_MAP(X)                                                      \
  X(PS_OK,        false, "success")                                           \
  X(PS_ENOMEM,    false, "out of memory")                                     \
  X(PS_EUSAGE,    false, "invalid command line")                              \
  X(PS_ECONFIG,   false, "invalid configuration")                             \
  X(PS_EIO,       false, "input/output error")                                \
  X(PS_ECONNECT,  true,  "cannot connect to database server")                 \
  X(PS_ECONNLOST, true,  "connection to database server lost")                \
  X(PS_ELOCK,     true,  "lock wait timeout or deadlock")                     \
  X(PS_ESQL,      false, "SQL error")                                         \
  X(PS_EACCESS,   false, "access denied")                                     \
  X(PS_ESCHEMA,   false, "unexpected database schema")                        \
  X(PS_ETOOBIG,   false, "value larger than the server accepts")              \
  X(PS_EDATA,     false, "invalid data")                                      \
  X(PS_ETIMEOUT,  true,  "timed out")                                         \
  X(PS_EREPLAN,   true,  "the job must be redone another way")                \
  X(PS_EBUSY,     false, "resource busy")                                     \
  X(PS_ECANCELED, false, "canceled")                                          \
  X(PS_EDEPEND,   false, "a dependency failed")                               \
  X(PS_EVERSION,  false, "incompatible version")                              \
  X(PS_EINTERNAL, false, "internal error")

typedef enum ps_status {
#define PS__ENUM(name, transient, msg) name,
  PS_STATUS_MAP(PS__ENUM)
#undef PS__ENUM
  PS__STATUS_COUNT
} ps_status;

/* Static message for a status; never NULL, also for out-of-range values. */
const char *status_str(ps_status s);
/* Symbolic name ("PS_ECONNLOST"). */
const char *status_name(ps_status s);
/* Whether retrying the whole unit of work may help. */
bool status_is_transient(ps_status s);

/* The details of one failure.  Plain value type: copy it freely. */
typedef struct ps_error {
  ps_status status;
  unsigned int db_errno;   /* server/client errno, 0 when not from SQL */
  char sqlstate[6];        /* "" when not from SQL */
  const char *file;        /* source location that raised it (static string) */
  int line;
  char msg[1024];          /* human-readable: what failed, and on what */
} ps_error;

/* Reset to PS_OK.  e may be NULL. */
void error_clear(ps_error *e);

/* Record a failure and return s, so callers can `return ERROR_SET(...)`.
 * e may be NULL (the status is still returned). */
ps_status error__set(ps_error *e, ps_status s, const char *file, int line,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define ERROR_SET(e, s, ...) error__set((e), (s), __FILE__, __LINE__, __VA_ARGS__)

/* Record a failure reported by the database client library: the errno is
 * mapped to a status (lost connection -> PS_ECONNLOST, deadlock/lock wait ->
 * PS_ELOCK, access denied -> PS_EACCESS, ...).  `conn` is a MYSQL * (void
 * so that this header does not pull in mysql.h); the message gets
 * ": <server message> (errno N, SQLSTATE S)" appended. */
ps_status error__mysql(ps_error *e, void *conn, const char *file, int line,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define ERROR_MYSQL(e, conn, ...) error__mysql((e), (conn), __FILE__, __LINE__, __VA_ARGS__)

/* Map a client/server errno to a status (exposed for tests). */
ps_status status_from_db_errno(unsigned int db_errno);

/* Prefix more context to an existing error: "ctx: old message". */
void error_prefix(ps_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
