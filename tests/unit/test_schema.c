/* schema: the shipped reporting.sql against the contract, and db-sync on the
 * private server (fresh, idempotent, migration, newer version, recreate). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "schema/schema.h"
#include "tests/support/testdb.h"

static MYSQL *m;
static char rep[64], state[80];
static cfg_target target;

static void setup(void) {
  m = testdb_connect();
  testdb_unique(rep, sizeof rep, "sch");
  snprintf(state, sizeof state, "%s_pollster", rep);
  target = (cfg_target){.server = 0, .schema = rep, .state_schema = state};
}

static void teardown(void) {
  testdb_exec(m, "DROP DATABASE IF EXISTS `%s`", rep);
  testdb_exec(m, "DROP DATABASE IF EXISTS `%s`", state);
  db_close(m);
}

TestSuite(schema, .init = setup, .fini = teardown);

static const struct {
  const char *name, *comment;
} contract[] = {
    {"metadata", "Database metadata"},
    {"hypervisor", "Compute nodes"},
    {"project", "Project resource quotas"},
    {"user", "Users"},
    {"role", "User membership of projects, with roles"},
    {"flavour", "Types of virtual machine"},
    {"instance", "Virtual machine instances"},
    {"volume", "External storage volumes"},
    {"image", "Operating system images"},
    {"aggregate", "Aggregate definitions"},
    {"aggregate_host", "Mappings between aggregates and hosts"},
    {"historical_usage", "Daily snapshots of resource usage"},
    {"allocation", "A record of the allocations that were awarded"},
};
#define N_CONTRACT (sizeof contract / sizeof *contract)

static schema_def *load(const char *path) {
  ps_error err;
  error_clear(&err);
  schema_def *s = schema_load(path, &err);
  cr_assert_not_null(s, "%s", err.msg);
  return s;
}

static void sync(const schema_def *s, bool recreate) {
  ps_error err;
  error_clear(&err);
  schema_sync_opts o = {.recreate = recreate};
  cr_assert_eq(schema_sync(m, &target, s, &o, &err), PS_OK, "%s", err.msg);
}

Test(schema, default_file_lists_the_contract_tables) {
  schema_def *s = load(NULL);
  cr_assert_eq(schema_version(s), 1u);
  cr_assert_eq(schema_table_count(s), N_CONTRACT);
  for (size_t i = 0; i < N_CONTRACT; i++) {
    cr_assert_str_eq(schema_table_name(s, i), contract[i].name);
    cr_assert(schema_has_table(s, contract[i].name));
  }
  cr_assert_not(schema_has_table(s, "schema_version"));
  cr_assert_null(schema_create_sql(s, "nope", "x", NULL));
  char *sql = schema_create_sql(s, "instance", "st", "instance__staging");
  cr_assert_not_null(sql);
  cr_assert(strncmp(sql, "CREATE TABLE `st`.`instance__staging` (", 39) == 0, "%s", sql);
  free(sql);
  schema_free(s);
}

Test(schema, gzip_and_plain_give_the_same_definition) {
  char *gz = testdb_binary_path("schema/reporting.sql.gz");
  char *plain = testdb_source_path("schema/reporting.sql");
  schema_def *a = load(gz), *b = load(plain);
  cr_assert_str_eq(schema_path(a), gz);
  cr_assert_eq(schema_table_count(a), schema_table_count(b));
  for (size_t i = 0; i < schema_table_count(a); i++) {
    char *x = schema_create_sql(a, schema_table_name(a, i), "s", NULL);
    char *y = schema_create_sql(b, schema_table_name(b, i), "s", NULL);
    cr_assert_str_eq(x, y);
    free(x);
    free(y);
  }
  schema_free(a);
  schema_free(b);
  free(gz);
  free(plain);
}

Test(schema, missing_file_is_an_error) {
  ps_error err;
  error_clear(&err);
  cr_assert_null(schema_load("/nonexistent/reporting.sql.gz", &err));
  cr_assert_eq(err.status, PS_EIO);
}

Test(schema, fresh_sync_creates_exactly_the_contract) {
  schema_def *s = load(NULL);
  sync(s, false);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES "
                             "WHERE TABLE_SCHEMA = '%s'", rep), (int64_t)N_CONTRACT);
  for (size_t i = 0; i < N_CONTRACT; i++) {
    char *c = testdb_str(m,
                         "SELECT CONCAT(ENGINE, ' ', TABLE_COLLATION, ' ', TABLE_COMMENT) FROM "
                         "information_schema.TABLES WHERE TABLE_SCHEMA = '%s' AND "
                         "TABLE_NAME = '%s'",
                         rep, contract[i].name);
    char want[256];
    snprintf(want, sizeof want, "InnoDB utf8mb4_general_ci %s", contract[i].comment);
    cr_assert_str_eq(c, want);
    free(c);
  }
  /* every column says what it holds */
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                             "TABLE_SCHEMA = '%s' AND COLUMN_COMMENT = ''", rep), 0);
  cr_assert_gt(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                             "TABLE_SCHEMA = '%s'", rep), 100);
  /* a few contract details */
  char *t = testdb_str(m, "SELECT CONCAT(COLUMN_TYPE, ' ', IS_NULLABLE, ' ', "
                          "IFNULL(COLUMN_DEFAULT, '-'), ' ', EXTRA) FROM "
                          "information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' AND "
                          "TABLE_NAME = 'metadata' AND COLUMN_NAME = 'last_update'", rep);
  cr_assert_str_eq(t, "timestamp YES NULL ");
  free(t);
  t = testdb_str(m, "SELECT COLUMN_COMMENT FROM information_schema.COLUMNS WHERE "
                    "TABLE_SCHEMA = '%s' AND TABLE_NAME = 'hypervisor' AND COLUMN_NAME = "
                    "'memory'", rep);
  cr_assert_str_eq(t, "Memory (MB)");
  free(t);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(DISTINCT INDEX_NAME) FROM "
                             "information_schema.STATISTICS WHERE TABLE_SCHEMA = '%s' AND "
                             "TABLE_NAME = 'hypervisor'", rep), 4);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
                             "TABLE_SCHEMA = '%s' AND TABLE_NAME = 'role' AND INDEX_NAME = "
                             "'PRIMARY'", rep), 3);
  cr_assert_eq(testdb_i64(m, "SELECT MAX(version) FROM `%s`.schema_version", state), 1);
  schema_free(s);
}

