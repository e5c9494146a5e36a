/* job: what the scheduler runs.  A job is one refresh of one reporting
 * entity; it runs as  prepare -> N units (in parallel on the workers) ->
 * finish, or abort when anything failed.  The scheduler knows nothing of
 * tables or SQL: extractors/ fill in the callbacks.
 *
 * Threading: prepare, finish and abort of one job run on some worker, never
 * concurrently with each other or with its units; run_unit may run
 * concurrently for different units of the same job, so state shared between
 * units must be atomic or locked by the job itself.  A callback must return
 * (never exit()) and should check `cancel` between batches. */
#ifndef POLLSTER_JOB_H
#define POLLSTER_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/status.h"

typedef struct job_ops {
  /* Decide how many units the job splits into (>= 1); create staging etc. */
  ps_status (*prepare)(void *arg, size_t *n_units, ps_error *err);
  /* Do unit `unit` (0 .. n_units-1). */
  ps_status (*run_unit)(void *arg, size_t unit, ps_error *err);
  /* All units succeeded: publish (swap, metadata). */
  ps_status (*finish)(void *arg, ps_error *err);
  /* Something failed or the run was canceled: undo (drop staging).  May be
   * NULL.  Called at most once per attempt, after every started callback
   * of that attempt has returned. */
  void (*abort)(void *arg);
} job_ops;

typedef struct job_desc {
  const char *name;          /* unique in one scheduler; borrowed */
  const char *const *deps;   /* NULL-terminated names of jobs it needs; borrowed; may be NULL */
  const job_ops *ops;        /* borrowed */
  void *arg;                 /* passed to every callback; owned by the caller */
} job_desc;

#endif
