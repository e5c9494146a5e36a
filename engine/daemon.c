#include "engine/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine/db.h"
#include "engine/log.h"
#include "engine/metrics.h"
#include "engine/notify.h"
#include "engine/pidfile.h"
#include "engine/signals.h"
#include "engine/pool.h"
#include "engine/scheduler.h"
#include "extractors/extractor.h"
#include "loaders/history.h"
#include "schema/schema.h"

/* ---- state ---------------------------------------------------------------- */

/* One config generation: everything built from one config. */
typedef struct gen {
  config *cfg;
  pools *pl;
  ex_run *r;
  sched *s;
  const job_desc *jobs; /* owned by r */
  size_t n;
  size_t *cat; /* job i -> catalogue index */
} gen;

/* Per catalogue job; scheduler thread only (hooks), and main between
 * generations (no scheduler thread then). */
typedef struct djob {
  bool held;                /* we hold the lease (a run is on) */
  bool due_once;            /* has been due in this daemon */
  struct timespec last_due; /* CLOCK_MONOTONIC */
  metrics_job m;
} djob;

typedef struct dmn {
  const daemon_opts *o;
  const schema_def *schema;
  char id[300];
  notifier nt;
  gen *g;        /* current generation; written by main only while no scheduler runs */
  MYSQL *hm;     /* the hooks' connection (scheduler thread) */
  djob *dj;      /* ex_catalog_count() entries */
  size_t n_cat;
  /* mu protects stop, pending and cur_sched (main <-> signal thread). */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;           /* signals received */
  config *pending;    /* a valid reloaded config, owned here until taken */
  sched *cur_sched;   /* what a second stop signal cancels */
} dmn;

static void gen_destroy(gen *g) {
  if (!g)
    return;
  sched_destroy(g->s);
  ex_run_destroy(g->r);
  pools_destroy(g->pl);
  config_free(g->cfg);
  free(g->cat);
  free(g);
}

/* Every server answers, the schema is in place, the state tables exist.
 * Leftover staging tables are not swept here: another daemon may be
 * building them right now; each job's prepare (under its lease) clears
 * its own. */
static ps_status gen_check(dmn *d, gen *g, ps_error *err) {
  const config *cfg = g->cfg;
  for (size_t i = 0; i < pools_count(g->pl); i++) {
    pool *p = pools_get(g->pl, i);
    MYSQL *m = NULL;
    bool target = i == cfg->target.server;
    ps_status st = pool_acquire(p, target ? DB_ROLE_TARGET : DB_ROLE_SOURCE,
                                cfg->engine.acquire_timeout_s * 1000u, &m, err);
    if (st == PS_OK && target) {
      schema_sync_opts so = {0};
      st = schema_sync(m, &cfg->target, d->schema, &so, err);
      if (st == PS_OK)
        st = history_init(m, cfg->target.state_schema, err);
    }
    if (m)
      pool_release(p, m, st != PS_OK);
    if (st != PS_OK)
      return st;
  }
  return PS_OK;
}

static gen *gen_create(dmn *d, config *cfg, ps_error *err) {
  gen *g = calloc(1, sizeof *g);
  if (!g) {
    ERROR_SET(err, PS_ENOMEM, "daemon: out of memory");
    config_free(cfg);
    return NULL;
  }
  g->cfg = cfg;
  ex_options eo = {.since = EX_SINCE_CONFIG};
  if (!(g->pl = pools_create(cfg, err)) || gen_check(d, g, err) != PS_OK ||
      !(g->r = ex_run_create(cfg, g->pl, d->schema, &eo, err)))
    goto fail;
  g->jobs = ex_run_jobs(g->r, &g->n);
  sched_opts so = {.workers = cfg->engine.workers,
                   .retries = cfg->engine.retries,
                   .backoff_ms = cfg->engine.retry_backoff_ms};
  if (!(g->s = sched_create(g->jobs, g->n, &so, err)))
    goto fail;
  g->cat = calloc(g->n ? g->n : 1, sizeof *g->cat);
  if (!g->cat) {
    ERROR_SET(err, PS_ENOMEM, "daemon: out of memory");
    goto fail;
  }
  ex_run_set_cancel(g->r, sched_cancel_flag(g->s));
  for (size_t j = 0; j < g->n; j++) {
    ex_run_set_job_cancel(g->r, j, sched_job_cancel_flag(g->s, j));
    const extractor *ex = ex_catalog_find(g->jobs[j].name);
    for (size_t c = 0; c < d->n_cat; c++)
      if (ex_catalog_get(c) == ex)
        g->cat[j] = c;
  }
  return g;
fail:
  gen_destroy(g);
  return NULL;
}

/* ---- hooks (scheduler thread) ---------------------------------------------- */