Test(schema, sync_is_idempotent_and_recreates_a_dropped_table) {
  schema_def *s = load(NULL);
  sync(s, false);
  testdb_exec(m, "INSERT INTO `%s`.user (id, name) VALUES ('u1', 'Ann')", rep);
  testdb_exec(m, "DROP TABLE `%s`.image", rep);
  sync(s, false);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.user", rep), 1);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES "
                             "WHERE TABLE_SCHEMA = '%s'", rep), (int64_t)N_CONTRACT);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.schema_version", state), 1);
  schema_free(s);
}

Test(schema, migration_from_an_older_version) {
  char *p1 = testdb_source_path("tests/fixtures/schema/migrate_v1.sql");
  char *p2 = testdb_source_path("tests/fixtures/schema/migrate_v2.sql");
  schema_def *v1 = load(p1), *v2 = load(p2);
  cr_assert_eq(schema_version(v2), 2u);
  cr_assert_eq(schema_table_count(v2), 3u);
  sync(v1, false);
  testdb_exec(m, "INSERT INTO `%s`.thing (id, name) VALUES (1, 'one')", rep);
  sync(v2, false);
  cr_assert_eq(testdb_i64(m, "SELECT MAX(version) FROM `%s`.schema_version", state), 2);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.thing WHERE id = 1 AND name = 'one' "
                             "AND size IS NULL", rep), 1);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
                             "TABLE_SCHEMA = '%s' AND TABLE_NAME = 'thing' AND INDEX_NAME = "
                             "'name'", rep), 1);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.other", rep), 0);
  /* The staging definition is the migrated one. */
  char *sql = schema_create_sql(v2, "thing", state, "thing__staging");
  cr_assert(strstr(sql, "size int") != NULL, "%s", sql);
  free(sql);
  /* A re-run at the same version changes nothing; the session's database is kept. */
  testdb_exec(m, "USE `%s`", state);
  sync(v2, false);
  char *db = testdb_str(m, "SELECT DATABASE()");
  cr_assert_str_eq(db, state);
  free(db);
  /* The older file now refuses the newer database. */
  ps_error err;
  error_clear(&err);
  schema_sync_opts o = {0};
  cr_assert_eq(schema_sync(m, &target, v1, &o, &err), PS_EVERSION);
  schema_free(v1);
  schema_free(v2);
  free(p1);
  free(p2);
}

Test(schema, newer_database_is_refused) {
  schema_def *s = load(NULL);
  sync(s, false);
  testdb_exec(m, "INSERT INTO `%s`.schema_version VALUES (7, UTC_TIMESTAMP())", state);
  ps_error err;
  error_clear(&err);
  schema_sync_opts o = {0};
  cr_assert_eq(schema_sync(m, &target, s, &o, &err), PS_EVERSION);
  cr_assert(strstr(err.msg, "version 7") != NULL, "%s", err.msg);
  schema_free(s);
}

Test(schema, recreate_drops_and_recreates_pollsters_tables) {
  schema_def *s = load(NULL);
  sync(s, false);
  testdb_exec(m, "INSERT INTO `%s`.user (id, name) VALUES ('u1', 'Ann')", rep);
  testdb_exec(m, "CREATE TABLE `%s`.instance__staging (x int)", state);
  testdb_exec(m, "ALTER TABLE `%s`.project DROP COLUMN organisation", rep);
  sync(s, true);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.user", rep), 0);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                             "TABLE_SCHEMA = '%s' AND TABLE_NAME = 'project' AND "
                             "COLUMN_NAME = 'organisation'", rep), 1);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                             "TABLE_SCHEMA = '%s'", state), 1); /* schema_version only */
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES "
                             "WHERE TABLE_SCHEMA = '%s'", rep), (int64_t)N_CONTRACT);
  schema_free(s);
}
