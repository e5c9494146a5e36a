/* schema: the reporting schema's definition (schema/reporting.sql, shipped
 * gzip-compressed and read through zlib; plain .sql also accepted) and the
 * db-sync that creates and upgrades it.
 *
 * The schema file is a sequence of versioned sections:
 *   -- version: N
 *   CREATE TABLE ...;   (version 1: the full schema)
 *   ALTER TABLE ...;    (later versions: forward migrations)
 * The current definition of each table (its CREATE TABLE text, with the
 * table comment and column comments) is what staging tables are made from.
 * A migration section that changes a table therefore also restates the
 * table's full CREATE TABLE (skipped on upgrade when the table exists; it
 * becomes the current definition).  A fresh database is created from the
 * current definitions and stamped with the latest version. */
#ifndef POLLSTER_SCHEMA_H
#define POLLSTER_SCHEMA_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/config.h"
#include "engine/status.h"

typedef struct schema_def schema_def;

/* Load the schema file: `path` (.sql or .sql.gz); NULL searches the default
 * places ($POLLSTER_SCHEMA, the install dir, the build tree).  Returns a new
 * definition the caller owns (schema_free), or NULL with err set. */
schema_def *schema_load(const char *path, ps_error *err);
void schema_free(schema_def *s); /* accepts NULL */

/* Path actually read. */
const char *schema_path(const schema_def *s);
/* Latest version in the file. */
unsigned schema_version(const schema_def *s);
/* Number of tables and their names in file order. */
size_t schema_table_count(const schema_def *s);
const char *schema_table_name(const schema_def *s, size_t i);
/* CREATE TABLE statement for `table`, with the table name written as
 * `schema`.`new_name` (new_name NULL = same name); NULL when unknown.
 * Returns a malloc'd string the caller frees. */
char *schema_create_sql(const schema_def *s, const char *table, const char *schema_name,
                        const char *new_name);
/* Whether `table` is one of the contract's tables. */
bool schema_has_table(const schema_def *s, const char *table);

typedef struct schema_sync_opts {
  bool recreate;       /* drop pollster's own tables first (caller has confirmed) */
} schema_sync_opts;

/* db-sync: create the state schema and the reporting schema's missing tables,
 * record the version in <state>.schema_version, apply forward migrations in
 * order; refuse (PS_EVERSION) a database whose version is newer.  Idempotent. */
ps_status schema_sync(MYSQL *conn, const cfg_target *target, const schema_def *s,
                      const schema_sync_opts *opts, ps_error *err);

#endif
