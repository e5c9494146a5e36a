/* loader: awkward values through both load methods, upsert, batch cutting
 * by rows / bytes / max_allowed_packet, errors from the sender, cancel, and
 * all-or-nothing visibility of an upsert inside the caller's transaction. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/db.h"
#include "loaders/loader.h"
#include "tests/support/testdb.h"

static MYSQL *m;
static char schema[64];

static void setup(void) {
  m = testdb_connect();
  testdb_unique(schema, sizeof schema, "ld");
  testdb_exec(m, "CREATE DATABASE `%s` CHARACTER SET utf8mb4", schema);
  testdb_exec(m,
              "CREATE TABLE `%s`.t (id INT PRIMARY KEY, s VARCHAR(255) NULL, "
              "d DATETIME NULL, b BLOB NULL, n BIGINT NULL) CHARSET utf8mb4",
              schema);
}

static void teardown(void) {
  testdb_exec(m, "DROP DATABASE IF EXISTS `%s`", schema);
  db_close(m);
}

TestSuite(loader, .init = setup, .fini = teardown);

static const loader_column cols[] = {
    {"id", LOADER_INT, true},
    {"s", LOADER_STR, false},
    {"d", LOADER_DATETIME, false},
    {"b", LOADER_STR, false},
    {"n", LOADER_INT, false},
};
#define NCOLS (sizeof cols / sizeof *cols)

static loader_value V(const char *s) { return (loader_value){s, s ? strlen(s) : 0}; }

static loader *open_t(MYSQL *conn, const char *table, cfg_load_method method, bool upsert,
                      size_t rows, size_t bytes) {
  loader_opts o = {.batch_rows = rows, .batch_bytes = bytes, .method = method,
                   .upsert = upsert};
  ps_error err;
  error_clear(&err);
  loader *l = loader_open(conn, schema, table, cols, NCOLS, &o, &err);
  cr_assert_not_null(l, "%s", err.msg);
  return l;
}

static void add(loader *l, const loader_value *v) {
  ps_error err;
  error_clear(&err);
  cr_assert_eq(loader_add_row(l, v, &err), PS_OK, "%s", err.msg);
}

static void finish(loader *l) {
  ps_error err;
  error_clear(&err);
  cr_assert_eq(loader_finish(l, &err), PS_OK, "%s", err.msg);
}

static char *hex(const char *s, size_t len) {
  char *h = malloc(2 * len + 1);
  for (size_t i = 0; i < len; i++)
    sprintf(h + 2 * i, "%02X", (unsigned char)s[i]);
  h[2 * len] = '\0';
  return h;
}

static void roundtrip(cfg_load_method method) {
  const char str[] = "caf\xc3\xa9 \xf0\x9f\x98\x80 'q' \"d\" \\b \\N tab\there nl\nthere "
                     "cr\r ctrl-z\x1a end";
  const char bin[] = {'a', '\0', 'b', '\'', '\\', (char)0xff, '\t', '\n', 'N', '\r', '\0'};
  loader *l = open_t(m, "t", method, false, 2, 1 << 20);
  loader_value r1[] = {V("1"), {str, sizeof str - 1}, V("2019-12-31 23:59:59"),
                       {bin, sizeof bin}, V("-9007199254740993")};
  loader_value r2[] = {V("2"), V(NULL), V(NULL), V(NULL), V(NULL)};
  loader_value r3[] = {V("3"), V(""), V("1970-01-01 00:00:01"), {"", 0}, V("0")};
  loader_value r4[] = {V("4"), V("\\N"), V("2038-01-19"), V("NULL"), V("+7")};
  loader_value r5[] = {V("5"), V("N"), V(NULL), {"\\", 1}, V("9223372036854775807")};
  add(l, r1);
  add(l, r2);
  add(l, r3);
  add(l, r4);
  add(l, r5);
  finish(l);
  cr_assert_eq(loader_rows_written(l), 5);
  cr_assert_eq(loader_batches_sent(l), 3);
  cr_assert_gt(loader_bytes_sent(l), sizeof str + sizeof bin);
  loader_free(l);

  char *got = testdb_str(m, "SELECT HEX(s) FROM `%s`.t WHERE id = 1", schema);
  char *want = hex(str, sizeof str - 1);
  cr_assert_str_eq(got, want);
  free(got);
  free(want);
  got = testdb_str(m, "SELECT HEX(b) FROM `%s`.t WHERE id = 1", schema);
  want = hex(bin, sizeof bin);
  cr_assert_str_eq(got, want);
  free(got);
  free(want);
  got = testdb_str(m, "SELECT CONCAT(d, ' ', n) FROM `%s`.t WHERE id = 1", schema);
  cr_assert_str_eq(got, "2019-12-31 23:59:59 -9007199254740993");
  free(got);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t WHERE id = 2 AND s IS NULL AND d IS "
                             "NULL AND b IS NULL AND n IS NULL", schema), 1);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t WHERE id = 3 AND s = '' AND b = '' "
                             "AND d = '1970-01-01 00:00:01' AND n = 0", schema), 1);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t WHERE id = 4 AND s = '\\\\N' AND "
                             "b = 'NULL' AND d = '2038-01-19 00:00:00' AND n = 7", schema), 1);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t WHERE id = 5 AND s = 'N' AND "
                             "b = '\\\\' AND d IS NULL AND n = 9223372036854775807", schema), 1);
}

Test(loader, roundtrip_insert) { roundtrip(CFG_LOAD_INSERT); }
Test(loader, roundtrip_load_data) { roundtrip(CFG_LOAD_DATA); }

static void upsert(cfg_load_method method) {
  char id[16], s[32];
  loader *l = open_t(m, "t", method, false, 3, 1 << 20);
  for (int i = 1; i <= 10; i++) {
    snprintf(id, sizeof id, "%d", i);
    snprintf(s, sizeof s, "old %d", i);
    loader_value v[] = {V(id), V(s), V("2020-01-01 00:00:00"), V("x"), V("1")};
    add(l, v);
  }
  finish(l);
  loader_free(l);
  l = open_t(m, "t", method, true, 4, 1 << 20);
  for (int i = 5; i <= 15; i++) {
    snprintf(id, sizeof id, "%d", i);
    snprintf(s, sizeof s, "new %d", i);
    loader_value v[] = {V(id), V(s), V(NULL), V("y"), V("2")};
    add(l, v);
  }
  finish(l);
  cr_assert_eq(loader_rows_written(l), 11);
  loader_free(l);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t", schema), 15);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t WHERE s LIKE 'old %%' AND n = 1 "
                             "AND d IS NOT NULL AND id < 5", schema), 4);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t WHERE s = CONCAT('new ', id) AND "
                             "n = 2 AND b = 'y' AND d IS NULL AND id >= 5", schema), 11);
}

/* last_wins: duplicates within one load keep the later row, with both
 * methods (LOAD DATA through REPLACE). */
