/* staging: building a table beside the live one and swapping it in.
 *
 * The reporting schema holds only the contract's tables; every other table
 * pollster needs lives in the state schema (cfg_target.state_schema):
 *   <state>.<table>__staging   being built
 *   <state>.<table>__old       the previous live table, between RENAME and DROP
 * A swap is one RENAME TABLE moving the live table to __old and staging to
 * live (several tables in the same statement when a job publishes several),
 * then DROP of the __old copies.  The rename runs with a short
 * lock_wait_timeout and is retried with backoff while a reader holds a lock.
 * Nothing here is shared between threads: each call uses the connection it is
 * given (borrowed). */
#ifndef POLLSTER_STAGING_H
#define POLLSTER_STAGING_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/config.h"
#include "engine/status.h"
#include "schema/schema.h"

/* Create the state schema if missing. */
ps_status staging_ensure_state_schema(MYSQL *conn, const cfg_target *target, ps_error *err);

/* Remove leftovers of a crashed run for `table` (all tables when NULL): a
 * __staging is dropped; an __old whose live table is missing is renamed back
 * first, otherwise dropped.  Afterwards the reporting schema holds only
 * contract tables (stray staging/old tables there are moved out). */
ps_status staging_cleanup(MYSQL *conn, const cfg_target *target, const schema_def *schema,
                          const char *table, ps_error *err);

/* The staging tables of a target belong to one run at a time: two runs
 * building the same <state>.<table>__staging would drop, load and swap each
 * other's copies.  staging_lock takes a server-side named lock for the
 * target's state schema on `conn` (borrowed; a connection the caller keeps
 * open, outside any pool, for the whole run), waiting up to wait_s seconds
 * for another run to finish.  The server releases it when the connection
 * closes, also when the process dies.  PS_EBUSY when still held after wait_s. */
ps_status staging_lock(MYSQL *conn, const cfg_target *target, unsigned wait_s, ps_error *err);

typedef struct staging_table {
  char table[65];          /* live table name */
  char deferred_keys[4096];/* "ADD KEY ..., ADD KEY ..." to add after the load ("" = none) */
} staging_table;

/* (Re)create <state>.<table>__staging with the live table's definition from
 * `schema` (drops an existing staging table first).  With defer_keys the
 * secondary keys are left out and remembered in *out. */
ps_status staging_create(MYSQL *conn, const cfg_target *target, const schema_def *schema,
                         const char *table, bool defer_keys, staging_table *out,
                         ps_error *err);
/* Add the deferred secondary keys in one ALTER TABLE (no-op when none). */
ps_status staging_build_keys(MYSQL *conn, const cfg_target *target, staging_table *st,
                             ps_error *err);

typedef struct staging_swap_opts {
  unsigned lock_wait_s;   /* lock_wait_timeout for the RENAME */
  unsigned retries;       /* attempts after the first while a lock is held */
  unsigned backoff_ms;    /* first backoff, doubled each time (capped at 5 s) */
  /* metadata.last_update to record for each swapped table (UTC 'YYYY-MM-DD
   * HH:MM:SS'), or NULL to leave metadata alone. */
  const char *refresh_started;
} staging_swap_opts;

/* Swap n staging tables in with one RENAME TABLE, drop the old copies, then
 * write each table's metadata row (last_update, row_count = COUNT(*)). */
ps_status staging_swap(MYSQL *conn, const cfg_target *target, const char *const *tables,
                       size_t n, const staging_swap_opts *opts, ps_error *err);

/* Drop <state>.<table>__staging if present (abort path). */
ps_status staging_drop(MYSQL *conn, const cfg_target *target, const char *table,
                       ps_error *err);

/* metadata row for one table (incremental path: call inside the upsert's
 * transaction so data and metadata are published together). */
ps_status staging_write_metadata(MYSQL *conn, const cfg_target *target, const char *table,
                                 const char *refresh_started, ps_error *err);

#endif
