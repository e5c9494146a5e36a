/* bench_run: one measurement — a grid point (a real `pollster run` as a
 * child process) or a server-side baseline — on one server and layout.
 *
 * Single-threaded: pollster-bench measures one thing at a time, so the
 * figures are not disturbed by the harness itself. */
#ifndef POLLSTER_BENCH_RUN_H
#define POLLSTER_BENCH_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/bench_data.h"
#include "bench/bench_server.h"

#define BENCH_MAX_TABLES 32

typedef struct bench_ctx {
  const bench_server *server;  /* borrowed */
  const bench_layout *layout;  /* borrowed */
  const char *pollster;        /* path of the pollster binary (borrowed) */
  const char *out_dir;         /* logs and generated configs (borrowed) */
  const char *table;           /* a table name, or NULL for all tables */
  /* Filled by bench_ctx_init: the reporting tables measured (those of the
   * enabled jobs) and the data bytes they hold. */
  const char *tables[BENCH_MAX_TABLES];
  size_t n_tables;
  int64_t data_bytes;          /* SUM(data_length) after ANALYZE TABLE; 0 until known */
} bench_ctx;

typedef struct bench_point {
  unsigned workers;
  size_t batch_rows;
  size_t batch_bytes;
  bool load_data;  /* load_method: load_data, else insert */
  bool deferred;   /* deferred_indexes */
} bench_point;

typedef struct bench_sample {
  double wall_s;       /* parent's monotonic clock around fork..wait4 */
  double cpu_client_s; /* child's utime+stime (wait4 rusage) */
  double cpu_server_s; /* server's utime+stime delta from /proc; <0 unknown */
  double rss_mib;      /* child's ru_maxrss; 0 for baselines */
  int64_t rows;        /* rows in the measured tables afterwards */
} bench_sample;

/* ctx is borrowed by every call below; out is the caller's.
 * Which tables a run measures (the catalogue, filtered by ctx->table). */
ps_status bench_ctx_init(bench_ctx *ctx, ps_error *err);

/* One `pollster run --force-update` with the point's engine settings.
 * tag names the config/log files in out_dir. */
ps_status bench_run_point(bench_ctx *ctx, const bench_point *p, const char *tag,
                          bench_sample *out, ps_error *err);

/* After a run: ANALYZE the measured tables and remember their data bytes. */
ps_status bench_measure_bytes(bench_ctx *ctx, ps_error *err);

typedef enum bench_baseline_kind {
  BENCH_BL_INSERT_SELECT,   /* INSERT INTO fresh SELECT ..., all keys present */
  BENCH_BL_DEFERRED,        /* primary key only, then one ALTER TABLE ADD KEY ... */
  BENCH_BL_LOAD_DATA,       /* LOAD DATA INFILE of a server-side file + ALTER ADD KEY */
  BENCH_BL__COUNT
} bench_baseline_kind;

const char *bench_baseline_name(bench_baseline_kind k);

/* One baseline over every measured table (times summed).  PS_EUSAGE with a
 * reason when it cannot run here (sources elsewhere, no secure_file_priv). */
ps_status bench_run_baseline(bench_ctx *ctx, bench_baseline_kind k, bench_sample *out,
                             ps_error *err);

#endif
