/* pollster-gen: synthetic OpenStack source databases for tests and benchmarks.
 *
 * DESIGN: the main thread parses the command line and builds the model
 * (gen_model.c); then a fixed set of loader threads ("gen-load-N") take
 * jobs, one per source database, from an atomic cursor over a job array
 * ordered largest first.  Each job opens its own connection, (re)creates its
 * database from the embedded DDL and writes its tables; the model is only
 * read after the threads start, and each job writes only its own job slot
 * (status, error, counts), which the main thread reads after joining them.
 * Output does not depend on which thread ran which job: every row is a
 * function of (seed, model, row index).  The first failure sets an _Atomic
 * flag; the other threads finish their current job and take no more. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/gen.h"
#include "engine/db.h"
#include "engine/log.h"

typedef struct gen_opts {
  const char *socket, *host, *user, *password_env, *prefix;
  unsigned port, cells;
  double scale, update_fraction;
  uint64_t seed;
  bool have_scale, have_seed, legacy_glance, quiet, no_infile;
} gen_opts;

typedef struct gen_job {
  const char *logical; /* "keystone", ..., "nova_cell" */
  const char *ddl;     /* fixture name */
  unsigned cell;       /* nova cells only */
  char db[128];        /* real schema name */
  ps_status st;
  ps_error err;
  gen_counts counts;
  double seconds;
} gen_job;

typedef struct gen_run {
  const gen_opts *o;
  const gen_model *M;
  const char *password;
  gen_job *jobs;
  size_t n_jobs;
  _Atomic size_t next;
  _Atomic bool failed;
  time_t update_now;
} gen_run;

static void usage(FILE *f) {
  fprintf(f,
          "usage: pollster-gen [--socket PATH | --host H --port P] [--user U]\n"
          "                    [--password-env VAR] [--prefix P] --scale S --seed N\n"
          "                    [--cells N] [--update-fraction F] [--legacy-glance] [--quiet]\n"
          "                    [--no-local-infile]\n"
          "Creates (drops and recreates) the source databases keystone, nova_api, cinder,\n"
          "glance, rcshibboleth, dashboard and nova_cell1..N (named P_<db> with --prefix)\n"
          "filled with synthetic data; scale 1 = 1,000,000 instances.  --update-fraction F\n"
          "instead modifies about F of the existing rows (updates, deletions, new rows).\n"
          "Rows are sent with LOAD DATA LOCAL INFILE when the server allows it\n"
          "(--no-local-infile: multi-row INSERTs).\n");
}

static bool ident_ok(const char *s) {
  if (!*s || strlen(s) > 40)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_'))
      return false;
  return true;
}

static ps_status parse(int argc, char **argv, gen_opts *o, ps_error *err) {
  static const struct option opts[] = {
      {"socket", required_argument, 0, 'S'},   {"host", required_argument, 0, 'h'},
      {"port", required_argument, 0, 'P'},     {"user", required_argument, 0, 'u'},
      {"password-env", required_argument, 0, 'w'}, {"prefix", required_argument, 0, 'x'},
      {"scale", required_argument, 0, 's'},    {"seed", required_argument, 0, 'e'},
      {"cells", required_argument, 0, 'c'},    {"update-fraction", required_argument, 0, 'f'},
      {"legacy-glance", no_argument, 0, 'L'},  {"quiet", no_argument, 0, 'q'},
      {"no-local-infile", no_argument, 0, 'I'},
      {"help", no_argument, 0, 'H'},           {0, 0, 0, 0}};
  *o = (gen_opts){.user = "root", .cells = 1, .port = 3306};
  int ch;
  char *end;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    errno = 0;
    switch (ch) {
    case 'S': o->socket = optarg; break;
    case 'h': o->host = optarg; break;
    case 'P':
      o->port = (unsigned)strtoul(optarg, &end, 10);
      if (*end || !o->port || o->port > 65535)
        return ERROR_SET(err, PS_EUSAGE, "--port: not a port number: %s", optarg);
      break;
    case 'u': o->user = optarg; break;
    case 'w': o->password_env = optarg; break;
    case 'x':
      if (!ident_ok(optarg))
        return ERROR_SET(err, PS_EUSAGE, "--prefix: letters, digits and _ only (max 40): %s",
                         optarg);
      o->prefix = optarg;
      break;
    case 's':
      o->scale = strtod(optarg, &end);
      if (*end || errno || !(o->scale > 0) || o->scale > 100)
        return ERROR_SET(err, PS_EUSAGE, "--scale: a number in (0, 100]: %s", optarg);
      o->have_scale = true;
      break;
    case 'e':
      o->seed = strtoull(optarg, &end, 10);
      if (*end || errno || *optarg == '-')
        return ERROR_SET(err, PS_EUSAGE, "--seed: a non-negative integer: %s", optarg);
      o->have_seed = true;
      break;
    case 'c': {
      unsigned long c = strtoul(optarg, &end, 10);
      if (*end || c < 1 || c > 64)
        return ERROR_SET(err, PS_EUSAGE, "--cells: 1..64: %s", optarg);
      o->cells = (unsigned)c;
      break;
    }
    case 'f':
      o->update_fraction = strtod(optarg, &end);
      if (*end || errno || !(o->update_fraction > 0) || o->update_fraction > 1)
        return ERROR_SET(err, PS_EUSAGE, "--update-fraction: a number in (0, 1]: %s", optarg);
      break;
    case 'L': o->legacy_glance = true; break;
    case 'q': o->quiet = true; break;
    case 'I': o->no_infile = true; break;
    case 'H': usage(stdout); exit(0);
    default: return ERROR_SET(err, PS_EUSAGE, "unknown option (see --help)");
    }
  }
  if (optind < argc)
    return ERROR_SET(err, PS_EUSAGE, "unexpected argument: %s", argv[optind]);
  if (!o->have_scale || !o->have_seed)
    return ERROR_SET(err, PS_EUSAGE, "--scale and --seed are required");
  if (o->socket && o->host)
    return ERROR_SET(err, PS_EUSAGE, "--socket and --host exclude each other");
  if (!o->socket && !o->host)
    o->host = "127.0.0.1";
  return PS_OK;
}

