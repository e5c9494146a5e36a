/* scheduler: runs a DAG of jobs (engine/job.h) on a worker pool.
 *
 * DESIGN
 *   Threads: one scheduler thread (pollster-sched) owns all DAG and run
 *   state; N workers (engine/worker.h) run the job callbacks.  Nothing else
 *   touches the run state, so it needs no lock.
 *   Flow: the scheduler pushes work items (prepare / one unit / finish /
 *   abort of one job) into the job queue; a worker runs the callback, stores
 *   its status in the item and pushes the item back into the scheduler's
 *   inbox (a second engine/queue.h queue, sole consumer: the scheduler).
 *   API calls reach the scheduler thread through the same inbox: a cycle
 *   request (sched_run_once, which then sleeps on a semaphore until the
 *   cycle is over), the cancel wake-up and the stop message.
 *   The scheduler loop sleeps on the inbox with a deadline = the earliest
 *   time something becomes due (the end of a retry backoff, a periodic
 *   job's next run, the next hook tick), so retries never block other jobs
 *   and an idle periodic scheduler sleeps (no polling).
 *   Dispatch: at most 2 x workers items are queued or running at a time,
 *   handed out round-robin over the runnable jobs in topological order; so
 *   a failure or a cancel stops a job's remaining units at once (they were
 *   never enqueued) while the workers always find the next item waiting.
 *   Ordering: a job's prepare is dispatched only after every dependency's
 *   finish returned successfully in this cycle; one job has at most one
 *   attempt in flight, and its prepare/finish/abort never overlap its units.
 *   Retries: an attempt that failed (prepare, a unit or finish) is aborted
 *   once after its running callbacks returned; a transient status
 *   (status_is_transient) is retried up to opts.retries more times after a
 *   backoff of backoff_ms * 2^(attempt-1), capped at 30 s.
 *   Cancel: sched_cancel() (any thread; only atomics and a queue push)
 *   sets the flag the callbacks may poll, and wakes the scheduler, which
 *   stops dispatching, lets running callbacks return, aborts the started
 *   jobs and ends the unstarted ones PS_ECANCELED.  Cancel is final: later
 *   cycles end PS_ECANCELED at once.
 *   Periodic mode (the daemon; sched_start_periodic): instead of cycles,
 *   each job has its own next-due time and is dispatched on its own when
 *   due; a job never overlaps itself (it is due again only once its run
 *   ended; runs missed meanwhile are skipped, not caught up).  Dependencies:
 *   a due job waits while any of its dependencies is due or running here,
 *   so dependencies due at the same time run first; a dependency that
 *   failed meanwhile skips the dependent for this period (PS_EDEPEND).
 *   Hooks run on the scheduler thread: before_run may decline a period
 *   (another daemon holds the lease), after_run sees every end, tick runs
 *   every tick_ms (lease renewal, watchdog).  They must be short: the
 *   scheduler dispatches nothing while a hook runs.  sched_drain() stops
 *   new runs and waits for the running ones (graceful shutdown, reload);
 *   sched_cancel_job() cancels one job's run (its lease was lost).
 *   Shutdown: sched_destroy() stops the scheduler thread (stop message),
 *   then the pool (one poison item per worker), then frees. */
#ifndef POLLSTER_SCHEDULER_H
#define POLLSTER_SCHEDULER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "engine/job.h"
#include "engine/status.h"

typedef struct sched sched;

typedef struct sched_opts {
  unsigned workers;    /* worker threads, >= 1 */
  unsigned retries;    /* extra attempts for a transient failure */
  unsigned backoff_ms; /* delay before the first retry; doubles, capped at 30 s */
} sched_opts;

/* Validate the DAG (names unique and non-empty, every job has ops with
 * prepare/run_unit/finish, dependencies known, no cycle: PS_ECONFIG with
 * "dependency cycle: a -> b -> a") and start the scheduler and workers.
 * `jobs` (and everything it points to) is borrowed and must outlive the
 * scheduler; `o` is copied.  NULL with *err filled on failure. */
sched *sched_create(const job_desc *jobs, size_t n, const sched_opts *o, ps_error *err);
/* Stop and join all threads, free.  NULL is fine.  No sched_run_once may be
 * in progress. */
void sched_destroy(sched *s);

