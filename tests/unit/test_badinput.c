/* Bad input: malformed command lines and configs (a clear message, exit 2,
 * no connection opened), malformed source rows (handled per "Bad source
 * data" of the contract: value NULL or cut, NULL-key rows skipped and
 * counted, the job succeeds), and source sessions that cannot write. */
#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "engine/pool.h"
#include "extractors/extractor.h"
#include "tests/unit/faults_support.h"

/* ---- command lines and configs ------------------------------------------------- */

/* A UNIX socket that records whether anything connected to it: the configs
 * below point their server there, so "no connection opened" is observable. */
typedef struct trap {
  int fd;
  char path[108];
} trap;

static void trap_open(trap *t) {
  snprintf(t->path, sizeof t->path, "/tmp/pollster-trap-%d.sock", (int)getpid());
  unlink(t->path);
  t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  cr_assert(t->fd >= 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", t->path);
  cr_assert_eq(bind(t->fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(t->fd, 16), 0);
}

static int trap_connections(trap *t) {
  int n = 0;
  for (;;) {
    int c = accept(t->fd, NULL, NULL);
    if (c < 0)
      break;
    close(c);
    n++;
  }
  return n;
}

static void trap_close(trap *t) {
  close(t->fd);
  unlink(t->path);
}

static int run_cmd(const char *cmd, char **out) {
  char *full = NULL;
  cr_assert(asprintf(&full, "%s 2>&1", cmd) >= 0);
  FILE *p = popen(full, "r");
  cr_assert(p);
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, p);
  buf[n] = '\0';
  int st = pclose(p);
  free(full);
  *out = buf;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *write_file(const char *text) {
  char path[] = "/tmp/pollster-badinput-XXXXXX.yaml";
  int fd = mkstemps(path, 5);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return strdup(path);
}

Test(badinput, malformed_command_lines_exit_2_without_connecting, .timeout = 120) {
  trap t;
  trap_open(&t);
  char *yaml = NULL;
  cr_assert(asprintf(&yaml,
                     "servers:\n  db: { socket: %s, user: root, password: \"\", connect_timeout: 1s }\n"
                     "sources:\n"
                     "  keystone: { server: db, schema: k }\n"
                     "  nova_api: { server: db, schema: na }\n"
                     "  nova: [ { cell: cell1, server: db, schema: n1 } ]\n"
                     "  cinder: { server: db, schema: c }\n"
                     "  glance: { server: db, schema: g }\n"
                     "  rcshibboleth: { server: db, schema: r }\n"
                     "  dashboard: { server: db, schema: d }\n"
                     "target: { server: db, schema: rep }\n",
                     t.path) >= 0);
  char *cfg = write_file(yaml);
  char *bin = testdb_binary_path("pollster");
  /* The config itself is fine: a run with it does try the trap. */
  char *cmd = NULL, *out = NULL;
  cr_assert(asprintf(&cmd, "%s check-config -c %s", bin, cfg) >= 0);
  cr_assert_eq(run_cmd(cmd, &out), 0, "%s", out);
  free(cmd);
  free(out);

  static const char *const lines[] = {
      "",
      "frobnicate -c CFG",
      "run",
      "run -c",
      "run -c CFG --bogus",
      "run -c CFG -Z",
      "run -c CFG stray-operand",
      "run -c CFG --tables nosuchtable",
      "run -c CFG --tables instance,nosuchtable",
      "run -c CFG --tables ''",
      "run -c CFG --tables ,",
      "run -c CFG --force-update --last-day",
      "run -c CFG --last-week --last-month",
      "run -c CFG --last-updated",
      "run -c CFG --last-updated 2024-01-01",
      "run -c CFG --last-updated 20241345",
      "run -c CFG --last-updated yesterday",
      "run -c /nonexistent/pollster.yaml",
      "run -c CFG -c CFG2",
      "db-sync",
      "db-sync -c /nonexistent/pollster.yaml",
      "check-config",
      "list-tables stray",
      "run --tables instance",
      "-c CFG",
  };
  for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
    /* CFG -> the trap config; CFG2 -> a missing file */
    char line[512];
    size_t pos = 0;
    for (const char *p = lines[i]; *p && pos < sizeof line - 128;) {
      if (strncmp(p, "CFG2", 4) == 0) {
        pos += (size_t)snprintf(line + pos, sizeof line - pos, "/nonexistent/2.yaml");
        p += 4;
      } else if (strncmp(p, "CFG", 3) == 0) {
        pos += (size_t)snprintf(line + pos, sizeof line - pos, "%s", cfg);
        p += 3;
      } else {
        line[pos++] = *p++;
      }
    }
    line[pos] = '\0';
    cr_assert(asprintf(&cmd, "%s %s", bin, line) >= 0);
    int rc = run_cmd(cmd, &out);
    cr_expect_eq(rc, 2, "'pollster %s' exited %d, not 2:\n%s", lines[i], rc, out);
    cr_expect(strlen(out) > 10, "'pollster %s': no message", lines[i]);
    cr_expect_eq(trap_connections(&t), 0, "'pollster %s' opened a connection", lines[i]);
    free(out);
    free(cmd);
  }
  /* Control: the trap does see a run that gets as far as connecting. */
  cr_assert(asprintf(&cmd, "%s run -c %s -q", bin, cfg) >= 0);
  int rc = run_cmd(cmd, &out);
  cr_expect_eq(rc, 1, "%s", out);
  cr_expect_gt(trap_connections(&t), 0, "the control run did not reach the trap");
  free(out);
  free(cmd);
  free(bin);
  unlink(cfg);
  free(cfg);
  free(yaml);
  trap_close(&t);
}

/* Every malformed config of tests/fixtures/config/bad, through the CLI. */
Test(badinput, malformed_configs_exit_2, .timeout = 120) {
  char *dir = testdb_source_path("tests/fixtures/config/bad");
  char *bin = testdb_binary_path("pollster");
  DIR *d = opendir(dir);
  cr_assert(d);
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d))) {
    if (!strstr(de->d_name, ".yaml"))
      continue;
    for (int c = 0; c < 2; c++) {
      char *cmd = NULL, *out = NULL;
      cr_assert(asprintf(&cmd, "%s %s -c %s/%s", bin, c ? "check-config" : "run", dir,
                         de->d_name) >= 0);
      int rc = run_cmd(cmd, &out);
      cr_expect_eq(rc, 2, "%s: exit %d:\n%s", de->d_name, rc, out);
      /* The message names the file (and the place in it). */
      cr_expect(strstr(out, de->d_name), "%s: message does not name the file:\n%s", de->d_name,
                out);
      free(cmd);
      free(out);
    }
    n++;
  }
  closedir(d);
  cr_assert_geq(n, 40);
  free(dir);
  free(bin);
}

