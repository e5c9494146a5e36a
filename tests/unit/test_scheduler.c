/* The DAG scheduler with fake jobs: callbacks that record what happened and
 * when, wait on latches that need two of them running at once, sleep, or
 * fail on demand. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "engine/log.h"
#include "engine/scheduler.h"
#include "tsan_criterion.h"

/* ------------------------------------------------------------- helpers */

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void sleep_ms(unsigned ms) {
  struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

/* Counts arrivals; waiting returns true once `need` threads arrived, false
 * after a 5 s timeout, so a serialized scheduler fails the test instead of
 * hanging it. */
typedef struct latch {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int arrived, need;
} latch;

#define LATCH(n) {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, (n)}

static bool latch_arrive_and_wait(latch *l) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 5;
  pthread_mutex_lock(&l->mu);
  l->arrived++;
  pthread_cond_broadcast(&l->cv);
  while (l->arrived < l->need)
    if (pthread_cond_timedwait(&l->cv, &l->mu, &deadline) != 0)
      break;
  bool ok = l->arrived >= l->need;
  pthread_mutex_unlock(&l->mu);
  return ok;
}

typedef struct fake {
  /* behaviour */
  size_t units;
  ps_status fail_status;
  int fail_prepare_attempts; /* prepares of attempts 1..N fail */
  long fail_unit;            /* this unit fails ... */
  long fail_unit2;           /* (and this one; -1 = none) */
  int fail_unit_attempts;    /* ... in attempts 1..N */
  unsigned unit_sleep_ms;
  latch *prep_latch, *unit_latch;
  const _Atomic bool *cancel; /* when set: units run until it becomes true */
  /* observations */
  _Atomic int prepares, units_run, finishes, aborts;
  _Atomic int active_units, violations, latch_timeouts;
  _Atomic long t_prepare_first, t_prepare_last, t_finish_end, t_abort_end;
  _Atomic unsigned char *unit_seen;
  char thread[16];
} fake;

static void fake_init(fake *f, size_t units) {
  memset(f, 0, sizeof *f);
  f->units = units;
  f->fail_unit = f->fail_unit2 = -1;
}

/* prepare/finish/abort never overlap a unit of the same job. */
static void check_exclusive(fake *f) {
  if (atomic_load(&f->active_units) != 0)
    atomic_fetch_add(&f->violations, 1);
}

static ps_status fake_prepare(void *arg, size_t *n_units, ps_error *err) {
  fake *f = arg;
  check_exclusive(f);
  long t = now_ns();
  int attempt = atomic_fetch_add(&f->prepares, 1) + 1;
  long zero = 0;
  atomic_compare_exchange_strong(&f->t_prepare_first, &zero, t);
  atomic_store(&f->t_prepare_last, t);
  if (attempt == 1)
    pthread_getname_np(pthread_self(), f->thread, sizeof f->thread);
  if (f->prep_latch && !latch_arrive_and_wait(f->prep_latch)) {
    atomic_fetch_add(&f->latch_timeouts, 1);
    return ERROR_SET(err, PS_EINTERNAL, "latch timed out in prepare");
  }
  if (attempt <= f->fail_prepare_attempts)
    return ERROR_SET(err, f->fail_status, "prepare failed on purpose (attempt %d)", attempt);
  *n_units = f->units;
  return PS_OK;
}