static void last_wins(cfg_load_method method) {
  loader_opts o = {.batch_rows = 4, .batch_bytes = 1 << 20, .method = method,
                   .last_wins = true};
  ps_error err;
  error_clear(&err);
  loader *l = loader_open(m, schema, "t", cols, NCOLS, &o, &err);
  cr_assert_not_null(l, "%s", err.msg);
  char id[16], s[32];
  for (int round = 0; round < 2; round++)
    for (int i = 1; i <= 6; i++) {
      snprintf(id, sizeof id, "%d", i);
      snprintf(s, sizeof s, "round %d", round);
      loader_value v[] = {V(id), V(s), V(round ? NULL : "2020-01-01 00:00:00"), V("z"),
                          V(round ? "7" : NULL)};
      add(l, v);
    }
  finish(l);
  loader_free(l);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t", schema), 6);
  cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t WHERE s = 'round 1' AND d IS NULL "
                             "AND n = 7", schema), 6);
}

Test(loader, last_wins_insert) { last_wins(CFG_LOAD_INSERT); }
Test(loader, last_wins_load_data_replaces) { last_wins(CFG_LOAD_DATA); }

Test(loader, upsert_insert) { upsert(CFG_LOAD_INSERT); }
Test(loader, upsert_with_load_data_uses_insert) { upsert(CFG_LOAD_DATA); }

static int64_t session_status(MYSQL *conn, const char *name) {
  char sql[128];
  snprintf(sql, sizeof sql,
           "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE "
           "VARIABLE_NAME = '%s'", name);
  int64_t v = 0;
  ps_error err;
  cr_assert_eq(db_query_i64(conn, sql, &v, NULL, &err), PS_OK, "%s", err.msg);
  return v;
}

Test(loader, cuts_batches_by_rows) {
  for (int method = 0; method < 2; method++) {
    testdb_exec(m, "TRUNCATE `%s`.t", schema);
    const char *counter = method ? "COM_LOAD" : "COM_INSERT";
    int64_t before = session_status(m, counter);
    loader *l = open_t(m, "t", method ? CFG_LOAD_DATA : CFG_LOAD_INSERT, false, 100, 1 << 20);
    char id[16];
    for (int i = 0; i < 1050; i++) {
      snprintf(id, sizeof id, "%d", i);
      loader_value v[] = {V(id), V("row"), V(NULL), V(NULL), V(id)};
      add(l, v);
    }
    finish(l);
    cr_assert_eq(loader_batches_sent(l), 11);
    cr_assert_eq(loader_rows_written(l), 1050);
    loader_free(l);
    cr_assert_eq(session_status(m, counter) - before, 11, "%s", counter);
    cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t", schema), 1050);
  }
}

