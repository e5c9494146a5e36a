/* Faults: connections killed at chosen statements, `pollster run` killed
 * with SIGKILL at random moments, two runs at once, a reader holding the
 * live table, a foreign staging table, a missing source table.  After every
 * fault the reporting schema holds the 13 contract tables, each with either
 * its complete old or its complete new content (checksums of a fault-free
 * run), and the next run cleans up and succeeds.  (Server restart and
 * max_allowed_packet need a server of their own: tests/scripts/server_faults.sh.) */
#include "tests/unit/faults_support.h"

/* Enough rows that the instance job streams for a noticeable time. */
#define BULK 60000

static fs_env env;
static const char *const retry_yaml = "engine:\n"
                                      "  retries: 6\n"
                                      "  retry_backoff: 50ms\n"
                                      "  batch_rows: 2000\n";

static void setup(void) { fs_setup(&env, "flt", BULK, retry_yaml); }
static void teardown(void) { fs_teardown(&env); }

TestSuite(faults, .init = setup, .fini = teardown, .timeout = 240);

/* One round: change the source, run with the killer armed, check the tables
 * are old-or-new, run again fault-free and check new == that run's result. */
static unsigned kill_round(int round, const char *like, unsigned delay_ms, const fs_sums *old,
                           fs_sums *new_out) {
  fs_touch_source(&env, round);
  fs_killer k;
  fs_killer_start(&k, &env, like, delay_ms, 1);
  int rc = fs_run(&env, "run");
  unsigned kills = fs_killer_stop(&k);
  char *log = fs_log(&env);
  /* The kill is a transient fault: the job retries and the run succeeds. */
  cr_assert_eq(rc, 0, "round %d (%s): run failed after %u kill(s):\n%s", round, like, kills, log);
  free(log);
  fs_sums after;
  fs_sums_get(&env, &after);
  fs_assert_13(&env, like);
  fs_assert_no_leftovers(&env, like);
  /* A second, fault-free run over the same source gives the "new" content. */
  cr_assert_eq(fs_run(&env, "run"), 0);
  fs_sums_get(&env, new_out);
  fs_assert_old_or_new(&after, old, new_out, like);
  fs_assert_same(&after, new_out, like); /* the retried run completed */
  return kills;
}

Test(faults, connections_killed_at_every_stage_are_survived) {
  cr_assert_eq(fs_run(&env, "run"), 0);
  fs_sums old, new;
  fs_sums_get(&env, &old);
  static const struct {
    const char *like;
    unsigned delay_ms;
  } points[] = {
      /* source connection, at the start, early and late in the stream */
      {"SELECT project_id, uuid, display_name%@%instances%", 0},
      {"SELECT project_id, uuid, display_name%@%instances%", 40},
      {"SELECT project_id, uuid, display_name%@%instances%", 150},
      /* target connection: mid-batch, mid-ALTER (deferred keys) */
      {"INSERT INTO %@%instance\\_\\_staging%", 0},
      {"INSERT INTO %@%instance\\_\\_staging%", 60},
      {"ALTER TABLE %@%instance\\_\\_staging%", 0},
      /* the swap statement itself */
      {"RENAME TABLE %@%instance%", 0},
  };
  unsigned total = 0;
  for (size_t i = 0; i < sizeof points / sizeof *points; i++) {
    unsigned k = kill_round((int)i + 1, points[i].like, points[i].delay_ms, &old, &new);
    cr_log_info("kill at %s (+%u ms): %u connection(s) killed", points[i].like,
                points[i].delay_ms, k);
    total += k;
    old = new;
  }
  /* Every point was actually hit (the RENAME is quick; allow it to be missed once). */
  cr_expect_geq(total, (unsigned)(sizeof points / sizeof *points) - 1, "only %u kills landed",
                total);
}

/* "Just before the swap": a reader's open transaction holds the live table's
 * metadata lock, the RENAME waits, and the waiting connection is killed. */