typedef struct sched_result {
  bool selected;          /* part of the cycle (named, or a dependency of one) */
  bool ran;               /* prepare was called at least once */
  ps_status status;       /* PS_OK, the last attempt's status, PS_EDEPEND or PS_ECANCELED */
  ps_error err;           /* details when status != PS_OK */
  unsigned attempts;      /* prepares called */
  unsigned dispatch_seq;  /* 1-based order of the job's first dispatch in the cycle; 0 = never */
  const char *failed_dep; /* PS_EDEPEND: the dependency that failed or was skipped (borrowed) */
  struct timespec started, ended; /* CLOCK_REALTIME, for logs; zero unless ran */
  double seconds;         /* monotonic, first prepare to the end of the last callback */
} sched_result;

/* Run one cycle: the jobs named in names[0..n_names) (names NULL = all jobs)
 * plus, transitively, their dependencies; blocks until every one of them has
 * ended.  `results` (caller owns, n entries, may be NULL) gets results[i] for
 * jobs[i].  Returns PS_OK when all selected jobs succeeded; otherwise the
 * status of the first job (in jobs[] order) that failed by itself (else the
 * first skipped or canceled one) with *err naming it.  An unknown name is
 * PS_ECONFIG; a second concurrent call is PS_EBUSY.  Any thread but the
 * scheduler's own. */
ps_status sched_run_once(sched *s, const char *const *names, size_t n_names,
                         sched_result *results, ps_error *err);

/* ---- periodic mode (see DESIGN) ---- */

typedef struct sched_periodic {
  unsigned period_ms;    /* between two due times (a run may start later than due,
                          * when it waits for its dependencies) */
  unsigned first_due_ms; /* first run this long after the start */
} sched_periodic;

typedef struct sched_hooks {
  void *ud; /* passed to every hook; borrowed */
  /* Job j is due and its dependencies settled: true to run it now, false
   * to skip this period (no after_run then).  Optional. */
  bool (*before_run)(void *ud, size_t j);
  /* Job j ended (r->ran false: canceled or skipped before it started).
   * r is valid during the call only.  Optional. */
  void (*after_run)(void *ud, size_t j, const sched_result *r);
  /* Called every tick_ms while in periodic mode (first right at the start).
   * Optional. */
  void (*tick)(void *ud);
  unsigned tick_ms;
} sched_hooks;

/* Enter periodic mode: per[j] for jobs[j] (copied), hooks copied.  Returns
 * at once; PS_EBUSY when a cycle or periodic run is going on.  Any thread
 * but the scheduler's. */
ps_status sched_start_periodic(sched *s, const sched_periodic *per, const sched_hooks *hooks,
                               ps_error *err);
/* Stop starting runs and wait until no job is running (pending ones end
 * PS_ECANCELED without having run); then periodic mode is over.  deadline:
 * CLOCK_REALTIME, absolute, NULL = no limit.  false when it passed first:
 * call sched_cancel() and sched_drain() again to wait for the aborts.
 * Any thread but the scheduler's (one caller at a time). */
bool sched_drain(sched *s, const struct timespec *deadline);
/* Cancel job j's current run only (as sched_cancel does for all): it is
 * aborted, and its next period runs normally.  Any thread, hooks included. */
void sched_cancel_job(sched *s, size_t j);
/* The flag job j's callbacks poll: set by sched_cancel and
 * sched_cancel_job(j), cleared when the job's next periodic run is due.
 * Valid while s lives. */
const _Atomic bool *sched_job_cancel_flag(const sched *s, size_t j);

/* Cancel: see DESIGN.  Any thread; async-signal-safe in practice. */
void sched_cancel(sched *s);
/* The flag callbacks poll between batches (valid while s lives). */
const _Atomic bool *sched_cancel_flag(const sched *s);

/* The plan of a cycle of `names` (NULL = all) plus their dependencies, for
 * `pollster run --dry-run`: job indices in a valid topological order,
 * grouped in waves; wave w is order[wave_start[w] .. wave_start[w+1]) and
 * every job's dependencies are in earlier waves, so a wave can run in
 * parallel.  Needs no scheduler (validates like sched_create). */
typedef struct sched_plan {
  size_t n;           /* jobs in the plan */
  size_t *order;      /* n job indices; owned by the plan */
  size_t n_waves;
  size_t *wave_start; /* n_waves + 1 offsets into order; owned by the plan */
} sched_plan;
ps_status sched_plan_build(const job_desc *jobs, size_t n, const char *const *names,
                           size_t n_names, sched_plan *plan, ps_error *err);
/* Free the plan's arrays (not the struct).  NULL is fine. */
void sched_plan_free(sched_plan *plan);

#endif
