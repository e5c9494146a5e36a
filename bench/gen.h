/* gen: pollster-gen's internal contract, shared by bench/gen_*.c.
 *
 * The generator first builds a small in-memory model (counts, a Zipf table
 * of project weights, the allocation-request plan), then every table is a
 * pure function of (seed, model, row index): ids are hashes of the index, so
 * a table in one database can name rows of another without either being
 * stored, and tables can be loaded by any thread in any order with the same
 * result.  Nothing here is shared mutable state: the model is written before
 * the loader threads start and only read afterwards. */
#ifndef POLLSTER_GEN_H
#define POLLSTER_GEN_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "engine/status.h"

/* ---- deterministic randomness (splitmix64; never rand()) ---- */

static inline uint64_t gen_mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* A stable 64-bit hash of (seed, kind, index): the identity of row `index`
 * of entity `kind`. */
static inline uint64_t gen_hash(uint64_t seed, uint64_t kind, uint64_t index) {
  return gen_mix(gen_mix(seed ^ (kind * 0x2545f4914f6cdd1dULL)) ^ index);
}

typedef struct gen_rng {
  uint64_t s;
} gen_rng;

static inline void rng_init(gen_rng *r, uint64_t seed, uint64_t kind, uint64_t index) {
  r->s = gen_hash(seed, kind, index);
}
static inline uint64_t rng_next(gen_rng *r) {
  r->s += 0x9e3779b97f4a7c15ULL;
  uint64_t z = r->s;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
/* Uniform in [0, n); n > 0. */
static inline uint64_t rng_below(gen_rng *r, uint64_t n) { return rng_next(r) % n; }
/* Uniform in [0, 1). */
static inline double rng_unit(gen_rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
static inline bool rng_chance(gen_rng *r, double p) { return rng_unit(r) < p; }

/* Entity kinds for gen_hash (part of the output: never renumber). */
enum {
  K_PROJECT = 1, K_USER, K_GROUP, K_INSTANCE, K_VOLUME, K_ATTACH, K_IMAGE, K_NODE,
  K_FLAVOR, K_AGG, K_ALLOC, K_SHIB, K_ASSIGN, K_QUOTA, K_CQUOTA, K_LEGACY, K_PLAN,
  K_UPDATE, K_TYPE,
};

/* ---- the model ---- */

typedef struct gen_alloc {
  int32_t id;         /* dashboard row id (1-based) */
  int32_t parent;     /* parent_request_id, 0 = live record */
  int32_t project;    /* project index, -1 = '' , -2 = NULL */
  char status;
  int64_t modified_us; /* modified_time, microseconds since the epoch */
} gen_alloc;

typedef struct gen_model {
  uint64_t seed;
  double scale;
  unsigned cells;
  bool legacy_glance;
  bool infile; /* load with LOAD DATA LOCAL INFILE (server allows it) */
  time_t now; /* the reference "now" (2026-11-01 UTC) */

  int64_t n_projects, n_domains, n_users, n_assign, n_nodes, n_flavors, n_aggs;
  int64_t n_instances, n_volumes, n_images, n_allocs;

  /* Cumulative weights over projects (Zipf-like), for owners of resources. */
  double *proj_cdf;
  /* keystone project.extra allocation_id per project: 0 = none. */
  int32_t *proj_alloc;
  gen_alloc *allocs; /* n_allocs rows in id order */
} gen_model;

/* Build / free the model.  gen_model_free accepts NULL members. */
ps_status gen_model_init(gen_model *M, uint64_t seed, double scale, unsigned cells,
                         bool legacy_glance, ps_error *err);
void gen_model_free(gen_model *M);

/* Derived identities (out must hold 33 / 37 / 65 bytes). */
void gen_project_id(const gen_model *M, int64_t p, char out[33]);
void gen_user_id(const gen_model *M, int64_t u, char out[65]);
void gen_uuid(uint64_t h, char out[37]);
void gen_instance_uuid(const gen_model *M, unsigned cell, int64_t id, char out[37]);
/* Instances per cell (cells numbered from 1). */
int64_t gen_cell_instances(const gen_model *M, unsigned cell);
/* A project index drawn from the skewed owner distribution. */
int64_t gen_pick_project(const gen_model *M, gen_rng *r);
/* A creation time over the ten years before `now`, biased to recent. */
time_t gen_created_time(const gen_model *M, gen_rng *r);
/* The cell (1-based) a compute node lives in, and its host name. */
unsigned gen_node_cell(const gen_model *M, int64_t g);
/* Display names: ASCII, 3-byte UTF-8, very long, empty or NULL (returns NULL). */
const char *gen_name(gen_rng *r, char *buf, size_t cap, const char *stem, int64_t n);
extern const char *const gen_az_names[];
extern const size_t gen_az_count;

/* ---- batched multi-row INSERT ---- */

/* One INSERT statement under construction.  Values are appended row by row;
 * the statement is sent when it passes ~2 MB.  Errors are sticky: the first
 * failure is kept in *err and later calls do nothing. */
typedef struct gen_ins {
  MYSQL *m;          /* borrowed */
  ps_error *err;     /* borrowed */
  ps_status st;
  char *buf;
  size_t len, cap, head_len;
  bool row_open, first_val;
  bool infile;       /* LOAD DATA text instead of VALUES tuples */
  char *load_sql;    /* the LOAD DATA statement (owned) */
  int64_t rows;      /* rows sent (affected) */
  const char *what;  /* borrowed: table name for messages */
} gen_ins;

/* head is "INSERT [IGNORE] INTO t (a,b) VALUES " (copied).  With M->infile
 * the rows are streamed as LOAD DATA LOCAL INFILE text instead (the same
 * table, columns and IGNORE), which the server parses about twice as fast. */
ps_status ins_open(const gen_model *M, gen_ins *w, MYSQL *m, const char *what, const char *head,
                   ps_error *err);
void ins_row(gen_ins *w);
void ins_str(gen_ins *w, const char *s);          /* NULL -> NULL */
void ins_strn(gen_ins *w, const char *s, size_t n);
void ins_null(gen_ins *w);
void ins_int(gen_ins *w, int64_t v);
void ins_dbl(gen_ins *w, double v);
void ins_dt(gen_ins *w, time_t t);                /* datetime; t < 0 -> NULL */
void ins_date(gen_ins *w, time_t t);
void ins_dt6(gen_ins *w, int64_t us);            /* datetime(6) */
ps_status ins_end_row(gen_ins *w);
/* Send what is left and free the buffer; returns the sticky status. */
ps_status ins_close(gen_ins *w);

/* ---- pickles ---- */

typedef struct gen_kv {
  const char *key, *value; /* UTF-8 */
} gen_kv;
/* Write what CPython 2.7 pickle.dumps(dict, protocol) writes for a dict of
 * n items in the given order; `unicode` selects unicode objects (V / X
 * opcodes) over byte strings (S / U / T).  protocol is 0 or 2.  Returns the
 * length written; out must hold gen_pickle_bound(items, n) bytes. */
size_t gen_pickle(const gen_kv *items, size_t n, int protocol, bool unicode, char *out);
size_t gen_pickle_bound(const gen_kv *items, size_t n);

/* ---- deferred secondary keys ---- */
typedef struct gen_keys {
  char **add_sql; /* one ALTER TABLE ... ADD KEY per table (owned) */
  size_t n;
} gen_keys;
/* Drop the secondary keys of every table of `db` that no foreign key
 * touches, remembering how to re-add them. */
ps_status gen_keys_defer(MYSQL *m, const char *db, gen_keys *k, ps_error *err);
ps_status gen_keys_restore(MYSQL *m, gen_keys *k, ps_error *err);
void gen_keys_free(gen_keys *k); /* accepts NULL */

/* ---- the embedded DDL (generated file) ---- */
/* The text of tests/fixtures/sources/<name>.sql, or NULL. */
const char *gen_ddl(const char *name);

/* ---- table writers, one per source database ---- */
/* Each writes every table of one database through `m` (already USE-d).
 * counts: the summary, "table rows" lines appended (caller owns). */
typedef struct gen_counts {
  char text[4096];
  size_t len;
} gen_counts;
void gen_count(gen_counts *c, const char *db, const char *table, int64_t rows);

ps_status gen_keystone(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err);
ps_status gen_rcshibboleth(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err);
ps_status gen_nova_api(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err);
ps_status gen_nova_cell(const gen_model *M, unsigned cell, MYSQL *m, gen_counts *c,
                        ps_error *err);
ps_status gen_cinder(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err);
ps_status gen_glance(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err);
ps_status gen_dashboard(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err);

/* Row writers reused by the incremental update: one row each, ids given. */
void gen_instance_row(const gen_model *M, gen_ins *w, unsigned cell, int64_t id, time_t fresh);
void gen_volume_row(const gen_model *M, gen_ins *w, int64_t i, time_t fresh);
void gen_image_row(const gen_model *M, gen_ins *w, int64_t i, time_t fresh);
void gen_alloc_row(const gen_model *M, gen_ins *w, const gen_alloc *a);
extern const char gen_instance_cols[], gen_volume_cols[], gen_image_cols[],
    gen_image_cols_newton[], gen_alloc_cols[];

/* --update-fraction: modify the data in database `db` (kind: "nova_cell",
 * "cinder", "glance", "dashboard"). */
ps_status gen_update(const gen_model *M, const char *kind, unsigned cell, MYSQL *m,
                     double fraction, time_t now, gen_counts *c, ps_error *err);

#endif
