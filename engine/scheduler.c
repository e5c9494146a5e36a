#include "engine/scheduler.h"

#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/log.h"
#include "engine/queue.h"
#include "engine/worker.h"

#define BACKOFF_CAP_MS 30000u

/* ---------------------------------------------------------------- the DAG */

/* Immutable once built; read by the scheduler thread and the API callers. */
typedef struct dag {
  size_t n;
  size_t *dep_off; /* n + 1: job j's dependencies are dep[dep_off[j] .. dep_off[j+1]) */
  size_t *dep;
  size_t *topo; /* n job indices, every job after its dependencies */
} dag;

static size_t find_job(const job_desc *jobs, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(jobs[i].name, name) == 0)
      return i;
  return n;
}

static void dag_free(dag *g) {
  if (!g)
    return;
  free(g->dep_off);
  free(g->dep);
  free(g->topo);
  memset(g, 0, sizeof *g);
}

typedef struct dfs {
  const job_desc *jobs;
  dag *g;
  unsigned char *color; /* 0 unvisited, 1 on the current path, 2 done */
  size_t *path;
  size_t depth, n_topo;
} dfs;

/* Depth-first over "depends on" edges; post-order is a topological order
 * and meeting a job that is on the current path closes a cycle. */
static ps_status dfs_visit(dfs *d, size_t v, ps_error *err) {
  d->color[v] = 1;
  d->path[d->depth++] = v;
  for (size_t k = d->g->dep_off[v]; k < d->g->dep_off[v + 1]; k++) {
    size_t u = d->g->dep[k];
    if (d->color[u] == 1) {
      char buf[900];
      size_t len = 0, from = 0;
      while (d->path[from] != u)
        from++;
      for (size_t i = from; i < d->depth && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s -> ", d->jobs[d->path[i]].name);
      if (len < sizeof buf)
        snprintf(buf + len, sizeof buf - len, "%s", d->jobs[u].name);
      return ERROR_SET(err, PS_ECONFIG, "dependency cycle: %s", buf);
    }
    ps_status rc = d->color[u] == 0 ? dfs_visit(d, u, err) : PS_OK;
    if (rc != PS_OK)
      return rc;
  }
  d->color[v] = 2;
  d->depth--;
  d->g->topo[d->n_topo++] = v;
  return PS_OK;
}

static ps_status dag_build(const job_desc *jobs, size_t n, dag *g, ps_error *err) {
  ps_status rc = PS_OK;
  dfs d = {.jobs = jobs, .g = g};
  memset(g, 0, sizeof *g);
  g->n = n;
  size_t n_dep = 0;
  for (size_t i = 0; i < n; i++) {
    const job_desc *j = &jobs[i];
    if (!j->name || !j->name[0]) {
      rc = ERROR_SET(err, PS_ECONFIG, "job #%zu has no name", i);
      goto out;
    }
    if (find_job(jobs, i, j->name) != i) {
      rc = ERROR_SET(err, PS_ECONFIG, "duplicate job name '%s'", j->name);
      goto out;
    }
    if (!j->ops || !j->ops->prepare || !j->ops->run_unit || !j->ops->finish) {
      rc = ERROR_SET(err, PS_ECONFIG, "job '%s' lacks prepare/run_unit/finish", j->name);
      goto out;
    }
    for (const char *const *dp = j->deps; dp && *dp; dp++)
      n_dep++;
  }
  g->dep_off = calloc(n + 1, sizeof *g->dep_off);
  g->dep = calloc(n_dep ? n_dep : 1, sizeof *g->dep);
  g->topo = calloc(n ? n : 1, sizeof *g->topo);
  d.color = calloc(n ? n : 1, 1);
  d.path = calloc(n ? n : 1, sizeof *d.path);
  if (!g->dep_off || !g->dep || !g->topo || !d.color || !d.path) {
    rc = ERROR_SET(err, PS_ENOMEM, "scheduler: out of memory for %zu jobs", n);
    goto out;
  }
  n_dep = 0;
  for (size_t i = 0; i < n; i++) {
    g->dep_off[i] = n_dep;
    for (const char *const *dp = jobs[i].deps; dp && *dp; dp++) {
      size_t k = find_job(jobs, n, *dp);
      if (k == n) {
        rc = ERROR_SET(err, PS_ECONFIG, "job '%s' depends on unknown job '%s'", jobs[i].name, *dp);
        goto out;
      }
      g->dep[n_dep++] = k;
    }
  }
  g->dep_off[n] = n_dep;
  for (size_t i = 0; i < n && rc == PS_OK; i++)
    if (d.color[i] == 0)
      rc = dfs_visit(&d, i, err);
out:
  free(d.color);
  free(d.path);
  if (rc != PS_OK)
    dag_free(g);
  return rc;
}

/* sel[j] for the named jobs (all when names is NULL) and, transitively,
 * their dependencies: walking the topological order backwards meets every
 * job before its dependencies. */
static ps_status dag_select(const job_desc *jobs, const dag *g, const char *const *names,
                            size_t n_names, bool *sel, ps_error *err) {
  for (size_t j = 0; j < g->n; j++)
    sel[j] = names == NULL;
  for (size_t i = 0; names && i < n_names; i++) {
    size_t j = names[i] ? find_job(jobs, g->n, names[i]) : g->n;
    if (j == g->n)
      return ERROR_SET(err, PS_ECONFIG, "unknown job '%s'", names[i] ? names[i] : "(null)");
    sel[j] = true;
  }
  for (size_t k = g->n; k-- > 0;) {
    size_t j = g->topo[k];
    for (size_t e = g->dep_off[j]; sel[j] && e < g->dep_off[j + 1]; e++)
      sel[g->dep[e]] = true;
  }
  return PS_OK;
}

ps_status sched_plan_build(const job_desc *jobs, size_t n, const char *const *names,
                           size_t n_names, sched_plan *plan, ps_error *err) {
  dag g;
  bool *sel = NULL;
  size_t *wave = NULL;
  memset(plan, 0, sizeof *plan);
  ps_status rc = dag_build(jobs, n, &g, err);
  if (rc != PS_OK)
    return rc;
  sel = calloc(n ? n : 1, sizeof *sel);
  wave = calloc(n ? n : 1, sizeof *wave);
  plan->order = calloc(n ? n : 1, sizeof *plan->order);
  plan->wave_start = calloc(n + 1, sizeof *plan->wave_start);
  if (!sel || !wave || !plan->order || !plan->wave_start) {
    rc = ERROR_SET(err, PS_ENOMEM, "scheduler: out of memory planning %zu jobs", n);
    goto out;
  }
  if ((rc = dag_select(jobs, &g, names, n_names, sel, err)) != PS_OK)
    goto out;
  /* A job's wave is one past its latest dependency's (longest path). */
  for (size_t k = 0; k < n; k++) {
    size_t j = g.topo[k];
    if (!sel[j])
      continue;
    for (size_t e = g.dep_off[j]; e < g.dep_off[j + 1]; e++)
      if (wave[g.dep[e]] + 1 > wave[j])
        wave[j] = wave[g.dep[e]] + 1;
    if (wave[j] + 1 > plan->n_waves)
      plan->n_waves = wave[j] + 1;
  }
  for (size_t w = 0; w < plan->n_waves; w++) {
    plan->wave_start[w] = plan->n;
    for (size_t j = 0; j < n; j++)
      if (sel[j] && wave[j] == w)
        plan->order[plan->n++] = j;
  }
  plan->wave_start[plan->n_waves] = plan->n;
out:
  if (rc != PS_OK)
    sched_plan_free(plan);
  free(sel);
  free(wave);
  dag_free(&g);
  return rc;
}

void sched_plan_free(sched_plan *plan) {
  if (!plan)
    return;
  free(plan->order);
  free(plan->wave_start);
  memset(plan, 0, sizeof *plan);
}

/* ------------------------------------------------------------- run state */

typedef enum jstate {
  J_IDLE,         /* not in the current cycle */
  J_WAIT,         /* waiting for its dependencies */
  J_READY,        /* prepare to be dispatched */
  J_PREPARE,      /* prepare queued or running */
  J_UNITS,        /* units being dispatched / running */
  J_FINISH_READY, /* every unit succeeded: finish to be dispatched */
  J_FINISH,       /* finish queued or running */
  J_ABORT_READY,  /* attempt failed: abort once its running units returned */
  J_ABORT,        /* abort queued or running */
  J_BACKOFF,      /* waiting until `due` to retry */
  J_DONE,         /* ended; r.status says how */
} jstate;

/* Owned by the scheduler thread alone (no lock). */
typedef struct sjob {
  jstate st;
  size_t n_units, next_unit, units_inflight, units_ok;
  bool attempt_failed;
  ps_error attempt_err; /* first failure of the current attempt */
  struct timespec due;  /* J_BACKOFF, CLOCK_MONOTONIC */
  struct timespec t0;   /* first prepare, CLOCK_MONOTONIC */
  sched_result r;
} sjob;

typedef enum mkind { M_DONE, M_CYCLE, M_CANCEL, M_STOP, M_PERIODIC, M_DRAIN, M_WAKE } mkind;
/* What the scheduler's inbox carries. */
typedef struct msg {
  queue_item qi;
  mkind kind;
} msg;

typedef enum wkind { W_PREPARE, W_UNIT, W_FINISH, W_ABORT } wkind;
/* One callback call.  The scheduler fills the request, a worker the answer;
 * the queues hand the whole item over, so it is never shared. */
typedef struct work {
  worker_item wi; /* on the job queue */
  msg m;          /* back in the inbox, M_DONE */
  sched *s;
  size_t job;
  wkind kind;
  size_t unit;
  size_t n_units; /* answer of prepare */
  ps_status st;
  ps_error err;
  struct work *next_free;
} work;

typedef struct cycle_req {
  msg m;
  const bool *sel;
  sched_result *results; /* caller's, may be NULL */
  ps_status status;
  ps_error err;
  sem_t done;
} cycle_req;

/* Periodic mode, per job (scheduler thread only). */
typedef struct pjob {
  unsigned period_ms;
  struct timespec due;   /* next run, CLOCK_MONOTONIC */
  unsigned long pend_seq; /* end_counter when the job last became due */
  unsigned long end_seq;  /* end_counter value of its last end */
} pjob;

typedef struct periodic_req {
  msg m;
  sched_periodic *per; /* n entries; the scheduler takes ownership */
  sched_hooks hooks;
} periodic_req;

struct sched {
  const job_desc *jobs; /* borrowed, immutable */
  size_t n;
  dag g;
  sched_opts opts;
  queue work_q; /* scheduler -> workers */
  queue inbox;  /* workers and API callers -> scheduler */
  worker_pool *pool;
  pthread_t thread;
  bool thread_started;
  _Atomic bool cancel;
  _Atomic bool cancel_posted; /* cancel_msg pushed (an item may be queued once) */
  _Atomic bool busy;          /* a sched_run_once is in progress */
  msg cancel_msg, stop_msg, drain_msg;
  /* Per job: the cancel flag its callbacks poll (set by sched_cancel for
   * all, by sched_cancel_job for one) and the wake-up that goes with it. */
  _Atomic bool *job_cancel;
  _Atomic bool *job_msg_posted;
  msg *job_msg;
  _Atomic bool drain_posted; /* drain_msg pushed, not yet answered */
  sem_t drained;             /* posted when a drain is complete */
  bool drained_init;
  periodic_req preq;         /* the API thread fills it before the push */
  /* Scheduler thread only: */
  sjob *sj;
  work *work_mem;       /* `window` items */
  work *free_work;      /* free list */
  size_t window, inflight;
  unsigned seq;
  bool periodic, draining;
  sched_hooks hooks;
  pjob *pj;
  struct timespec next_tick;
  unsigned long end_counter;
};

static double mono_diff(const struct timespec *a, const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static bool ts_before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The job's own flag is also set by a global cancel (sched_cancel). */
static bool job_canceled(const sched *s, size_t j) {
  return atomic_load(&s->cancel) || atomic_load(&s->job_cancel[j]);
}

static void ts_add_ms(struct timespec *t, unsigned long ms) {
  t->tv_sec += (time_t)(ms / 1000);
  t->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (t->tv_nsec >= 1000000000L) {
    t->tv_sec++;
    t->tv_nsec -= 1000000000L;
  }
}

/* ------------------------------------------------------- worker side */

/* Runs on a worker: one callback, then the item goes back to the inbox.
 * The worker owns the item between its pop and that push (the queues order
 * the hand-over); it reads only the immutable jobs[]. */
static void work_run(worker_item *wi) {
  work *w = caa_container_of(wi, work, wi);
  const job_desc *d = &w->s->jobs[w->job];
  log_set_job(d->name);
  error_clear(&w->err);
  w->st = PS_OK;
  switch (w->kind) {
  case W_PREPARE:
    w->n_units = 0;
    w->st = d->ops->prepare(d->arg, &w->n_units, &w->err);
    break;
  case W_UNIT:
    w->st = d->ops->run_unit(d->arg, w->unit, &w->err);
    break;
  case W_FINISH:
    w->st = d->ops->finish(d->arg, &w->err);
    break;
  case W_ABORT:
    if (d->ops->abort)
      d->ops->abort(d->arg);
    break;
  }
  if (w->st != PS_OK && w->err.status != w->st) {
    /* The callback's status is the truth; keep its message if it wrote one. */
    if (w->err.status == PS_OK || !w->err.msg[0])
      ERROR_SET(&w->err, w->st, "%s", status_str(w->st));
    w->err.status = w->st;
  }
  log_set_job(NULL);
  queue_push(&w->s->inbox, &w->m.qi);
}

/* ---------------------------------------------------- scheduler thread */

/* Everything from here to the API runs on the scheduler thread alone: it is
 * the only reader and writer of sj[], the free list, inflight and seq, so no
 * lock is needed.  Work items change hands only through the two queues. */

static void push_work(sched *s, size_t j, wkind kind, size_t unit) {
  work *w = s->free_work; /* never empty: inflight < window */
  s->free_work = w->next_free;
  w->s = s;
  w->job = j;
  w->kind = kind;
  w->unit = unit;
  w->wi.run = work_run;
  w->m.kind = M_DONE;
  s->inflight++;
  queue_push(&s->work_q, &w->wi.qi);
}

static void end_job(sched *s, size_t j, ps_status st, const ps_error *e) {
  sjob *sj = &s->sj[j];
  sj->st = J_DONE;
  sj->r.status = st;
  if (e)
    sj->r.err = *e;
  else
    error_clear(&sj->r.err);
  sj->r.err.status = st;
  log_set_job(s->jobs[j].name);
  if (sj->r.ran) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &sj->r.ended);
    clock_gettime(CLOCK_MONOTONIC, &now);
    sj->r.seconds = mono_diff(&sj->t0, &now);
  }
  if (st == PS_OK)
    log_info("done in %.3f s (%u attempt%s)", sj->r.seconds, sj->r.attempts,
             sj->r.attempts == 1 ? "" : "s");
  else
    log_warn("%s: %s", status_name(st), sj->r.err.msg);
  log_set_job(NULL);
  if (s->periodic) {
    s->pj[j].end_seq = ++s->end_counter;
    if (s->hooks.after_run)
      s->hooks.after_run(s->hooks.ud, j, &sj->r);
  }
}