static MYSQL *hook_db(dmn *d, ps_error *err) {
  if (!d->hm)
    d->hm = db_connect(config_server(d->g->cfg, d->g->cfg->target.server), DB_ROLE_TARGET, err);
  return d->hm;
}

/* A failed statement may have left the connection unusable: start afresh. */
static void hook_db_failed(dmn *d) {
  db_close(d->hm);
  d->hm = NULL;
}

static bool hook_before_run(void *ud, size_t j) {
  dmn *d = ud;
  gen *g = d->g;
  const config *cfg = g->cfg;
  const char *name = g->jobs[j].name;
  djob *dj = &d->dj[g->cat[j]];
  ps_error e;
  error_clear(&e);
  dj->due_once = true;
  clock_gettime(CLOCK_MONOTONIC, &dj->last_due);
  bool won = false;
  MYSQL *m = hook_db(d, &e);
  if (!m || lease_acquire(m, cfg->target.state_schema, name, d->id, cfg->engine.lease_ttl_s,
                          &won, &e) != PS_OK) {
    hook_db_failed(d);
    log_warn("%s: cannot take the lease, skipping this period: %s", name, e.msg);
    return false;
  }
  if (!won) {
    log_info("%s: another daemon holds the lease: skipping this period", name);
    return false;
  }
  dj->held = true;
  /* full_every: measured from the last successful full run of any daemon. */
  const cfg_job *jc = config_job(cfg, name);
  bool full = false;
  if (jc && jc->mode == CFG_MODE_INCREMENTAL) {
    int64_t last = 0;
    if (history_last_full(m, cfg->target.state_schema, name, &last, &e) != PS_OK) {
      hook_db_failed(d);
      log_warn("%s: cannot read its last full run (running incrementally): %s", name, e.msg);
    } else {
      full = last == 0 || (int64_t)time(NULL) - last >= (int64_t)jc->full_every_s;
    }
    if (full)
      log_info("%s: full refresh (full_every)", name);
  }
  ex_run_set_force_full(g->r, j, full);
  return true;
}

static void write_metrics(dmn *d) {
  const char *path = d->g->cfg->engine.metrics_file;
  if (!path)
    return;
  metrics_job *mj = calloc(d->n_cat ? d->n_cat : 1, sizeof *mj);
  size_t n = 0;
  for (size_t c = 0; mj && c < d->n_cat; c++)
    if (d->dj[c].m.job)
      mj[n++] = d->dj[c].m;
  ps_error e;
  error_clear(&e);
  if (!mj)
    log_warn("metrics: out of memory");
  else if (metrics_write(path, mj, n, &e) != PS_OK)
    log_warn("%s", e.msg);
  free(mj);
}

static void hook_after_run(void *ud, size_t j, const sched_result *r) {
  dmn *d = ud;
  gen *g = d->g;
  const config *cfg = g->cfg;
  const char *name = g->jobs[j].name;
  djob *dj = &d->dj[g->cat[j]];
  ps_error e;
  error_clear(&e);
  MYSQL *m = NULL;
  if (r->ran) {
    ex_job_stats st;
    ex_run_stats(g->r, j, &st);
    bool ok = r->status == PS_OK;
    history_run hr = {.job = name,
                      .mode = st.mode,
                      .started = r->started,
                      .finished = r->ended,
                      .status = ok ? "ok" : status_name(r->status),
                      .rows = st.rows_written,
                      .warnings = st.warnings,
                      .error = ok ? NULL : r->err.msg,
                      .daemon = d->id};
    if (!(m = hook_db(d, &e)) || history_record(m, cfg->target.state_schema, &hr, &e) != PS_OK) {
      hook_db_failed(d);
      m = NULL;
      log_warn("%s: cannot record the run in job_run: %s", name, e.msg);
    }
    dj->m.job = name;
    dj->m.runs++;
    dj->m.failures += !ok;
    dj->m.last_duration = r->seconds;
    dj->m.last_rows = st.rows_written;
    if (ok)
      dj->m.last_success = (double)r->ended.tv_sec + r->ended.tv_nsec / 1e9;
    write_metrics(d);
  }
  if (dj->held) {
    dj->held = false;
    if (!(m = hook_db(d, &e)) ||
        lease_release(m, cfg->target.state_schema, name, d->id, &e) != PS_OK) {
      hook_db_failed(d);
      log_warn("%s: cannot release the lease (it expires by itself): %s", name, e.msg);
    }
  }
}

