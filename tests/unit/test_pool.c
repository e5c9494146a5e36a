/* pool: bounded borrowing against the real private server (harness). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/log.h"
#include "engine/pool.h"
#include "tests/support/testdb.h"
#include "tsan_criterion.h"

static cfg_server server(unsigned pool_size) {
  return (cfg_server){.name = (char *)"testsrv",
                      .socket = (char *)testdb_socket(),
                      .port = 3306,
                      .user = (char *)"root",
                      .password = (char *)"",
                      .password_origin = (char *)"password",
                      .pool_size = pool_size,
                      .ssl_mode = CFG_SSL_DISABLED,
                      .connect_timeout_s = 10,
                      .read_timeout_s = 60,
                      .write_timeout_s = 60};
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static pool *make(const cfg_server *srv) {
  ps_error err;
  pool *p = pool_create(srv, &err);
  cr_assert(p, "%s", err.msg);
  return p;
}

static MYSQL *take(pool *p, db_role role) {
  MYSQL *m = NULL;
  ps_error err;
  ps_status s = pool_acquire(p, role, 5000, &m, &err);
  cr_assert_eq(s, PS_OK, "acquire: %s", err.msg);
  cr_assert(m);
  return m;
}

static int64_t conn_id(MYSQL *m) {
  int64_t id = 0;
  ps_error err;
  cr_assert_eq(db_query_i64(m, "SELECT CONNECTION_ID()", &id, NULL, &err), PS_OK, "%s", err.msg);
  return id;
}

Test(pool, exhaustion_times_out_in_about_the_requested_time) {
  cfg_server srv = server(2);
  pool *p = make(&srv);
  MYSQL *a = take(p, DB_ROLE_TARGET), *b = take(p, DB_ROLE_SOURCE);
  cr_assert_neq(a, b);
  MYSQL *c = NULL;
  ps_error err;
  uint64_t t0 = now_ms();
  ps_status s = pool_acquire(p, DB_ROLE_TARGET, 300, &c, &err);
  uint64_t took = now_ms() - t0;
  cr_assert_eq(s, PS_ETIMEOUT, "%s", status_name(s));
  cr_assert_null(c);
  cr_assert(took >= 290 && took < 1500, "waited %llu ms for a 300 ms timeout",
            (unsigned long long)took);
  cr_assert(strstr(err.msg, "testsrv") && strstr(err.msg, "pool_size 2"), "%s", err.msg);
  pool_stats st;
  pool_get_stats(p, &st);
  cr_assert_eq(st.open, 2);
  cr_assert_eq(st.in_use, 2);
  cr_assert_eq(st.timeouts, 1);
  pool_release(p, a, false);
  /* a free slot: immediate, and the same connection is reused */
  c = take(p, DB_ROLE_TARGET);
  cr_assert_eq(c, a);
  pool_get_stats(p, &st);
  cr_assert_eq(st.created, 2);
  pool_release(p, b, false);
  pool_release(p, c, false);
  pool_destroy(p);
  pool_destroy(NULL);
}

typedef struct waiter {
  pool *p;
  MYSQL *got;
  ps_status s;
  uint64_t done_at;
} waiter;

static void *wait_thread(void *arg) {
  waiter *w = arg;
  pthread_setname_np(pthread_self(), "test-waiter");
  ps_error err;
  w->s = pool_acquire(w->p, DB_ROLE_SOURCE, 10000, &w->got, &err);
  w->done_at = now_ms();
  return NULL;
}

Test(pool, release_wakes_a_waiter) {
  cfg_server srv = server(1);
  pool *p = make(&srv);
  MYSQL *a = take(p, DB_ROLE_TARGET);
  waiter w = {.p = p};
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, wait_thread, &w), 0);
  usleep(200 * 1000);
  uint64_t released = now_ms();
  pool_release(p, a, false);
  pthread_join(t, NULL);
  cr_assert_eq(w.s, PS_OK);
  cr_assert_eq(w.got, a, "the released connection is handed over");
  cr_assert(w.done_at - released < 2000, "waiter woke %llu ms after the release",
            (unsigned long long)(w.done_at - released));
  pool_stats st;
  pool_get_stats(p, &st);
  cr_assert_eq(st.waits, 1);
  cr_assert_eq(st.created, 1);
  pool_release(p, w.got, false);
  pool_destroy(p);
}

