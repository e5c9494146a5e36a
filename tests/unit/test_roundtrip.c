/* A real round trip through the private server: connect, create a table,
 * insert awkward values, read them back unchanged. */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/db.h"
#include "tests/support/testdb.h"

static MYSQL *m;
static char schema[64];

static void setup(void) {
  m = testdb_connect();
  testdb_unique(schema, sizeof schema, "rt");
  testdb_exec(m, "CREATE DATABASE `%s` CHARACTER SET utf8mb4", schema);
}

static void teardown(void) {
  testdb_exec(m, "DROP DATABASE IF EXISTS `%s`", schema);
  db_close(m);
}

TestSuite(roundtrip, .init = setup, .fini = teardown);

Test(roundtrip, values_survive) {
  testdb_exec(m,
              "CREATE TABLE `%s`.t (id INT PRIMARY KEY, name VARCHAR(64) NULL, "
              "at DATETIME NULL, big BIGINT NULL, b BLOB NULL) CHARSET utf8mb4",
              schema);
  /* 4-byte UTF-8 (U+1F600), quotes and backslash, an embedded NUL in a blob. */
  const char name[] = "caf\xc3\xa9 \xf0\x9f\x98\x80 'q' \"d\" \\b";
  const char blob[] = {'a', '\0', 'b', '\'', '\\', (char)0xff};
  char sql[1024];
  size_t pos = (size_t)snprintf(sql, sizeof sql, "INSERT INTO `%s`.t VALUES (1, ", schema);
  db_quote_into(m, sql, &pos, name, strlen(name));
  pos += (size_t)snprintf(sql + pos, sizeof sql - pos, ", '2019-12-31 23:59:59', %lld, ",
                          9007199254740993LL);
  db_quote_into(m, sql, &pos, blob, sizeof blob);
  pos += (size_t)snprintf(sql + pos, sizeof sql - pos, "), (2, NULL, NULL, NULL, NULL)");
  ps_error err;
  error_clear(&err);
  cr_assert_eq(db_exec(m, sql, &err), PS_OK, "%s", err.msg);

  char *got = testdb_str(m, "SELECT name FROM `%s`.t WHERE id = 1", schema);
  cr_assert_str_eq(got, name);
  free(got);
  cr_assert_eq(testdb_i64(m, "SELECT CHAR_LENGTH(name) FROM `%s`.t WHERE id = 1", schema),
               (int64_t)(strlen(name) - 1 /* é is 2 bytes */ - 3 /* emoji is 4 bytes */));
  got = testdb_str(m, "SELECT at FROM `%s`.t WHERE id = 1", schema);
  cr_assert_str_eq(got, "2019-12-31 23:59:59");
  free(got);
  cr_assert_eq(testdb_i64(m, "SELECT big FROM `%s`.t WHERE id = 1", schema),
               9007199254740993LL);
  cr_assert_eq(testdb_i64(m, "SELECT LENGTH(b) FROM `%s`.t WHERE id = 1", schema),
               (int64_t)sizeof blob);
  cr_assert_eq(testdb_i64(m, "SELECT b = X'610062275CFF' FROM `%s`.t WHERE id = 1", schema), 1);

  /* NULLs come back as NULL, not as empty strings or zero. */
  cr_assert_null(testdb_str(m, "SELECT name FROM `%s`.t WHERE id = 2", schema));
  cr_assert_null(testdb_str(m, "SELECT at FROM `%s`.t WHERE id = 2", schema));
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t WHERE big IS NULL AND b IS NULL",
                          schema), 1);
}

Test(roundtrip, session_is_utc_and_strict) {
  char *tz = testdb_str(m, "SELECT @@session.time_zone");
  cr_assert_str_eq(tz, "+00:00");
  free(tz);
  char *cs = testdb_str(m, "SELECT @@character_set_client");
  cr_assert_str_eq(cs, "utf8mb4");
  free(cs);
  testdb_exec(m, "CREATE TABLE `%s`.s (v VARCHAR(3))", schema);
  ps_error err;
  error_clear(&err);
  /* Strict mode: an over-long value is an error, not a silent cut. */
  cr_assert_neq(db_execf(m, &err, "INSERT INTO `%s`.s VALUES ('abcd')", schema), PS_OK);
  cr_assert_eq(err.db_errno, 1406u, "%s", err.msg);
  cr_assert_str_eq(err.sqlstate, "22001");
}

Test(roundtrip, source_sessions_are_read_only) {
  ps_error err;
  error_clear(&err);
  testdb_exec(m, "CREATE TABLE `%s`.w (v INT)", schema);
  MYSQL *ro = db_connect_raw(NULL, 0, testdb_socket(), "root", "", DB_ROLE_SOURCE, &err);
  cr_assert_not_null(ro, "%s", err.msg);
  cr_assert_neq(db_execf(ro, &err, "INSERT INTO `%s`.w VALUES (1)", schema), PS_OK);
  cr_assert_eq(err.db_errno, 1792u, "expected ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: %s",
               err.msg);
  db_close(ro);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.w", schema), 0);
}

Test(roundtrip, connect_failure_names_server_not_password) {
  ps_error err;
  error_clear(&err);
  MYSQL *bad = db_connect_raw(NULL, 0, "/nonexistent/pollster.sock", "someone",
                              "s3cret-pw", DB_ROLE_TARGET, &err);
  cr_assert_null(bad);
  cr_assert_eq(err.status, PS_ECONNECT, "%s", err.msg);
  cr_assert(strstr(err.msg, "/nonexistent/pollster.sock") != NULL, "%s", err.msg);
  cr_assert(strstr(err.msg, "someone") != NULL, "%s", err.msg);
  cr_assert(strstr(err.msg, "s3cret-pw") == NULL, "%s", err.msg);
}