/* The current attempt failed: remember why (the first failure wins) and
 * drain it towards abort. */
static void fail_attempt(sjob *sj, const ps_error *e) {
  if (!sj->attempt_failed) {
    sj->attempt_failed = true;
    sj->attempt_err = *e;
  }
  sj->st = J_ABORT_READY;
}

static void fail_canceled(sjob *sj) {
  ps_error e;
  ERROR_SET(&e, PS_ECANCELED, "canceled while running");
  fail_attempt(sj, &e);
}

/* The attempt's abort returned: retry after a backoff, or end the job. */
static void after_abort(sched *s, size_t j) {
  sjob *sj = &s->sj[j];
  ps_status st = sj->attempt_err.status;
  if (!job_canceled(s, j) && status_is_transient(st) && sj->r.attempts <= s->opts.retries) {
    unsigned ms = s->opts.backoff_ms;
    for (unsigned a = 1; a < sj->r.attempts && ms < BACKOFF_CAP_MS; a++)
      ms *= 2;
    if (ms > BACKOFF_CAP_MS)
      ms = BACKOFF_CAP_MS;
    clock_gettime(CLOCK_MONOTONIC, &sj->due);
    sj->due.tv_sec += ms / 1000;
    sj->due.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (sj->due.tv_nsec >= 1000000000L) {
      sj->due.tv_sec++;
      sj->due.tv_nsec -= 1000000000L;
    }
    sj->st = J_BACKOFF;
    log_set_job(s->jobs[j].name);
    log_warn("attempt %u failed (%s), retrying in %u ms: %s", sj->r.attempts, status_name(st), ms,
             sj->attempt_err.msg);
    log_set_job(NULL);
    return;
  }
  end_job(s, j, st, &sj->attempt_err);
}