Test(pool, killed_idle_connection_is_replaced_after_ping) {
  cfg_server srv = server(1);
  pool *p = make(&srv);
  pool_set_idle_check_ms(p, 0);
  MYSQL *a = take(p, DB_ROLE_SOURCE);
  int64_t id = conn_id(a);
  pool_release(p, a, false);
  MYSQL *admin = testdb_connect();
  testdb_exec(admin, "KILL CONNECTION %lld", (long long)id);
  MYSQL *b = take(p, DB_ROLE_SOURCE);
  int64_t id2 = conn_id(b);
  cr_assert_neq(id, id2, "a dead connection was handed out");
  pool_stats st;
  pool_get_stats(p, &st);
  cr_assert_eq(st.replaced, 1);
  cr_assert_eq(st.created, 2);
  cr_assert_eq(st.open, 1);
  pool_release(p, b, false);
  pool_destroy(p);
  mysql_close(admin);
}

Test(pool, failed_query_connection_released_as_broken) {
  cfg_server srv = server(1);
  pool *p = make(&srv);
  MYSQL *a = take(p, DB_ROLE_TARGET);
  int64_t id = conn_id(a);
  MYSQL *admin = testdb_connect();
  testdb_exec(admin, "KILL CONNECTION %lld", (long long)id);
  ps_error err;
  ps_status s = db_exec(a, "SELECT 1", &err);
  cr_assert_eq(s, PS_ECONNLOST, "%s: %s", status_name(s), err.msg);
  pool_release(p, a, true);
  pool_stats st;
  pool_get_stats(p, &st);
  cr_assert_eq(st.open, 0);
  cr_assert_eq(st.in_use, 0);
  MYSQL *b = take(p, DB_ROLE_TARGET); /* immediately: the slot was freed */
  cr_assert_neq(conn_id(b), id);
  pool_release(p, b, false);
  pool_destroy(p);
  mysql_close(admin);
}

Test(pool, source_sessions_are_read_only_target_sessions_are_not) {
  char schema[64];
  testdb_unique(schema, sizeof schema, "pool_ro");
  MYSQL *admin = testdb_connect();
  testdb_exec(admin, "CREATE DATABASE `%s`", schema);
  testdb_exec(admin, "CREATE TABLE `%s`.t (x INT PRIMARY KEY) ENGINE=InnoDB", schema);
  cfg_server srv = server(1);
  pool *p = make(&srv);
  ps_error err;
  /* the same pooled connection switches role each time */
  for (int round = 0; round < 2; round++) {
    MYSQL *m = take(p, DB_ROLE_SOURCE);
    ps_status s = db_execf(m, &err, "INSERT INTO `%s`.t VALUES (%d)", schema, round);
    cr_assert_neq(s, PS_OK, "a source session could write");
    cr_assert_eq(err.db_errno, 1792u, "%s", err.msg); /* ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION */
    pool_release(p, m, false);
    m = take(p, DB_ROLE_TARGET);
    cr_assert_eq(db_execf(m, &err, "INSERT INTO `%s`.t VALUES (%d)", schema, round), PS_OK, "%s",
                 err.msg);
    pool_release(p, m, false);
  }
  pool_stats st;
  pool_get_stats(p, &st);
  cr_assert_eq(st.created, 1, "role switch must not reconnect");
  cr_assert_eq(testdb_i64(admin, "SELECT COUNT(*) FROM `%s`.t", schema), 2);
  pool_destroy(p);
  testdb_exec(admin, "DROP DATABASE `%s`", schema);
  mysql_close(admin);
}

typedef struct hammer {
  pool *p;
  unsigned seed;
  _Atomic unsigned *failures;
} hammer;