static ps_status fake_unit(void *arg, size_t unit, ps_error *err) {
  fake *f = arg;
  ps_status rc = PS_OK;
  atomic_fetch_add(&f->active_units, 1);
  atomic_fetch_add(&f->units_run, 1);
  if (f->unit_seen)
    atomic_fetch_add(&f->unit_seen[unit], 1);
  int attempt = atomic_load(&f->prepares);
  if (f->unit_latch && !latch_arrive_and_wait(f->unit_latch)) {
    atomic_fetch_add(&f->latch_timeouts, 1);
    rc = ERROR_SET(err, PS_EINTERNAL, "latch timed out in unit %zu", unit);
    goto out;
  }
  if (f->unit_sleep_ms)
    sleep_ms(f->unit_sleep_ms);
  if (f->cancel) {
    long give_up = now_ns() + 10000000000L;
    while (!atomic_load(f->cancel) && now_ns() < give_up)
      sleep_ms(1);
    if (atomic_load(f->cancel)) {
      rc = ERROR_SET(err, PS_ECANCELED, "unit %zu saw the cancel flag", unit);
      goto out;
    }
  }
  if (((long)unit == f->fail_unit || (long)unit == f->fail_unit2) && attempt <= f->fail_unit_attempts)
    rc = ERROR_SET(err, f->fail_status, "unit %zu failed on purpose (attempt %d)", unit, attempt);
out:
  atomic_fetch_sub(&f->active_units, 1);
  return rc;
}

static ps_status fake_finish(void *arg, ps_error *err) {
  fake *f = arg;
  (void)err;
  check_exclusive(f);
  atomic_fetch_add(&f->finishes, 1);
  atomic_store(&f->t_finish_end, now_ns());
  return PS_OK;
}

static void fake_abort(void *arg) {
  fake *f = arg;
  check_exclusive(f);
  atomic_fetch_add(&f->aborts, 1);
  atomic_store(&f->t_abort_end, now_ns());
}

static const job_ops fake_ops = {fake_prepare, fake_unit, fake_finish, fake_abort};

#define DEPS(...) ((const char *const[]){__VA_ARGS__, NULL})

static sched *start(const job_desc *jobs, size_t n, unsigned workers, unsigned retries,
                    unsigned backoff_ms) {
  sched_opts o = {.workers = workers, .retries = retries, .backoff_ms = backoff_ms};
  ps_error err;
  sched *s = sched_create(jobs, n, &o, &err);
  cr_assert_not_null(s, "sched_create: %s", err.msg);
  return s;
}

static void quiet(void) { log_set_level(LOG_LEVEL_ERROR); }

TestSuite(scheduler, .init = quiet, .timeout = 60);

/* ------------------------------------------------------------ ordering */

Test(scheduler, dependencies_finish_before_dependents_prepare) {
  enum { A, B, C, D, E, N };
  static fake f[N];
  for (int i = 0; i < N; i++) {
    fake_init(&f[i], 3);
    f[i].unit_sleep_ms = 5;
  }
  const job_desc jobs[N] = {
      {"d", DEPS("b", "c"), &fake_ops, &f[D]}, /* listed first on purpose */
      {"b", DEPS("a"), &fake_ops, &f[B]},
      {"a", NULL, &fake_ops, &f[A]},
      {"c", DEPS("a"), &fake_ops, &f[C]},
      {"e", NULL, &fake_ops, &f[E]},
  };
  /* jobs[] index -> fake: d=0->D ... keep a table for the edge checks */
  fake *by_idx[N] = {&f[D], &f[B], &f[A], &f[C], &f[E]};
  sched *s = start(jobs, N, 3, 0, 0);
  sched_result r[N];
  ps_error err;
  cr_assert_eq(sched_run_once(s, NULL, 0, r, &err), PS_OK, "%s", err.msg);
  for (int i = 0; i < N; i++) {
    cr_assert_eq(r[i].status, PS_OK, "%s: %s", jobs[i].name, r[i].err.msg);
    cr_assert(r[i].selected && r[i].ran);
    cr_assert_eq(r[i].attempts, 1);
    cr_assert_gt(r[i].dispatch_seq, 0);
    cr_assert_gt(r[i].started.tv_sec, 0);
    cr_assert_geq(r[i].seconds, 0.005);
    cr_assert_eq(atomic_load(&by_idx[i]->prepares), 1);
    cr_assert_eq(atomic_load(&by_idx[i]->units_run), 3);
    cr_assert_eq(atomic_load(&by_idx[i]->finishes), 1);
    cr_assert_eq(atomic_load(&by_idx[i]->aborts), 0);
    cr_assert_eq(atomic_load(&by_idx[i]->violations), 0);
    cr_assert(strncmp(by_idx[i]->thread, "pollster-w", 10) == 0, "ran on '%s'", by_idx[i]->thread);
  }
  /* Every edge: the dependency's finish returned before the prepare began. */
  const int edges[][2] = {{D, B}, {D, C}, {B, A}, {C, A}};
  for (size_t k = 0; k < sizeof edges / sizeof edges[0]; k++) {
    fake *job = &f[edges[k][0]], *dep = &f[edges[k][1]];
    cr_assert_lt(atomic_load(&dep->t_finish_end), atomic_load(&job->t_prepare_first),
                 "edge %zu violated", k);
  }
  /* Dispatch order observable: a before b and c, b and c before d. */
  cr_assert_lt(r[2].dispatch_seq, r[1].dispatch_seq);
  cr_assert_lt(r[2].dispatch_seq, r[3].dispatch_seq);
  cr_assert_lt(r[1].dispatch_seq, r[0].dispatch_seq);
  cr_assert_lt(r[3].dispatch_seq, r[0].dispatch_seq);
  /* A second cycle runs everything again. */
  cr_assert_eq(sched_run_once(s, NULL, 0, r, &err), PS_OK, "%s", err.msg);
  cr_assert_eq(atomic_load(&f[A].prepares), 2);
  sched_destroy(s);
}

