/* metrics: the daemon's per-job figures as a Prometheus text-format file for
 * node_exporter's textfile collector.  The file is rewritten whole (a temp
 * file in the same directory, then rename), so the collector never reads a
 * half-written file.  No state: the caller owns the figures. */
#ifndef POLLSTER_METRICS_H
#define POLLSTER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/status.h"

typedef struct metrics_job {
  const char *job;             /* label value (a job name: [a-z_]); borrowed */
  double last_success;         /* epoch seconds of the last success's end; 0 = never */
  double last_duration;        /* seconds, last run (success or not) */
  uint64_t last_rows;          /* rows written by the last run */
  uint64_t runs, failures;     /* counters since the daemon started */
} metrics_job;

/* Write jobs[0..n) to `path` atomically. */
ps_status metrics_write(const char *path, const metrics_job *jobs, size_t n, ps_error *err);

#endif