Test(faults, connection_killed_while_the_swap_waits_for_a_reader) {
  cr_assert_eq(fs_run(&env, "run --tables instance"), 0);
  fs_sums old, new;
  fs_sums_get(&env, &old);
  fs_touch_source(&env, 100);
  MYSQL *reader = testdb_connect();
  testdb_exec(reader, "START TRANSACTION");
  testdb_exec(reader, "SELECT COUNT(*) INTO @n FROM `%s`.instance", env.report);
  fs_killer k;
  fs_killer_start(&k, &env, "RENAME TABLE %@%instance%", 300, 1);
  pid_t pid = fs_start(&env, "run --tables instance");
  /* Let the swap wait, be killed, and the retry wait again; then let go. */
  uint64_t end = fs_now_ms() + 20000;
  while (atomic_load(&k.kills) == 0 && fs_now_ms() < end)
    fs_sleep_ms(20);
  fs_sleep_ms(300);
  fs_sums during;
  fs_sums_get(&env, &during);
  testdb_exec(reader, "COMMIT");
  db_close(reader);
  int rc = fs_wait(pid);
  unsigned kills = fs_killer_stop(&k);
  cr_assert_eq(kills, 1u, "the waiting RENAME was not seen");
  cr_assert_eq(rc, 0, "run failed:\n%s", fs_log(&env));
  fs_sums_get(&env, &new);
  fs_assert_same(&during, &old, "while the reader held the table");
  fs_assert_13(&env, "after");
  fs_assert_no_leftovers(&env, "after");
  cr_assert_eq(fs_run(&env, "run --tables instance"), 0);
  fs_sums again;
  fs_sums_get(&env, &again);
  fs_assert_same(&new, &again, "fault-free rerun");
}

/* A reader holding the live table longer than the swap budget: the job gives
 * up with a clear error, the live table is untouched, the next run works. */
Test(faults, a_reader_outlasting_the_swap_budget_fails_the_job_cleanly) {
  unlink(env.cfg);
  free(env.cfg);
  env.cfg = testdb_write_config(env.prefix, 2,
                                "engine:\n  retries: 1\n  retry_backoff: 50ms\n"
                                "  swap_lock_wait: 1s\n  swap_retries: 1\n");
  cr_assert_eq(fs_run(&env, "run --tables instance"), 0);
  fs_sums old;
  fs_sums_get(&env, &old);
  fs_touch_source(&env, 200);
  MYSQL *reader = testdb_connect();
  testdb_exec(reader, "START TRANSACTION");
  testdb_exec(reader, "SELECT COUNT(*) INTO @n FROM `%s`.instance", env.report);
  int rc = fs_run(&env, "run --tables instance");
  char *log = fs_log(&env);
  testdb_exec(reader, "COMMIT");
  db_close(reader);
  cr_assert_eq(rc, 1, "expected a failed run, got %d:\n%s", rc, log);
  cr_assert(strstr(log, "a reader holds a lock on the live table"), "unclear error:\n%s", log);
  free(log);
  fs_sums now;
  fs_sums_get(&env, &now);
  fs_assert_same(&now, &old, "after the failed swap");
  fs_assert_13(&env, "after the failed swap");
  fs_assert_no_leftovers(&env, "after the failed swap");
  cr_assert_eq(fs_run(&env, "run --tables instance"), 0);
  fs_sums_get(&env, &now);
  cr_assert_str_neq(now.t[8], old.t[8], "the new instance content was published");
}

/* SIGKILL of `pollster run` at 20 random moments of a full refresh. */
Test(faults, sigkill_at_random_moments_loses_nothing) {
  uint64_t t0 = fs_now_ms();
  cr_assert_eq(fs_run(&env, "run --force-update"), 0);
  unsigned full_ms = (unsigned)(fs_now_ms() - t0);
  fs_sums old, new;
  fs_sums_get(&env, &old);
  srand((unsigned)getpid());
  unsigned intact_new = 0;
  for (int i = 0; i < 20; i++) {
    fs_touch_source(&env, 300 + i);
    unsigned at = (unsigned)rand() % (full_ms + 1);
    pid_t pid = fs_start(&env, "run --force-update");
    fs_sleep_ms(at);
    kill(pid, SIGKILL);
    fs_wait(pid);
    char when[64];
    snprintf(when, sizeof when, "SIGKILL %d at %u ms of %u", i + 1, at, full_ms);
    fs_sums after;
    fs_sums_get(&env, &after);
    fs_assert_13(&env, when);
    /* The next run cleans up what the killed one left and succeeds. */
    int rc = fs_run(&env, "run --force-update");
    cr_assert_eq(rc, 0, "%s: the next run failed:\n%s", when, fs_log(&env));
    fs_assert_no_leftovers(&env, when);
    fs_sums_get(&env, &new);
    intact_new += fs_assert_old_or_new(&after, &old, &new, when) > 0;
    old = new;
  }
  cr_log_info("20 SIGKILLs over a %u ms refresh; %u left some new tables", full_ms, intact_new);
}