Test(scheduler, independent_jobs_run_in_parallel) {
  static latch both = LATCH(2);
  static fake x, y;
  fake_init(&x, 1);
  fake_init(&y, 1);
  x.prep_latch = y.prep_latch = &both;
  const job_desc jobs[] = {{"x", NULL, &fake_ops, &x}, {"y", NULL, &fake_ops, &y}};
  sched *s = start(jobs, 2, 2, 0, 0);
  sched_result r[2];
  cr_assert_eq(sched_run_once(s, NULL, 0, r, NULL), PS_OK);
  cr_assert_eq(atomic_load(&x.latch_timeouts) + atomic_load(&y.latch_timeouts), 0,
               "x and y never ran at the same time");
  sched_destroy(s);
}

Test(scheduler, units_of_one_job_run_in_parallel) {
  static latch all = LATCH(3);
  static fake f;
  fake_init(&f, 3);
  f.unit_latch = &all;
  const job_desc jobs[] = {{"wide", NULL, &fake_ops, &f}};
  sched *s = start(jobs, 1, 3, 0, 0);
  sched_result r[1];
  ps_error err;
  cr_assert_eq(sched_run_once(s, NULL, 0, r, &err), PS_OK, "%s", err.msg);
  cr_assert_eq(atomic_load(&f.latch_timeouts), 0);
  cr_assert_eq(atomic_load(&f.units_run), 3);
  cr_assert_eq(atomic_load(&f.finishes), 1);
  sched_destroy(s);
}

Test(scheduler, many_units_each_run_exactly_once) {
  enum { UNITS = 2000 };
  static fake f, g;
  static _Atomic unsigned char seen_f[UNITS], seen_g[UNITS];
  fake_init(&f, UNITS);
  fake_init(&g, UNITS);
  f.unit_seen = seen_f;
  g.unit_seen = seen_g;
  const job_desc jobs[] = {{"f", NULL, &fake_ops, &f}, {"g", DEPS("f"), &fake_ops, &g}};
  sched *s = start(jobs, 2, 4, 0, 0);
  cr_assert_eq(sched_run_once(s, NULL, 0, NULL, NULL), PS_OK);
  for (int i = 0; i < UNITS; i++) {
    cr_assert_eq(atomic_load(&seen_f[i]), 1, "f unit %d ran %d times", i, seen_f[i]);
    cr_assert_eq(atomic_load(&seen_g[i]), 1, "g unit %d ran %d times", i, seen_g[i]);
  }
  cr_assert_eq(atomic_load(&f.violations) + atomic_load(&g.violations), 0);
  sched_destroy(s);
}

