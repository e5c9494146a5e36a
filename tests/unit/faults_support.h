/* faults_support: what the fault and bad-input suites share (header-only,
 * included by tests/unit/test_faults.c and test_badinput.c; not a suite).
 *
 * - a private copy of the edge fixture, optionally inflated so one refresh
 *   takes long enough to be interrupted;
 * - `pollster run` as a child process (blocking, or started and killed);
 * - per-table content checksums of the reporting schema, without the columns
 *   that change with every refresh (last_update, last_seen), so a table can be
 *   compared with its content after another run: "complete old content or
 *   complete new content";
 * - a killer thread that watches the server's processlist for a statement of
 *   pollster and kills that connection. */
#ifndef POLLSTER_FAULTS_SUPPORT_H
#define POLLSTER_FAULTS_SUPPORT_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/db.h"
#include "tests/support/fixture.h"
#include "tests/support/testdb.h"

#define FS_NTABLES 13
static const char *const fs_tables[FS_NTABLES] = {
    "metadata", "hypervisor", "aggregate", "aggregate_host", "project",  "user",
    "role",     "flavour",    "instance",  "volume",          "image",    "allocation",
    "historical_usage",
};

typedef struct fs_env {
  MYSQL *m;
  char prefix[64];
  char report[96]; /* <prefix>_reporting */
  char state[112]; /* <prefix>_reporting_pollster */
  char *cfg;
  char log[128]; /* stderr of the last pollster child */
} fs_env;

typedef struct fs_sums {
  char t[FS_NTABLES][64];
} fs_sums;

static inline void fs_sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static inline uint64_t fs_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Load the edge fixture; `bulk` extra live instances in cell1 make the
 * instance job (and historical_usage) take a while. */
static inline void fs_setup(fs_env *e, const char *tag, unsigned bulk, const char *extra_yaml) {
  e->m = testdb_connect();
  testdb_unique(e->prefix, sizeof e->prefix, tag);
  snprintf(e->report, sizeof e->report, "%s_reporting", e->prefix);
  snprintf(e->state, sizeof e->state, "%s_reporting_pollster", e->prefix);
  snprintf(e->log, sizeof e->log, "/tmp/%s.log", e->prefix);
  fixture_load(e->m, e->prefix, "edge", 2);
  if (bulk)
    testdb_exec(e->m,
                "INSERT INTO `%s_nova_cell1`.instances (created_at, deleted_at, user_id, "
                "project_id, memory_mb, vcpus, host, display_name, availability_zone, "
                "instance_type_id, uuid, root_gb, ephemeral_gb, deleted) "
                "SELECT '2024-01-05 00:00:00', NULL, 'u04', 'proj-b', 512, 1, 'cn3', "
                "CONCAT('bulk-', seq), 'nova', 1, CONCAT('bulk-', seq), 1, 0, 0 "
                "FROM `%s_nova_cell1`.seq_1_to_%u",
                e->prefix, e->prefix, bulk);
  e->cfg = testdb_write_config(e->prefix, 2, extra_yaml);
}

static inline void fs_teardown(fs_env *e) {
  fixture_drop(e->m, e->prefix, 2);
  unlink(e->cfg);
  unlink(e->log);
  free(e->cfg);
  db_close(e->m);
}

