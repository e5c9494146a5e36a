/* bench_data: the dataset a benchmark runs on, and where it lives.
 *
 * A layout names the schemas (nova cells, target, the bench's own scratch
 * schema) and carries the YAML text of the servers/sources/target sections
 * every generated pollster config starts with.  bench_data_ensure generates
 * the source data at --scale/--seed, or reuses it when a marker row records
 * the same scale, seed and cells and the instance count still matches. */
#ifndef POLLSTER_BENCH_DATA_H
#define POLLSTER_BENCH_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/bench_server.h"
#include "engine/config.h"

#define BENCH_MAX_CELLS 64

typedef struct bench_layout {
  char *prefix;                       /* schema prefix ("" with -c) */
  char *cells[BENCH_MAX_CELLS];       /* nova schemas */
  unsigned n_cells;
  char *target;                       /* reporting schema */
  char *scratch;                      /* schema for baselines and the marker */
  bool sources_local;                 /* nova sources on the measured server */
  char *yaml_base;                    /* servers/sources/target sections */
} bench_layout;

/* Layout for a server the bench owns or was pointed at: schemas
 * <prefix>_nova_cell1.., <prefix>_reporting, <prefix>_pollster_bench, and a
 * config whose password comes from the environment variable
 * POLLSTER_BENCH_PASSWORD (the bench sets it for its children). */
bench_layout *bench_layout_private(const bench_server *s, const char *prefix, unsigned cells);
/* (both constructors: a new layout the caller owns, bench_layout_free; NULL
 * on failure) */
/* Layout from an operator's config (borrowed): the config text minus its
 * `engine:` and `jobs:` sections, the config's schemas. */
bench_layout *bench_layout_config(const config *cfg, const char *path, ps_error *err);
void bench_layout_free(bench_layout *l); /* accepts NULL */

typedef struct bench_data_opts {
  double scale;       /* 1.0 = 1,000,000 instances */
  uint64_t seed;
  bool needs_gen;     /* more than nova instances is needed (a table other than instance) */
  const char *gen;    /* pollster-gen binary, NULL when absent */
  bool generate;      /* false with -c: never write to the operator's sources */
} bench_data_opts;

/* Make sure the data is there.  *how says what happened ("reused",
 * "pollster-gen", "built-in instance generator"); static string. */
ps_status bench_data_ensure(const bench_server *s, const bench_layout *l,
                            const bench_data_opts *o, const char **how, ps_error *err);

#endif
