/* staging: deferred keys, the atomic swap under concurrent readers, a reader
 * holding a metadata lock, metadata rows, and crash leftovers. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/db.h"
#include "loaders/loader.h"
#include "loaders/staging.h"
#include "schema/schema.h"
#include "tests/support/testdb.h"

static MYSQL *m;
static char rep[64], state[80];
static cfg_target target;
static schema_def *sd;

static void setup(void) {
  m = testdb_connect();
  testdb_unique(rep, sizeof rep, "stg");
  snprintf(state, sizeof state, "%s_pollster", rep);
  target = (cfg_target){.server = 0, .schema = rep, .state_schema = state};
  ps_error err;
  error_clear(&err);
  sd = schema_load(NULL, &err);
  cr_assert_not_null(sd, "%s", err.msg);
  schema_sync_opts o = {0};
  cr_assert_eq(schema_sync(m, &target, sd, &o, &err), PS_OK, "%s", err.msg);
  cr_assert_eq(staging_ensure_state_schema(m, &target, &err), PS_OK, "%s", err.msg);
}

static void teardown(void) {
  testdb_exec(m, "DROP DATABASE IF EXISTS `%s`", rep);
  testdb_exec(m, "DROP DATABASE IF EXISTS `%s`", state);
  schema_free(sd);
  db_close(m);
}

TestSuite(staging, .init = setup, .fini = teardown);

/* The error record of the calls checked with OK() (main test thread only). */
static ps_error E;
#define OK(call)                                                                              \
  do {                                                                                        \
    error_clear(&E);                                                                          \
    ps_status s_ = (call);                                                                    \
    cr_assert_eq(s_, PS_OK, "%s: %s", #call, E.msg);                                          \
  } while (0)

static int64_t n_indexes(const char *db, const char *table) {
  return testdb_i64(m, "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS "
                       "WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = '%s'", db, table);
}

static void fill_staging(MYSQL *c, const char *table, int rows, const char *tag) {
  testdb_exec(c,
              "INSERT INTO `%s`.`%s__staging` (id, project_id, name, vcpus, created) "
              "SELECT CONCAT('i-', seq), CONCAT('p', seq %% 7), CONCAT('%s ', seq), seq %% 16, "
              "'2020-01-01 00:00:00' + INTERVAL seq MINUTE FROM `%s`.seq_1_to_%d",
              state, table, tag, state, rows);
}

Test(staging, deferred_keys_are_added_in_one_alter) {
  staging_table st;
  OK(staging_create(m, &target, sd, "instance", true, &st, &E));
  cr_assert_str_eq(st.table, "instance");
  cr_assert_eq(n_indexes(state, "instance__staging"), 1);
  cr_assert(strstr(st.deferred_keys, "ADD KEY project_id (project_id)") != NULL, "%s",
            st.deferred_keys);
  fill_staging(m, "instance", 1000, "a");
  OK(staging_build_keys(m, &target, &st, &E));
  cr_assert_eq(n_indexes(state, "instance__staging"), 4);
  cr_assert_str_eq(st.deferred_keys, "");
  OK(staging_build_keys(m, &target, &st, &E)); /* no-op now */
  /* Same definition as the live table, comments included. */
  char *a = testdb_str(m, "SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME, COLUMN_TYPE, "
                          "COLUMN_COMMENT) ORDER BY ORDINAL_POSITION) FROM "
                          "information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' AND "
                          "TABLE_NAME = 'instance__staging'", state);
  char *b = testdb_str(m, "SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME, COLUMN_TYPE, "
                          "COLUMN_COMMENT) ORDER BY ORDINAL_POSITION) FROM "
                          "information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' AND "
                          "TABLE_NAME = 'instance'", rep);
  cr_assert_str_eq(a, b);
  free(a);
  free(b);
  a = testdb_str(m, "SELECT GROUP_CONCAT(CONCAT(INDEX_NAME, ':', COLUMN_NAME) ORDER BY "
                    "INDEX_NAME, SEQ_IN_INDEX) FROM information_schema.STATISTICS WHERE "
                    "TABLE_SCHEMA = '%s' AND TABLE_NAME = 'instance__staging'", state);
  b = testdb_str(m, "SELECT GROUP_CONCAT(CONCAT(INDEX_NAME, ':', COLUMN_NAME) ORDER BY "
                    "INDEX_NAME, SEQ_IN_INDEX) FROM information_schema.STATISTICS WHERE "
                    "TABLE_SCHEMA = '%s' AND TABLE_NAME = 'instance'", rep);
  cr_assert_str_eq(a, b);
  free(a);
  free(b);
  /* every contract table can be staged either way */
  for (size_t i = 0; i < schema_table_count(sd); i++) {
    const char *t = schema_table_name(sd, i);
    OK(staging_create(m, &target, sd, t, true, &st, &E));
    OK(staging_build_keys(m, &target, &st, &E));
    char sname[128];
    snprintf(sname, sizeof sname, "%s__staging", t);
    cr_assert_eq(n_indexes(state, sname), n_indexes(rep, t), "%s", t);
    OK(staging_create(m, &target, sd, t, false, &st, &E));
    cr_assert_str_eq(st.deferred_keys, "");
    OK(staging_drop(m, &target, t, &E));
  }
  ps_error e;
  error_clear(&e);
  cr_assert_eq(staging_create(m, &target, sd, "nope", true, &st, &e), PS_ESCHEMA);
}

Test(staging, first_swap_without_a_live_table_and_metadata) {
  testdb_exec(m, "DROP TABLE `%s`.instance", rep);
  staging_table st;
  OK(staging_create(m, &target, sd, "instance", true, &st, &E));
  fill_staging(m, "instance", 123, "a");
  OK(staging_build_keys(m, &target, &st, &E));
  const char *tables[] = {"instance"};
  staging_swap_opts o = {.lock_wait_s = 1, .retries = 2, .backoff_ms = 50,
                         .refresh_started = "2026-01-02 03:04:05"};
  OK(staging_swap(m, &target, tables, 1, &o, &E));
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.instance", rep), 123);
  char *md = testdb_str(m, "SELECT CONCAT(last_update, ' ', row_count) FROM `%s`.metadata "
                           "WHERE table_name = 'instance'", rep);
  cr_assert_str_eq(md, "2026-01-02 03:04:05 123");
  free(md);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                             "TABLE_SCHEMA = '%s' AND TABLE_NAME LIKE 'instance%%'", state), 0);
  cr_assert_eq(testdb_i64(m, "SELECT @@session.lock_wait_timeout"),
               testdb_i64(m, "SELECT @@global.lock_wait_timeout"));
}