/* ---------------------------------------------------------- validation */

Test(scheduler, cycle_is_rejected_naming_it) {
  fake f;
  fake_init(&f, 1);
  const job_desc jobs[] = {
      {"root", NULL, &fake_ops, &f},
      {"a", DEPS("root", "b"), &fake_ops, &f},
      {"b", DEPS("c"), &fake_ops, &f},
      {"c", DEPS("a"), &fake_ops, &f},
  };
  sched_opts o = {.workers = 2};
  ps_error err;
  cr_assert_null(sched_create(jobs, 4, &o, &err));
  cr_assert_eq(err.status, PS_ECONFIG);
  cr_assert(strstr(err.msg, "dependency cycle: a -> b -> c -> a"), "got: %s", err.msg);
  sched_plan plan;
  cr_assert_eq(sched_plan_build(jobs, 4, NULL, 0, &plan, &err), PS_ECONFIG);

  const job_desc self[] = {{"me", DEPS("me"), &fake_ops, &f}};
  cr_assert_null(sched_create(self, 1, &o, &err));
  cr_assert(strstr(err.msg, "dependency cycle: me -> me"), "got: %s", err.msg);
}

Test(scheduler, unknown_dependency_and_duplicates_are_rejected) {
  fake f;
  fake_init(&f, 1);
  sched_opts o = {.workers = 1};
  ps_error err;
  const job_desc unknown[] = {{"a", NULL, &fake_ops, &f}, {"b", DEPS("a", "zz"), &fake_ops, &f}};
  cr_assert_null(sched_create(unknown, 2, &o, &err));
  cr_assert_eq(err.status, PS_ECONFIG);
  cr_assert(strstr(err.msg, "'b' depends on unknown job 'zz'"), "got: %s", err.msg);
  const job_desc dup[] = {{"a", NULL, &fake_ops, &f}, {"a", NULL, &fake_ops, &f}};
  cr_assert_null(sched_create(dup, 2, &o, &err));
  cr_assert(strstr(err.msg, "duplicate job name 'a'"), "got: %s", err.msg);
  sched_opts none = {.workers = 0};
  cr_assert_null(sched_create(dup, 1, &none, &err));
  cr_assert_eq(err.status, PS_ECONFIG);
}

/* ------------------------------------------------------------- failures */

Test(scheduler, failed_job_skips_its_dependents_only) {
  enum { ROOT, BAD, CHILD, GRANDCHILD, SIBLING, N };
  static fake f[N];
  for (int i = 0; i < N; i++)
    fake_init(&f[i], 2);
  f[BAD].fail_unit = 1;
  f[BAD].fail_unit_attempts = 99;
  f[BAD].fail_status = PS_ESQL;
  const job_desc jobs[N] = {
      {"root", NULL, &fake_ops, &f[ROOT]},
      {"bad", DEPS("root"), &fake_ops, &f[BAD]},
      {"child", DEPS("bad"), &fake_ops, &f[CHILD]},
      {"grandchild", DEPS("child", "root"), &fake_ops, &f[GRANDCHILD]},
      {"sibling", DEPS("root"), &fake_ops, &f[SIBLING]},
  };
  sched *s = start(jobs, N, 2, 3, 1);
  sched_result r[N];
  ps_error err;
  cr_assert_eq(sched_run_once(s, NULL, 0, r, &err), PS_ESQL);
  cr_assert(strstr(err.msg, "job 'bad'"), "got: %s", err.msg);
  cr_assert_eq(r[ROOT].status, PS_OK);
  cr_assert_eq(r[SIBLING].status, PS_OK);
  cr_assert_eq(atomic_load(&f[SIBLING].finishes), 1);
  cr_assert_eq(r[BAD].status, PS_ESQL);
  cr_assert_eq(r[BAD].attempts, 1, "non-transient error retried");
  cr_assert(strstr(r[BAD].err.msg, "failed on purpose"), "got: %s", r[BAD].err.msg);
  cr_assert_eq(atomic_load(&f[BAD].aborts), 1);
  cr_assert_eq(atomic_load(&f[BAD].finishes), 0);
  cr_assert_eq(r[CHILD].status, PS_EDEPEND);
  cr_assert_str_eq(r[CHILD].failed_dep, "bad");
  cr_assert(strstr(r[CHILD].err.msg, "'bad'"), "got: %s", r[CHILD].err.msg);
  cr_assert(!r[CHILD].ran);
  cr_assert_eq(r[GRANDCHILD].status, PS_EDEPEND);
  cr_assert_str_eq(r[GRANDCHILD].failed_dep, "child");
  cr_assert_eq(atomic_load(&f[CHILD].prepares) + atomic_load(&f[GRANDCHILD].prepares), 0);
  sched_destroy(s);
}