static ps_status job_create(gen_run *R, gen_job *j, MYSQL *m) {
  ps_error *err = &j->err;
  const char *ddl = gen_ddl(j->ddl);
  if (!ddl)
    return ERROR_SET(err, PS_EINTERNAL, "no embedded DDL for %s", j->ddl);
  ps_status s = db_execf(m, err, "DROP DATABASE IF EXISTS `%s`", j->db);
  if (s == PS_OK)
    s = db_execf(m, err, "CREATE DATABASE `%s` DEFAULT CHARACTER SET utf8", j->db);
  if (s == PS_OK)
    s = db_execf(m, err, "USE `%s`", j->db);
  if (s != PS_OK)
    return s;
  if (mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
    return ERROR_MYSQL(err, m, "enable multi-statements for the DDL of %s", j->db);
  s = db_exec(m, ddl, err);
  mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
  if (s != PS_OK) {
    error_prefix(err, "creating the tables of %s", j->db);
    return s;
  }
  (void)R;
  return db_exec(m, "SET SESSION foreign_key_checks = 0", err);
}

static ps_status job_run(gen_run *R, gen_job *j) {
  const gen_opts *o = R->o;
  ps_error *err = &j->err;
  MYSQL *m = db_connect_raw(o->host, o->port, o->socket, o->user, R->password,
                            DB_ROLE_TARGET, err);
  if (!m)
    return err->status;
  ps_status s;
  gen_keys keys = {0};
  if (o->update_fraction > 0) {
    s = db_execf(m, err, "USE `%s`", j->db);
    if (s == PS_OK)
      s = gen_update(R->M, j->logical, j->cell, m, o->update_fraction, R->update_now,
                     &j->counts, err);
    goto out;
  }
  s = job_create(R, j, m);
  if (s == PS_OK)
    s = gen_keys_defer(m, j->db, &keys, err);
  if (s != PS_OK)
    goto out;
  if (!strcmp(j->logical, "keystone"))
    s = gen_keystone(R->M, m, &j->counts, err);
  else if (!strcmp(j->logical, "rcshibboleth"))
    s = gen_rcshibboleth(R->M, m, &j->counts, err);
  else if (!strcmp(j->logical, "nova_api"))
    s = gen_nova_api(R->M, m, &j->counts, err);
  else if (!strcmp(j->logical, "nova_cell"))
    s = gen_nova_cell(R->M, j->cell, m, &j->counts, err);
  else if (!strcmp(j->logical, "cinder"))
    s = gen_cinder(R->M, m, &j->counts, err);
  else if (!strcmp(j->logical, "glance"))
    s = gen_glance(R->M, m, &j->counts, err);
  else
    s = gen_dashboard(R->M, m, &j->counts, err);
  if (s == PS_OK)
    s = gen_keys_restore(m, &keys, err);
out:
  gen_keys_free(&keys);
  if (s != PS_OK)
    error_prefix(err, "%s", j->db);
  db_close(m);
  return s;
}

/* Loader thread: takes jobs until none are left or one has failed.  Reads
 * the shared run (immutable after start) and writes only its own job slot. */
static void *loader_main(void *arg) {
  gen_run *R = arg;
  for (;;) {
    if (atomic_load(&R->failed))
      break;
    size_t i = atomic_fetch_add(&R->next, 1);
    if (i >= R->n_jobs)
      break;
    gen_job *j = &R->jobs[i];
    log_set_job(j->db);
    error_clear(&j->err);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    j->st = job_run(R, j);
    clock_gettime(CLOCK_MONOTONIC, &b);
    j->seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    if (j->st != PS_OK)
      atomic_store(&R->failed, true);
  }
  log_set_job(NULL);
  return NULL;
}

int main(int argc, char **argv) {
  gen_opts o;
  ps_error err;
  error_clear(&err);
  gen_model M = {0};
  gen_job *jobs = NULL;
  int rc = 1;
  log_set_thread_name("gen-main");
  if (parse(argc, argv, &o, &err) != PS_OK) {
    fprintf(stderr, "pollster-gen: %s\n", err.msg);
    usage(stderr);
    return 2;
  }
  const char *password = "";
  if (o.password_env) {
    password = getenv(o.password_env);
    if (!password) {
      fprintf(stderr, "pollster-gen: environment variable %s is not set\n", o.password_env);
      return 2;
    }
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (gen_model_init(&M, o.seed, o.scale, o.cells, o.legacy_glance, &err) != PS_OK) {
    fprintf(stderr, "pollster-gen: %s\n", err.msg);
    return 1;
  }

  /* One probe connection: fail early on bad credentials, and see whether
   * the server accepts LOAD DATA LOCAL. */
  {
    MYSQL *m = db_connect_raw(o.host, o.port, o.socket, o.user, password, DB_ROLE_TARGET, &err);
    int64_t local_infile = 0;
    if (!m || db_query_i64(m, "SELECT @@GLOBAL.local_infile", &local_infile, NULL, &err) != PS_OK) {
      fprintf(stderr, "pollster-gen: %s\n", err.msg);
      db_close(m);
      goto out;
    }
    db_close(m);
    M.infile = local_infile == 1 && !o.no_infile;
  }

  /* Largest first, so the loaders finish close together. */
  size_t n_jobs = 0;
  jobs = calloc(6 + o.cells, sizeof *jobs);
  if (!jobs) {
    fprintf(stderr, "pollster-gen: out of memory\n");
    goto out;
  }
  bool upd = o.update_fraction > 0;
  for (unsigned c = 1; c <= o.cells; c++)
    jobs[n_jobs++] = (gen_job){.logical = "nova_cell", .ddl = "nova", .cell = c};
  static const char *const order[] = {"cinder", "keystone", "glance", "rcshibboleth",
                                      "nova_api", "dashboard"};
  for (size_t i = 0; i < 6; i++) {
    if (upd && (!strcmp(order[i], "keystone") || !strcmp(order[i], "rcshibboleth") ||
                !strcmp(order[i], "nova_api")))
      continue;
    const char *ddl = order[i];
    if (!strcmp(ddl, "glance") && o.legacy_glance)
      ddl = "glance_newton";
    jobs[n_jobs++] = (gen_job){.logical = order[i], .ddl = ddl};
  }
  for (size_t i = 0; i < n_jobs; i++) {
    char base[32];
    if (jobs[i].cell)
      snprintf(base, sizeof base, "nova_cell%u", jobs[i].cell);
    else
      snprintf(base, sizeof base, "%s", jobs[i].logical);
    if (o.prefix)
      snprintf(jobs[i].db, sizeof jobs[i].db, "%s_%s", o.prefix, base);
    else
      snprintf(jobs[i].db, sizeof jobs[i].db, "%s", base);
  }

  gen_run R = {.o = &o, .M = &M, .password = password, .jobs = jobs, .n_jobs = n_jobs,
               .update_now = time(NULL)};
  /* Three, not two: while one cell's keys are being built (server CPU and
   * disk) another connection can still be streaming rows. */
  enum { N_LOADERS = 3 };
  pthread_t th[N_LOADERS];
  int started = 0;
  for (int i = 0; i < N_LOADERS; i++) {
    if (pthread_create(&th[i], NULL, loader_main, &R) != 0) {
      fprintf(stderr, "pollster-gen: cannot start loader thread %d\n", i);
      atomic_store(&R.failed, true);
      break;
    }
    char name[16];
    snprintf(name, sizeof name, "gen-load-%d", i);
    pthread_setname_np(th[i], name);
    started++;
  }
  if (started == 0)
    loader_main(&R);
  for (int i = 0; i < started; i++)
    pthread_join(th[i], NULL);

  rc = 0;
  for (size_t i = 0; i < n_jobs; i++)
    if (jobs[i].st != PS_OK) {
      fprintf(stderr, "pollster-gen: %s: %s\n", status_name(jobs[i].st), jobs[i].err.msg);
      rc = 1;
    }
  if (atomic_load(&R.failed) && rc == 0) {
    fprintf(stderr, "pollster-gen: a loader failed to start\n");
    rc = 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (!o.quiet && rc == 0) {
    printf("pollster-gen: scale %g, seed %llu, %u cell(s)%s%s\n", o.scale,
           (unsigned long long)o.seed, o.cells, o.legacy_glance ? ", Newton glance" : "",
           upd ? ", incremental update" : "");
    for (size_t i = 0; i < n_jobs; i++) {
      fwrite(jobs[i].counts.text, 1, jobs[i].counts.len, stdout);
      printf("  %-47s %9.2fs\n", jobs[i].db, jobs[i].seconds);
    }
    printf("done in %.2f s\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  }
out:
  free(jobs);
  gen_model_free(&M);
  return rc;
}