Test(staging, several_tables_swap_in_one_rename) {
  staging_table st;
  const char *tables[] = {"aggregate", "aggregate_host"};
  for (int i = 0; i < 2; i++)
    OK(staging_create(m, &target, sd, tables[i], false, &st, &E));
  testdb_exec(m, "INSERT INTO `%s`.aggregate__staging (id, availability_zone) VALUES (1, 'az')",
              state);
  testdb_exec(m, "INSERT INTO `%s`.aggregate_host__staging (id, availability_zone, host) "
                 "VALUES (1, 'az', 'h1'), (1, 'az', 'h2')", state);
  staging_swap_opts o = {.lock_wait_s = 1, .retries = 0, .backoff_ms = 50,
                         .refresh_started = "2026-01-02 03:04:05"};
  OK(staging_swap(m, &target, tables, 2, &o, &E));
  cr_assert_eq(testdb_i64(m, "SELECT SUM(row_count) FROM `%s`.metadata WHERE table_name IN "
                             "('aggregate', 'aggregate_host')", rep), 3);
}

/* ---- readers during 50 swaps ---- */

typedef struct reader_ctx {
  _Atomic bool stop;
  _Atomic int bad, reads;
  int64_t want[2];
  char last_bad[1100];
} reader_ctx;

static const char checksum_sql[] =
    "SELECT COUNT(*) * 10000000000 + SUM(CRC32(CONCAT(id, name))) %% 10000000000 "
    "FROM `%s`.instance";

static void *swap_reader(void *arg) {
  reader_ctx *rc = arg;
  MYSQL *r = testdb_connect();
  char sql[256];
  snprintf(sql, sizeof sql, checksum_sql, rep);
  while (!atomic_load(&rc->stop)) {
    int64_t v = 0;
    bool null = false;
    ps_error e;
    error_clear(&e);
    if (db_query_i64(r, sql, &v, &null, &e) != PS_OK || null ||
        (v != rc->want[0] && v != rc->want[1])) {
      snprintf(rc->last_bad, sizeof rc->last_bad, "%lld %s", (long long)v, e.msg);
      atomic_fetch_add(&rc->bad, 1);
    }
    atomic_fetch_add(&rc->reads, 1);
  }
  db_close(r);
  return NULL;
}

