/* loader: streams rows into one table through one target connection, in
 * batched multi-row INSERTs (or LOAD DATA LOCAL INFILE), optionally as an
 * upsert (INSERT ... ON DUPLICATE KEY UPDATE).
 *
 * DESIGN: the producer (the extracting worker thread) calls loader_add_row;
 * rows are encoded straight into the current batch buffer.  A full batch
 * (batch_rows rows, or batch_bytes bytes, or what max_allowed_packet allows,
 * whichever comes first) is handed to the loader's own sender thread through
 * a two-slot buffer, so the next batch is encoded while the previous one is
 * on the wire: memory is bounded by two batches whatever the table size.
 * loader_finish flushes and joins the sender; the first error of the sender
 * is returned by the next loader_add_row/loader_finish call.  One loader is
 * used by one producer thread.  The connection is borrowed and must not be
 * used by anyone else until loader_finish/loader_free returns.
 *
 * The loader never commits: a caller that wants all-or-nothing visibility
 * (incremental upserts) runs START TRANSACTION on the connection before
 * loader_open and COMMIT (or ROLLBACK) after loader_finish.  LOAD DATA
 * LOCAL needs local_infile=ON on the server; a warning or skipped line in
 * a LOAD DATA batch is an error (PS_EDATA), never a silent truncation. */
#ifndef POLLSTER_LOADER_H
#define POLLSTER_LOADER_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/config.h"
#include "engine/status.h"

typedef enum loader_kind {
  LOADER_INT,      /* decimal integer text, written unquoted */
  LOADER_STR,      /* any bytes, written quoted and escaped */
  LOADER_DATETIME, /* 'YYYY-MM-DD[ HH:MM:SS]' text, written quoted */
} loader_kind;

typedef struct loader_column {
  const char *name;   /* column name (plain identifier); borrowed */
  loader_kind kind;
  bool key;           /* part of the primary key (named in errors, kept on upsert) */
} loader_column;

/* One value: str == NULL means SQL NULL.  Borrowed for the call only. */
typedef struct loader_value {
  const char *str;
  size_t len;
} loader_value;

typedef struct loader_opts {
  size_t batch_rows;           /* >= 1 */
  size_t batch_bytes;          /* >= 1 */
  cfg_load_method method;      /* insert or load_data */
  bool upsert;                 /* ON DUPLICATE KEY UPDATE every non-key column */
  /* A row whose key is already in the table replaces it (staging loads,
   * where two sources may disagree): ON DUPLICATE KEY UPDATE with INSERT,
   * REPLACE with LOAD DATA.  Every column is written, so both leave the same
   * row.  Unlike `upsert`, it keeps load_data available. */
  bool last_wins;
  const _Atomic bool *cancel;  /* may be NULL; checked per batch */
} loader_opts;

typedef struct loader loader;

/* Start loading into `schema`.`table` with the given columns (borrowed; must
 * outlive the loader).  Reads max_allowed_packet from the server.  Returns a
 * new loader the caller owns, or NULL with err set. */
loader *loader_open(MYSQL *conn, const char *schema, const char *table,
                    const loader_column *cols, size_t n_cols, const loader_opts *opts,
                    ps_error *err);
/* Add one row of n_cols values.  A single row larger than max_allowed_packet
 * is PS_ETOOBIG naming the row's key. */
ps_status loader_add_row(loader *l, const loader_value *vals, ps_error *err);
/* Send what is buffered and wait for the sender.  After it, rows_written is final. */
ps_status loader_finish(loader *l, ps_error *err);
/* Rows written so far (sent and acknowledged by the server). */
uint64_t loader_rows_written(const loader *l);
/* Bytes of SQL/data sent so far. */
uint64_t loader_bytes_sent(const loader *l);
/* Statements (batches) sent and acknowledged so far (metrics, tests). */
uint64_t loader_batches_sent(const loader *l);
/* Stop the sender (if running) without flushing and free.  Accepts NULL. */
void loader_free(loader *l);

#endif
