/* The scheduler's periodic mode (what `pollster daemon` runs on): fake jobs
 * that record their runs; hooks that count, decline and cancel. */
#include "tsan_criterion.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "engine/scheduler.h"

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

#define MAX_RUNS 64

typedef struct fjob {
  long unit_ms;                  /* how long its one unit takes */
  bool wait_cancel;              /* the unit runs until canceled */
  const _Atomic bool *cancel;    /* its flag (sched_job_cancel_flag) */
  _Atomic int running, overlaps, runs, aborts;
  _Atomic long start[MAX_RUNS], end[MAX_RUNS];
} fjob;

static ps_status f_prepare(void *arg, size_t *n, ps_error *err) {
  (void)err;
  fjob *f = arg;
  if (atomic_fetch_add(&f->running, 1) != 0)
    atomic_fetch_add(&f->overlaps, 1);
  int k = atomic_load(&f->runs);
  if (k < MAX_RUNS)
    atomic_store(&f->start[k], now_ms());
  *n = 1;
  return PS_OK;
}

static ps_status f_unit(void *arg, size_t u, ps_error *err) {
  (void)u;
  fjob *f = arg;
  long until = now_ms() + f->unit_ms;
  while (f->wait_cancel || now_ms() < until) {
    if (atomic_load(f->cancel))
      return ERROR_SET(err, PS_ECANCELED, "canceled");
    sleep_ms(5);
  }
  return PS_OK;
}

static ps_status f_finish(void *arg, ps_error *err) {
  (void)err;
  fjob *f = arg;
  int k = atomic_fetch_add(&f->runs, 1);
  if (k < MAX_RUNS)
    atomic_store(&f->end[k], now_ms());
  atomic_fetch_sub(&f->running, 1);
  return PS_OK;
}

static void f_abort(void *arg) {
  fjob *f = arg;
  atomic_fetch_add(&f->aborts, 1);
  atomic_fetch_sub(&f->running, 1);
}

static const job_ops f_ops = {f_prepare, f_unit, f_finish, f_abort};

/* Hooks: count; decline job `decline` every other time. */
typedef struct hookstate {
  _Atomic int before[4], after[4], after_ran[4], after_canceled[4], ticks;
  _Atomic int decline; /* job index or -1 */
  _Atomic int declined;
} hookstate;

static bool h_before(void *ud, size_t j) {
  hookstate *h = ud;
  int n = atomic_fetch_add(&h->before[j], 1);
  if ((int)j == atomic_load(&h->decline) && n % 2 == 1) {
    atomic_fetch_add(&h->declined, 1);
    return false;
  }
  return true;
}

static void h_after(void *ud, size_t j, const sched_result *r) {
  hookstate *h = ud;
  atomic_fetch_add(&h->after[j], 1);
  if (r->ran)
    atomic_fetch_add(&h->after_ran[j], 1);
  if (r->status == PS_ECANCELED)
    atomic_fetch_add(&h->after_canceled[j], 1);
}

static void h_tick(void *ud) { atomic_fetch_add(&((hookstate *)ud)->ticks, 1); }

static const char *const deps_a[] = {"a", NULL};

static sched *start(job_desc *jobs, fjob *f, size_t n, const sched_periodic *per,
                    hookstate *h) {
  for (size_t i = 0; i < n; i++)
    jobs[i].ops = &f_ops, jobs[i].arg = &f[i];
  ps_error err;
  error_clear(&err);
  sched_opts o = {.workers = 3, .retries = 0, .backoff_ms = 10};
  sched *s = sched_create(jobs, n, &o, &err);
  cr_assert(s, "%s", err.msg);
  for (size_t i = 0; i < n; i++)
    f[i].cancel = sched_job_cancel_flag(s, i);
  sched_hooks hk = {.ud = h, .before_run = h_before, .after_run = h_after, .tick = h_tick,
                    .tick_ms = 50};
  cr_assert_eq(sched_start_periodic(s, per, &hk, &err), PS_OK, "%s", err.msg);
  return s;
}