static const loader_column inst_cols[] = {
    {"id", LOADER_STR, true}, {"project_id", LOADER_STR, false}, {"name", LOADER_STR, false},
    {"vcpus", LOADER_INT, false}, {"created", LOADER_DATETIME, false},
};

static void refresh(int which) {
  staging_table st;
  OK(staging_create(m, &target, sd, "instance", true, &st, &E));
  loader_opts lo = {.batch_rows = 500, .batch_bytes = 1 << 20, .method = CFG_LOAD_INSERT};
  ps_error e;
  error_clear(&e);
  char stname[128];
  snprintf(stname, sizeof stname, "instance__staging");
  loader *l = loader_open(m, state, stname, inst_cols, 5, &lo, &e);
  cr_assert_not_null(l, "%s", e.msg);
  int rows = which ? 1500 : 1000;
  char id[32], pj[32], name[64], vc[16];
  for (int i = 1; i <= rows; i++) {
    snprintf(id, sizeof id, "i-%d", i);
    snprintf(pj, sizeof pj, "p%d", i % 7);
    snprintf(name, sizeof name, "%s %d", which ? "b" : "a", i);
    snprintf(vc, sizeof vc, "%d", i % 16);
    loader_value v[] = {{id, strlen(id)}, {pj, strlen(pj)}, {name, strlen(name)},
                        {vc, strlen(vc)}, {"2020-01-01 00:00:00", 19}};
    cr_assert_eq(loader_add_row(l, v, &e), PS_OK, "%s", e.msg);
  }
  cr_assert_eq(loader_finish(l, &e), PS_OK, "%s", e.msg);
  loader_free(l);
  OK(staging_build_keys(m, &target, &st, &E));
  const char *tables[] = {"instance"};
  staging_swap_opts o = {.lock_wait_s = 2, .retries = 5, .backoff_ms = 50,
                         .refresh_started = "2026-01-02 03:04:05"};
  OK(staging_swap(m, &target, tables, 1, &o, &E));
}

Test(staging, readers_see_old_or_new_never_a_gap, .timeout = 300) {
  reader_ctx rc = {0};
  for (int which = 0; which < 2; which++) {
    refresh(which);
    rc.want[which] = testdb_i64(m, checksum_sql, rep);
  }
  cr_assert_neq(rc.want[0], rc.want[1]);
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, swap_reader, &rc);
  for (int k = 0; k < 50; k++)
    refresh(k % 2);
  atomic_store(&rc.stop, true);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  cr_assert_eq(rc.bad, 0, "%d bad reads of %d, last: %s", rc.bad, rc.reads, rc.last_bad);
  cr_assert_gt(rc.reads, 50);
  cr_assert_eq(testdb_i64(m, "SELECT row_count FROM `%s`.metadata WHERE table_name = "
                             "'instance'", rep), 1500);
}

/* ---- a reader holding a metadata lock ---- */

typedef struct holder {
  MYSQL *c;
  unsigned release_after_ms;
} holder;