/* ---- bad source rows ------------------------------------------------------------- */

static fs_env env;
static void setup(void) { fs_setup(&env, "bad", 0, NULL); }
static void teardown(void) { fs_teardown(&env); }

static char *inst(const char *col, const char *id) {
  return testdb_str(env.m, "SELECT %s FROM `%s`.instance WHERE id = '%s'", col, env.report, id);
}

Test(badsource, malformed_rows_are_fixed_skipped_and_counted, .init = setup, .fini = teardown,
     .timeout = 120) {
  const char *c1 = "nova_cell1";
  /* A binary-charset source column can hold any bytes. */
  testdb_exec(env.m,
              "ALTER TABLE `%s_%s`.instances MODIFY display_name VARBINARY(2000), "
              "MODIFY uuid VARBINARY(36) NULL",
              env.prefix, c1);
  testdb_exec(env.m, "SET SESSION sql_mode = ''");
  static const char *const rows[] = {
      /* invalid UTF-8 in a value -> NULL */
      "'bad-utf8', X'41C328FF42', '2024-01-05 00:00:00', NULL",
      /* oversize: 300 two-byte characters -> cut at 255 characters */
      "'too-long', REPEAT(X'C3A9', 300), '2024-01-05 00:00:00', NULL",
      /* zero dates (written with a permissive sql_mode) -> NULL */
      "'zero-date', 'zd', '0000-00-00 00:00:00', '0000-00-00 00:00:00'",
      /* NULL key -> skipped */
      "NULL, 'no-key', '2024-01-05 00:00:00', NULL",
      /* invalid UTF-8 in the key -> skipped */
      "X'FF6B6579', 'bad-key', '2024-01-05 00:00:00', NULL",
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
    testdb_exec(env.m,
                "INSERT INTO `%s_%s`.instances (uuid, display_name, created_at, deleted_at, "
                "user_id, project_id, memory_mb, vcpus, host, availability_zone, "
                "instance_type_id, root_gb, ephemeral_gb, deleted) "
                "VALUES (%s, 'u04', 'proj-b', 512, 1, 'cn3', 'nova', 1, 1, 0, 0)",
                env.prefix, c1, rows[i]);
  testdb_exec(env.m, "SET SESSION sql_mode = DEFAULT");
  /* malformed JSON in keystone's project.extra: allocation falls back */
  testdb_exec(env.m,
              "UPDATE `%s_keystone`.project SET extra = '{\"allocation_id\": 6,' "
              "WHERE id = 'proj-b'",
              env.prefix);
  /* a malformed pickle of another kind: not a pickle at all */
  testdb_exec(env.m,
              "UPDATE `%s_rcshibboleth`.user SET shibboleth_attributes = X'80FFFF00' "
              "WHERE id = (SELECT MIN(id) FROM (SELECT id FROM `%s_rcshibboleth`.user) u)",
              env.prefix, env.prefix);

  int rc = fs_run(&env, "run");
  char *log = fs_log(&env);
  cr_assert_eq(rc, 0, "a run over bad rows failed:\n%s", log);
  cr_expect(strstr(log, "invalid UTF-8 in name, stored as NULL (row id=bad-utf8)"), "%s", log);
  cr_expect(strstr(log, "name longer than 255 characters, cut (row id=too-long)"), "%s", log);
  cr_expect(strstr(log, "zero date in created, stored as NULL (row id=zero-date)"), "%s", log);
  cr_expect(strstr(log, "NULL primary-key value, row skipped"), "%s", log);
  cr_expect(strstr(log, "invalid UTF-8 in a primary-key value, row skipped"), "%s", log);
  /* The summary counts the instance job's skipped and fixed rows. */
  cr_expect(strstr(log, "instance           full"), "%s", log);
  free(log);

  char *v = inst("name", "bad-utf8");
  cr_expect_null(v, "invalid UTF-8 stored: %s", v);
  free(v);
  cr_expect_eq(testdb_i64(env.m, "SELECT COUNT(*) FROM `%s`.instance WHERE id = 'bad-utf8'",
                          env.report),
               1, "the row with a bad value is kept");
  cr_expect_eq(testdb_i64(env.m, "SELECT CHAR_LENGTH(name) FROM `%s`.instance WHERE id = 'too-long'",
                          env.report),
               255);
  cr_expect_eq(testdb_i64(env.m, "SELECT name = REPEAT('é', 255) FROM `%s`.instance "
                                 "WHERE id = 'too-long'",
                          env.report),
               1, "cut inside a character");
  v = inst("created", "zero-date");
  cr_expect_null(v, "zero date stored as %s", v);
  free(v);
  v = inst("deleted", "zero-date");
  cr_expect_null(v, "zero date stored as %s", v);
  free(v);
  cr_expect_eq(testdb_i64(env.m,
                          "SELECT COUNT(*) FROM `%s`.instance WHERE name IN ('no-key', 'bad-key')",
                          env.report),
               0, "rows without a usable key are skipped");
  /* historical_usage is not thrown off by a NULL creation time: it still
   * starts at the fixture's first day. */
  char *first = testdb_str(env.m, "SELECT MIN(day) FROM `%s`.historical_usage", env.report);
  cr_expect_str_eq(first ? first : "NULL", "2023-12-30");
  free(first);
  /* Malformed JSON: proj-b keeps its first request by modified_time (id 6). */
  cr_expect_eq(testdb_i64(env.m, "SELECT id FROM `%s`.allocation WHERE project_id = 'proj-b'",
                          env.report),
               6);
  fs_assert_13(&env, "bad rows");
  /* The tables untouched by the bad rows are exactly the expected ones. */
  static const char *const same[] = {"hypervisor", "aggregate", "role", "flavour", "volume",
                                     "image", "allocation"};
  for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/edge/expected/%s.tsv", same[i]);
    char *path = testdb_source_path(rel);
    char *report = NULL;
    cr_expect(fixture_compare(env.m, env.report, same[i], path, &report), "%s: %s", same[i],
              report);
    free(report);
    free(path);
  }
}