static void completed(sched *s, work *w) {
  sjob *sj = &s->sj[w->job];
  bool cancel = job_canceled(s, w->job);
  s->inflight--;
  switch (w->kind) {
  case W_PREPARE:
    if (w->st != PS_OK)
      fail_attempt(sj, &w->err);
    else if (cancel)
      fail_canceled(sj);
    else {
      sj->n_units = w->n_units;
      sj->st = w->n_units ? J_UNITS : J_FINISH_READY;
    }
    break;
  case W_UNIT:
    sj->units_inflight--;
    if (w->st != PS_OK)
      fail_attempt(sj, &w->err);
    else if (++sj->units_ok == sj->n_units && !sj->attempt_failed)
      sj->st = J_FINISH_READY;
    break;
  case W_FINISH:
    if (w->st == PS_OK)
      end_job(s, w->job, PS_OK, NULL);
    else
      fail_attempt(sj, &w->err);
    break;
  case W_ABORT:
    after_abort(s, w->job);
    break;
  }
  w->next_free = s->free_work;
  s->free_work = w;
}

/* Move jobs along what needs no worker: dependencies settled, backoff over,
 * cancel.  Topological order settles a whole chain of skips in one pass. */
static void advance_periodic_wait(sched *s, size_t j);

static void advance(sched *s) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  for (size_t k = 0; k < s->n; k++) {
    size_t j = s->g.topo[k];
    sjob *sj = &s->sj[j];
    bool cancel = job_canceled(s, j) || (s->periodic && s->draining && sj->st != J_IDLE &&
                                         sj->st != J_DONE && !sj->r.ran);
    ps_error e;
    switch (sj->st) {
    case J_IDLE:
    case J_DONE:
      if (s->periodic && !s->draining && !atomic_load(&s->cancel) &&
          !ts_before(&now, &s->pj[j].due)) {
        pjob *p = &s->pj[j];
        memset(sj, 0, sizeof *sj);
        sj->st = J_WAIT;
        sj->r.selected = true;
        p->pend_seq = s->end_counter;
        atomic_store(&s->job_cancel[j], false); /* nobody polls it between runs */
        /* Missed periods (a run longer than its period) are skipped, not
         * caught up: the next run is one period after this one. */
        ts_add_ms(&p->due, p->period_ms);
        if (ts_before(&p->due, &now)) {
          p->due = now;
          ts_add_ms(&p->due, p->period_ms);
        }
        advance_periodic_wait(s, j);
      }
      break;
    case J_WAIT: {
      if (s->periodic && !cancel) {
        advance_periodic_wait(s, j);
        break;
      }
      if (cancel) {
        ERROR_SET(&e, PS_ECANCELED, "canceled before it started");
        end_job(s, j, PS_ECANCELED, &e);
        break;
      }
      bool all_ok = true;
      for (size_t d = s->g.dep_off[j]; d < s->g.dep_off[j + 1]; d++) {
        sjob *dj = &s->sj[s->g.dep[d]];
        if (dj->st != J_DONE) {
          all_ok = false;
        } else if (dj->r.status != PS_OK) {
          const char *dn = s->jobs[s->g.dep[d]].name;
          ERROR_SET(&e, PS_EDEPEND, "skipped: dependency '%s' %s", dn,
                    dj->r.status == PS_EDEPEND ? "was skipped" : status_str(dj->r.status));
          sj->r.failed_dep = dn;
          end_job(s, j, PS_EDEPEND, &e);
          all_ok = false;
          break;
        }
      }
      if (all_ok)
        sj->st = J_READY;
      break;
    }
    case J_READY:
    case J_BACKOFF:
      /* Draining: a job waiting out a backoff is not running; end it. */
      if (cancel || (s->periodic && s->draining && sj->st == J_BACKOFF)) {
        if (sj->r.attempts)
          ERROR_SET(&e, PS_ECANCELED, "canceled before retrying after: %s", sj->attempt_err.msg);
        else
          ERROR_SET(&e, PS_ECANCELED, "canceled before it started");
        end_job(s, j, PS_ECANCELED, &e);
      } else if (sj->st == J_BACKOFF && !ts_before(&now, &sj->due)) {
        sj->st = J_READY;
      }
      break;
    case J_UNITS:
    case J_FINISH_READY:
      if (cancel)
        fail_canceled(sj);
      break;
    default:
      break;
    }
  }
}

