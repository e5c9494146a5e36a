/* pool: see pool.h for the DESIGN and the locking rule. */
#include "engine/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/log.h"

typedef enum slot_state { SLOT_EMPTY, SLOT_CONNECTING, SLOT_IDLE, SLOT_BUSY } slot_state;

typedef struct slot {
  slot_state state;
  MYSQL *conn;        /* written under mu only, so release can look it up */
  db_role role;       /* role the session is set up for */
  uint64_t idle_since_ms;
  bool suspect;       /* another connection died since this one was last used */
} slot;

struct pool {
  const cfg_server *srv;
  pthread_mutex_t mu;
  pthread_cond_t freed; /* a slot became IDLE or EMPTY */
  slot *slots;          /* srv->pool_size entries */
  unsigned size;
  unsigned idle_check_ms;
  pool_stats st;
};

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

pool *pool_create(const cfg_server *srv, ps_error *err) {
  if (!srv->pool_size) {
    ERROR_SET(err, PS_ECONFIG, "server '%s': pool_size is 0", srv->name);
    return NULL;
  }
  pool *p = calloc(1, sizeof *p);
  if (!p || !(p->slots = calloc(srv->pool_size, sizeof *p->slots))) {
    free(p);
    ERROR_SET(err, PS_ENOMEM, "server '%s': cannot allocate a pool of %u", srv->name,
              srv->pool_size);
    return NULL;
  }
  p->srv = srv;
  p->size = srv->pool_size;
  p->idle_check_ms = POOL_IDLE_CHECK_MS;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&p->freed, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&p->mu, NULL);
  return p;
}

void pool_destroy(pool *p) {
  if (!p)
    return;
  /* No other thread may use the pool any more: no lock needed. */
  for (unsigned i = 0; i < p->size; i++) {
    slot *s = &p->slots[i];
    if (s->state == SLOT_BUSY || s->state == SLOT_CONNECTING)
      log_error("pool '%s': destroyed with a connection still borrowed (leaked)",
                p->srv->name);
    else
      db_close(s->conn);
  }
  pthread_cond_destroy(&p->freed);
  pthread_mutex_destroy(&p->mu);
  free(p->slots);
  free(p);
}

void pool_set_idle_check_ms(pool *p, unsigned ms) {
  pthread_mutex_lock(&p->mu);
  p->idle_check_ms = ms;
  pthread_mutex_unlock(&p->mu);
}

const cfg_server *pool_server(const pool *p) { return p->srv; }

void pool_get_stats(pool *p, pool_stats *out) {
  pthread_mutex_lock(&p->mu);
  *out = p->st;
  pthread_mutex_unlock(&p->mu);
}

/* Called without the lock: only a transient failure (server down, restarting)
 * is worth another attempt; a wrong password is not. */
static MYSQL *connect_with_retry(pool *p, db_role role, ps_error *err) {
  ps_error e;
  error_clear(&e);
  unsigned backoff = POOL_CONNECT_BACKOFF_MS;
  for (int attempt = 1;; attempt++) {
    MYSQL *m = db_connect(p->srv, role, &e);
    if (m)
      return m;
    if (attempt >= POOL_CONNECT_ATTEMPTS || !status_is_transient(e.status))
      break;
    log_warn("pool '%s': connect attempt %d of %d failed, retrying in %u ms: %s", p->srv->name,
             attempt, POOL_CONNECT_ATTEMPTS, backoff, e.msg);
    sleep_ms(backoff);
    backoff *= 2;
  }
  if (err)
    *err = e;
  return NULL;
}

/* Picks a slot for the caller under mu: the most recently used idle one (the
 * least likely to have been dropped by the server), else an empty one. */
static slot *pool_take(pool *p) {
  slot *best = NULL, *empty = NULL;
  for (unsigned i = 0; i < p->size; i++) {
    slot *s = &p->slots[i];
    if (s->state == SLOT_IDLE && (!best || s->idle_since_ms > best->idle_since_ms))
      best = s;
    else if (s->state == SLOT_EMPTY && !empty)
      empty = s;
  }
  if (best) {
    best->state = SLOT_BUSY;
  } else if (empty) {
    empty->state = SLOT_CONNECTING;
    p->st.open++;
    if (p->st.open > p->st.peak_open)
      p->st.peak_open = p->st.open;
    best = empty;
  } else {
    return NULL;
  }
  p->st.in_use++;
  return best;
}

