/* extractor: the job catalogue (one entity per reporting table, or two when
 * a derived table is published with its parent) and the run context that
 * turns it into scheduler jobs (engine/job.h).
 *
 * DESIGN: one table-driven runner (runner.c) implements prepare / units /
 * finish / abort for every entity; an entity file only says where its rows
 * come from and how they are transformed (entity.h).  Per job:
 *   prepare  (one worker)  leftovers cleaned, mode chosen (full/incremental),
 *                          staging created, the entity's lookups built
 *   units    (parallel)    each streams one source (e.g. one nova cell) into
 *                          the staging table through its own loader
 *   finish   (one worker)  history merge, deferred keys, one RENAME swap and
 *                          metadata -- or, incremental, one upsert transaction
 *   abort                  staging dropped, live tables untouched
 * Lookups are written only in prepare and read-only afterwards, so units
 * share them without locks; counters are _Atomic. */
#ifndef POLLSTER_EXTRACTOR_H
#define POLLSTER_EXTRACTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/config.h"
#include "engine/job.h"
#include "engine/pool.h"
#include "engine/status.h"
#include "schema/schema.h"

typedef struct extractor extractor;

/* Catalogue. */
size_t ex_catalog_count(void);
const extractor *ex_catalog_get(size_t i);
const extractor *ex_catalog_find(const char *job_name);
const char *ex_name(const extractor *ex);
/* Tables a job publishes, and its dependencies (NULL-terminated). */
size_t ex_table_count(const extractor *ex);
const char *ex_table_name(const extractor *ex, size_t i);
const char *const *ex_deps(const extractor *ex);
bool ex_incremental_ok(const extractor *ex);
bool ex_history_keeping(const extractor *ex);
/* The job that publishes `table` ("aggregate_host" -> "aggregate"), or NULL. */
const extractor *ex_catalog_for_table(const char *table);
/* What config_load needs to know of the catalogue (static storage, refilled
 * on each call: call from the main thread only). */
const config_job_spec *ex_config_specs(size_t *n);

typedef enum ex_since {
  EX_SINCE_CONFIG = 0,   /* per job mode: metadata.last_update - window */
  EX_SINCE_FORCE_FULL,   /* --force-update */
  EX_SINCE_LAST_DAY,     /* --last-day */
  EX_SINCE_LAST_WEEK,    /* --last-week */
  EX_SINCE_LAST_MONTH,   /* --last-month */
  EX_SINCE_DATE,         /* --last-updated YYYYMMDD */
} ex_since;

typedef struct ex_options {
  ex_since since;
  char since_date[20];     /* EX_SINCE_DATE: 'YYYY-MM-DD 00:00:00' */
  bool dry_run;            /* print the SQL, touch nothing */
  FILE *plan_out;          /* dry-run output (borrowed) */
} ex_options;

typedef struct ex_run ex_run;

/* A run context over `cfg` (borrowed), `pl` (borrowed; NULL in dry-run) and
 * `schema` (borrowed).  All must outlive the run. */
ex_run *ex_run_create(const config *cfg, pools *pl, const schema_def *schema,
                      const ex_options *opts, ps_error *err);
void ex_run_destroy(ex_run *r); /* accepts NULL */

/* Scheduler jobs for every enabled entity (array owned by the run). */
const job_desc *ex_run_jobs(ex_run *r, size_t *n);
/* Where callbacks look for cancellation (the scheduler's flag; borrowed). */
void ex_run_set_cancel(ex_run *r, const _Atomic bool *cancel);
/* Job i's own cancel flag (the daemon: sched_job_cancel_flag, so one job can
 * be canceled alone); NULL goes back to the run's flag.  Call while job i
 * is not running. */
void ex_run_set_job_cancel(ex_run *r, size_t i, const _Atomic bool *cancel);
/* The daemon's full_every: job i's next runs are full refreshes even in
 * incremental mode (until set back to false).  Call while job i is not
 * running (e.g. from the scheduler's before_run hook). */
void ex_run_set_force_full(ex_run *r, size_t i, bool full);

typedef struct ex_table_stats {
  const char *table;
  uint64_t rows;            /* rows written to the table in the last attempt */
} ex_table_stats;

typedef struct ex_job_stats {
  const char *job;
  const char *mode;         /* "full", "incremental", "history" or "-" (not run) */
  uint64_t rows_read;       /* source rows streamed */
  uint64_t rows_written;    /* rows loaded, all tables */
  uint64_t rows_skipped;    /* rows dropped (NULL key) */
  uint64_t rows_fixed;      /* values fixed up (cut, invalid UTF-8, bad date, unreadable pickle) */
  uint64_t warnings;
  ex_table_stats tables[4];
  size_t n_tables;
} ex_job_stats;

/* Stats of job i (index in ex_run_jobs); safe to call while the job runs
 * (values read atomically, e.g. for a progress line). */
void ex_run_stats(ex_run *r, size_t i, ex_job_stats *out);

#endif