/* Start `pollster ARGS -c CFG` (ARGS split on spaces), its output to e->log. */
static inline pid_t fs_start(fs_env *e, const char *args) {
  char *bin = testdb_binary_path("pollster");
  char *copy = strdup(args);
  char *argv[32];
  int n = 0;
  argv[n++] = bin;
  for (char *save = NULL, *t = strtok_r(copy, " ", &save); t && n < 26;
       t = strtok_r(NULL, " ", &save))
    argv[n++] = t;
  argv[n++] = "-c";
  argv[n++] = e->cfg;
  argv[n] = NULL;
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int err = open(e->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(err, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execv(bin, argv);
    _exit(127);
  }
  free(copy);
  free(bin);
  return pid;
}

static inline int fs_wait(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

static inline int fs_run(fs_env *e, const char *args) {
  unlink(e->log);
  return fs_wait(fs_start(e, args));
}

/* The last pollster child's stderr (malloc'd, never NULL). */
static inline char *fs_log(fs_env *e) {
  FILE *f = fopen(e->log, "r");
  char *buf = calloc(1, 1 << 16);
  if (f) {
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
  }
  return buf;
}

static inline void fs_sums_get(fs_env *e, fs_sums *s) {
  for (size_t i = 0; i < FS_NTABLES; i++) {
    char *cols = testdb_str(
        e->m,
        "SELECT GROUP_CONCAT(CONCAT('IFNULL(`', COLUMN_NAME, '`, ''\\\\N'')') "
        "ORDER BY ORDINAL_POSITION SEPARATOR ',') FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = '%s' "
        "AND COLUMN_NAME NOT IN ('last_update', 'last_seen')",
        e->report, fs_tables[i]);
    cr_assert(cols, "table %s.%s is missing", e->report, fs_tables[i]);
    char *sum = testdb_str(e->m,
                           "SELECT CONCAT(COUNT(*), ':', "
                           "IFNULL(BIT_XOR(CRC32(CONCAT_WS(0x1f, %s))), 0)) FROM `%s`.`%s`",
                           cols, e->report, fs_tables[i]);
    snprintf(s->t[i], sizeof s->t[i], "%s", sum);
    free(sum);
    free(cols);
  }
}

/* The reporting schema holds exactly the 13 contract tables. */
static inline void fs_assert_13(fs_env *e, const char *when) {
  cr_assert_eq(testdb_i64(e->m,
                          "SELECT COUNT(*) FROM information_schema.TABLES "
                          "WHERE TABLE_SCHEMA = '%s'",
                          e->report),
               FS_NTABLES, "%s: the reporting schema holds other tables than the 13", when);
}

/* Every table equals its old or its new content; returns how many were new. */
static inline int fs_assert_old_or_new(const fs_sums *now, const fs_sums *old, const fs_sums *new,
                                const char *when) {
  int n_new = 0;
  for (size_t i = 0; i < FS_NTABLES; i++) {
    bool is_old = strcmp(now->t[i], old->t[i]) == 0;
    bool is_new = strcmp(now->t[i], new->t[i]) == 0;
    cr_assert(is_old || is_new, "%s: table %s is neither its old (%s) nor new (%s) content: %s",
              when, fs_tables[i], old->t[i], new->t[i], now->t[i]);
    n_new += is_new && !is_old;
  }
  return n_new;
}

static inline void fs_assert_same(const fs_sums *a, const fs_sums *b, const char *when) {
  for (size_t i = 0; i < FS_NTABLES; i++)
    cr_assert_str_eq(a->t[i], b->t[i], "%s: table %s differs", when, fs_tables[i]);
}

/* Change the source a little, so the next refresh differs from the last one
 * (flavour and instance content). */
static inline void fs_touch_source(fs_env *e, int round) {
  testdb_exec(e->m,
              "UPDATE `%s_nova_cell1`.instances SET display_name = 'round-%d' "
              "WHERE uuid = 'inst-01'",
              e->prefix, round);
  /* flavour is published early in a run, instance late. */
  testdb_exec(e->m, "UPDATE `%s_nova_api`.flavors SET name = 'round-%d' WHERE id = 1", e->prefix,
              round);
}

/* No staging or __old copy is left in the state schema. */
static inline void fs_assert_no_leftovers(fs_env *e, const char *when) {
  cr_assert_eq(testdb_i64(e->m,
                          "SELECT COUNT(*) FROM information_schema.TABLES "
                          "WHERE TABLE_SCHEMA IN ('%s', '%s') AND (TABLE_NAME LIKE '%%\\_\\_staging' "
                          "OR TABLE_NAME LIKE '%%\\_\\_old')",
                          e->state, e->report),
               0, "%s: staging copies left behind", when);
}

/* ---- the killer thread ----------------------------------------------------- */

typedef struct fs_killer {
  char like[256];     /* INFO LIKE this (a pollster statement) */
  unsigned delay_ms;  /* after first seeing it */
  unsigned max_kills; /* stop after this many */
  unsigned wait_ms;   /* give up looking after this long */
  _Atomic unsigned kills;
  _Atomic bool stop;
  pthread_t th;
} fs_killer;

static inline void *fs_killer_main(void *arg) {
  fs_killer *k = arg;
  MYSQL *m = testdb_connect();
  uint64_t end = fs_now_ms() + k->wait_ms;
  while (!atomic_load(&k->stop) && atomic_load(&k->kills) < k->max_kills &&
         fs_now_ms() < end) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
             "AND INFO LIKE '%s' LIMIT 1",
             k->like);
    if (mysql_query(m, sql) == 0) {
      MYSQL_RES *r = mysql_store_result(m);
      MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
      long long id = row ? atoll(row[0]) : 0;
      mysql_free_result(r);
      if (id) {
        if (k->delay_ms)
          fs_sleep_ms(k->delay_ms);
        snprintf(sql, sizeof sql, "KILL CONNECTION %lld", id);
        if (mysql_query(m, sql) == 0)
          atomic_fetch_add(&k->kills, 1);
        fs_sleep_ms(50);
        continue;
      }
    }
    fs_sleep_ms(3);
  }
  db_close(m);
  return NULL;
}

/* Pattern with '@' standing for e's prefix, so parallel tests (Criterion
 * runs a suite's tests at once) never kill each other's statements. */
static inline void fs_like(const fs_env *e, const char *pattern, char *out, size_t cap) {
  size_t pos = 0;
  for (const char *p = pattern; *p && pos + 70 < cap; p++)
    if (*p == '@')
      pos += (size_t)snprintf(out + pos, cap - pos, "%s", e->prefix);
    else
      out[pos++] = *p;
  out[pos] = '\0';
}

static inline void fs_killer_start(fs_killer *k, const fs_env *e, const char *like,
                                   unsigned delay_ms, unsigned max_kills) {
  memset(k, 0, sizeof *k);
  fs_like(e, like, k->like, sizeof k->like);
  k->delay_ms = delay_ms;
  k->max_kills = max_kills;
  k->wait_ms = 60000;
  cr_assert_eq(pthread_create(&k->th, NULL, fs_killer_main, k), 0);
}

static inline unsigned fs_killer_stop(fs_killer *k) {
  atomic_store(&k->stop, true);
  pthread_join(k->th, NULL);
  return atomic_load(&k->kills);
}

#endif