/* Two runs on the same tables at once: both end cleanly, the tables are a
 * complete refresh. */
Test(faults, two_runs_at_once_end_cleanly) {
  cr_assert_eq(fs_run(&env, "run"), 0);
  fs_sums old, new;
  fs_sums_get(&env, &old);
  for (int i = 0; i < 2; i++) {
    fs_touch_source(&env, 400 + i);
    unlink(env.log);
    pid_t a = fs_start(&env, "run --force-update");
    fs_sleep_ms((unsigned)i * 150);
    pid_t b = fs_start(&env, "run --force-update");
    int ra = fs_wait(a), rb = fs_wait(b);
    char *log = fs_log(&env);
    cr_assert(ra == 0 && rb == 0, "round %d: runs ended %d and %d:\n%s", i, ra, rb, log);
    free(log);
    fs_sums after;
    fs_sums_get(&env, &after);
    fs_assert_13(&env, "two runs");
    fs_assert_no_leftovers(&env, "two runs");
    cr_assert_eq(fs_run(&env, "run --force-update"), 0);
    fs_sums_get(&env, &new);
    fs_assert_same(&after, &new, "two runs at once");
    old = new;
  }
}

/* A staging table left with another definition (an older pollster, a
 * hand-made table) is replaced, not loaded into. */
Test(faults, a_foreign_staging_table_is_replaced) {
  cr_assert_eq(fs_run(&env, "run"), 0);
  fs_sums old, new;
  fs_sums_get(&env, &old);
  testdb_exec(env.m, "CREATE TABLE `%s`.instance__staging (x int, y text) ENGINE=MyISAM",
              env.state);
  testdb_exec(env.m, "INSERT INTO `%s`.instance__staging VALUES (1, 'junk')", env.state);
  testdb_exec(env.m, "CREATE TABLE `%s`.project__staging (id int PRIMARY KEY)", env.state);
  fs_touch_source(&env, 500);
  cr_assert_eq(fs_run(&env, "run --force-update"), 0, "%s", fs_log(&env));
  fs_sums after;
  fs_sums_get(&env, &after);
  fs_assert_13(&env, "foreign staging");
  fs_assert_no_leftovers(&env, "foreign staging");
  cr_assert_eq(fs_run(&env, "run --force-update"), 0);
  fs_sums_get(&env, &new);
  fs_assert_same(&after, &new, "foreign staging");
  cr_assert_str_neq(new.t[8], old.t[8]);
}

/* A missing source table is not transient: no retry, a clear error, the live
 * table unchanged; the other jobs still publish. */
Test(faults, a_missing_source_table_is_not_retried) {
  cr_assert_eq(fs_run(&env, "run"), 0);
  fs_sums old;
  fs_sums_get(&env, &old);
  testdb_exec(env.m, "RENAME TABLE `%s_glance`.images TO `%s_glance`.images_gone", env.prefix,
              env.prefix);
  int rc = fs_run(&env, "run --force-update");
  char *log = fs_log(&env);
  cr_assert_eq(rc, 1, "%s", log);
  cr_assert(strstr(log, "images"), "the error names the table:\n%s", log);
  cr_assert_null(strstr(log, "retrying"), "a missing table was retried:\n%s", log);
  free(log);
  fs_sums now;
  fs_sums_get(&env, &now);
  cr_assert_str_eq(now.t[10], old.t[10], "image table changed");
  fs_assert_13(&env, "missing source table");
  fs_assert_no_leftovers(&env, "missing source table");
  testdb_exec(env.m, "RENAME TABLE `%s_glance`.images_gone TO `%s_glance`.images", env.prefix,
              env.prefix);
  cr_assert_eq(fs_run(&env, "run"), 0);
}