/* Source sessions are read only, also when the pool hands out a connection
 * that served as a target before (the role is switched on the session). */
Test(badsource, source_sessions_from_the_pool_cannot_write, .init = setup, .fini = teardown) {
  size_t n_specs;
  const config_job_spec *specs = ex_config_specs(&n_specs);
  config *cfg = NULL;
  ps_error err;
  error_clear(&err);
  cr_assert_eq(config_load(env.cfg, specs, n_specs, &cfg, &err), PS_OK, "%s", err.msg);
  pools *pl = pools_create(cfg, &err);
  cr_assert(pl, "%s", err.msg);
  pool *p = pools_get(pl, cfg->target.server);
  MYSQL *m = NULL;
  char sql[256];
  snprintf(sql, sizeof sql, "CREATE TABLE `%s_keystone`.ro_probe (x int)", env.prefix);
  cr_assert_eq(pool_acquire(p, DB_ROLE_TARGET, 5000, &m, &err), PS_OK, "%s", err.msg);
  cr_assert_eq(db_exec(m, sql, &err), PS_OK, "%s", err.msg);
  pool_release(p, m, false);
  snprintf(sql, sizeof sql, "INSERT INTO `%s_keystone`.ro_probe VALUES (1)", env.prefix);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(pool_acquire(p, DB_ROLE_SOURCE, 5000, &m, &err), PS_OK, "%s", err.msg);
    error_clear(&err);
    cr_expect_neq(db_exec(m, sql, &err), PS_OK, "a source session wrote");
    cr_expect(strstr(err.msg, "READ ONLY"), "%s", err.msg);
    pool_release(p, m, false);
    /* and back to target: writes work again on the same session */
    cr_assert_eq(pool_acquire(p, DB_ROLE_TARGET, 5000, &m, &err), PS_OK, "%s", err.msg);
    cr_expect_eq(db_exec(m, sql, &err), PS_OK, "%s", err.msg);
    pool_release(p, m, false);
  }
  cr_expect_eq(testdb_i64(env.m, "SELECT COUNT(*) FROM `%s_keystone`.ro_probe", env.prefix), 3);
  pools_destroy(pl);
  config_free(cfg);
}