Test(daemon, jobs_repeat_in_dependency_order_never_overlapping) {
  static fjob f[3];
  memset(f, 0, sizeof f);
  f[0].unit_ms = 60; /* a */
  f[1].unit_ms = 20; /* b needs a */
  f[2].unit_ms = 10; /* c: alone, fast */
  job_desc jobs[3] = {{.name = "a"}, {.name = "b", .deps = deps_a}, {.name = "c"}};
  sched_periodic per[3] = {{200, 0}, {200, 0}, {100, 0}};
  static hookstate h;
  memset(&h, 0, sizeof h);
  atomic_store(&h.decline, -1);
  long t0 = now_ms();
  sched *s = start(jobs, f, 3, per, &h);
  sleep_ms(1100);
  cr_assert(sched_drain(s, NULL));
  long span = now_ms() - t0;
  /* Period-bound: about span/period runs, never more than one per period. */
  cr_assert_geq(atomic_load(&f[0].runs), 4);
  cr_assert_leq(atomic_load(&f[0].runs), span / 200 + 1);
  cr_assert_geq(atomic_load(&f[2].runs), 8);
  cr_assert_leq(atomic_load(&f[2].runs), span / 100 + 1);
  for (int j = 0; j < 3; j++)
    cr_assert_eq(atomic_load(&f[j].overlaps), 0);
  /* b, due together with a, started each time after an a run ended. */
  int na = atomic_load(&f[0].runs), nb = atomic_load(&f[1].runs);
  cr_assert_geq(nb, 4);
  for (int k = 0; k < nb && k < na; k++)
    cr_assert_geq(f[1].start[k], f[0].end[k], "b run %d started before a run %d ended", k, k);
  cr_assert_eq(atomic_load(&h.after_ran[0]), na);
  cr_assert_geq(atomic_load(&h.ticks), 15);
  /* After the drain nothing runs any more. */
  int before = atomic_load(&f[2].runs);
  sleep_ms(300);
  cr_assert_eq(atomic_load(&f[2].runs), before);
  sched_destroy(s);
}

Test(daemon, declined_period_is_skipped_without_after_hook) {
  static fjob f[1];
  memset(f, 0, sizeof f);
  f[0].unit_ms = 5;
  job_desc jobs[1] = {{.name = "a"}};
  sched_periodic per[1] = {{50, 0}};
  static hookstate h;
  memset(&h, 0, sizeof h);
  atomic_store(&h.decline, 0);
  sched *s = start(jobs, f, 1, per, &h);
  sleep_ms(600);
  cr_assert(sched_drain(s, NULL));
  int before = atomic_load(&h.before[0]), declined = atomic_load(&h.declined);
  cr_assert_geq(declined, 3);
  cr_assert_eq(atomic_load(&f[0].runs) + declined, before);
  cr_assert_eq(atomic_load(&h.after[0]), atomic_load(&f[0].runs));
  sched_destroy(s);
}

Test(daemon, cancel_job_aborts_one_run_and_the_next_period_runs) {
  static fjob f[2];
  memset(f, 0, sizeof f);
  f[0].wait_cancel = true; /* runs until canceled */
  f[1].unit_ms = 5;
  job_desc jobs[2] = {{.name = "a"}, {.name = "c"}};
  sched_periodic per[2] = {{100, 0}, {50, 0}};
  static hookstate h;
  memset(&h, 0, sizeof h);
  atomic_store(&h.decline, -1);
  sched *s = start(jobs, f, 2, per, &h);
  sleep_ms(200);
  cr_assert_eq(atomic_load(&f[0].running), 1);
  sched_cancel_job(s, 0);
  sleep_ms(100);
  cr_assert_eq(atomic_load(&f[0].aborts), 1);
  cr_assert_eq(atomic_load(&h.after_canceled[0]), 1);
  cr_assert_eq(atomic_load(&h.after_canceled[1]), 0, "the other job is untouched");
  /* The next period runs it again (and it waits for a cancel again). */
  sleep_ms(150);
  cr_assert_eq(atomic_load(&f[0].running), 1);
  /* Drain with a deadline: the endless run keeps it from completing... */
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_nsec += 200000000L;
  if (dl.tv_nsec >= 1000000000L)
    dl.tv_sec++, dl.tv_nsec -= 1000000000L;
  cr_assert_not(sched_drain(s, &dl));
  /* ... until a cancel aborts it. */
  sched_cancel(s);
  cr_assert(sched_drain(s, NULL));
  cr_assert_eq(atomic_load(&f[0].aborts), 2);
  cr_assert_eq(atomic_load(&f[0].running), 0);
  cr_assert_eq(atomic_load(&f[1].overlaps), 0);
  sched_destroy(s);
}