Test(scheduler, transient_failure_is_retried_then_succeeds) {
  static fake f;
  fake_init(&f, 4);
  f.fail_unit = 2;
  f.fail_unit_attempts = 1;
  f.fail_status = PS_ECONNLOST;
  const job_desc jobs[] = {{"flaky", NULL, &fake_ops, &f}};
  sched *s = start(jobs, 1, 2, 3, 50);
  sched_result r[1];
  ps_error err;
  cr_assert_eq(sched_run_once(s, NULL, 0, r, &err), PS_OK, "%s", err.msg);
  cr_assert_eq(r[0].status, PS_OK);
  cr_assert_eq(r[0].attempts, 2);
  cr_assert_eq(atomic_load(&f.prepares), 2);
  cr_assert_eq(atomic_load(&f.aborts), 1);
  cr_assert_eq(atomic_load(&f.finishes), 1);
  long gap = atomic_load(&f.t_prepare_last) - atomic_load(&f.t_abort_end);
  cr_assert_geq(gap, 50 * 1000000L, "retried after %ld ns, before the backoff", gap);
  cr_assert_eq(atomic_load(&f.violations), 0);
  sched_destroy(s);
}

Test(scheduler, prepare_failure_is_retried_too_and_exhaustion_gives_last_error) {
  static fake f;
  fake_init(&f, 1);
  f.fail_prepare_attempts = 100;
  f.fail_status = PS_ELOCK;
  const job_desc jobs[] = {{"locked", NULL, &fake_ops, &f}};
  sched *s = start(jobs, 1, 2, 2, 20);
  sched_result r[1];
  ps_error err;
  long t0 = now_ns();
  cr_assert_eq(sched_run_once(s, NULL, 0, r, &err), PS_ELOCK);
  long took = now_ns() - t0;
  cr_assert_eq(r[0].attempts, 3);
  cr_assert_eq(atomic_load(&f.aborts), 3, "abort is once per failed attempt");
  cr_assert_eq(atomic_load(&f.units_run), 0);
  cr_assert(strstr(r[0].err.msg, "attempt 3"), "not the last error: %s", r[0].err.msg);
  /* backoff 20 ms then 40 ms */
  cr_assert_geq(took, 60 * 1000000L, "took only %ld ns", took);
  sched_destroy(s);
}