Test(loader, cuts_batches_by_bytes) {
  /* INSERT: "(1000,'<90 x>',NULL,NULL,NULL)" is 114 bytes; with the
   * separating comma 8 rows are 919 bytes and 9 would be 1034 > 1000.
   * LOAD DATA: "1000\t<90 x>\t\\N\t\\N\t\\N\n" is 105 bytes: 9 rows a batch. */
  char s[91];
  memset(s, 'x', 90);
  s[90] = '\0';
  for (int method = 0; method < 2; method++) {
    testdb_exec(m, "TRUNCATE `%s`.t", schema);
    const char *counter = method ? "COM_LOAD" : "COM_INSERT";
    int64_t before = session_status(m, counter);
    loader *l = open_t(m, "t", method ? CFG_LOAD_DATA : CFG_LOAD_INSERT, false, 100000, 1000);
    char id[16];
    for (int i = 1000; i < 1080; i++) {
      snprintf(id, sizeof id, "%d", i);
      loader_value v[] = {V(id), V(s), V(NULL), V(NULL), V(NULL)};
      add(l, v);
    }
    finish(l);
    int64_t want = method ? 9 : 10;
    cr_assert_eq(loader_batches_sent(l), (uint64_t)want, "%s", counter);
    cr_assert_eq(session_status(m, counter) - before, want, "%s", counter);
    cr_assert_leq(loader_bytes_sent(l), (uint64_t)want * (1000 + 300), "%s", counter);
    loader_free(l);
    cr_assert_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t WHERE s = REPEAT('x', 90)", schema),
                 80);
  }
}

Test(loader, respects_max_allowed_packet_and_names_a_too_big_row) {
  int64_t saved = testdb_i64(m, "SELECT @@global.max_allowed_packet");
  testdb_exec(m, "SET GLOBAL max_allowed_packet = 16384");
  MYSQL *c = testdb_connect(); /* sees the new value */
  testdb_exec(m, "SET GLOBAL max_allowed_packet = %lld", (long long)saved);
  cr_assert_eq(testdb_i64(c, "SELECT @@max_allowed_packet"), 16384);
  testdb_exec(c, "ALTER TABLE `%s`.t MODIFY b MEDIUMBLOB", schema);
  char *big = malloc(20001);
  memset(big, 'b', 20000);
  big[20000] = '\0';
  for (int method = 0; method < 2; method++) {
    testdb_exec(c, "TRUNCATE `%s`.t", schema);
    loader *l = open_t(c, "t", method ? CFG_LOAD_DATA : CFG_LOAD_INSERT, false, 100000,
                       64 << 20);
    char id[16];
    for (int i = 0; i < 100; i++) {
      snprintf(id, sizeof id, "%d", i);
      loader_value v[] = {V(id), V(NULL), V(NULL), {big, 1000}, V(NULL)};
      add(l, v);
    }
    /* 100 rows of ~1 KB cannot go in one 16 KB packet */
    loader_value too_big[] = {V("77"), V(NULL), V(NULL), {big, 20000}, V(NULL)};
    ps_error err;
    error_clear(&err);
    cr_assert_eq(loader_add_row(l, too_big, &err), PS_ETOOBIG);
    cr_assert(strstr(err.msg, "id='77'") != NULL, "%s", err.msg);
    finish(l);
    cr_assert_geq(loader_batches_sent(l), 7);
    cr_assert_eq(loader_rows_written(l), 100);
    loader_free(l);
    cr_assert_eq(testdb_i64(c, "SELECT COUNT(*) FROM `%s`.t WHERE LENGTH(b) = 1000", schema),
                 100);
  }
  free(big);
  db_close(c);
}

Test(loader, sender_errors_carry_the_server_error) {
  loader *l = open_t(m, "t", CFG_LOAD_INSERT, false, 2, 1 << 20);
  loader_value v[] = {V("1"), V("a"), V(NULL), V(NULL), V(NULL)};
  ps_error err;
  error_clear(&err);
  ps_status s = PS_OK;
  for (int i = 0; i < 10 && s == PS_OK; i++)
    s = loader_add_row(l, v, &err); /* the same key again and again */
  if (s == PS_OK)
    s = loader_finish(l, &err);
  cr_assert_eq(s, PS_ESQL, "%s", err.msg);
  cr_assert_eq(err.db_errno, 1062u, "%s", err.msg);
  cr_assert_str_eq(err.sqlstate, "23000");
  loader_free(l);
}

