#include "engine/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum mfield { F_SUCCESS, F_DURATION, F_ROWS, F_RUNS, F_FAILURES } mfield;

static const struct {
  const char *name, *type, *help;
} fields[] = {
    [F_SUCCESS] = {"pollster_job_last_success_timestamp_seconds", "gauge",
                   "End of the job's last successful run, seconds since the epoch."},
    [F_DURATION] = {"pollster_job_last_duration_seconds", "gauge",
                    "Duration of the job's last run."},
    [F_ROWS] = {"pollster_job_last_rows", "gauge", "Rows written by the job's last run."},
    [F_RUNS] = {"pollster_job_runs_total", "counter", "Runs of the job by this daemon."},
    [F_FAILURES] = {"pollster_job_failures_total", "counter",
                    "Failed runs of the job by this daemon."},
};

static void put_value(FILE *f, mfield k, const metrics_job *j) {
  switch (k) {
  case F_SUCCESS: fprintf(f, "%.3f", j->last_success); break;
  case F_DURATION: fprintf(f, "%.3f", j->last_duration); break;
  case F_ROWS: fprintf(f, "%llu", (unsigned long long)j->last_rows); break;
  case F_RUNS: fprintf(f, "%llu", (unsigned long long)j->runs); break;
  case F_FAILURES: fprintf(f, "%llu", (unsigned long long)j->failures); break;
  }
}

ps_status metrics_write(const char *path, const metrics_job *jobs, size_t n, ps_error *err) {
  ps_status st = PS_OK;
  size_t len = strlen(path) + 32;
  char *tmp = malloc(len);
  FILE *f = NULL;
  if (!tmp)
    return ERROR_SET(err, PS_ENOMEM, "metrics");
  /* Same directory, so the rename is atomic; a name the collector ignores
   * (it reads *.prom only). */
  snprintf(tmp, len, "%s.%ld.tmp", path, (long)getpid());
  if (!(f = fopen(tmp, "w"))) {
    st = ERROR_SET(err, PS_EIO, "metrics: cannot create %s: %m", tmp);
    goto out;
  }
  for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fields[k].name, fields[k].help, fields[k].name,
            fields[k].type);
    for (size_t i = 0; i < n; i++) {
      fprintf(f, "%s{job=\"%s\"} ", fields[k].name, jobs[i].job);
      put_value(f, (mfield)k, &jobs[i]);
      fputc('\n', f);
    }
  }
  if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
    st = ERROR_SET(err, PS_EIO, "metrics: writing %s: %m", tmp);
    goto out;
  }
  int rc = fclose(f);
  f = NULL;
  if (rc != 0) {
    st = ERROR_SET(err, PS_EIO, "metrics: writing %s: %m", tmp);
    goto out;
  }
  if (rename(tmp, path) != 0)
    st = ERROR_SET(err, PS_EIO, "metrics: renaming %s to %s: %m", tmp, path);
out:
  if (f)
    fclose(f);
  if (st != PS_OK)
    unlink(tmp);
  free(tmp);
  return st;
}
