/* pollster: command line.
 *
 *   pollster run -c FILE [--tables T,...] [--force-update | --last-day | --last-week |
 *                         --last-month | --last-updated YYYYMMDD] [--dry-run]
 *   pollster db-sync -c FILE [--schema PATH] [--recreate [--yes]]
 *   pollster daemon -c FILE [--pidfile PATH] [--foreground] [--id NAME]
 *   pollster status -c FILE
 *   pollster check-config -c FILE
 *   pollster list-tables
 *   pollster --version | --help
 * Common flags: -v/--verbose, -q/--quiet.
 * Exit status: 0 success, 1 a job or the server failed, 2 bad command line or config.
 *
 * DESIGN (threads of `run`): main blocks the signals before any thread
 * starts (engine/signals.h), so workers and the scheduler inherit the mask;
 * the signal thread (pollster-sig) cancels the scheduler on SIGINT/SIGTERM;
 * a progress thread (pollster-prog, terminals only) reads the jobs' atomic
 * counters.  Both are stopped by main after the cycle: the signal thread by
 * signals_stop, the progress thread by an atomic flag it polls every
 * 250 ms.  `daemon` has its own threads: engine/daemon.h. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>
#include <zlib.h>

#include "engine/config.h"
#include "engine/daemon.h"
#include "engine/db.h"
#include "engine/log.h"
#include "engine/pool.h"
#include "engine/scheduler.h"
#include "engine/signals.h"
#include "extractors/extractor.h"
#include "loaders/history.h"
#include "loaders/staging.h"
#include "schema/schema.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

typedef struct cli {
  const char *command;
  const char *config_path;
  const char *schema_path;
  const char *tables;
  ex_options ex;
  bool recreate, yes, foreground;
  const char *pidfile, *daemon_id;
  int verbosity; /* -1 quiet, 0 normal, 1 verbose */
} cli;

static void usage(FILE *out) {
  fputs("usage: pollster COMMAND [OPTIONS]\n"
        "\n"
        "commands:\n"
        "  run -c FILE [--tables T1,T2] [--force-update | --last-day | --last-week |\n"
        "              --last-month | --last-updated YYYYMMDD] [--dry-run]\n"
        "                      refresh the requested tables (default: all) and what they\n"
        "                      depend on, once, then print a summary\n"
        "  db-sync -c FILE [--schema PATH] [--recreate [--yes]]\n"
        "                      create or upgrade the reporting schema\n"
        "  daemon -c FILE [--pidfile PATH] [--foreground] [--id NAME]\n"
        "                      run every job periodically until SIGTERM (SIGHUP reloads\n"
        "                      the config); --id names it in leases and job_run\n"
        "                      (default hostname:pid)\n"
        "  status -c FILE      per job: last success, last failure, next due, average\n"
        "                      duration (from the daemons' job_run history)\n"
        "  check-config -c FILE\n"
        "                      validate FILE and print the effective config\n"
        "  list-tables         list the tables, their jobs, dependencies and modes\n"
        "\n"
        "options:\n"
        "  -c, --config FILE   configuration file (YAML)\n"
        "  -v, --verbose       debug logging\n"
        "  -q, --quiet         errors only\n"
        "  -V, --version       print versions and exit\n"
        "  -h, --help          this help\n",
        out);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "pollster: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'pollster --help'.\n");
  va_end(ap);
  return EXIT_USAGE;
}

static void print_version(void) {
  printf("pollster %s\n", POLLSTER_VERSION);
  printf("  client library  %s\n", db_client_version());
  printf("  liburcu         %s (build time)\n", POLLSTER_URCU_VERSION);
  printf("  libyaml         %s\n", yaml_get_version_string());
  printf("  zlib            %s\n", zlibVersion());
}

/* YYYYMMDD -> 'YYYY-MM-DD 00:00:00'; false when not a real date. */
static bool parse_yyyymmdd(const char *s, char out[20]) {
  if (strlen(s) != 8 || strspn(s, "0123456789") != 8)
    return false;
  struct tm tm = {0};
  tm.tm_year = atoi((char[5]){s[0], s[1], s[2], s[3], 0}) - 1900;
  tm.tm_mon = atoi((char[3]){s[4], s[5], 0}) - 1;
  tm.tm_mday = atoi((char[3]){s[6], s[7], 0});
  struct tm check = tm;
  time_t t = timegm(&check);
  if (t == (time_t)-1 || check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon)
    return false;
  strftime(out, 20, "%Y-%m-%d 00:00:00", &check);
  return true;
}

