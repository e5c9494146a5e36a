/* bench_server: the database server pollster-bench measures against.
 *
 * Either a private mariadbd it starts itself (mariadb-install-db into a fresh
 * temp folder, socket only with --skip-networking, so two benches never
 * collide on a port; stopped with SIGTERM to the pid it started), or an
 * existing server reached by socket or host:port.  Either way the bench needs
 * the server's pid (to read its CPU time from /proc) when it runs on this
 * machine, and its secure_file_priv folder for the LOAD DATA INFILE baseline. */
#ifndef POLLSTER_BENCH_SERVER_H
#define POLLSTER_BENCH_SERVER_H

#include <mysql.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine/status.h"

typedef struct bench_server {
  char *host;     /* NULL when socket is used */
  unsigned port;
  char *socket;   /* NULL when host is used */
  char *user;
  char *password; /* "" for none; never printed */
  pid_t pid;      /* server pid on this machine, 0 when unknown (remote) */
  bool owned;     /* started by us: stop and remove dir on bench_server_stop */
  char *dir;      /* private server's temp folder (owned only) */
  char *files;    /* secure_file_priv folder, NULL when LOAD DATA INFILE is unavailable */
  char version[64];
} bench_server;

/* Start a private mariadbd under a new temp folder in tmp_parent (borrowed).
 * On success *out is a new server the caller owns (bench_server_stop). */
ps_status bench_server_start(const char *tmp_parent, bench_server **out, ps_error *err);

/* Describe an existing server (all strings borrowed, copied).  Connects once
 * to learn its version, pid (via @@pid_file, only when reached by socket, so
 * on this machine) and secure_file_priv. */
ps_status bench_server_attach(const char *host, unsigned port, const char *socket,
                              const char *user, const char *password, bench_server **out,
                              ps_error *err);

/* Stop (owned only) and free.  Accepts NULL. */
void bench_server_stop(bench_server *s);

/* A new target-role connection the caller owns (db_close). */
MYSQL *bench_server_connect(const bench_server *s, ps_error *err);

/* utime+stime of the server process in seconds; negative when unknown. */
double bench_server_cpu(const bench_server *s);

#endif