static void *release_later(void *arg) {
  holder *h = arg;
  usleep(h->release_after_ms * 1000);
  testdb_exec(h->c, "COMMIT");
  return NULL;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

Test(staging, a_reader_lock_delays_the_swap_until_released) {
  testdb_exec(m, "INSERT INTO `%s`.user (id, name) VALUES ('old', 'Old')", rep);
  holder h = {.c = testdb_connect(), .release_after_ms = 1000};
  testdb_exec(h.c, "START TRANSACTION");
  free(testdb_str(h.c, "SELECT id FROM `%s`.user LIMIT 1", rep));
  staging_table st;
  OK(staging_create(m, &target, sd, "user", false, &st, &E));
  testdb_exec(m, "INSERT INTO `%s`.user__staging (id, name) VALUES ('new', 'New')", state);
  pthread_t th;
  pthread_create(&th, NULL, release_later, &h);
  const char *tables[] = {"user"};
  staging_swap_opts o = {.lock_wait_s = 1, .retries = 10, .backoff_ms = 100};
  double t0 = now_s();
  OK(staging_swap(m, &target, tables, 1, &o, &E));
  double took = now_s() - t0;
  pthread_join(th, NULL);
  cr_assert_geq(took, 0.9, "took %.2f s", took);
  char *id = testdb_str(m, "SELECT GROUP_CONCAT(id) FROM `%s`.user", rep);
  cr_assert_str_eq(id, "new");
  free(id);
  db_close(h.c);
}

Test(staging, a_lock_never_released_is_a_clear_elock) {
  testdb_exec(m, "INSERT INTO `%s`.user (id, name) VALUES ('old', 'Old')", rep);
  MYSQL *c = testdb_connect();
  testdb_exec(c, "START TRANSACTION");
  free(testdb_str(c, "SELECT id FROM `%s`.user LIMIT 1", rep));
  staging_table st;
  OK(staging_create(m, &target, sd, "user", false, &st, &E));
  testdb_exec(m, "INSERT INTO `%s`.user__staging (id, name) VALUES ('new', 'New')", state);
  const char *tables[] = {"user"};
  staging_swap_opts o = {.lock_wait_s = 1, .retries = 2, .backoff_ms = 50};
  ps_error e;
  error_clear(&e);
  cr_assert_eq(staging_swap(m, &target, tables, 1, &o, &e), PS_ELOCK);
  cr_assert(strstr(e.msg, "user") && strstr(e.msg, "reader holds a lock"), "%s", e.msg);
  cr_assert_eq(e.db_errno, 1205u);
  testdb_exec(c, "COMMIT");
  /* live table untouched, staging still there: the swap can be retried */
  char *id = testdb_str(m, "SELECT GROUP_CONCAT(id) FROM `%s`.user", rep);
  cr_assert_str_eq(id, "old");
  free(id);
  OK(staging_swap(m, &target, tables, 1, &o, &E));
  id = testdb_str(m, "SELECT GROUP_CONCAT(id) FROM `%s`.user", rep);
  cr_assert_str_eq(id, "new");
  free(id);
  db_close(c);
}

/* ---- crash leftovers ---- */

Test(staging, cleanup_restores_a_missing_live_table_and_drops_the_rest) {
  testdb_exec(m, "INSERT INTO `%s`.instance (id, name) VALUES ('keep', 'me')", rep);
  /* crash between RENAME and DROP of a two-step swap by hand: live moved out */
  testdb_exec(m, "RENAME TABLE `%s`.instance TO `%s`.instance__old", rep, state);
  testdb_exec(m, "CREATE TABLE `%s`.instance__staging (x int)", state);
  testdb_exec(m, "CREATE TABLE `%s`.user__old (x int)", state);       /* live exists */
  testdb_exec(m, "CREATE TABLE `%s`.image__staging (x int)", rep);    /* stray in reporting */
  testdb_exec(m, "INSERT INTO `%s`.volume (id) VALUES ('v1')", rep);
  testdb_exec(m, "RENAME TABLE `%s`.volume TO `%s`.volume__old", rep, rep);
  testdb_exec(m, "CREATE TABLE `%s`.somebody_elses (x int)", rep);
  OK(staging_cleanup(m, &target, sd, NULL, &E));
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.instance WHERE id = 'keep'", rep), 1);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.volume WHERE id = 'v1'", rep), 1);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                             "TABLE_SCHEMA = '%s' AND (TABLE_NAME LIKE '%%\\_\\_old' OR "
                             "TABLE_NAME LIKE '%%\\_\\_staging')", state), 0);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                             "TABLE_SCHEMA = '%s'", rep), 14); /* 13 + somebody_elses */
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                             "TABLE_SCHEMA = '%s' AND TABLE_NAME = 'somebody_elses'", rep), 1);
}

Test(staging, cleanup_of_one_table_leaves_the_others) {
  testdb_exec(m, "CREATE TABLE `%s`.instance__staging (x int)", state);
  testdb_exec(m, "CREATE TABLE `%s`.image__staging (x int)", state);
  OK(staging_cleanup(m, &target, sd, "instance", &E));
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                             "TABLE_SCHEMA = '%s'", state), 2); /* schema_version + image */
}

Test(staging, metadata_inside_the_callers_transaction) {
  testdb_exec(m, "INSERT INTO `%s`.image (id) VALUES ('a'), ('b')", rep);
  MYSQL *r = testdb_connect();
  testdb_exec(m, "START TRANSACTION");
  OK(staging_write_metadata(m, &target, "image", "2026-02-03 00:00:00", &E));
  cr_assert_eq(testdb_i64(r, "SELECT COUNT(*) FROM `%s`.metadata WHERE table_name = 'image'",
                          rep), 0);
  testdb_exec(m, "COMMIT");
  cr_assert_eq(testdb_i64(r, "SELECT row_count FROM `%s`.metadata WHERE table_name = 'image'",
                          rep), 2);
  db_close(r);
}