enum {
  OPT_TABLES = 256, OPT_FORCE, OPT_LAST_DAY, OPT_LAST_WEEK, OPT_LAST_MONTH, OPT_LAST_UPDATED,
  OPT_DRY_RUN, OPT_SCHEMA, OPT_RECREATE, OPT_YES, OPT_PIDFILE, OPT_FOREGROUND, OPT_ID,
};

static int parse_cli(int argc, char **argv, cli *c) {
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"verbose", no_argument, NULL, 'v'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {"tables", required_argument, NULL, OPT_TABLES},
      {"force-update", no_argument, NULL, OPT_FORCE},
      {"last-day", no_argument, NULL, OPT_LAST_DAY},
      {"last-week", no_argument, NULL, OPT_LAST_WEEK},
      {"last-month", no_argument, NULL, OPT_LAST_MONTH},
      {"last-updated", required_argument, NULL, OPT_LAST_UPDATED},
      {"dry-run", no_argument, NULL, OPT_DRY_RUN},
      {"schema", required_argument, NULL, OPT_SCHEMA},
      {"recreate", no_argument, NULL, OPT_RECREATE},
      {"yes", no_argument, NULL, OPT_YES},
      {"pidfile", required_argument, NULL, OPT_PIDFILE},
      {"foreground", no_argument, NULL, OPT_FOREGROUND},
      {"id", required_argument, NULL, OPT_ID},
      {NULL, 0, NULL, 0},
  };
  memset(c, 0, sizeof *c);
  int since_flags = 0;
  opterr = 0;
  int o;
  while ((o = getopt_long(argc, argv, ":c:vqhV", opts, NULL)) != -1) {
    switch (o) {
    case 'c': c->config_path = optarg; break;
    case 'v': c->verbosity = 1; break;
    case 'q': c->verbosity = -1; break;
    case 'h': usage(stdout); exit(0);
    case 'V': print_version(); exit(0);
    case OPT_TABLES: c->tables = optarg; break;
    case OPT_FORCE: c->ex.since = EX_SINCE_FORCE_FULL, since_flags++; break;
    case OPT_LAST_DAY: c->ex.since = EX_SINCE_LAST_DAY, since_flags++; break;
    case OPT_LAST_WEEK: c->ex.since = EX_SINCE_LAST_WEEK, since_flags++; break;
    case OPT_LAST_MONTH: c->ex.since = EX_SINCE_LAST_MONTH, since_flags++; break;
    case OPT_LAST_UPDATED:
      if (!parse_yyyymmdd(optarg, c->ex.since_date))
        return usage_error("--last-updated: '%s' is not a date YYYYMMDD", optarg);
      c->ex.since = EX_SINCE_DATE, since_flags++;
      break;
    case OPT_DRY_RUN: c->ex.dry_run = true; break;
    case OPT_SCHEMA: c->schema_path = optarg; break;
    case OPT_RECREATE: c->recreate = true; break;
    case OPT_YES: c->yes = true; break;
    case OPT_PIDFILE: c->pidfile = optarg; break;
    case OPT_FOREGROUND: c->foreground = true; break;
    case OPT_ID: c->daemon_id = optarg; break;
    case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
    default:
      if (optopt)
        return usage_error("unknown option '-%c'", optopt);
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  /* GNU getopt moves the operands last: options go before or after the command. */
  if (optind < argc)
    c->command = argv[optind++];
  if (optind < argc)
    return usage_error("unexpected argument '%s'", argv[optind]);
  if (since_flags > 1)
    return usage_error("--force-update, --last-day, --last-week, --last-month and "
                       "--last-updated exclude each other");
  return 0;
}

/* ---- shared steps --------------------------------------------------------- */

static int load_config(const cli *c, config **cfg) {
  if (!c->config_path)
    return usage_error("%s needs -c FILE", c->command);
  size_t n_specs;
  const config_job_spec *specs = ex_config_specs(&n_specs);
  ps_error err;
  error_clear(&err);
  if (config_load(c->config_path, specs, n_specs, cfg, &err) != PS_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return EXIT_USAGE;
  }
  return 0;
}

static int fail(const ps_error *err) {
  log_error("%s", err->msg);
  return err->status == PS_ECONFIG || err->status == PS_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
}

/* ---- list-tables ---------------------------------------------------------- */

static int cmd_list_tables(void) {
  printf("%-18s %-12s %-28s %s\n", "TABLE", "JOB", "DEPENDS ON", "MODES");
  for (size_t i = 0; i < ex_catalog_count(); i++) {
    const extractor *ex = ex_catalog_get(i);
    for (size_t t = 0; t < ex_table_count(ex); t++) {
      char deps[128] = "";
      size_t pos = 0;
      for (const char *const *d = ex_deps(ex); *d; d++)
        pos += (size_t)snprintf(deps + pos, sizeof deps - pos, "%s%s", pos ? "," : "", *d);
      const char *modes = ex_history_keeping(ex) ? "history-keeping"
                          : ex_incremental_ok(ex) ? "full,incremental"
                                                  : "full";
      printf("%-18s %-12s %-28s %s%s\n", ex_table_name(ex, t), ex_name(ex),
             pos ? deps : "-", modes, t ? " (derived)" : "");
    }
  }
  return 0;
}

/* ---- check-config --------------------------------------------------------- */

static int cmd_check_config(const cli *c) {
  config *cfg = NULL;
  int rc = load_config(c, &cfg);
  if (rc)
    return rc;
  config_print(cfg, stdout);
  fprintf(stderr, "%s: OK\n", c->config_path);
  config_free(cfg);
  return 0;
}

/* ---- db-sync ---------------------------------------------------------------- */

static bool confirm_recreate(const config *cfg) {
  if (!isatty(STDIN_FILENO)) {
    fprintf(stderr, "pollster: --recreate drops the reporting tables of '%s' and pollster's "
                    "state in '%s'; no terminal to confirm on: add --yes\n",
            cfg->target.schema, cfg->target.state_schema);
    return false;
  }
  fprintf(stderr, "This drops every reporting table of '%s' and pollster's state in '%s'.\n"
                  "Type y to continue: ",
          cfg->target.schema, cfg->target.state_schema);
  char answer[16];
  if (!fgets(answer, sizeof answer, stdin))
    return false;
  return strcmp(answer, "y\n") == 0 || strcmp(answer, "y") == 0;
}

static int cmd_db_sync(const cli *c) {
  config *cfg = NULL;
  schema_def *schema = NULL;
  MYSQL *m = NULL;
  ps_error err;
  error_clear(&err);
  int rc = load_config(c, &cfg);
  if (rc)
    return rc;
  if (c->recreate && !c->yes && !confirm_recreate(cfg)) {
    rc = EXIT_USAGE;
    goto out;
  }
  schema = schema_load(c->schema_path, &err);
  if (!schema) {
    rc = fail(&err);
    goto out;
  }
  m = db_connect(config_server(cfg, cfg->target.server), DB_ROLE_TARGET, &err);
  schema_sync_opts so = {.recreate = c->recreate};
  if (!m || schema_sync(m, &cfg->target, schema, &so, &err) != PS_OK) {
    rc = fail(&err);
    goto out;
  }
  log_info("reporting schema '%s' is at version %u (%s); state in '%s'", cfg->target.schema,
           schema_version(schema), schema_path(schema), cfg->target.state_schema);
out:
  db_close(m);
  schema_free(schema);
  config_free(cfg);
  return rc;
}

/* ---- run ------------------------------------------------------------------- */

typedef struct run_threads {
  sched *s;
  ex_run *r;
  size_t n_jobs;
  _Atomic bool done;
  signals sig;
  pthread_t prog;
  bool have_prog;
} run_threads;

/* On the signal thread: SIGINT/SIGTERM cancel the run (SIGHUP is ignored). */
static void on_signal(int sig, void *ud) {
  run_threads *t = ud;
  if (sig == SIGHUP)
    return;
  log_warn("%s: canceling the run (running jobs are aborted, live tables stay intact)",
           strsignal(sig));
  sched_cancel(t->s);
}

static void *progress_main(void *arg) {
  run_threads *t = arg;
  pthread_setname_np(pthread_self(), "pollster-prog");
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int ticks = 0;
  while (!atomic_load(&t->done)) {
    nanosleep(&(struct timespec){0, 250000000L}, NULL);
    if (++ticks % 2)
      continue;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
    uint64_t rows = 0;
    for (size_t i = 0; i < t->n_jobs; i++) {
      ex_job_stats st;
      ex_run_stats(t->r, i, &st);
      rows += st.rows_written;
    }
    fprintf(stderr, "\r\033[K%.0f s: %llu rows written (%.0f rows/s)", secs,
            (unsigned long long)rows, secs > 0 ? rows / secs : 0.0);
  }
  fprintf(stderr, "\r\033[K");
  return NULL;
}

static void print_summary(ex_run *r, const job_desc *jobs, size_t n, const sched_result *res) {
  printf("\n%-18s %-12s %12s %9s %9s %8s %11s  %s\n", "TABLE", "MODE", "ROWS", "SKIPPED",
         "FIXED", "SECONDS", "ROWS/S", "STATUS");
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    if (!res[i].selected)
      continue;
    ex_job_stats st;
    ex_run_stats(r, i, &st);
    const char *status = res[i].status == PS_OK ? "ok" : status_name(res[i].status);
    for (size_t t = 0; t < st.n_tables; t++) {
      double rate = res[i].seconds > 0 ? st.tables[t].rows / res[i].seconds : 0;
      printf("%-18s %-12s %12llu %9llu %9llu %8.2f %11.0f  %s\n", st.tables[t].table,
             res[i].ran ? st.mode : "-", (unsigned long long)st.tables[t].rows,
             (unsigned long long)(t ? 0 : st.rows_skipped),
             (unsigned long long)(t ? 0 : st.rows_fixed), res[i].seconds, rate,
             t ? "" : status);
      total += st.tables[t].rows;
    }
    if (res[i].status != PS_OK)
      printf("  %s: %s\n", jobs[i].name, res[i].err.msg);
  }
  printf("%-18s %-12s %12llu\n", "total", "", (unsigned long long)total);
}