/* A transient fault that never ends: bounded retries, then a clear error. */
Test(faults, retries_are_bounded) {
  unlink(env.cfg);
  free(env.cfg);
  env.cfg = testdb_write_config(env.prefix, 2,
                                "engine:\n  retries: 2\n  retry_backoff: 50ms\n");
  cr_assert_eq(fs_run(&env, "run --tables instance"), 0);
  fs_sums old;
  fs_sums_get(&env, &old);
  fs_touch_source(&env, 600);
  fs_killer k;
  fs_killer_start(&k, &env, "SELECT project_id, uuid, display_name%@%instances%", 0, 100);
  int rc = fs_run(&env, "run --tables instance");
  unsigned kills = fs_killer_stop(&k);
  char *log = fs_log(&env);
  cr_assert_eq(rc, 1, "%s", log);
  cr_assert_eq(kills, 3u, "1 attempt + 2 retries expected, saw %u kills:\n%s", kills, log);
  cr_assert(strstr(log, "retrying in 50 ms") && strstr(log, "retrying in 100 ms"),
            "backoff not doubled:\n%s", log);
  free(log);
  fs_sums now;
  fs_sums_get(&env, &now);
  fs_assert_same(&now, &old, "after giving up");
  fs_assert_no_leftovers(&env, "after giving up");
}

/* ---- faults that need a server of their own ------------------------------------
 * Run by tests/scripts/server_faults.sh under a nested private harness
 * (POLLSTER_PRIVATE_SERVER=1): they stop the server and change its globals.
 * Under the shared harness they are skipped. */

static bool private_server(void) {
  const char *v = getenv("POLLSTER_PRIVATE_SERVER");
  return v && strcmp(v, "1") == 0;
}

static void private_setup(void) {
  if (private_server())
    fs_setup(&env, "srv", BULK, "engine:\n  retries: 6\n  retry_backoff: 500ms\n");
}
static void private_teardown(void) {
  if (private_server())
    fs_teardown(&env);
}

TestSuite(private, .init = private_setup, .fini = private_teardown, .timeout = 240);

static pid_t server_pid(void) {
  const char *pf = getenv("POLLSTER_TEST_PIDFILE");
  cr_assert(pf, "POLLSTER_TEST_PIDFILE unset");
  FILE *f = fopen(pf, "r");
  cr_assert(f, "no pid file %s", pf);
  long pid = 0;
  cr_assert_eq(fscanf(f, "%ld", &pid), 1);
  fclose(f);
  return (pid_t)pid;
}