static void hook_tick(void *ud) {
  dmn *d = ud;
  gen *g = d->g;
  const config *cfg = g->cfg;
  if (d->nt.watchdog_usec)
    notify_send(&d->nt, "WATCHDOG=1");
  for (size_t j = 0; j < g->n; j++) {
    djob *dj = &d->dj[g->cat[j]];
    if (!dj->held)
      continue;
    ps_error e;
    error_clear(&e);
    bool held = false;
    MYSQL *m = hook_db(d, &e);
    if (!m || lease_renew(m, cfg->target.state_schema, g->jobs[j].name, d->id,
                          cfg->engine.lease_ttl_s, &held, &e) != PS_OK) {
      hook_db_failed(d);
      log_warn("%s: cannot renew the lease, canceling the run: %s", g->jobs[j].name, e.msg);
      sched_cancel_job(g->s, j);
    } else if (!held) {
      log_warn("%s: lease lost (expired and maybe taken over), canceling the run",
               g->jobs[j].name);
      dj->held = false;
      sched_cancel_job(g->s, j);
    }
  }
}

/* ---- generations ------------------------------------------------------------ */

static ps_status gen_start(dmn *d, gen *g, ps_error *err) {
  const config *cfg = g->cfg;
  sched_periodic *per = calloc(g->n ? g->n : 1, sizeof *per);
  if (!per)
    return ERROR_SET(err, PS_ENOMEM, "daemon: out of memory");
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  for (size_t j = 0; j < g->n; j++) {
    const cfg_job *jc = config_job(cfg, g->jobs[j].name);
    uint64_t period_ms = (uint64_t)(jc ? jc->period_s : 3600) * 1000u;
    per[j].period_ms = period_ms > 0xffffffffu ? 0xffffffffu : (unsigned)period_ms;
    /* After a reload: one (new) period after it was last due. */
    const djob *dj = &d->dj[g->cat[j]];
    if (dj->due_once) {
      int64_t since_ms = (int64_t)(now.tv_sec - dj->last_due.tv_sec) * 1000 +
                         (now.tv_nsec - dj->last_due.tv_nsec) / 1000000;
      int64_t left = (int64_t)per[j].period_ms - since_ms;
      per[j].first_due_ms = left > 0 ? (unsigned)left : 0;
    }
  }
  uint64_t tick = (uint64_t)cfg->engine.lease_ttl_s * 1000u / 3;
  if (d->nt.watchdog_usec && d->nt.watchdog_usec / 2000 < tick)
    tick = d->nt.watchdog_usec / 2000;
  sched_hooks h = {.ud = d,
                   .before_run = hook_before_run,
                   .after_run = hook_after_run,
                   .tick = hook_tick,
                   .tick_ms = tick ? (unsigned)tick : 1};
  d->g = g; /* published to the scheduler thread by the start message */
  ps_status st = sched_start_periodic(g->s, per, &h, err);
  free(per);
  if (st == PS_OK) {
    pthread_mutex_lock(&d->mu);
    d->cur_sched = g->s;
    pthread_mutex_unlock(&d->mu);
  }
  return st;
}

/* Drain the current generation; with a deadline, cancel what still runs
 * when it passes. */
static void gen_stop(dmn *d, gen *g, unsigned deadline_s) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += deadline_s;
  if (!sched_drain(g->s, &deadline)) {
    log_warn("shutdown deadline (%u s) passed: canceling the running jobs", deadline_s);
    sched_cancel(g->s);
    sched_drain(g->s, NULL);
  }
  pthread_mutex_lock(&d->mu);
  d->cur_sched = NULL;
  pthread_mutex_unlock(&d->mu);
  /* The scheduler thread is idle now: its connection can go. */
  db_close(d->hm);
  d->hm = NULL;
}

/* ---- signals ----------------------------------------------------------------- */

/* On the signal thread (engine/signals.h). */
static void on_signal(int sig, void *ud) {
  dmn *d = ud;
  if (sig == SIGHUP) {
    notify_send(&d->nt, "RELOADING=1");
    log_info("SIGHUP: reloading %s", d->o->config_path);
    config *cfg = NULL;
    ps_error e;
    error_clear(&e);
    if (config_load(d->o->config_path, d->o->specs, d->o->n_specs, &cfg, &e) != PS_OK) {
      log_error("reload refused, the current config stays: %s", e.msg);
      notify_send(&d->nt, "READY=1");
      return;
    }
    pthread_mutex_lock(&d->mu);
    config_free(d->pending);
    d->pending = cfg;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return;
  }
  pthread_mutex_lock(&d->mu);
  if (d->stop++ == 0) {
    log_info("%s: stopping (running jobs may finish)", strsignal(sig));
  } else if (d->cur_sched) {
    log_warn("%s again: canceling the running jobs now", strsignal(sig));
    sched_cancel(d->cur_sched);
  }
  pthread_cond_signal(&d->cv);
  pthread_mutex_unlock(&d->mu);
}

/* ---- the loop ------------------------------------------------------------------ */

/* A valid new config: build its generation, then swap at a dispatch
 * boundary (old drained).  false when a stop came during the drain. */
