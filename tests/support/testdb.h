/* testdb: what every SQL-touching test suite needs to reach the private
 * MariaDB server that tests/harness/mariadb started (POLLSTER_TEST_*
 * variables).  Helpers assert (Criterion) instead of returning errors. */
#ifndef POLLSTER_TESTDB_H
#define POLLSTER_TESTDB_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Socket path of the private server; aborts the test if not under the harness. */
const char *testdb_socket(void);
unsigned testdb_port(void);

/* A new root connection (target role) to the private server; the caller owns it. */
MYSQL *testdb_connect(void);

/* Run SQL (printf-style) and assert success. */
void testdb_exec(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* First column of the first row as int64 / string (asserts a row exists). */
int64_t testdb_i64(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns a malloc'd string, or NULL for SQL NULL. */
char *testdb_str(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A name unique to this process and call ("<prefix>_<pid>_<n>"), for
 * schemas that parallel suites must not share. */
void testdb_unique(char *buf, size_t cap, const char *prefix);

/* Write a config file for the private server into a new temp file and return
 * its malloc'd path.  `extra` is YAML appended verbatim (may be NULL).  The
 * file maps every logical source to schemas named "<prefix>_<source>" (nova
 * cells "<prefix>_nova_cell<i>", i = 1..cells) and the target to
 * "<prefix>_reporting". */
char *testdb_write_config(const char *prefix, unsigned cells, const char *extra);

/* Path of a file in the source tree / build tree (static buffer per call site
 * is not safe: returns malloc'd). */
char *testdb_source_path(const char *rel);
char *testdb_binary_path(const char *rel);

#endif