/* Hand out one item of job j if it has one; true when something was pushed. */
static bool dispatch_one(sched *s, size_t j) {
  sjob *sj = &s->sj[j];
  switch (sj->st) {
  case J_READY:
    if (job_canceled(s, j))
      return false;
    if (sj->r.attempts++ == 0) {
      sj->r.ran = true;
      sj->r.dispatch_seq = ++s->seq;
      clock_gettime(CLOCK_REALTIME, &sj->r.started);
      clock_gettime(CLOCK_MONOTONIC, &sj->t0);
    }
    sj->n_units = sj->next_unit = sj->units_inflight = sj->units_ok = 0;
    sj->attempt_failed = false;
    error_clear(&sj->attempt_err);
    sj->st = J_PREPARE;
    push_work(s, j, W_PREPARE, 0);
    return true;
  case J_UNITS:
    if (sj->next_unit == sj->n_units || job_canceled(s, j))
      return false;
    sj->units_inflight++;
    push_work(s, j, W_UNIT, sj->next_unit++);
    return true;
  case J_FINISH_READY:
    sj->st = J_FINISH;
    push_work(s, j, W_FINISH, 0);
    return true;
  case J_ABORT_READY:
    if (sj->units_inflight)
      return false; /* abort only after every started callback returned */
    sj->st = J_ABORT;
    push_work(s, j, W_ABORT, 0);
    return true;
  default:
    return false;
  }
}

