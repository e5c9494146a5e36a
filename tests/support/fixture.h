/* fixture: hand-written source datasets (tests/fixtures/<dataset>/) loaded
 * into the private server, and the comparison of a reporting table with its
 * expected content (tests/fixtures/<dataset>/expected/<table>.tsv).
 *
 * Expected-file format (see tests/fixtures/edge/README.md):
 *   - lines starting with '#' are comments; the comment lines right above a
 *     row are its reason and are quoted when that row differs;
 *   - the first other line holds the column names (tab-separated), in the
 *     order the file lists the values; only these columns are compared
 *     (a table may have more: adding columns is allowed by the contract);
 *   - one row per line, tab-separated, sorted by the table's primary key
 *     (numbers numerically, strings by bytes); `\N` is NULL, `*` is any
 *     non-NULL value, `\\` `\t` `\n` `\r` are escapes; datetimes as
 *     YYYY-MM-DD HH:MM:SS, dates as YYYY-MM-DD, booleans 0/1;
 *   - `#@ after YYYY-MM-DD: v2 v3 ...` (historical_usage): the table must also
 *     hold one row for every day after that date up to yesterday (UTC, the
 *     server's clock), whose first column is the day and whose other columns
 *     are v2 v3 ... (space-separated, same escapes).
 * The helpers assert (Criterion) on setup failures; fixture_compare never
 * asserts, so a golden test can print its report. */
#ifndef POLLSTER_FIXTURE_H
#define POLLSTER_FIXTURE_H

#include <mysql.h>
#include <stdbool.h>

/* Create the schemas <prefix>_keystone, _nova_api, _nova_cell1.._nova_cell<cells>,
 * _cinder, _glance, _rcshibboleth, _dashboard (the names testdb_write_config
 * uses), load each one's DDL from tests/fixtures/sources/ and then its rows
 * from tests/fixtures/<dataset>/<name>.sql (nova cells: nova_cell<i>.sql; a
 * missing data file leaves the schema empty).  Asserts success.  m is
 * borrowed; the files run on a connection of their own. */
void fixture_load(MYSQL *m, const char *prefix, const char *dataset, unsigned cells);

/* Drop everything fixture_load created, plus <prefix>_reporting and
 * <prefix>_reporting_pollster (what a pollster run on the fixture creates
 * with testdb_write_config's names).  Missing schemas are fine. */
void fixture_drop(MYSQL *m, const char *prefix, unsigned cells);

/* Compare `schema`.`table` (read ordered by its primary key) with the
 * expected file at expected_tsv_path.  Returns true when they match.
 * *report always receives a malloc'd, human-readable summary the caller
 * frees: on a mismatch the first differences (row key, column name,
 * expected and actual value, the row's reason); on an error (no such table
 * or column, unreadable or unsorted expected file) what went wrong. */
bool fixture_compare(MYSQL *m, const char *schema, const char *table,
                     const char *expected_tsv_path, char **report);

#endif