ps_status pool_acquire(pool *p, db_role role, unsigned timeout_ms, MYSQL **out, ps_error *err) {
  *out = NULL;
  uint64_t deadline = now_ms() + timeout_ms;
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_sec += timeout_ms / 1000u;
  abs.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
  if (abs.tv_nsec >= 1000000000L) {
    abs.tv_sec++;
    abs.tv_nsec -= 1000000000L;
  }

  pthread_mutex_lock(&p->mu);
  slot *s = pool_take(p);
  if (!s)
    p->st.waits++;
  while (!s) {
    int rc = pthread_cond_timedwait(&p->freed, &p->mu, &abs);
    s = pool_take(p);
    if (!s && (rc == ETIMEDOUT || now_ms() >= deadline)) {
      p->st.timeouts++;
      pthread_mutex_unlock(&p->mu);
      return ERROR_SET(err, PS_ETIMEOUT,
                       "server '%s': no free connection after %u ms (pool_size %u, all in use)",
                       p->srv->name, timeout_ms, p->size);
    }
  }
  MYSQL *conn = s->conn;
  db_role had = s->role;
  bool check = conn && (s->suspect || now_ms() - s->idle_since_ms >= p->idle_check_ms);
  s->suspect = false;
  pthread_mutex_unlock(&p->mu);

  /* The slot is ours now (BUSY/CONNECTING): talk to the server unlocked. */
  bool dead = false;
  if (conn && check && mysql_ping(conn) != 0) {
    log_info("pool '%s': idle connection is dead (%s), replacing it", p->srv->name,
             mysql_error(conn));
    dead = true;
  }
  if (conn && !dead && had != role) {
    ps_error e;
    if (db_set_role(conn, role, &e) != PS_OK) {
      log_info("pool '%s': cannot switch role, replacing the connection: %s", p->srv->name,
               e.msg);
      dead = true;
    }
  }
  if (dead) {
    db_close(conn);
    conn = NULL;
  }
  bool fresh = !conn;
  if (fresh)
    conn = connect_with_retry(p, role, err);

  pthread_mutex_lock(&p->mu);
  if (dead) {
    p->st.replaced++;
    for (unsigned i = 0; i < p->size; i++)
      if (p->slots[i].state == SLOT_IDLE)
        p->slots[i].suspect = true;
  }
  if (!conn) {
    p->st.open--;
    s->state = SLOT_EMPTY;
    s->conn = NULL;
    p->st.in_use--;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->mu);
    return err ? err->status : PS_ECONNECT;
  }
  if (fresh)
    p->st.created++;
  s->state = SLOT_BUSY;
  s->conn = conn;
  s->role = role;
  pthread_mutex_unlock(&p->mu);
  *out = conn;
  return PS_OK;
}

void pool_release(pool *p, MYSQL *conn, bool broken) {
  if (!conn)
    return;
  pthread_mutex_lock(&p->mu);
  slot *s = NULL;
  for (unsigned i = 0; i < p->size && !s; i++)
    if (p->slots[i].state == SLOT_BUSY && p->slots[i].conn == conn)
      s = &p->slots[i];
  if (!s) {
    pthread_mutex_unlock(&p->mu);
    log_error("pool '%s': release of a connection that was not borrowed from it",
              p->srv->name);
    return;
  }
  p->st.in_use--;
  if (broken) {
    s->state = SLOT_EMPTY;
    s->conn = NULL;
    p->st.open--;
    p->st.replaced++;
    /* A lost connection usually means a lost server or cluster node: the
     * idle connections to it are dead too, and reusing one unchecked would
     * fail the next job attempt as well.  Ping each on its next reuse. */
    for (unsigned i = 0; i < p->size; i++)
      if (p->slots[i].state == SLOT_IDLE)
        p->slots[i].suspect = true;
  } else {
    s->state = SLOT_IDLE;
    s->idle_since_ms = now_ms();
  }
  pthread_cond_signal(&p->freed);
  pthread_mutex_unlock(&p->mu);
  if (broken)
    db_close(conn);
}

struct pools {
  pool **by_server;
  size_t n;
};

pools *pools_create(const config *cfg, ps_error *err) {
  pools *ps = calloc(1, sizeof *ps);
  if (!ps || !(ps->by_server = calloc(cfg->n_servers ? cfg->n_servers : 1, sizeof(pool *)))) {
    free(ps);
    ERROR_SET(err, PS_ENOMEM, "cannot allocate the connection pools");
    return NULL;
  }
  for (size_t i = 0; i < cfg->n_servers; i++) {
    ps->by_server[i] = pool_create(&cfg->servers[i], err);
    if (!ps->by_server[i]) {
      pools_destroy(ps);
      return NULL;
    }
    ps->n = i + 1;
  }
  return ps;
}

void pools_destroy(pools *ps) {
  if (!ps)
    return;
  for (size_t i = 0; i < ps->n; i++)
    pool_destroy(ps->by_server[i]);
  free(ps->by_server);
  free(ps);
}

pool *pools_get(pools *ps, size_t server_idx) {
  return server_idx < ps->n ? ps->by_server[server_idx] : NULL;
}

size_t pools_count(const pools *ps) { return ps->n; }
