/* history: pollster's bookkeeping tables in the state schema (never in the
 * reporting schema, which holds only the contract's tables):
 *   job_lease (job, owner, expires)   who may run a job right now
 *   job_run   (job, mode, started, finished, status, rows, warnings,
 *              error, daemon)         one row per run of a daemon's job
 *
 * Leases are plain conditional row updates, so they work unchanged on a
 * Galera cluster: the row is inserted once (INSERT IGNORE), then taken with
 *   UPDATE job_lease SET owner = me, expires = NOW() + ttl
 *    WHERE job = J AND (owner = me OR expires < NOW())
 * and the affected-row count says who won.  A deadlock or certification
 * failure (1213) or a lock wait timeout means another daemon won the race:
 * not an error.  The server's clock is the only clock, so daemons on hosts
 * with skewed clocks still agree.
 *
 * Threading: no state; a connection is used by one thread at a time (the
 * caller's). */
#ifndef POLLSTER_HISTORY_H
#define POLLSTER_HISTORY_H

#include <mysql.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "engine/config.h"
#include "engine/status.h"

/* CREATE TABLE IF NOT EXISTS both tables in `state_schema` (which must exist). */
ps_status history_init(MYSQL *m, const char *state_schema, ps_error *err);

/* Take (or extend, when already ours) job's lease for ttl_s seconds.
 * *won = false when another owner holds an unexpired lease or won the race.
 * All strings borrowed. */
ps_status lease_acquire(MYSQL *m, const char *state_schema, const char *job, const char *owner,
                        unsigned ttl_s, bool *won, ps_error *err);
/* Extend a held lease; *held = false when it is no longer ours (expired and
 * taken over). */
ps_status lease_renew(MYSQL *m, const char *state_schema, const char *job, const char *owner,
                      unsigned ttl_s, bool *held, ps_error *err);
/* Give the lease up (it expires now) if it is ours. */
ps_status lease_release(MYSQL *m, const char *state_schema, const char *job, const char *owner,
                        ps_error *err);

typedef struct history_run {
  const char *job, *mode;       /* borrowed */
  struct timespec started, finished; /* CLOCK_REALTIME */
  const char *status;           /* "ok" or a status name; borrowed */
  uint64_t rows, warnings;
  const char *error;            /* NULL when ok; borrowed */
  const char *daemon;           /* daemon id; borrowed */
} history_run;

/* Append one row to job_run. */
ps_status history_record(MYSQL *m, const char *state_schema, const history_run *run,
                         ps_error *err);

/* Epoch seconds of the start of job's last successful full (non-incremental)
 * run, or 0 when none. */
ps_status history_last_full(MYSQL *m, const char *state_schema, const char *job, int64_t *epoch,
                            ps_error *err);

/* `pollster status`: per enabled job of cfg, the last success, the last
 * failure with its error, the next due time (last start + period) and the
 * average duration of the successful runs, printed to out. */
ps_status history_report(MYSQL *m, const config *cfg, FILE *out, ps_error *err);

#endif