/* --tables names -> job names (a derived table runs its parent job). */
static int resolve_tables(const char *list, const config *cfg, const char ***names,
                          size_t *n) {
  *names = NULL;
  *n = 0;
  if (!list)
    return 0;
  char *copy = strdup(list), *save = NULL;
  const char **out = calloc(strlen(list) + 1, sizeof *out);
  int rc = 0;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    const extractor *ex = ex_catalog_for_table(tok);
    if (!ex) {
      rc = usage_error("--tables: unknown table '%s' (see pollster list-tables)", tok);
      break;
    }
    const cfg_job *jc = config_job(cfg, ex_name(ex));
    if (!jc || !jc->enabled) {
      rc = usage_error("--tables: the job of table '%s' is disabled in the config", tok);
      break;
    }
    out[(*n)++] = ex_name(ex);
  }
  free(copy);
  /* An empty list ("", ",") is a mistake, not "every table". */
  if (!rc && *n == 0)
    rc = usage_error("--tables: no table named in '%s' (see pollster list-tables)", list);
  if (rc) {
    free(out);
    *n = 0;
    return rc;
  }
  *names = out;
  return 0;
}

static int run_dry(const job_desc *jobs, size_t n, const char **names,
                   size_t n_names) {
  sched_plan plan;
  ps_error err;
  error_clear(&err);
  if (sched_plan_build(jobs, n, names, n_names, &plan, &err) != PS_OK)
    return fail(&err);
  printf("-- plan: %zu jobs in %zu parallel groups\n", plan.n, plan.n_waves);
  for (size_t w = 0; w < plan.n_waves; w++) {
    printf("--   group %zu:", w + 1);
    for (size_t k = plan.wave_start[w]; k < plan.wave_start[w + 1]; k++)
      printf(" %s", jobs[plan.order[k]].name);
    printf("\n");
  }
  int rc = 0;
  for (size_t k = 0; k < plan.n && rc == 0; k++) {
    const job_desc *d = &jobs[plan.order[k]];
    size_t units = 1;
    printf("\n-- job %s\n", d->name);
    if (d->ops->prepare(d->arg, &units, &err) != PS_OK)
      rc = fail(&err);
    for (size_t u = 0; rc == 0 && u < units; u++)
      if (d->ops->run_unit(d->arg, u, &err) != PS_OK)
        rc = fail(&err);
    if (rc == 0 && d->ops->finish(d->arg, &err) != PS_OK)
      rc = fail(&err);
  }
  sched_plan_free(&plan);
  return rc;
}