Test(scheduler, abort_is_called_once_after_running_units_return) {
  static fake f;
  fake_init(&f, 16);
  f.unit_sleep_ms = 10;
  f.fail_unit = 1;
  f.fail_unit2 = 2;
  f.fail_unit_attempts = 99;
  f.fail_status = PS_EDATA;
  const job_desc jobs[] = {{"broken", NULL, &fake_ops, &f}};
  sched *s = start(jobs, 1, 4, 2, 1);
  sched_result r[1];
  cr_assert_eq(sched_run_once(s, NULL, 0, r, NULL), PS_EDATA);
  cr_assert_eq(atomic_load(&f.aborts), 1);
  cr_assert_eq(atomic_load(&f.finishes), 0);
  cr_assert_eq(atomic_load(&f.violations), 0, "abort overlapped a running unit");
  /* Remaining units were not started once the failure was known (the
   * window is 2 x 4 workers). */
  cr_assert_lt(atomic_load(&f.units_run), 16);
  sched_destroy(s);
}

Test(scheduler, backoff_does_not_block_other_jobs) {
  static fake flaky, other;
  fake_init(&flaky, 1);
  flaky.fail_prepare_attempts = 1;
  flaky.fail_status = PS_ETIMEOUT;
  fake_init(&other, 2);
  other.unit_sleep_ms = 30;
  const job_desc jobs[] = {{"flaky", NULL, &fake_ops, &flaky}, {"other", NULL, &fake_ops, &other}};
  sched *s = start(jobs, 2, 1, 1, 400);
  sched_result r[2];
  ps_error err;
  cr_assert_eq(sched_run_once(s, NULL, 0, r, &err), PS_OK, "%s", err.msg);
  cr_assert_eq(r[0].attempts, 2);
  cr_assert_lt(atomic_load(&other.t_finish_end), atomic_load(&flaky.t_prepare_last),
               "the other job waited for the backoff");
  sched_destroy(s);
}

/* ------------------------------------------------------------ selection */

Test(scheduler, selecting_a_job_runs_its_dependencies_only) {
  enum { A, B, C, X, N };
  static fake f[N];
  for (int i = 0; i < N; i++)
    fake_init(&f[i], 1);
  const job_desc jobs[N] = {
      {"a", NULL, &fake_ops, &f[A]},
      {"b", DEPS("a"), &fake_ops, &f[B]},
      {"c", DEPS("b"), &fake_ops, &f[C]},
      {"x", NULL, &fake_ops, &f[X]},
  };
  sched *s = start(jobs, N, 2, 0, 0);
  sched_result r[N];
  ps_error err;
  const char *const only_b[] = {"b"};
  cr_assert_eq(sched_run_once(s, only_b, 1, r, &err), PS_OK, "%s", err.msg);
  cr_assert(r[A].selected && r[A].ran && r[B].selected && r[B].ran);
  cr_assert(!r[C].selected && !r[C].ran && !r[X].selected && !r[X].ran);
  cr_assert_eq(atomic_load(&f[A].finishes), 1);
  cr_assert_eq(atomic_load(&f[B].finishes), 1);
  cr_assert_eq(atomic_load(&f[C].prepares) + atomic_load(&f[X].prepares), 0);
  const char *const bogus[] = {"nope"};
  cr_assert_eq(sched_run_once(s, bogus, 1, r, &err), PS_ECONFIG);
  cr_assert(strstr(err.msg, "unknown job 'nope'"), "got: %s", err.msg);
  sched_destroy(s);
}

