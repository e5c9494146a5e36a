/* loader_perf: throughput of the loader against the server's own
 * INSERT ... SELECT, for an instance-shaped table.  Not part of ctest (a
 * million rows take a while): tests/perf/run.sh builds and runs it.
 *
 *   loader_perf ROWS MODE
 * MODE: server-all-keys | server-deferred | insert-all-keys | insert-deferred |
 *       insert-deferred-nouniq | load-data-deferred | load-data-all-keys
 * Needs POLLSTER_TEST_SOCKET (tests/harness/mariadb).  The source rows are
 * made once per run in <db>.src from seq_1_to_ROWS; the loader modes stream
 * them back with mysql_use_result on a second connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/db.h"
#include "loaders/loader.h"
#include "loaders/staging.h"
#include "schema/schema.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define CHECK(x)                                                                              \
  do {                                                                                        \
    if ((x) != PS_OK) {                                                                       \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, err.msg);                            \
      exit(1);                                                                                \
    }                                                                                         \
  } while (0)

static const char *const COLS =
    "project_id, id, name, vcpus, memory, root, ephemeral, flavour, created_by, created, "
    "deleted, active, hypervisor, availability_zone, cell_name";

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: loader_perf ROWS MODE\n");
    return 2;
  }
  long rows = atol(argv[1]);
  const char *mode = argv[2];
  ps_error err;
  error_clear(&err);
  const char *sock = getenv("POLLSTER_TEST_SOCKET");
  MYSQL *m = db_connect_raw(NULL, 0, sock, "root", "", DB_ROLE_TARGET, &err);
  MYSQL *src = db_connect_raw(NULL, 0, sock, "root", "", DB_ROLE_TARGET, &err);
  if (!m || !src) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  char rep[64], state[80];
  snprintf(rep, sizeof rep, "perf_%ld", (long)getpid());
  snprintf(state, sizeof state, "%s_pollster", rep);
  cfg_target target = {.schema = rep, .state_schema = state};
  schema_def *sd = schema_load(NULL, &err);
  if (!sd) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  schema_sync_opts so = {0};
  CHECK(schema_sync(m, &target, sd, &so, &err));
  CHECK(db_execf(m, &err, "CREATE TABLE `%s`.src LIKE `%s`.instance", state, rep));
  double t0 = now();
  CHECK(db_execf(m, &err,
                 "INSERT INTO `%s`.src (%s) SELECT MD5(seq %% 5000), "
                 "CONCAT(LEFT(MD5(seq), 8), '-', SUBSTR(MD5(seq), 9, 4), '-', "
                 "SUBSTR(MD5(seq), 13, 4), '-', SUBSTR(MD5(seq), 17, 4), '-', "
                 "SUBSTR(MD5(seq), 21, 12)), CONCAT('vm-', seq, ' test'), 1 + seq %% 16, "
                 "1024 * (1 + seq %% 64), 20, seq %% 3 * 10, seq %% 40, MD5(seq %% 777), "
                 "'2015-01-01' + INTERVAL seq MINUTE, IF(seq %% 3 = 0, '2020-01-01' + "
                 "INTERVAL seq SECOND, NULL), seq %% 3 <> 0, CONCAT('cn-', seq %% 900), "
                 "CONCAT('az', seq %% 5), 'cell1' FROM `%s`.seq_1_to_%ld",
                 state, COLS, state, rows));
  fprintf(stderr, "source rows made in %.2f s\n", now() - t0);

  bool defer = strstr(mode, "deferred") != NULL;
  staging_table st;
  t0 = now();
  CHECK(staging_create(m, &target, sd, "instance", defer, &st, &err));
  if (strstr(mode, "nouniq"))
    CHECK(db_exec(m, "SET SESSION unique_checks = 0", &err));
  double t_load;
  uint64_t bytes = 0, batches = 0;
  if (strncmp(mode, "server", 6) == 0) {
    CHECK(db_execf(m, &err, "INSERT INTO `%s`.instance__staging (%s) SELECT %s FROM `%s`.src",
                   state, COLS, COLS, state));
    t_load = now() - t0;
  } else {
    static const loader_column cols[] = {
        {"project_id", LOADER_STR, false}, {"id", LOADER_STR, true},
        {"name", LOADER_STR, false},       {"vcpus", LOADER_INT, false},
        {"memory", LOADER_INT, false},     {"root", LOADER_INT, false},
        {"ephemeral", LOADER_INT, false},  {"flavour", LOADER_INT, false},
        {"created_by", LOADER_STR, false}, {"created", LOADER_DATETIME, false},
        {"deleted", LOADER_DATETIME, false}, {"active", LOADER_INT, false},
        {"hypervisor", LOADER_STR, false}, {"availability_zone", LOADER_STR, false},
        {"cell_name", LOADER_STR, false},
    };
    const char *br = getenv("PERF_BATCH_ROWS");
    loader_opts lo = {.batch_rows = br ? (size_t)atol(br) : 5000,
                      .batch_bytes = 4 << 20,
                      .method = strncmp(mode, "load-data", 9) == 0 ? CFG_LOAD_DATA
                                                                     : CFG_LOAD_INSERT};
    loader *l = loader_open(m, state, "instance__staging", cols, 15, &lo, &err);
    if (!l) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM `%s`.src", COLS, state);
    if (mysql_query(src, sql) != 0) {
      fprintf(stderr, "%s\n", mysql_error(src));
      return 1;
    }
    MYSQL_RES *res = mysql_use_result(src);
    MYSQL_ROW row;
    loader_value v[15];
    while ((row = mysql_fetch_row(res))) {
      unsigned long *len = mysql_fetch_lengths(res);
      for (int i = 0; i < 15; i++)
        v[i] = (loader_value){row[i], len[i]};
      CHECK(loader_add_row(l, v, &err));
    }
    mysql_free_result(res);
    CHECK(loader_finish(l, &err));
    bytes = loader_bytes_sent(l);
    batches = loader_batches_sent(l);
    loader_free(l);
    t_load = now() - t0;
  }
  double t1 = now();
  CHECK(staging_build_keys(m, &target, &st, &err));
  double t_keys = now() - t1;
  int64_t n = 0;
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM `%s`.instance__staging", state);
  CHECK(db_query_i64(m, sql, &n, NULL, &err));
  if (n != rows) {
    fprintf(stderr, "loaded %lld rows, expected %ld\n", (long long)n, rows);
    return 1;
  }
  const char *tables[] = {"instance"};
  staging_swap_opts sw = {.lock_wait_s = 5, .retries = 3, .backoff_ms = 100,
                          .refresh_started = "2026-01-01 00:00:00"};
  t1 = now();
  CHECK(staging_swap(m, &target, tables, 1, &sw, &err));
  double t_swap = now() - t1;
  printf("%-24s rows=%ld load=%.2fs keys=%.2fs swap=%.3fs total=%.2fs rows/s=%.0f "
         "batches=%llu MB_sent=%.1f\n",
         mode, rows, t_load, t_keys, t_swap, t_load + t_keys + t_swap,
         rows / (t_load + t_keys), (unsigned long long)batches, bytes / 1048576.0);
  CHECK(db_execf(m, &err, "DROP DATABASE `%s`", rep));
  CHECK(db_execf(m, &err, "DROP DATABASE `%s`", state));
  schema_free(sd);
  db_close(src);
  db_close(m);
  return 0;
}