/* Fill the window round-robin: one item per runnable job per round. */
static void dispatch(sched *s) {
  bool any = true;
  while (any) {
    any = false;
    for (size_t k = 0; k < s->n; k++) {
      if (s->inflight == s->window)
        return;
      any |= dispatch_one(s, s->g.topo[k]);
    }
  }
}

static bool settled(jstate st) { return st == J_IDLE || st == J_DONE; }

/* Periodic mode, a due job: it starts once none of its dependencies is due
 * or running here, so a dependency due at the same time runs first.  A
 * dependency whose run ended in failure since this job became due skips
 * this period (PS_EDEPEND); one that did not run here (or ran earlier) does
 * not hold the job back: its live table is used as it is.  Then the
 * before_run hook (e.g. a lease) may decline this period. */
static void advance_periodic_wait(sched *s, size_t j) {
  sjob *sj = &s->sj[j];
  for (size_t d = s->g.dep_off[j]; d < s->g.dep_off[j + 1]; d++)
    if (!settled(s->sj[s->g.dep[d]].st))
      return;
  for (size_t d = s->g.dep_off[j]; d < s->g.dep_off[j + 1]; d++) {
    size_t dj = s->g.dep[d];
    if (s->pj[dj].end_seq > s->pj[j].pend_seq && s->sj[dj].r.status != PS_OK) {
      ps_error e;
      const char *dn = s->jobs[dj].name;
      ERROR_SET(&e, PS_EDEPEND, "skipped: dependency '%s' %s", dn,
                s->sj[dj].r.status == PS_EDEPEND ? "was skipped" : status_str(s->sj[dj].r.status));
      sj->r.failed_dep = dn;
      end_job(s, j, PS_EDEPEND, &e);
      return;
    }
  }
  if (s->hooks.before_run && !s->hooks.before_run(s->hooks.ud, j)) {
    memset(sj, 0, sizeof *sj); /* declined: back to idle, nothing to report */
    return;
  }
  sj->st = J_READY;
}