/* Gone or a zombie (the harness's shell reaps it only at the end). */
static bool process_gone(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return true;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static bool server_answers(void) {
  MYSQL *m = mysql_init(NULL);
  bool ok = mysql_real_connect(m, NULL, "root", "", NULL, 0, testdb_socket(), 0) != NULL;
  mysql_close(m);
  return ok;
}

/* Stop the server (SIGTERM, as an operator would) and start it again with
 * the same command line, detached; the pid file names the new one (the
 * script stops it at the end). */
static void restart_server(unsigned down_ms) {
  pid_t pid = server_pid();
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
  FILE *f = fopen(path, "r");
  cr_assert(f);
  static char cmd[8192];
  size_t n = fread(cmd, 1, sizeof cmd - 1, f);
  fclose(f);
  cr_assert(n > 0);
  cmd[n] = '\0';
  char *argv[128];
  int argc = 0;
  for (size_t i = 0; i < n && argc < 127; i += strlen(cmd + i) + 1)
    argv[argc++] = cmd + i;
  argv[argc] = NULL;
  cr_assert_eq(kill(pid, SIGTERM), 0);
  uint64_t end = fs_now_ms() + 60000;
  while (!process_gone(pid) && fs_now_ms() < end)
    fs_sleep_ms(20);
  cr_assert(process_gone(pid), "the server did not stop");
  fs_sleep_ms(down_ms);
  pid_t child = fork();
  cr_assert(child >= 0);
  if (child == 0) {
    setsid();
    int dn = open("/dev/null", O_RDWR);
    dup2(dn, STDIN_FILENO);
    dup2(dn, STDOUT_FILENO);
    dup2(dn, STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
  }
  end = fs_now_ms() + 60000;
  while (!server_answers() && fs_now_ms() < end)
    fs_sleep_ms(50);
  cr_assert(server_answers(), "the server did not come back");
}

Test(private, server_restarted_during_a_run) {
  if (!private_server())
    cr_skip_test("needs tests/scripts/server_faults.sh");
  cr_assert_eq(fs_run(&env, "run"), 0);
  fs_sums old, new;
  fs_sums_get(&env, &old);
  /* Down for longer than the first backoffs, then down across a publish. */
  static const struct {
    const char *like;
    unsigned down_ms;
  } points[] = {
      {"SELECT project_id, uuid, display_name%@%instances%", 300},
      {"INSERT INTO %@%instance\\_\\_staging%", 2500},
      {"ALTER TABLE %@%instance\\_\\_staging%", 100},
  };
  for (size_t i = 0; i < sizeof points / sizeof *points; i++) {
    fs_touch_source(&env, 700 + (int)i);
    pid_t pid = fs_start(&env, "run");
    MYSQL *w = testdb_connect();
    bool seen = false;
    uint64_t end = fs_now_ms() + 30000;
    char like[256];
    fs_like(&env, points[i].like, like, sizeof like);
    while (!seen && fs_now_ms() < end) {
      seen = testdb_i64(w, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                           "'%s' AND ID <> CONNECTION_ID()",
                        like) > 0;
      if (!seen)
        fs_sleep_ms(3);
    }
    db_close(w);
    cr_assert(seen, "never saw %s", points[i].like);
    restart_server(points[i].down_ms);
    int rc = fs_wait(pid);
    char *log = fs_log(&env);
    /* Fails cleanly (a clear error, exit 1) or retries and succeeds. */
    cr_assert(rc == 0 || rc == 1, "restart at %s: exit %d:\n%s", points[i].like, rc, log);
    if (rc == 1)
      cr_assert(strstr(log, "PS_ECONN"), "unclear failure:\n%s", log);
    cr_log_info("server restarted at %s (down %u ms): run exit %d", points[i].like,
                points[i].down_ms, rc);
    free(log);
    db_close(env.m);
    env.m = testdb_connect();
    fs_sums after;
    fs_sums_get(&env, &after);
    fs_assert_13(&env, points[i].like);
    int rc2 = fs_run(&env, "run");
    cr_assert_eq(rc2, 0, "the run after the restart failed:\n%s", fs_log(&env));
    fs_assert_no_leftovers(&env, points[i].like);
    fs_sums_get(&env, &new);
    fs_assert_old_or_new(&after, &old, &new, points[i].like);
    if (rc == 0)
      fs_assert_same(&after, &new, "a run that reported success");
    old = new;
  }
}

/* max_allowed_packet below a batch's size: batches are cut to fit; below a
 * statement's minimum: a clear, non-retried error and untouched tables. */
Test(private, max_allowed_packet_below_a_batch) {
  if (!private_server())
    cr_skip_test("needs tests/scripts/server_faults.sh");
  unlink(env.cfg);
  free(env.cfg);
  env.cfg = testdb_write_config(env.prefix, 2,
                                "engine:\n  retries: 2\n  retry_backoff: 50ms\n"
                                "  batch_bytes: 4MiB\n  batch_rows: 100000\n");
  cr_assert_eq(fs_run(&env, "run"), 0);
  fs_touch_source(&env, 800);
  cr_assert_eq(fs_run(&env, "run"), 0);
  fs_sums ref;
  fs_sums_get(&env, &ref);
  testdb_exec(env.m, "SET GLOBAL max_allowed_packet = 16384");
  cr_assert_eq(fs_run(&env, "run --force-update"), 0, "%s", fs_log(&env));
  fs_sums small;
  fs_sums_get(&env, &small);
  fs_assert_same(&small, &ref, "16 KiB packets");
  fs_assert_13(&env, "16 KiB packets");

  testdb_exec(env.m, "SET GLOBAL max_allowed_packet = 1024");
  fs_touch_source(&env, 801);
  int rc = fs_run(&env, "run --force-update");
  char *log = fs_log(&env);
  testdb_exec(env.m, "SET GLOBAL max_allowed_packet = DEFAULT");
  cr_assert_eq(rc, 1, "%s", log);
  cr_assert(strstr(log, "max_allowed_packet"), "unclear error:\n%s", log);
  cr_assert_null(strstr(log, "PS_ETOOBIG), retrying"), "a too-big error was retried:\n%s", log);
  free(log);
  fs_sums now, new;
  fs_sums_get(&env, &now);
  fs_assert_13(&env, "1 KiB packets");
  fs_assert_no_leftovers(&env, "1 KiB packets");
  cr_assert_eq(fs_run(&env, "run --force-update"), 0);
  fs_sums_get(&env, &new);
  fs_assert_old_or_new(&now, &ref, &new, "1 KiB packets");
}
