/* The edge fixture loads into the private server, and fixture_compare (the
 * golden tests' comparer) tells equal from unequal tables. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/db.h"
#include "tests/support/fixture.h"
#include "tests/support/testdb.h"

static MYSQL *m;
static char prefix[64];

static void setup(void) {
  m = testdb_connect();
  testdb_unique(prefix, sizeof prefix, "fx");
}

static void teardown(void) {
  fixture_drop(m, prefix, 2);
  testdb_exec(m, "DROP DATABASE IF EXISTS `%s_cmp`", prefix);
  db_close(m);
}

TestSuite(edge_fixture, .init = setup, .fini = teardown);

Test(edge_fixture, loads_every_file_into_every_schema) {
  fixture_load(m, prefix, "edge", 2);
  static const struct { const char *db, *table; int64_t rows; } filled[] = {
      {"keystone", "project", 12},        {"keystone", "user", 13},
      {"keystone", "role", 3},            {"keystone", "assignment", 21},
      {"nova_api", "flavors", 5},         {"nova_api", "aggregates", 6},
      {"nova_api", "aggregate_hosts", 8}, {"nova_api", "aggregate_metadata", 6},
      {"nova_api", "quotas", 6},          {"nova_cell1", "compute_nodes", 5},
      {"nova_cell1", "instances", 8},     {"nova_cell1", "instance_types", 2},
      {"nova_cell1", "quotas", 5},        {"nova_cell2", "compute_nodes", 3},
      {"nova_cell2", "instances", 4},     {"nova_cell2", "quotas", 4},
      {"cinder", "volumes", 8},           {"cinder", "volume_attachment", 6},
      {"cinder", "quotas", 11},           {"glance", "images", 6},
      {"rcshibboleth", "user", 14},       {"dashboard", "rcallocation_allocationrequest", 19},
      {"dashboard", "rcallocation_chiefinvestigator", 6},
  };
  for (size_t i = 0; i < sizeof filled / sizeof *filled; i++)
    cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_%s`.`%s`", prefix, filled[i].db,
                            filled[i].table),
                 filled[i].rows, "%s.%s", filled[i].db, filled[i].table);
  /* Multibyte text and pickles arrive byte for byte. */
  cr_expect_eq(testdb_i64(m, "SELECT CHAR_LENGTH(display_name) FROM `%s_cinder`.volumes "
                             "WHERE id = 'vol-05'", prefix), 70);
  char *name = testdb_str(m, "SELECT display_name FROM `%s_nova_cell2`.instances "
                             "WHERE uuid = 'inst-07'", prefix);
  cr_expect_str_eq(name, "\xe3\x83\x87\xe3\x83\xbc\xe3\x82\xbf\xe5\x87\xa6\xe7\x90\x86");
  free(name);
  cr_expect_eq(testdb_i64(m, "SELECT LENGTH(shibboleth_attributes) FROM `%s_rcshibboleth`.user "
                             "WHERE user_id = 'u09'", prefix), 20);
  char *desc = testdb_str(m, "SELECT description FROM `%s_keystone`.project WHERE id = 'proj-d'",
                          prefix);
  cr_expect_str_eq(desc, "two\nlines");
  free(desc);
  /* Loading twice under another prefix does not collide. */
  char other[64];
  testdb_unique(other, sizeof other, "fx");
  fixture_load(m, other, "edge", 1);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_cell1`.instances", other), 8);
  fixture_drop(m, other, 1);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.schemata "
                             "WHERE schema_name LIKE '%s\\_%%'", other), 0);
}

static char *write_tmp(const char *text) {
  char path[] = "/tmp/pollster-fixture-XXXXXX.tsv";
  int fd = mkstemps(path, 4);
  cr_assert(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
  return strdup(path);
}

/* Compare and check the verdict; the report must mention `needle`. */
static void expect_cmp(const char *table, const char *tsv, bool want, const char *needle) {
  char schema[96];
  snprintf(schema, sizeof schema, "%s_cmp", prefix);
  char *path = write_tmp(tsv);
  char *report = NULL;
  bool got = fixture_compare(m, schema, table, path, &report);
  cr_assert_not_null(report);
  cr_expect_eq(got, want, "want %s for:\n%s\nreport:\n%s", want ? "equal" : "unequal", tsv,
               report);
  if (needle)
    cr_expect(strstr(report, needle) != NULL, "report lacks '%s':\n%s", needle, report);
  free(report);
  unlink(path);
  free(path);
}

static void make_table(void) {
  testdb_exec(m, "CREATE DATABASE `%s_cmp` CHARACTER SET utf8mb4", prefix);
  testdb_exec(m, "CREATE TABLE `%s_cmp`.t (k VARCHAR(10) COLLATE utf8mb4_bin NOT NULL, n INT NOT NULL, "
                 "name VARCHAR(20) NULL, at DATETIME NULL, seen TIMESTAMP NULL, "
                 "flag BOOLEAN NULL, PRIMARY KEY (k, n)) CHARSET utf8mb4", prefix);
  /* Byte order: 'B' < 'a' < 'b'; numbers numerically: 2 < 10. */
  testdb_exec(m, "INSERT INTO `%s_cmp`.t VALUES "
                 "('a', 10, '', '2024-01-02 03:04:05', '2024-05-05 00:00:00', 1), "
                 "('a', 2, NULL, NULL, NULL, 0), "
                 "('B', 1, 'tab\\there', '2024-01-01 00:00:00', NULL, NULL), "
                 "('b', 1, 'caf\xc3\xa9', '1999-12-31 23:59:59', '2024-01-01 00:00:01', 1)",
              prefix);
}

static const char good[] =
    "# a comment before the header\n"
    "k\tn\tname\tat\tseen\tflag\n"
    "# upper case sorts first\n"
    "B\t1\ttab\\there\t2024-01-01 00:00:00\t\\N\t\\N\n"
    "a\t2\t\\N\t\\N\t\\N\t0\n"
    "# empty string, not NULL\n"
    "a\t10\t\t2024-01-02 03:04:05\t*\t1\n"
    "b\t1\tcaf\xc3\xa9\t1999-12-31 23:59:59\t*\t1\n";

Test(edge_fixture, compare_detects_equal_and_unequal) {
  make_table();
  expect_cmp("t", good, true, "matches");
  /* A changed value names the row key and the column, and quotes the reason. */
  char *bad = strdup(good);
  char *p = strstr(bad, "03:04:05");
  p[7] = '6';
  expect_cmp("t", bad, false, "column `at`: expected '2024-01-02 03:04:06', got '2024-01-02 03:04:05'");
  expect_cmp("t", bad, false, "reason: empty string, not NULL");
  free(bad);
  /* A missing and an extra row. */
  expect_cmp("t", "k\tn\tname\tat\tseen\tflag\n"
                  "B\t1\ttab\\there\t2024-01-01 00:00:00\t\\N\t\\N\n"
                  "a\t2\t\\N\t\\N\t\\N\t0\n"
                  "a\t10\t\t2024-01-02 03:04:05\t*\t1\n",
             false, "unexpected row (k='b', n='1')");
  expect_cmp("t", "k\tn\tname\tat\tseen\tflag\n"
                  "B\t1\ttab\\there\t2024-01-01 00:00:00\t\\N\t\\N\n"
                  "a\t2\t\\N\t\\N\t\\N\t0\n"
                  "a\t3\t\\N\t\\N\t\\N\t0\n"
                  "a\t10\t\t2024-01-02 03:04:05\t*\t1\n"
                  "b\t1\tcaf\xc3\xa9\t1999-12-31 23:59:59\t*\t1\n",
             false, "missing row (k='a', n='3')");
  /* Only the header's columns are compared. */
  /* Values follow the header's column order. */
  expect_cmp("t", "n\tk\n1\tB\n2\ta\n10\ta\n1\tb\n", true, NULL);
  expect_cmp("t", "k\tn\n1\tB\n2\ta\n10\ta\n1\tb\n", false, NULL);
  expect_cmp("t", "k\tn\nB\t1\na\t2\na\t10\nb\t1\n", true, "columns the expected file does not check");
  /* Unsorted or duplicate expected rows are an authoring error. */
  expect_cmp("t", "k\tn\na\t2\nB\t1\na\t10\nb\t1\n", false, "not sorted");
  expect_cmp("t", "k\tn\tnope\nB\t1\t1\n", false, "no column `nope`");
  expect_cmp("nosuch", "k\n", false, "no such table");
}

Test(edge_fixture, compare_star_null_and_empty) {
  make_table();
  /* '' is not NULL ... */
  expect_cmp("t", "k\tn\tname\nB\t1\ttab\\there\na\t2\t\na\t10\t\nb\t1\tcaf\xc3\xa9\n", false,
             "column `name`: expected '', got \\N");
  /* ... NULL is not '' ... */
  expect_cmp("t", "k\tn\tname\nB\t1\ttab\\there\na\t2\t\\N\na\t10\t\\N\nb\t1\tcaf\xc3\xa9\n", false,
             "column `name`: expected \\N, got ''");
  /* ... '*' matches any non-NULL value, including '', but not NULL. */
  expect_cmp("t", "k\tn\tname\nB\t1\t*\na\t2\t\\N\na\t10\t*\nb\t1\t*\n", true, NULL);
  expect_cmp("t", "k\tn\tname\nB\t1\t*\na\t2\t*\na\t10\t*\nb\t1\t*\n", false,
             "column `name`: expected *, got \\N");
  /* Booleans read as 0/1, datetimes without fraction. */
  expect_cmp("t", "k\tn\tflag\tseen\nB\t1\t\\N\t\\N\na\t2\t0\t\\N\na\t10\t1\t2024-05-05 00:00:00\n"
                  "b\t1\t1\t2024-01-01 00:00:01\n", true, NULL);
}

Test(edge_fixture, compare_after_rule) {
  make_table();
  /* Days 2024-01-01 .. yesterday: explicit values for the first three, then 7 and 9. */
  testdb_exec(m, "CREATE TABLE `%s_cmp`.h (day DATE NOT NULL PRIMARY KEY, v INT, w INT)", prefix);
  testdb_exec(m, "INSERT INTO `%s_cmp`.h SELECT DATE'2024-01-01' + INTERVAL seq DAY, "
                 "IF(seq < 3, seq, 7), IF(seq < 3, 0, 9) FROM `%s_cmp`.seq_0_to_20000 "
                 "WHERE DATE'2024-01-01' + INTERVAL seq DAY < UTC_DATE()", prefix, prefix);
  const char *rule = "day\tv\tw\n2024-01-01\t0\t0\n2024-01-02\t1\t0\n2024-01-03\t2\t0\n"
                     "#@ after 2024-01-03: 7 9\n";
  expect_cmp("h", rule, true, "matches");
  expect_cmp("h", "day\tv\tw\n2024-01-01\t0\t0\n2024-01-02\t1\t0\n2024-01-03\t2\t0\n"
                  "#@ after 2024-01-03: 7 8\n", false, "column `w`: expected '8', got '9'");
  expect_cmp("h", "day\tv\tw\n2024-01-01\t0\t0\n2024-01-02\t1\t0\n2024-01-03\t2\t0\n"
                  "#@ after 2024-01-03: 7\n", false, "gives 1 values for 2 columns");
  /* A gap in the days. */
  testdb_exec(m, "DELETE FROM `%s_cmp`.h WHERE day = '2024-02-29'", prefix);
  expect_cmp("h", rule, false, "missing row (day='2024-02-29')");
  testdb_exec(m, "INSERT INTO `%s_cmp`.h VALUES ('2024-02-29', 7, 9)", prefix);
  /* Today is never written: a row for today is an unexpected row, and so is a
   * missing yesterday a missing row. */
  testdb_exec(m, "INSERT INTO `%s_cmp`.h VALUES (UTC_DATE(), 7, 9)", prefix);
  expect_cmp("h", rule, false, "unexpected row");
  testdb_exec(m, "DELETE FROM `%s_cmp`.h WHERE day >= UTC_DATE() - INTERVAL 1 DAY", prefix);
  expect_cmp("h", rule, false, "missing row");
}

/* The expected files themselves: each one, loaded into a table of the
 * contract's shape (columns, types, primary key), must compare equal with
 * itself.  This catches a misspelt or missing column, an unsorted or
 * duplicate key, and a value the column type cannot hold. */
static const struct { const char *table, *ddl; } contract[] = {
    {"metadata", "table_name varchar(64) PRIMARY KEY, last_update timestamp NULL DEFAULT CURRENT_TIMESTAMP, row_count int DEFAULT 0"},
    {"hypervisor", "id int, availability_zone varchar(255), host varchar(255), hostname varchar(255), "
                   "ip_address varchar(39), cpus int, memory int, local_storage int, "
                   "last_seen timestamp NULL DEFAULT CURRENT_TIMESTAMP, active boolean, PRIMARY KEY (id, availability_zone, host)"},
    {"project", "id varchar(36) PRIMARY KEY, display_name varchar(64), organisation varchar(255), "
                "description text, enabled boolean, personal boolean, has_instances boolean, "
                "quota_instances int, quota_vcpus int, quota_memory int, quota_volume_total int, "
                "quota_snapshot int, quota_volume_count int"},
    {"user", "id varchar(64) PRIMARY KEY, name varchar(255), email varchar(255), "
             "default_project varchar(36), enabled boolean"},
    {"role", "role varchar(255), user varchar(64), project varchar(36), PRIMARY KEY (role, user, project)"},
    {"flavour", "id int PRIMARY KEY, uuid varchar(36), name varchar(255), vcpus int, memory int, "
                "root int, ephemeral int, public boolean, active boolean"},
    {"instance", "project_id varchar(36), id varchar(36) PRIMARY KEY, name varchar(255), vcpus int, "
                 "memory int, root int, ephemeral int, flavour int, created_by varchar(36), "
                 "created datetime, deleted datetime, active boolean, hypervisor varchar(255), "
                 "availability_zone varchar(255), cell_name varchar(255)"},
    {"historical_usage", "day date PRIMARY KEY, vcpus int, memory int, local_storage int"},
    {"volume", "id varchar(36) PRIMARY KEY, project_id varchar(36), display_name varchar(64), size int, "
               "created datetime, deleted datetime, attached boolean, instance_uuid varchar(36), "
               "availability_zone varchar(255), active boolean"},
    {"image", "id varchar(36) PRIMARY KEY, project_id varchar(36), name varchar(255), size bigint, "
              "status varchar(30), public boolean, created datetime, deleted datetime, active boolean"},
    {"aggregate", "id int, availability_zone varchar(255), name varchar(255), created datetime, "
                  "deleted datetime, active boolean, PRIMARY KEY (id, availability_zone)"},
    {"aggregate_host", "id int, availability_zone varchar(255), host varchar(255), "
                       "last_seen timestamp NULL DEFAULT CURRENT_TIMESTAMP, active boolean, PRIMARY KEY (id, availability_zone, host)"},
    {"allocation", "id int PRIMARY KEY, project_id varchar(36), project_name varchar(255), "
                   "contact_email varchar(75), approver_email varchar(75), chief_investigator varchar(75), "
                   "status varchar(1), start_date datetime, end_date datetime, modified_time datetime, "
                   "field_of_research_1 varchar(6), for_percentage_1 int, field_of_research_2 varchar(6), "
                   "for_percentage_2 int, field_of_research_3 varchar(6), for_percentage_3 int, "
                   "funding_national int, funding_node varchar(128)"},
};

/* Insert the data lines of an expected file ('*' becomes the column's
 * non-NULL DEFAULT). */
static void load_expected(const char *schema, const char *table, const char *path) {
  FILE *f = fopen(path, "r");
  cr_assert(f != NULL, "%s", path);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  bool header = true;
  while ((n = getline(&line, &cap, f)) >= 0) {
    if (n && line[n - 1] == '\n')
      line[--n] = '\0';
    if (line[0] == '#' || n == 0)
      continue;
    if (header) {
      header = false;
      continue;
    }
    char *sql = malloc(3 * (size_t)n + 256);
    size_t pos = (size_t)sprintf(sql, "INSERT INTO `%s`.`%s` VALUES (", schema, table);
    /* strsep keeps empty fields (strtok would not). */
    char *rest = line;
    bool first = true;
    for (char *fld; (fld = strsep(&rest, "\t"));) {
      pos += (size_t)sprintf(sql + pos, "%s", first ? "" : ", ");
      first = false;
      if (strcmp(fld, "\\N") == 0)
        pos += (size_t)sprintf(sql + pos, "NULL");
      else if (strcmp(fld, "*") == 0)
        pos += (size_t)sprintf(sql + pos, "DEFAULT");
      else {
        /* The file's escapes are the SQL string escapes: copy them through. */
        sql[pos++] = '\'';
        for (char *p = fld; *p; p++) {
          if (*p == '\'')
            sql[pos++] = '\\';
          sql[pos++] = *p;
        }
        sql[pos++] = '\'';
      }
    }
    strcpy(sql + pos, ")");
    testdb_exec(m, "%s", sql);
    free(sql);
  }
  free(line);
  fclose(f);
}

Test(edge_fixture, expected_files_have_the_contract_shape) {
  char schema[96];
  snprintf(schema, sizeof schema, "%s_cmp", prefix);
  testdb_exec(m, "CREATE DATABASE `%s` CHARACTER SET utf8mb4", schema);
  for (size_t i = 0; i < sizeof contract / sizeof *contract; i++) {
    const char *t = contract[i].table;
    testdb_exec(m, "CREATE TABLE `%s`.`%s` (%s) CHARSET utf8mb4 COLLATE utf8mb4_bin", schema, t,
                contract[i].ddl);
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/edge/expected/%s.tsv", t);
    char *path = testdb_source_path(rel);
    load_expected(schema, t, path);
    if (strcmp(t, "historical_usage") == 0)
      /* What the #@ rule promises for the days after the explicit ones. */
      testdb_exec(m, "INSERT INTO `%s`.historical_usage SELECT DATE'2024-01-21' + INTERVAL seq DAY, "
                     "9, 12032, 116 FROM `%s`.seq_0_to_100000 "
                     "WHERE DATE'2024-01-21' + INTERVAL seq DAY < UTC_DATE()", schema, schema);
    char *report = NULL;
    bool same = fixture_compare(m, schema, t, path, &report);
    cr_expect(same, "%s", report);
    cr_expect(strstr(report, "does not check") == NULL, "%s", report);
    free(report);
    free(path);
  }
  /* metadata's row counts agree with the files. */
  static const char *const counted[] = {"hypervisor", "project", "user", "role", "flavour",
                                        "instance", "volume", "image", "aggregate",
                                        "aggregate_host", "allocation"};
  for (size_t i = 0; i < sizeof counted / sizeof *counted; i++)
    cr_expect_eq(testdb_i64(m, "SELECT row_count FROM `%s`.metadata WHERE table_name = '%s'",
                            schema, counted[i]),
                 testdb_i64(m, "SELECT COUNT(*) FROM `%s`.`%s`", schema, counted[i]), "%s",
                 counted[i]);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.metadata", schema), 12);
}