static void earliest(struct timespec *due, bool *any, const struct timespec *t) {
  if (!*any || ts_before(t, due)) {
    *due = *t;
    *any = true;
  }
}

static bool next_due(const sched *s, struct timespec *due) {
  bool any = false;
  for (size_t j = 0; j < s->n; j++) {
    if (s->sj[j].st == J_BACKOFF)
      earliest(due, &any, &s->sj[j].due);
    if (s->periodic && !s->draining && settled(s->sj[j].st))
      earliest(due, &any, &s->pj[j].due);
  }
  if (s->periodic && s->hooks.tick && s->hooks.tick_ms)
    earliest(due, &any, &s->next_tick);
  return any;
}

static bool all_settled(const sched *s) {
  for (size_t j = 0; j < s->n; j++)
    if (!settled(s->sj[j].st))
      return false;
  return s->inflight == 0;
}

static void tick_if_due(sched *s) {
  if (!s->hooks.tick || !s->hooks.tick_ms)
    return;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (ts_before(&now, &s->next_tick))
    return;
  s->hooks.tick(s->hooks.ud);
  s->next_tick = now;
  ts_add_ms(&s->next_tick, s->hooks.tick_ms);
}

static void start_periodic(sched *s, periodic_req *req) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  s->hooks = req->hooks;
  s->periodic = true;
  s->draining = false;
  for (size_t j = 0; j < s->n; j++) {
    memset(&s->sj[j], 0, sizeof s->sj[j]);
    s->pj[j] = (pjob){.period_ms = req->per[j].period_ms ? req->per[j].period_ms : 1, .due = now};
    ts_add_ms(&s->pj[j].due, req->per[j].first_due_ms);
  }
  free(req->per);
  req->per = NULL;
  s->next_tick = now;
}

static bool cycle_over(const sched *s) {
  for (size_t j = 0; j < s->n; j++)
    if (s->sj[j].st != J_IDLE && s->sj[j].st != J_DONE)
      return false;
  return s->inflight == 0;
}

static void start_cycle(sched *s, cycle_req *req) {
  s->seq = 0;
  for (size_t j = 0; j < s->n; j++) {
    memset(&s->sj[j], 0, sizeof s->sj[j]);
    s->sj[j].st = req->sel[j] ? J_WAIT : J_IDLE;
    s->sj[j].r.selected = req->sel[j];
  }
}