static int cmd_run(cli *c) {
  config *cfg = NULL;
  schema_def *schema = NULL;
  pools *pl = NULL;
  ex_run *r = NULL;
  sched *s = NULL;
  const char **names = NULL;
  size_t n_names = 0;
  sched_result *res = NULL;
  MYSQL *run_lock = NULL; /* holds the target's staging lock for the whole run */
  run_threads th = {0};
  ps_error err;
  error_clear(&err);
  int rc = load_config(c, &cfg);
  if (rc)
    return rc;
  rc = resolve_tables(c->tables, cfg, &names, &n_names);
  if (rc)
    goto out;
  schema = schema_load(c->schema_path, &err);
  if (!schema) {
    rc = fail(&err);
    goto out;
  }
  if (!c->ex.dry_run) {
    pl = pools_create(cfg, &err);
    if (!pl) {
      rc = fail(&err);
      goto out;
    }
    /* One run at a time per target: the cleanup below and every job drop
     * and rebuild the shared staging tables. */
    const cfg_server *ts = config_server(cfg, cfg->target.server);
    unsigned wait_s = cfg->engine.acquire_timeout_s;
    run_lock = db_connect(ts, DB_ROLE_TARGET, &err);
    ps_status lst = run_lock ? staging_lock(run_lock, &cfg->target, 0, &err) : err.status;
    if (lst == PS_EBUSY) {
      log_info("another pollster run is refreshing '%s': waiting up to %u s for it to end",
               cfg->target.schema, wait_s);
      error_clear(&err);
      lst = staging_lock(run_lock, &cfg->target, wait_s, &err);
    }
    if (lst != PS_OK) {
      rc = fail(&err);
      goto out;
    }
    /* Create missing reporting tables and the state schema, and clear what
     * a crashed run left behind, before any job starts. */
    pool *tp = pools_get(pl, cfg->target.server);
    MYSQL *m = NULL;
    schema_sync_opts so = {0};
    ps_status st = pool_acquire(tp, DB_ROLE_TARGET, cfg->engine.acquire_timeout_s * 1000u, &m,
                                &err);
    if (st == PS_OK)
      st = schema_sync(m, &cfg->target, schema, &so, &err);
    if (st == PS_OK)
      st = staging_cleanup(m, &cfg->target, schema, NULL, &err);
    if (m)
      pool_release(tp, m, st != PS_OK);
    if (st != PS_OK) {
      rc = fail(&err);
      goto out;
    }
  }
  c->ex.plan_out = stdout;
  r = ex_run_create(cfg, pl, schema, &c->ex, &err);
  if (!r) {
    rc = fail(&err);
    goto out;
  }
  size_t n;
  const job_desc *jobs = ex_run_jobs(r, &n);
  if (c->ex.dry_run) {
    rc = run_dry(jobs, n, names, n_names);
    goto out;
  }
  sched_opts so = {.workers = cfg->engine.workers,
                   .retries = cfg->engine.retries,
                   .backoff_ms = cfg->engine.retry_backoff_ms};
  s = sched_create(jobs, n, &so, &err);
  res = calloc(n ? n : 1, sizeof *res);
  if (!s || !res) {
    rc = fail(&err);
    goto out;
  }
  ex_run_set_cancel(r, sched_cancel_flag(s));
  th.s = s;
  th.r = r;
  th.n_jobs = n;
  if (signals_start(&th.sig, on_signal, &th, &err) != PS_OK) {
    rc = fail(&err);
    goto out;
  }
  if (isatty(STDERR_FILENO) && c->verbosity >= 0)
    th.have_prog = pthread_create(&th.prog, NULL, progress_main, &th) == 0;
  ps_status st = sched_run_once(s, names, n_names, res, &err);
  atomic_store(&th.done, true);
  if (th.have_prog)
    pthread_join(th.prog, NULL);
  signals_stop(&th.sig);
  print_summary(r, jobs, n, res);
  rc = st == PS_OK ? 0 : EXIT_FAIL;
  for (size_t i = 0; i < n; i++)
    if (res[i].selected && res[i].status != PS_OK)
      rc = EXIT_FAIL;
out:
  sched_destroy(s);
  free(res);
  ex_run_destroy(r);
  pools_destroy(pl);
  db_close(run_lock);
  schema_free(schema);
  free(names);
  config_free(cfg);
  return rc;
}