static bool reload(dmn *d, config *cfg) {
  ps_error e;
  error_clear(&e);
  gen *ng = gen_create(d, cfg, &e);
  if (!ng) {
    log_error("reload failed, the current config stays: %s", e.msg);
    notify_send(&d->nt, "READY=1");
    return true;
  }
  gen *old = d->g;
  /* Wait for the running jobs, a second at a time, to notice a stop. */
  for (;;) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += 1;
    if (sched_drain(old->s, &t))
      break;
    pthread_mutex_lock(&d->mu);
    bool stop = d->stop > 0;
    pthread_mutex_unlock(&d->mu);
    if (stop) {
      gen_destroy(ng);
      return false;
    }
  }
  pthread_mutex_lock(&d->mu);
  d->cur_sched = NULL;
  pthread_mutex_unlock(&d->mu);
  db_close(d->hm);
  d->hm = NULL;
  gen_destroy(old);
  d->g = NULL;
  if (gen_start(d, ng, &e) != PS_OK) {
    /* Only out of memory can get here; nothing sensible is left to run. */
    log_error("reload: %s", e.msg);
    d->g = ng;
    return false;
  }
  log_info("config reloaded: %zu jobs", ng->n);
  notify_send(&d->nt, "READY=1");
  return true;
}

ps_status daemon_run(const daemon_opts *o, config *cfg, ps_error *err) {
  dmn d = {.o = o};
  schema_def *schema = NULL;
  ps_status st = PS_OK;
  int pid_fd = -1;
  signals sig = {0};
  char *pidpath = NULL;
  pthread_mutex_init(&d.mu, NULL);
  pthread_cond_init(&d.cv, NULL);
  notify_init(&d.nt);
  if (o->id) {
    snprintf(d.id, sizeof d.id, "%s", o->id);
  } else {
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(d.id, sizeof d.id, "%s:%ld", host, (long)getpid());
  }
  const char *pp = o->pidfile ? o->pidfile : cfg->engine.pidfile;
  if (pp) {
    if (!(pidpath = strdup(pp))) {
      st = ERROR_SET(err, PS_ENOMEM, "daemon: out of memory");
      goto out;
    }
    if ((pid_fd = pidfile_take(pidpath, err)) < 0) {
      st = err->status;
      goto out;
    }
  }
  d.n_cat = ex_catalog_count();
  d.dj = calloc(d.n_cat ? d.n_cat : 1, sizeof *d.dj);
  if (!d.dj) {
    st = ERROR_SET(err, PS_ENOMEM, "daemon: out of memory");
    goto out;
  }
  if (!(schema = schema_load(o->schema_path, err))) {
    st = err->status;
    goto out;
  }
  d.schema = schema;
  gen *g = gen_create(&d, cfg, err);
  cfg = NULL; /* the generation owns it (or freed it) */
  if (!g || (st = gen_start(&d, g, err)) != PS_OK) {
    st = g ? st : err->status;
    gen_destroy(g);
    d.g = NULL;
    goto out;
  }
  if ((st = signals_start(&sig, on_signal, &d, err)) != PS_OK)
    goto out;
  log_info("daemon %s running %zu jobs (state in '%s')", d.id, g->n,
           g->cfg->target.state_schema);
  notify_send(&d.nt, "READY=1");
  if (o->ready_fd >= 0) {
    ssize_t w = write(o->ready_fd, "", 1);
    (void)w;
    close(o->ready_fd);
  }
  for (;;) {
    pthread_mutex_lock(&d.mu);
    while (!d.stop && !d.pending)
      pthread_cond_wait(&d.cv, &d.mu);
    bool stop = d.stop > 0;
    config *next = stop ? NULL : d.pending;
    if (!stop)
      d.pending = NULL;
    pthread_mutex_unlock(&d.mu);
    if (stop || !reload(&d, next))
      break;
  }
  notify_send(&d.nt, "STOPPING=1");
  if (d.g) {
    gen_stop(&d, d.g, d.g->cfg->engine.shutdown_deadline_s);
    gen_destroy(d.g);
    d.g = NULL;
  }
  log_info("daemon %s stopped", d.id);
out:
  signals_stop(&sig);
  gen_destroy(d.g);
  db_close(d.hm);
  config_free(d.pending);
  config_free(cfg);
  schema_free(schema);
  free(d.dj);
  if (pidpath)
    pidfile_drop(pidpath, pid_fd);
  free(pidpath);
  pthread_cond_destroy(&d.cv);
  pthread_mutex_destroy(&d.mu);
  return st;
}

int daemon_detach(void) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid > 0) {
    close(p[1]);
    char c;
    ssize_t n;
    do
      n = read(p[0], &c, 1);
    while (n < 0 && errno == EINTR);
    _exit(n == 1 ? 0 : 1);
  }
  close(p[0]);
  setsid();
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    close(null);
  }
  return p[1];
}