/* Report to the waiting sched_run_once; req is gone after the post. */
static void end_cycle(sched *s, cycle_req *req) {
  size_t first = s->n, failed = 0, skipped = 0;
  for (size_t j = 0; j < s->n; j++) {
    const sched_result *r = &s->sj[j].r;
    if (req->results)
      req->results[j] = *r;
    if (!r->selected || r->status == PS_OK)
      continue;
    bool own = r->status != PS_EDEPEND && r->status != PS_ECANCELED;
    own ? failed++ : skipped++;
    if (first == s->n || (own && (s->sj[first].r.status == PS_EDEPEND ||
                                  s->sj[first].r.status == PS_ECANCELED)))
      first = j;
  }
  error_clear(&req->err);
  req->status = PS_OK;
  if (first < s->n) {
    const sched_result *r = &s->sj[first].r;
    req->status = ERROR_SET(&req->err, r->status, "job '%s': %s (%zu failed, %zu skipped or canceled)",
                            s->jobs[first].name, r->err.msg, failed, skipped);
  }
  sem_post(&req->done);
}

static void *sched_main(void *arg) {
  sched *s = arg;
  pthread_setname_np(pthread_self(), "pollster-sched");
  log_set_thread_name("pollster-sched");
  cycle_req *cur = NULL;
  for (;;) {
    if (cur) {
      advance(s);
      dispatch(s);
      if (cycle_over(s)) {
        end_cycle(s, cur);
        cur = NULL;
      }
    } else if (s->periodic) {
      tick_if_due(s);
      advance(s);
      dispatch(s);
      if (s->draining && all_settled(s)) {
        s->periodic = s->draining = false;
        sem_post(&s->drained);
      }
    }
    struct timespec due;
    bool timed = (cur || s->periodic) && next_due(s, &due);
    queue_item *qi = queue_pop_until(&s->inbox, timed ? &due : NULL);
    if (!qi)
      continue; /* a backoff ended */
    msg *m = caa_container_of(qi, msg, qi);
    switch (m->kind) {
    case M_DONE:
      completed(s, caa_container_of(m, work, m));
      break;
    case M_CYCLE:
      cur = caa_container_of(m, cycle_req, m);
      start_cycle(s, cur);
      break;
    case M_CANCEL:
      break; /* advance() and dispatch() read the flag */
    case M_PERIODIC:
      start_periodic(s, caa_container_of(m, periodic_req, m));
      break;
    case M_DRAIN:
      s->draining = true;
      if (!s->periodic) /* nothing was running */
        sem_post(&s->drained);
      break;
    case M_WAKE:
      atomic_store(&s->job_msg_posted[m - s->job_msg], false);
      break;
    case M_STOP:
      return NULL;
    }
  }
}

/* ------------------------------------------------------------------ API */

static void sched_free_mem(sched *s) {
  dag_free(&s->g);
  if (s->drained_init)
    sem_destroy(&s->drained);
  free(s->preq.per);
  free(s->sj);
  free(s->work_mem);
  free(s->pj);
  free(s->job_cancel);
  free(s->job_msg_posted);
  free(s->job_msg);
  free(s);
}

sched *sched_create(const job_desc *jobs, size_t n, const sched_opts *o, ps_error *err) {
  sched *s = calloc(1, sizeof *s);
  bool work_q = false, inbox = false;
  if (!s) {
    ERROR_SET(err, PS_ENOMEM, "scheduler: out of memory");
    return NULL;
  }
  if (!o || o->workers == 0) {
    ERROR_SET(err, PS_ECONFIG, "scheduler: needs at least one worker");
    goto fail;
  }
  s->jobs = jobs;
  s->n = n;
  s->opts = *o;
  s->cancel_msg.kind = M_CANCEL;
  s->stop_msg.kind = M_STOP;
  s->drain_msg.kind = M_DRAIN;
  s->preq.m.kind = M_PERIODIC;
  if (dag_build(jobs, n, &s->g, err) != PS_OK)
    goto fail;
  s->window = 2 * (size_t)o->workers;
  s->sj = calloc(n ? n : 1, sizeof *s->sj);
  s->work_mem = calloc(s->window, sizeof *s->work_mem);
  s->pj = calloc(n ? n : 1, sizeof *s->pj);
  s->job_cancel = calloc(n ? n : 1, sizeof *s->job_cancel);
  s->job_msg_posted = calloc(n ? n : 1, sizeof *s->job_msg_posted);
  s->job_msg = calloc(n ? n : 1, sizeof *s->job_msg);
  if (!s->sj || !s->work_mem || !s->pj || !s->job_cancel || !s->job_msg_posted || !s->job_msg) {
    ERROR_SET(err, PS_ENOMEM, "scheduler: out of memory for %zu jobs", n);
    goto fail;
  }
  for (size_t j = 0; j < n; j++)
    s->job_msg[j].kind = M_WAKE;
  if (sem_init(&s->drained, 0, 0) != 0) {
    ERROR_SET(err, PS_EINTERNAL, "scheduler: sem_init failed");
    goto fail;
  }
  s->drained_init = true;
  for (size_t i = 0; i < s->window; i++) {
    s->work_mem[i].next_free = s->free_work;
    s->free_work = &s->work_mem[i];
  }
  if (queue_init(&s->work_q, err) != PS_OK)
    goto fail;
  work_q = true;
  if (queue_init(&s->inbox, err) != PS_OK)
    goto fail;
  inbox = true;
  if (!(s->pool = worker_pool_start(&s->work_q, o->workers, err)))
    goto fail;
  if (worker__spawn(&s->thread, sched_main, s, err) != PS_OK)
    goto fail;
  s->thread_started = true;
  return s;
fail:
  worker_pool_stop(s->pool);
  if (inbox)
    queue_destroy(&s->inbox);
  if (work_q)
    queue_destroy(&s->work_q);
  sched_free_mem(s);
  return NULL;
}