/* ---- daemon, status --------------------------------------------------------- */

static int cmd_daemon(const cli *c) {
  config *cfg = NULL;
  int rc = load_config(c, &cfg);
  if (rc)
    return rc;
  size_t n_specs;
  const config_job_spec *specs = ex_config_specs(&n_specs);
  daemon_opts o = {.config_path = c->config_path,
                   .pidfile = c->pidfile,
                   .schema_path = c->schema_path,
                   .id = c->daemon_id,
                   .specs = specs,
                   .n_specs = n_specs,
                   .ready_fd = -1};
  if (!c->foreground && (o.ready_fd = daemon_detach()) < 0) {
    log_error("cannot go to the background: %s", strerror(errno));
    config_free(cfg);
    return EXIT_FAIL;
  }
  ps_error err;
  error_clear(&err);
  if (daemon_run(&o, cfg, &err) != PS_OK)
    return fail(&err);
  return 0;
}

static int cmd_status(const cli *c) {
  config *cfg = NULL;
  MYSQL *m = NULL;
  ps_error err;
  error_clear(&err);
  int rc = load_config(c, &cfg);
  if (rc)
    return rc;
  m = db_connect(config_server(cfg, cfg->target.server), DB_ROLE_TARGET, &err);
  bool exists = false;
  if (!m || db_table_exists(m, cfg->target.state_schema, "job_run", &exists, &err) != PS_OK) {
    rc = fail(&err);
    goto out;
  }
  if (!exists) {
    printf("no daemon has run yet (no %s.job_run)\n", cfg->target.state_schema);
    goto out;
  }
  if (history_report(m, cfg, stdout, &err) != PS_OK)
    rc = fail(&err);
out:
  db_close(m);
  config_free(cfg);
  return rc;
}

