/* Golden tests: `pollster run` over the hand-written edge fixture must give
 * every reporting table exactly the content written out by hand in
 * tests/fixtures/edge/expected/ (row for row, column for column). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/db.h"
#include "tests/support/fixture.h"
#include "tests/support/testdb.h"
#include "tsan_criterion.h"

static const char *const tables[] = {
    "metadata", "hypervisor", "aggregate", "aggregate_host", "project",  "user",
    "role",     "flavour",    "instance",  "volume",          "image",    "allocation",
    "historical_usage",
};

static MYSQL *m;
static char prefix[64];
static char *cfg;

static int run_pollster(const char *args) {
  char *bin = testdb_binary_path("pollster");
  char *cmd = NULL;
  cr_assert(asprintf(&cmd, "%s %s -c %s -q", bin, args, cfg) >= 0);
  int rc = system(cmd);
  free(cmd);
  free(bin);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void setup(void) {
  m = testdb_connect();
  testdb_unique(prefix, sizeof prefix, "gold");
  fixture_load(m, prefix, "edge", 2);
  cfg = testdb_write_config(prefix, 2, NULL);
}

static void teardown(void) {
  fixture_drop(m, prefix, 2);
  unlink(cfg);
  free(cfg);
  db_close(m);
}

TestSuite(golden, .init = setup, .fini = teardown, .timeout = 120);

static void compare_all(const char *when) {
  char schema[96];
  snprintf(schema, sizeof schema, "%s_reporting", prefix);
  for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/edge/expected/%s.tsv", tables[i]);
    char *path = testdb_source_path(rel);
    char *report = NULL;
    bool same = fixture_compare(m, schema, tables[i], path, &report);
    cr_expect(same, "%s: table %s differs from %s:\n%s", when, tables[i], rel, report);
    free(report);
    free(path);
  }
  /* Readers of the reporting schema see the contract's tables only. */
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES "
                             "WHERE TABLE_SCHEMA = '%s'", schema), 13);
}

Test(golden, first_full_run_matches_the_expected_tables) {
  cr_assert_eq(run_pollster("run"), 0);
  compare_all("first run");
}

Test(golden, a_second_run_gives_the_same_tables) {
  cr_assert_eq(run_pollster("run"), 0);
  /* History tables keep their rows; everything was seen again. */
  cr_assert_eq(run_pollster("run --force-update"), 0);
  compare_all("second run");
}

/* The same content through every loading path. */
static void rewrite_config(const char *extra) {
  unlink(cfg);
  free(cfg);
  cfg = testdb_write_config(prefix, 2, extra);
}

Test(golden, load_data_gives_the_same_tables) {
  rewrite_config("engine: { load_method: load_data, batch_rows: 7 }\n");
  cr_assert_eq(run_pollster("run"), 0);
  compare_all("load_data");
}

Test(golden, keys_built_with_the_data_and_one_row_batches) {
  rewrite_config("engine: { deferred_indexes: false, batch_rows: 1, workers: 1 }\n");
  cr_assert_eq(run_pollster("run"), 0);
  compare_all("one-row batches");
}

Test(golden, selecting_a_table_runs_its_dependencies) {
  cr_assert_eq(run_pollster("run --tables historical_usage"), 0);
  char schema[96];
  snprintf(schema, sizeof schema, "%s_reporting", prefix);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.metadata", schema), 4,
               "aggregate, aggregate_host, instance and historical_usage refreshed");
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.project", schema), 0);
}