void sched_destroy(sched *s) {
  if (!s)
    return;
  if (s->thread_started) {
    queue_push(&s->inbox, &s->stop_msg.qi);
    pthread_join(s->thread, NULL);
  }
  worker_pool_stop(s->pool);
  queue_destroy(&s->inbox);
  queue_destroy(&s->work_q);
  sched_free_mem(s);
}

ps_status sched_run_once(sched *s, const char *const *names, size_t n_names,
                         sched_result *results, ps_error *err) {
  if (atomic_exchange(&s->busy, true))
    return ERROR_SET(err, PS_EBUSY, "scheduler: a cycle is already running");
  ps_status rc;
  cycle_req req = {.m.kind = M_CYCLE, .results = results};
  bool *sel = calloc(s->n ? s->n : 1, sizeof *sel);
  if (!sel) {
    rc = ERROR_SET(err, PS_ENOMEM, "scheduler: out of memory");
    goto out;
  }
  if ((rc = dag_select(s->jobs, &s->g, names, n_names, sel, err)) != PS_OK)
    goto out;
  req.sel = sel;
  if (sem_init(&req.done, 0, 0) != 0) {
    rc = ERROR_SET(err, PS_EINTERNAL, "scheduler: sem_init failed");
    goto out;
  }
  queue_push(&s->inbox, &req.m.qi);
  while (sem_wait(&req.done) != 0) {
    /* EINTR: keep waiting, the cycle owns req */
  }
  sem_destroy(&req.done);
  rc = req.status;
  if (err && rc != PS_OK)
    *err = req.err;
out:
  free(sel);
  atomic_store(&s->busy, false);
  return rc;
}

ps_status sched_start_periodic(sched *s, const sched_periodic *per, const sched_hooks *hooks,
                               ps_error *err) {
  if (atomic_exchange(&s->busy, true))
    return ERROR_SET(err, PS_EBUSY, "scheduler: a cycle or periodic run is already going on");
  sched_periodic *copy = calloc(s->n ? s->n : 1, sizeof *copy);
  if (!copy) {
    atomic_store(&s->busy, false);
    return ERROR_SET(err, PS_ENOMEM, "scheduler: out of memory");
  }
  if (s->n)
    memcpy(copy, per, s->n * sizeof *copy);
  /* preq is not in the inbox: busy was false, so no periodic run is on. */
  free(s->preq.per);
  s->preq.per = copy;
  s->preq.hooks = hooks ? *hooks : (sched_hooks){0};
  queue_push(&s->inbox, &s->preq.m.qi);
  return PS_OK;
}

bool sched_drain(sched *s, const struct timespec *deadline) {
  if (!atomic_exchange(&s->drain_posted, true))
    queue_push(&s->inbox, &s->drain_msg.qi);
  int rc;
  do
    rc = deadline ? sem_timedwait(&s->drained, deadline) : sem_wait(&s->drained);
  while (rc != 0 && errno == EINTR);
  if (rc != 0)
    return false;
  atomic_store(&s->drain_posted, false);
  atomic_store(&s->busy, false);
  return true;
}

void sched_cancel_job(sched *s, size_t j) {
  if (j >= s->n)
    return;
  atomic_store(&s->job_cancel[j], true);
  if (!atomic_exchange(&s->job_msg_posted[j], true))
    queue_push(&s->inbox, &s->job_msg[j].qi);
}

const _Atomic bool *sched_job_cancel_flag(const sched *s, size_t j) {
  return j < s->n ? &s->job_cancel[j] : &s->cancel;
}

void sched_cancel(sched *s) {
  for (size_t j = 0; j < s->n; j++)
    atomic_store(&s->job_cancel[j], true);
  atomic_store(&s->cancel, true);
  if (!atomic_exchange(&s->cancel_posted, true))
    queue_push(&s->inbox, &s->cancel_msg.qi);
}

const _Atomic bool *sched_cancel_flag(const sched *s) { return &s->cancel; }