Test(loader, load_data_refuses_silent_truncation) {
  testdb_exec(m, "CREATE TABLE `%s`.short (id INT PRIMARY KEY, s VARCHAR(3), d DATETIME, "
                 "b BLOB, n BIGINT)", schema);
  loader *l = open_t(m, "short", CFG_LOAD_DATA, false, 10, 1 << 20);
  loader_value v[] = {V("1"), V("abcdef"), V(NULL), V(NULL), V(NULL)};
  add(l, v);
  ps_error err;
  error_clear(&err);
  cr_assert_neq(loader_finish(l, &err), PS_OK);
  cr_assert(strstr(err.msg, "short") != NULL, "%s", err.msg);
  loader_free(l);
}

Test(loader, bad_integer_is_rejected_before_sending) {
  loader *l = open_t(m, "t", CFG_LOAD_INSERT, false, 10, 1 << 20);
  loader_value v[] = {V("1; DROP TABLE t"), V(NULL), V(NULL), V(NULL), V(NULL)};
  ps_error err;
  error_clear(&err);
  cr_assert_eq(loader_add_row(l, v, &err), PS_EDATA);
  finish(l);
  loader_free(l);
}

Test(loader, cancel_is_checked_per_batch) {
  _Atomic bool cancel = false;
  loader_opts o = {.batch_rows = 10, .batch_bytes = 1 << 20, .method = CFG_LOAD_INSERT,
                   .cancel = &cancel};
  ps_error err;
  error_clear(&err);
  loader *l = loader_open(m, schema, "t", cols, NCOLS, &o, &err);
  cr_assert_not_null(l);
  char id[16];
  ps_status s = PS_OK;
  int i;
  for (i = 0; i < 1000 && s == PS_OK; i++) {
    if (i == 55)
      atomic_store(&cancel, true);
    snprintf(id, sizeof id, "%d", i);
    loader_value v[] = {V(id), V(NULL), V(NULL), V(NULL), V(NULL)};
    s = loader_add_row(l, v, &err);
  }
  cr_assert_eq(s, PS_ECANCELED, "%s", err.msg);
  cr_assert_leq(i, 61);
  loader_free(l);
  cr_assert_leq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.t", schema), 50);
}

/* ---- all-or-nothing upsert inside the caller's transaction ---- */

typedef struct reader_ctx {
  const char *schema;
  _Atomic bool stop;
  _Atomic int bad;
  _Atomic int seen_old, seen_new;
} reader_ctx;

static void *rc_reader(void *arg) {
  reader_ctx *rc = arg;
  MYSQL *r = testdb_connect();
  testdb_exec(r, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT COUNT(*) * 1000000 + SUM(s LIKE 'new%%') FROM `%s`.t", rc->schema);
  while (!atomic_load(&rc->stop)) {
    int64_t v = 0;
    ps_error err;
    if (db_query_i64(r, sql, &v, NULL, &err) != PS_OK) {
      atomic_fetch_add(&rc->bad, 1);
      break;
    }
    if (v == 1000 * 1000000LL)
      atomic_fetch_add(&rc->seen_old, 1);
    else if (v == 5000 * 1000000LL + 5000)
      atomic_fetch_add(&rc->seen_new, 1);
    else
      atomic_fetch_add(&rc->bad, 1);
  }
  db_close(r);
  return NULL;
}

Test(loader, upsert_in_a_transaction_is_all_or_nothing) {
  testdb_exec(m, "INSERT INTO `%s`.t (id, s) SELECT seq, 'old' FROM `%s`.seq_1_to_1000", schema, schema);
  reader_ctx rc = {.schema = schema};
  pthread_t th;
  pthread_create(&th, NULL, rc_reader, &rc);
  for (int round = 0; round < 2; round++) {
    testdb_exec(m, "START TRANSACTION");
    loader *l = open_t(m, "t", CFG_LOAD_INSERT, true, 100, 1 << 20);
    char id[16], s[32];
    for (int i = 1; i <= 5000; i++) {
      snprintf(id, sizeof id, "%d", i);
      snprintf(s, sizeof s, "%s %d", round ? "new" : "rolled", i);
      loader_value v[] = {V(id), V(s), V(NULL), V(NULL), V(NULL)};
      add(l, v);
    }
    finish(l);
    cr_assert_eq(loader_batches_sent(l), 50);
    loader_free(l);
    usleep(100000); /* let the reader look while nothing is committed */
    if (round == 0)
      testdb_exec(m, "ROLLBACK");
    else
      testdb_exec(m, "COMMIT");
  }
  usleep(100000);
  atomic_store(&rc.stop, true);
  pthread_join(th, NULL);
  cr_assert_eq(rc.bad, 0);
  cr_assert_gt(rc.seen_old, 0);
  cr_assert_gt(rc.seen_new, 0);
}
