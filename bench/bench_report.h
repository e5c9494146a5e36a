/* bench_report: the results of a benchmark and their outputs — the terminal
 * table, results.csv, results.json, plot.svg (gnuplot), the target checks
 * and the recommended `engine:` settings as YAML. */
#ifndef POLLSTER_BENCH_REPORT_H
#define POLLSTER_BENCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "bench/bench_run.h"

typedef struct bench_result {
  bench_point p;
  bench_sample med; /* per-metric medians over the repeats */
  unsigned n_ok;    /* repeats that succeeded (0: the point failed) */
  char error[256];
} bench_result;

typedef struct bench_baseline_result {
  bench_sample med;
  unsigned n_ok;
  char error[256]; /* why it failed or could not run here */
} bench_baseline_result;

typedef struct bench_report {
  const char *table;        /* "instance", ..., or "all" */
  double scale;
  unsigned long long seed;
  unsigned cells;
  const char *dataset;      /* how the data came to be */
  long long data_bytes;     /* bytes the MB/s figures use */
  unsigned repeat;
  char machine[512];        /* CPU, cores, memory, kernel */
  char server[128];         /* server version, private or not */
  char load[256];           /* load average before and after */
  char started[32];         /* UTC */
  char command[1024];
  bench_result *points;     /* owned by whoever built the report */
  size_t n_points;
  bench_baseline_result baselines[BENCH_BL__COUNT];
} bench_report;

/* Every function below borrows r and its strings; paths are borrowed.
 * Median of n values (n >= 1); sorts v in place. */
double bench_median(double *v, size_t n);

void bench_report_print(FILE *out, const bench_report *r);
ps_status bench_report_csv(const bench_report *r, const char *path, ps_error *err);
ps_status bench_report_json(const bench_report *r, const char *path, ps_error *err);
/* Writes plot.dat and plot.gp into dir and runs gnuplot for plot.svg.
 * PS_EIO when gnuplot is missing or fails (the data files are still there). */
ps_status bench_report_plot(const bench_report *r, const char *dir, ps_error *err);
/* Target checks (issue 8's targets) and the YAML recommendation; returns
 * the index of the recommended point or -1 when none succeeded. */
long bench_report_targets(FILE *out, const bench_report *r);
long bench_report_recommend(FILE *out, const bench_report *r);

#endif