static void *hammer_thread(void *arg) {
  hammer *h = arg;
  pthread_setname_np(pthread_self(), "test-hammer");
  for (int i = 0; i < 40; i++) {
    MYSQL *m = NULL;
    ps_error err;
    db_role role = (rand_r(&h->seed) & 1) ? DB_ROLE_SOURCE : DB_ROLE_TARGET;
    if (pool_acquire(h->p, role, 20000, &m, &err) != PS_OK) {
      atomic_fetch_add(h->failures, 1);
      continue;
    }
    int64_t v = 0;
    if (db_query_i64(m, "SELECT @@in_transaction + 1", &v, NULL, &err) != PS_OK || v != 1)
      atomic_fetch_add(h->failures, 1);
    if (rand_r(&h->seed) % 4 == 0)
      usleep(1000);
    /* now and then report the connection broken: the pool must reopen one */
    pool_release(h->p, m, i % 13 == 12);
  }
  return NULL;
}

Test(pool, eight_threads_never_exceed_pool_size) {
  cfg_server srv = server(3);
  pool *p = make(&srv);
  _Atomic unsigned failures = 0;
  pthread_t t[8];
  hammer h[8];
  for (unsigned i = 0; i < 8; i++) {
    h[i] = (hammer){p, i + 1, &failures};
    cr_assert_eq(pthread_create(&t[i], NULL, hammer_thread, &h[i]), 0);
  }
  for (unsigned i = 0; i < 8; i++)
    pthread_join(t[i], NULL);
  cr_assert_eq(atomic_load(&failures), 0);
  pool_stats st;
  pool_get_stats(p, &st);
  cr_assert_leq(st.peak_open, 3, "peak %u open connections", st.peak_open);
  cr_assert_eq(st.in_use, 0);
  cr_assert_leq(st.open, 3);
  cr_assert_geq(st.waits, 1, "8 threads on 3 slots never waited?");
  cr_assert_eq(st.replaced, 8 * 3, "each thread reported 3 broken connections");
  cr_assert_eq(st.created, (uint64_t)st.open + st.replaced);
  pool_destroy(p);
}

Test(pool, wrong_password_does_not_leak_it) {
  static const char secret[] = "Wr0ng-P4ssw0rd-xyzzy";
  char user[64];
  testdb_unique(user, sizeof user, "pool_u");
  MYSQL *admin = testdb_connect();
  testdb_exec(admin, "CREATE USER '%s'@'localhost' IDENTIFIED BY 'the-right-one'", user);
  cfg_server srv = server(2);
  srv.user = user;
  srv.password = (char *)secret;
  pool *p = make(&srv);
  char *logbuf = NULL;
  size_t loglen = 0;
  FILE *log = open_memstream(&logbuf, &loglen);
  log_set_stream(log);
  log_set_level(LOG_LEVEL_DEBUG);
  MYSQL *m = NULL;
  ps_error err;
  ps_status s = pool_acquire(p, DB_ROLE_SOURCE, 1000, &m, &err);
  log_set_level(LOG_LEVEL_INFO);
  log_set_stream(NULL);
  fclose(log);
  cr_assert(s == PS_EACCESS || s == PS_ECONNECT, "%s", status_name(s));
  cr_assert_null(m);
  cr_assert(strstr(err.msg, user), "the message names the user: %s", err.msg);
  cr_assert(strstr(err.msg, "testsrv"), "%s", err.msg);
  cr_assert_null(strstr(err.msg, secret), "%s", err.msg);
  cr_assert_null(strstr(logbuf, secret), "%s", logbuf);
  pool_stats st;
  pool_get_stats(p, &st);
  cr_assert_eq(st.open, 0);
  cr_assert_eq(st.in_use, 0);
  free(logbuf);
  pool_destroy(p);
  testdb_exec(admin, "DROP USER '%s'@'localhost'", user);
  mysql_close(admin);
}

Test(pool, pools_one_per_server) {
  static const char *names[] = {"a", "b"};
  cfg_server srvs[2] = {server(1), server(2)};
  srvs[0].name = (char *)names[0];
  srvs[1].name = (char *)names[1];
  config cfg = {.servers = srvs, .n_servers = 2};
  ps_error err;
  pools *ps = pools_create(&cfg, &err);
  cr_assert(ps, "%s", err.msg);
  cr_assert_eq(pools_count(ps), 2);
  cr_assert_eq(pool_server(pools_get(ps, 1)), &srvs[1]);
  cr_assert_null(pools_get(ps, 2));
  MYSQL *m = take(pools_get(ps, 0), DB_ROLE_TARGET);
  pool_release(pools_get(ps, 0), m, false);
  pools_destroy(ps);
  pools_destroy(NULL);
}
