/* entity: what an entity file (hypervisor.c, instance.c, ...) provides to the
 * runner, and the runner's helpers it may call (ex__ prefix: shared across
 * the extractors/ files, not part of the public API).
 *
 * Rules for entity code:
 * - every source read goes through ex__query / ex__stream, so dry-run and
 *   connection handling stay in one place;
 * - a unit gets its two connections from ex__unit_begin and gives them back
 *   with ex__unit_end in the same function;
 * - the entity's lookups (j->state) are built in prepare and only read by
 *   units (which may run concurrently); cleanup frees them. */
#ifndef POLLSTER_ENTITY_H
#define POLLSTER_ENTITY_H

#include <mysql.h>
#include <string.h>
#include <stdatomic.h>

#include "extractors/extractor.h"
#include "loaders/loader.h"

#define EX_MAX_COLS 24
#define EX_MAX_TABLES 2

/* One column of a reporting table as the entity writes it. */
typedef struct ex_col {
  const char *name;
  loader_kind kind;
  unsigned max_chars; /* LOADER_STR: the column's length in characters; 0 = unbounded */
  bool key;           /* part of the primary key */
} ex_col;

typedef struct ex_table {
  const char *name;
  const ex_col *cols;
  size_t n_cols;
} ex_table;

enum {
  EX_INCREMENTAL = 1u << 0, /* may run in incremental mode */
  EX_HISTORY = 1u << 1,     /* history-keeping (active / last_seen / deleted) */
};

typedef struct ex_job ex_job;

struct extractor {
  const char *name;
  const ex_table *tables[EX_MAX_TABLES + 1]; /* NULL-terminated; [0] is the job's own */
  const char *deps[4];                       /* NULL-terminated */
  cfg_source_id needs[SRC__COUNT + 1];       /* terminated by SRC__COUNT */
  unsigned flags;
  /* Build lookups (j->state) and say how many units (default 1). Optional. */
  ps_status (*prepare)(ex_job *j, size_t *n_units, ps_error *err);
  /* Stream unit `unit` into the staging table(s). */
  ps_status (*unit)(ex_job *j, size_t unit, ps_error *err);
  /* Incremental only: called inside the publishing transaction, before the
   * delta is upserted (e.g. to remove rows the delta supersedes).  Optional. */
  ps_status (*before_upsert)(ex_job *j, MYSQL *target, ps_error *err);
  /* Free j->state.  Optional; called after finish or abort. */
  void (*cleanup)(ex_job *j);
};

typedef struct ex_out ex_out;

struct ex_job {
  const extractor *ex;
  ex_run *run;
  const config *cfg;
  const cfg_job *job_cfg;
  bool incremental;        /* this attempt */
  bool dry_run;
  char since[20];          /* incremental: 'YYYY-MM-DD HH:MM:SS' UTC */
  char started[20];        /* refresh start, UTC */
  int64_t started_epoch;   /* same, seconds since the epoch */
  void *state;             /* the entity's lookups */
  const _Atomic bool *cancel;
  /* Counters of the current attempt. */
  _Atomic uint64_t rows_read, rows_skipped, rows_fixed, warnings;
  _Atomic uint64_t rows_written[EX_MAX_TABLES];
  _Atomic uint64_t logged; /* row-level log lines so far (capped) */
};

/* Schema of a source (idx: nova cell index, else 0) as a plain identifier. */
const char *ex__schema(const ex_job *j, cfg_source_id src, size_t idx);
size_t ex__cells(const ex_job *j);
const char *ex__cell_name(const ex_job *j, size_t idx);
/* The target (reporting) schema and the state schema. */
const char *ex__target_schema(const ex_job *j);

/* Called for each row of a streamed query; a non-OK status stops the query. */
typedef ps_status (*ex_row_fn)(void *ud, MYSQL_ROW row, const unsigned long *len,
                               ps_error *err);

/* Borrow a source connection, stream `sql` through fn, give it back.  For
 * lookups in prepare.  In dry-run only prints `sql`. */
ps_status ex__query(ex_job *j, cfg_source_id src, size_t idx, const char *label,
                    const char *sql, ex_row_fn fn, void *ud, ps_error *err);
/* Same on the target server (reads of reporting tables). */
ps_status ex__query_target(ex_job *j, const char *label, const char *sql, ex_row_fn fn,
                           void *ud, ps_error *err);

/* A unit's connections: source (READ ONLY) and target, taken together so that
 * units sharing one pool cannot deadlock holding one each.  In dry-run both
 * are NULL and the call succeeds. */
ps_status ex__unit_begin(ex_job *j, cfg_source_id src, size_t idx, MYSQL **source,
                         MYSQL **target, ps_error *err);
void ex__unit_end(ex_job *j, cfg_source_id src, size_t idx, MYSQL *source, MYSQL *target,
                  bool broken);
/* Stream sql on a held source connection (unbuffered: rows are not kept). */
ps_status ex__stream(ex_job *j, MYSQL *source, const char *label, const char *sql,
                     ex_row_fn fn, void *ud, ps_error *err);

/* The usual unit: borrow the pair, open a writer on table `t`, stream `sql`
 * from source (src, idx) through fn (which gets the writer in its ud via
 * ex_copy_ctx), close, give the pair back.  fn NULL copies each row's
 * columns to the table's columns in order. */
typedef struct ex_copy_ctx {
  ex_job *j;
  ex_out *out;
  size_t idx;  /* source index (nova cell) */
  void *ud;    /* the entity's own */
  /* Set by fn when rows are held back (grouping): called once after the
   * last row, before the writer is flushed. */
  ps_status (*at_end)(struct ex_copy_ctx *c, ps_error *err);
} ex_copy_ctx;
ps_status ex__copy(ex_job *j, cfg_source_id src, size_t idx, size_t t, const char *label,
                   const char *sql, ex_row_fn fn, void *ud, ps_error *err);
/* A target connection alone (units that read nothing from the sources). */
ps_status ex__target_begin(ex_job *j, MYSQL **target, ps_error *err);
void ex__target_end(ex_job *j, MYSQL *target, bool broken);

/* A writer into table `t` (index into ex->tables) of this job, on the unit's
 * target connection (borrowed).  NULL target (dry-run) gives a writer that
 * counts and drops rows. */
ex_out *ex__out_open(ex_job *j, size_t t, MYSQL *target, ps_error *err);
/* Apply the bad-data rules to one row (values indexed like the table's
 * columns; strings may be rewritten in place within their length) and load
 * it: invalid UTF-8 -> NULL, over-long string -> cut at max_chars characters,
 * zero date -> NULL, NULL key -> row skipped; each counted and logged with
 * the row's key. */
ps_status ex__out_row(ex_out *o, loader_value *vals, ps_error *err);
/* Flush and free (ok=false: discard).  Accepts NULL. */
ps_status ex__out_close(ex_out *o, bool ok, ps_error *err);

/* Count and log a data problem of one row (the caller names the key). */
void ex__warn_row(ex_job *j, const char *what, const char *key);

/* Helpers for transforms. */
static inline loader_value ex__val(const char *s, unsigned long len) {
  loader_value v = {s, s ? (size_t)len : 0};
  return v;
}
static inline loader_value ex__null(void) {
  loader_value v = {NULL, 0};
  return v;
}
static inline loader_value ex__lit(const char *s) {
  loader_value v = {s, strlen(s)};
  return v;
}
/* The part of a host name up to its first '.' (borrowed; len in *out_len). */
static inline size_t ex__short_host_len(const char *h, size_t len) {
  const char *dot = memchr(h, '.', len);
  return dot ? (size_t)(dot - h) : len;
}

#endif
