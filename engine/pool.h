/* pool: a bounded set of database connections to one server, shared by the
 * worker threads, plus `pools`, one pool per configured server.
 *
 * DESIGN: workers (any thread) borrow a connection with pool_acquire and give
 * it back with pool_release; nothing else touches a borrowed MYSQL handle, so
 * a handle belongs to exactly one thread between acquire and release.  The
 * pool opens connections lazily, never more than the server's pool_size at
 * once (counting the ones being opened); a thread that finds the pool full
 * waits on a condition variable until a release or its timeout.  Waiters are
 * not served in strict FIFO order (the condvar decides); with short borrows
 * that is fair enough.  Connecting, pinging and closing happen outside the
 * lock, on a slot the calling thread has reserved, so a slow server never
 * blocks the other borrowers.
 * Shutdown: every connection must be released before pool_destroy, which
 * closes the idle ones.  Locking rule: pool.mu guards the slot table and the
 * counters; a slot in state BUSY or CONNECTING belongs to the thread that put
 * it there and may be used by it without the lock. */
#ifndef POLLSTER_POOL_H
#define POLLSTER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/config.h"
#include "engine/db.h"
#include "engine/status.h"

typedef struct pool pool;

/* A pool for `srv` (borrowed: must outlive the pool).  Opens nothing yet.
 * Returns NULL with err set (PS_ENOMEM, or PS_ECONFIG when pool_size is 0). */
pool *pool_create(const cfg_server *srv, ps_error *err);
/* Closes the idle connections and frees the pool.  Accepts NULL.  Every
 * borrowed connection must have been released (a leak is logged). */
void pool_destroy(pool *p);

/* Borrow a connection set up for `role` (READ ONLY session for
 * DB_ROLE_SOURCE).  Waits up to timeout_ms for a free slot, then fails with
 * PS_ETIMEOUT naming the server and pool_size.  A connection idle for longer
 * than the idle-check interval (default POOL_IDLE_CHECK_MS), or idle while
 * another connection was released broken (a server or Galera node lost), is
 * pinged first; a dead one is closed and replaced (on a `hosts` server, by a
 * connection to the first Synced node).  Opening a connection is tried
 * POOL_CONNECT_ATTEMPTS times with a doubling backoff from
 * POOL_CONNECT_BACKOFF_MS while it fails with a transient status; then the
 * last error (PS_ECONNECT, PS_EACCESS, ...) is returned.  On success *out is
 * the caller's until pool_release. */
#define POOL_IDLE_CHECK_MS 5000u
#define POOL_CONNECT_ATTEMPTS 3
#define POOL_CONNECT_BACKOFF_MS 100u
ps_status pool_acquire(pool *p, db_role role, unsigned timeout_ms, MYSQL **out, ps_error *err);
/* Give `conn` back (ownership returns to the pool).  `broken`: the caller saw
 * the connection fail (PS_ECONNLOST, or any error that leaves the session in
 * an unknown state, e.g. mid-transaction): it is closed, not reused.  Wakes
 * one waiter. */
void pool_release(pool *p, MYSQL *conn, bool broken);

/* Ping idle connections only after they were unused for `ms` (0 = ping on
 * every reuse).  Tests use 0; normally left at POOL_IDLE_CHECK_MS. */
void pool_set_idle_check_ms(pool *p, unsigned ms);

typedef struct pool_stats {
  unsigned open;      /* connections open or being opened now */
  unsigned in_use;    /* borrowed now */
  unsigned peak_open; /* highest `open` ever seen */
  uint64_t created;   /* connections opened successfully, ever */
  uint64_t replaced;  /* dead connections found by ping or released broken */
  uint64_t waits;     /* acquires that had to wait for a slot */
  uint64_t timeouts;  /* acquires that gave up (PS_ETIMEOUT) */
} pool_stats;
void pool_get_stats(pool *p, pool_stats *out);
const cfg_server *pool_server(const pool *p);

/* One pool per server of a config, indexed like cfg->servers. */
typedef struct pools pools;
/* cfg is borrowed and must outlive the pools. */
pools *pools_create(const config *cfg, ps_error *err);
void pools_destroy(pools *ps); /* accepts NULL */
/* The pool of server `server_idx` (borrowed; NULL when out of range). */
pool *pools_get(pools *ps, size_t server_idx);
size_t pools_count(const pools *ps);

#endif