int main(int argc, char **argv) {
  /* Every thread inherits this mask: only pollster-sig takes signals. */
  signals_block();
  signal(SIGPIPE, SIG_IGN);
  log_set_thread_name("main");

  cli c;
  int rc = parse_cli(argc, argv, &c);
  if (rc)
    return rc;
  log_set_level(c.verbosity > 0 ? LOG_LEVEL_DEBUG
                : c.verbosity < 0 ? LOG_LEVEL_ERROR
                                  : LOG_LEVEL_INFO);
  if (!c.command) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (mysql_library_init(0, NULL, NULL) != 0) {
    fprintf(stderr, "pollster: cannot initialise the client library\n");
    return EXIT_FAIL;
  }
  if (strcmp(c.command, "run") == 0)
    rc = cmd_run(&c);
  else if (strcmp(c.command, "db-sync") == 0)
    rc = cmd_db_sync(&c);
  else if (strcmp(c.command, "daemon") == 0)
    rc = cmd_daemon(&c);
  else if (strcmp(c.command, "status") == 0)
    rc = cmd_status(&c);
  else if (strcmp(c.command, "check-config") == 0)
    rc = cmd_check_config(&c);
  else if (strcmp(c.command, "list-tables") == 0)
    rc = cmd_list_tables();
  else
    rc = usage_error("unknown command '%s'", c.command);
  mysql_library_end();
  return rc;
}