Test(scheduler, plan_groups_waves_in_topological_order) {
  fake f;
  fake_init(&f, 1);
  const job_desc jobs[] = {
      {"d", DEPS("b", "c"), &fake_ops, &f}, {"b", DEPS("a"), &fake_ops, &f},
      {"a", NULL, &fake_ops, &f},           {"c", DEPS("a"), &fake_ops, &f},
      {"e", NULL, &fake_ops, &f},           {"f", DEPS("e"), &fake_ops, &f},
  };
  sched_plan p;
  ps_error err;
  cr_assert_eq(sched_plan_build(jobs, 6, NULL, 0, &p, &err), PS_OK, "%s", err.msg);
  cr_assert_eq(p.n, 6);
  cr_assert_eq(p.n_waves, 3);
  const size_t want[] = {2, 4, /**/ 1, 3, 5, /**/ 0};
  const size_t starts[] = {0, 2, 5, 6};
  for (size_t i = 0; i < 6; i++)
    cr_assert_eq(p.order[i], want[i], "order[%zu] = %s", i, jobs[p.order[i]].name);
  for (size_t w = 0; w <= 3; w++)
    cr_assert_eq(p.wave_start[w], starts[w]);
  sched_plan_free(&p);
  const char *const only_c[] = {"c"};
  cr_assert_eq(sched_plan_build(jobs, 6, only_c, 1, &p, &err), PS_OK);
  cr_assert_eq(p.n, 2);
  cr_assert_eq(p.n_waves, 2);
  cr_assert_eq(p.order[0], 2);
  cr_assert_eq(p.order[1], 3);
  sched_plan_free(&p);
  sched_plan_free(NULL);
}

/* ---------------------------------------------------------------- cancel */

typedef struct canceler {
  sched *s;
  fake *watch;
} canceler;

static void *cancel_when_running(void *arg) {
  canceler *c = arg;
  long give_up = now_ns() + 10000000000L;
  while (atomic_load(&c->watch->units_run) < 2 && now_ns() < give_up)
    sleep_ms(1);
  sleep_ms(20);
  sched_cancel(c->s);
  return NULL;
}

Test(scheduler, cancel_ends_promptly_aborting_running_jobs) {
  enum { LONG, AFTER, LATE, N };
  static fake f[N];
  for (int i = 0; i < N; i++)
    fake_init(&f[i], 4);
  const job_desc jobs[N] = {
      {"long", NULL, &fake_ops, &f[LONG]},
      {"after", DEPS("long"), &fake_ops, &f[AFTER]},
      {"late", DEPS("after"), &fake_ops, &f[LATE]},
  };
  sched *s = start(jobs, N, 2, 5, 1);
  f[LONG].cancel = sched_cancel_flag(s);
  cr_assert(!atomic_load(sched_cancel_flag(s)));
  canceler c = {s, &f[LONG]};
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, cancel_when_running, &c), 0);
  sched_result r[N];
  ps_error err;
  long t0 = now_ns();
  cr_assert_eq(sched_run_once(s, NULL, 0, r, &err), PS_ECANCELED);
  double took = (double)(now_ns() - t0) / 1e9;
  pthread_join(t, NULL);
  cr_assert_lt(took, 2.0, "cancel took %.3f s", took);
  cr_assert(atomic_load(sched_cancel_flag(s)));
  cr_assert_eq(r[LONG].status, PS_ECANCELED);
  cr_assert_eq(r[LONG].attempts, 1, "canceled job was retried");
  cr_assert_eq(atomic_load(&f[LONG].aborts), 1);
  cr_assert_eq(atomic_load(&f[LONG].finishes), 0);
  cr_assert_eq(atomic_load(&f[LONG].violations), 0);
  for (int i = AFTER; i < N; i++) {
    cr_assert_eq(r[i].status, PS_ECANCELED, "%s: %s", jobs[i].name, status_name(r[i].status));
    cr_assert(!r[i].ran);
    cr_assert_eq(atomic_load(&f[i].prepares), 0);
  }
  /* Cancel is final: the next cycle ends at once. */
  cr_assert_eq(sched_run_once(s, NULL, 0, r, &err), PS_ECANCELED);
  cr_assert_eq(atomic_load(&f[LONG].prepares), 1);
  sched_destroy(s);
}

Test(scheduler, destroy_accepts_null_and_an_idle_scheduler) {
  sched_destroy(NULL);
  fake f;
  fake_init(&f, 1);
  const job_desc jobs[] = {{"a", NULL, &fake_ops, &f}};
  sched *s = start(jobs, 1, 3, 0, 0);
  sched_cancel(s);
  sched_cancel(s); /* twice is fine */
  sched_destroy(s);
}
