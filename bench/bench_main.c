/* pollster-bench: sweeps pollster's engine settings over a dataset and
 * measures each point against the server's own copy paths.
 *
 *   pollster-bench [-c FILE | --socket PATH | --host H [--port P]] [--user U]
 *                  [--scale S] [--seed N] [--cells N] [--prefix P]
 *                  [--table T|all] [--batch-rows LIST] [--workers LIST]
 *                  [--methods LIST] [--deferred LIST] [--batch-bytes SIZE]
 *                  [--repeat N] [--quick] [--out DIR] [--tmpdir DIR]
 *
 * Without -c/--socket/--host it starts a private mariadbd (bench_server).
 * Each grid point is a real `pollster run --force-update` child process
 * (the pollster binary next to this one), timed from here.  Exit status: 0
 * every point and baseline ran, 1 something failed, 2 bad command line.
 *
 * DESIGN: single-threaded on purpose; the only concurrency is the child
 * process being measured, and nothing else of ours runs meanwhile. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_data.h"
#include "bench/bench_report.h"
#include "bench/bench_run.h"
#include "bench/bench_server.h"
#include "engine/config.h"
#include "engine/log.h"
#include "extractors/extractor.h"

#define MAX_LIST 32

typedef struct bench_cli {
  const char *config_path, *socket, *host, *user, *prefix, *table, *out_dir, *tmpdir;
  unsigned port, cells, repeat;
  double scale;
  unsigned long long seed;
  size_t batch_rows[MAX_LIST], n_batch_rows;
  unsigned workers[MAX_LIST];
  size_t n_workers;
  bool methods[2], n_methods_set; /* [0] insert, [1] load_data */
  bool deferred[2], n_deferred_set; /* [0] off, [1] on */
  size_t batch_bytes;
  bool quick;
} bench_cli;

static void usage(FILE *out) {
  fputs("usage: pollster-bench [OPTIONS]\n"
        "\n"
        "Measures `pollster run` over a grid of engine settings against the server's own\n"
        "INSERT ... SELECT and LOAD DATA INFILE, and recommends an `engine:` section.\n"
        "\n"
        "server (default: a private mariadbd in a temp folder, removed at exit):\n"
        "  -c, --config FILE   an existing pollster config: its target server, its sources\n"
        "                      as they are (nothing is generated)\n"
        "  --socket PATH | --host H [--port P]   an existing server (data generated there)\n"
        "  --user U            user for --socket/--host (default root); password from the\n"
        "                      environment variable POLLSTER_BENCH_PASSWORD\n"
        "  --tmpdir DIR        where the private server lives (default $TMPDIR or /tmp)\n"
        "data:\n"
        "  --scale S           dataset size, 1 = 1,000,000 instances (default 1)\n"
        "  --seed N            generator seed (default 42)\n"
        "  --cells N           nova cells (default 1)\n"
        "  --prefix P          schema prefix (default bench)\n"
        "grid:\n"
        "  --table T|all       the table measured (default instance)\n"
        "  --batch-rows LIST   default 1,10,100,1000,5000,20000,50000\n"
        "  --workers LIST      default 1,2,4\n"
        "  --methods LIST      insert,load_data (default both)\n"
        "  --deferred LIST     on,off (default both)\n"
        "  --batch-bytes SIZE  batch_bytes of every point, in bytes or with KiB/MiB\n"
        "                      (default 64MiB, so batch_rows decides)\n"
        "  --repeat N          runs per point, the median is reported (default 3)\n"
        "  --quick             scale 0.01, batch_rows 100,5000 x insert,load_data,\n"
        "                      2 workers, deferred keys, one repeat (the test suite's mode)\n"
        "output:\n"
        "  --out DIR           results.csv, results.json, plot.svg, recommended.yaml,\n"
        "                      configs/ and logs/ (default ./bench-out)\n"
        "  -h, --help\n",
        out);
}

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "pollster-bench: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'pollster-bench --help'.\n");
  return 2;
}

static bool parse_size(const char *s, size_t *out) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s)
    return false;
  unsigned long long mul = 1;
  if (!*end || strcmp(end, "B") == 0)
    mul = 1;
  else if (strcmp(end, "KiB") == 0)
    mul = 1024;
  else if (strcmp(end, "MiB") == 0)
    mul = 1024 * 1024;
  else
    return false;
  *out = (size_t)(v * mul);
  return *out > 0;
}

/* "1,10,100" -> values; false on anything that is not a positive integer. */
static bool parse_list(const char *s, size_t *vals, size_t *n) {
  *n = 0;
  char *copy = strdup(s), *save = NULL;
  bool ok = true;
  for (char *t = strtok_r(copy, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
    char *end = NULL;
    unsigned long long v = strtoull(t, &end, 10);
    ok = *n < MAX_LIST && end != t && !*end && v > 0;
    if (ok)
      vals[(*n)++] = (size_t)v;
  }
  free(copy);
  return ok && *n > 0;
}

static bool parse_pair(const char *s, const char *a, const char *b, bool out[2]) {
  out[0] = out[1] = false;
  char *copy = strdup(s), *save = NULL;
  bool ok = true;
  for (char *t = strtok_r(copy, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
    if (strcmp(t, a) == 0)
      out[0] = true;
    else if (strcmp(t, b) == 0)
      out[1] = true;
    else
      ok = false;
  }
  free(copy);
  return ok && (out[0] || out[1]);
}

enum {
  OPT_SOCKET = 256, OPT_HOST, OPT_PORT, OPT_USER, OPT_SCALE, OPT_SEED, OPT_CELLS, OPT_PREFIX,
  OPT_TABLE, OPT_BATCH_ROWS, OPT_WORKERS, OPT_METHODS, OPT_DEFERRED, OPT_BATCH_BYTES,
  OPT_REPEAT, OPT_QUICK, OPT_OUT, OPT_TMPDIR,
};

static int parse_cli(int argc, char **argv, bench_cli *c) {
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},     {"help", no_argument, NULL, 'h'},
      {"socket", required_argument, NULL, OPT_SOCKET}, {"host", required_argument, NULL, OPT_HOST},
      {"port", required_argument, NULL, OPT_PORT},   {"user", required_argument, NULL, OPT_USER},
      {"scale", required_argument, NULL, OPT_SCALE}, {"seed", required_argument, NULL, OPT_SEED},
      {"cells", required_argument, NULL, OPT_CELLS},
      {"prefix", required_argument, NULL, OPT_PREFIX},
      {"table", required_argument, NULL, OPT_TABLE},
      {"batch-rows", required_argument, NULL, OPT_BATCH_ROWS},
      {"workers", required_argument, NULL, OPT_WORKERS},
      {"methods", required_argument, NULL, OPT_METHODS},
      {"deferred", required_argument, NULL, OPT_DEFERRED},
      {"batch-bytes", required_argument, NULL, OPT_BATCH_BYTES},
      {"repeat", required_argument, NULL, OPT_REPEAT}, {"quick", no_argument, NULL, OPT_QUICK},
      {"out", required_argument, NULL, OPT_OUT},     {"tmpdir", required_argument, NULL, OPT_TMPDIR},
      {NULL, 0, NULL, 0},
  };
  memset(c, 0, sizeof *c);
  c->user = "root";
  c->prefix = "bench";
  c->table = "instance";
  c->out_dir = "bench-out";
  c->scale = -1;
  c->seed = 42;
  c->cells = 1;
  c->repeat = 0;
  c->batch_bytes = 64u << 20;
  c->tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  size_t tmp[MAX_LIST], n;
  int o;
  opterr = 0;
  while ((o = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
    char *end = NULL;
    switch (o) {
    case 'c': c->config_path = optarg; break;
    case 'h': usage(stdout); exit(0);
    case OPT_SOCKET: c->socket = optarg; break;
    case OPT_HOST: c->host = optarg; break;
    case OPT_PORT:
      c->port = (unsigned)strtoul(optarg, &end, 10);
      if (!*optarg || *end || c->port == 0 || c->port > 65535)
        return usage_error("--port: '%s' is not a port", optarg);
      break;
    case OPT_USER: c->user = optarg; break;
    case OPT_SCALE:
      c->scale = strtod(optarg, &end);
      if (!*optarg || *end || !(c->scale > 0) || c->scale > 1000)
        return usage_error("--scale: '%s' is not a positive number", optarg);
      break;
    case OPT_SEED:
      c->seed = strtoull(optarg, &end, 10);
      if (!*optarg || *end)
        return usage_error("--seed: '%s' is not a number", optarg);
      break;
    case OPT_CELLS:
      c->cells = (unsigned)strtoul(optarg, &end, 10);
      if (!*optarg || *end || c->cells < 1 || c->cells > BENCH_MAX_CELLS)
        return usage_error("--cells: '%s' is not 1..64", optarg);
      break;
    case OPT_PREFIX:
      c->prefix = optarg;
      if (!*optarg || strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(optarg))
        return usage_error("--prefix: '%s' is not a plain identifier", optarg);
      break;
    case OPT_TABLE: c->table = optarg; break;
    case OPT_BATCH_ROWS:
      if (!parse_list(optarg, c->batch_rows, &c->n_batch_rows))
        return usage_error("--batch-rows: '%s' is not a list of positive integers", optarg);
      break;
    case OPT_WORKERS:
      if (!parse_list(optarg, tmp, &n))
        return usage_error("--workers: '%s' is not a list of positive integers", optarg);
      for (size_t i = 0; i < n; i++)
        c->workers[i] = (unsigned)(tmp[i] > 1024 ? 1024 : tmp[i]);
      c->n_workers = n;
      break;
    case OPT_METHODS:
      if (!parse_pair(optarg, "insert", "load_data", c->methods))
        return usage_error("--methods: '%s' is not a list of insert, load_data", optarg);
      c->n_methods_set = true;
      break;
    case OPT_DEFERRED:
      if (!parse_pair(optarg, "off", "on", c->deferred))
        return usage_error("--deferred: '%s' is not a list of on, off", optarg);
      c->n_deferred_set = true;
      break;
    case OPT_BATCH_BYTES:
      if (!parse_size(optarg, &c->batch_bytes) || c->batch_bytes < 1024)
        return usage_error("--batch-bytes: '%s' is not a size of at least 1KiB", optarg);
      break;
    case OPT_REPEAT:
      c->repeat = (unsigned)strtoul(optarg, &end, 10);
      if (!*optarg || *end || c->repeat < 1 || c->repeat > 100)
        return usage_error("--repeat: '%s' is not 1..100", optarg);
      break;
    case OPT_QUICK: c->quick = true; break;
    case OPT_OUT: c->out_dir = optarg; break;
    case OPT_TMPDIR: c->tmpdir = optarg; break;
    case ':': return usage_error("%s needs a value", argv[optind - 1]);
    default: return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return usage_error("unexpected argument '%s'", argv[optind]);
  if (!!c->config_path + !!c->socket + !!c->host > 1)
    return usage_error("%s", "-c, --socket and --host exclude each other");
  if (c->config_path && c->scale > 0)
    return usage_error("%s", "--scale: with -c the configured sources are measured as they are");
  /* Explicit options win over --quick's. */
  if (c->quick) {
    static const size_t q_rows[] = {100, 5000};
    if (c->scale < 0)
      c->scale = 0.01;
    if (!c->n_batch_rows) {
      memcpy(c->batch_rows, q_rows, sizeof q_rows);
      c->n_batch_rows = 2;
    }
    if (!c->n_workers) {
      c->workers[0] = 2;
      c->n_workers = 1;
    }
    if (!c->n_deferred_set) {
      c->deferred[1] = true;
      c->n_deferred_set = true;
    }
    if (!c->repeat)
      c->repeat = 1;
  }
  static const size_t d_rows[] = {1, 10, 100, 1000, 5000, 20000, 50000};
  if (!c->n_batch_rows) {
    memcpy(c->batch_rows, d_rows, sizeof d_rows);
    c->n_batch_rows = 7;
  }
  if (!c->n_workers) {
    c->workers[0] = 1, c->workers[1] = 2, c->workers[2] = 4;
    c->n_workers = 3;
  }
  if (!c->n_methods_set)
    c->methods[0] = c->methods[1] = true;
  if (!c->n_deferred_set)
    c->deferred[0] = c->deferred[1] = true;
  if (!c->repeat)
    c->repeat = 3;
  if (c->scale < 0)
    c->scale = 1;
  return 0;
}

/* The directory this executable lives in (pollster and pollster-gen are
 * built and installed next to it). */
static bool self_dir(char *buf, size_t cap) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return false;
  exe[n] = '\0';
  snprintf(buf, cap, "%s", dirname(exe));
  return true;
}

static void machine_info(bench_report *r) {
  char model[256] = "unknown CPU", line[512];
  long mem_kib = 0;
  FILE *f = fopen("/proc/cpuinfo", "r");
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "model name", 10) == 0) {
      char *p = strchr(line, ':');
      if (p) {
        p += 2;
        p[strcspn(p, "\n")] = '\0';
        snprintf(model, sizeof model, "%s", p);
      }
      break;
    }
  if (f)
    fclose(f);
  f = fopen("/proc/meminfo", "r");
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "MemTotal: %ld kB", &mem_kib) == 1)
      break;
  if (f)
    fclose(f);
  struct utsname u;
  uname(&u);
  snprintf(r->machine, sizeof r->machine, "%s, %ld cores, %.1f GiB RAM, Linux %s", model,
           sysconf(_SC_NPROCESSORS_ONLN), mem_kib / 1048576.0, u.release);
}

static void loadavg(char *buf, size_t cap) {
  double a = 0, b = 0, c = 0;
  FILE *f = fopen("/proc/loadavg", "r");
  if (!f || fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
    snprintf(buf, cap, "?");
  else
    snprintf(buf, cap, "%.2f %.2f %.2f", a, b, c);
  if (f)
    fclose(f);
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { g_stop = sig; }

static void progress(size_t done, size_t total, const char *what, double started) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double el = (double)ts.tv_sec + ts.tv_nsec / 1e9 - started;
  double eta = done ? el / (double)done * (double)(total - done) : 0;
  char left[64] = "";
  if (done)
    snprintf(left, sizeof left, ", about %.0f s to go", eta);
  fprintf(stderr, "%s[%zu/%zu, %zu left, %.0f s elapsed%s] %s%s",
          isatty(STDERR_FILENO) ? "\r\033[K" : "", done + 1, total, total - done, el, left,
          what, isatty(STDERR_FILENO) ? "" : "\n");
}

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool mkdirs(const char *dir) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s", dir);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = '\0';
      mkdir(p, 0755);
      *s = '/';
    }
  return mkdir(p, 0755) == 0 || errno == EEXIST;
}

int main(int argc, char **argv) {
  bench_cli c;
  int rc = parse_cli(argc, argv, &c);
  if (rc)
    return rc;
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  log_set_thread_name("bench");
  if (mysql_library_init(0, NULL, NULL) != 0) {
    fprintf(stderr, "pollster-bench: cannot initialise the client library\n");
    return 1;
  }
  bench_server *srv = NULL;
  bench_layout *lay = NULL;
  config *cfg = NULL;
  bench_report rep = {0};
  ps_error err;
  error_clear(&err);
  rc = 1;
  char dir[PATH_MAX], pollster[PATH_MAX + 16], gen[PATH_MAX + 16];
  if (!self_dir(dir, sizeof dir)) {
    fprintf(stderr, "pollster-bench: cannot read /proc/self/exe\n");
    goto out;
  }
  snprintf(pollster, sizeof pollster, "%s/pollster", dir);
  snprintf(gen, sizeof gen, "%s/pollster-gen", dir);
  if (access(pollster, X_OK) != 0) {
    fprintf(stderr, "pollster-bench: %s not found (it is built next to pollster-bench)\n",
            pollster);
    goto out;
  }
  char sub[PATH_MAX + 16];
  snprintf(sub, sizeof sub, "%s/configs", c.out_dir);
  bool dirs_ok = mkdirs(sub);
  snprintf(sub, sizeof sub, "%s/logs", c.out_dir);
  if (!dirs_ok || !mkdirs(sub)) {
    fprintf(stderr, "pollster-bench: cannot create %s: %s\n", sub, strerror(errno));
    goto out;
  }
  const char *password = getenv("POLLSTER_BENCH_PASSWORD");
  ps_status st;
  if (c.config_path) {
    size_t n_specs;
    const config_job_spec *specs = ex_config_specs(&n_specs);
    if (config_load(c.config_path, specs, n_specs, &cfg, &err) != PS_OK) {
      fprintf(stderr, "%s\n", err.msg);
      rc = 2;
      goto out;
    }
    const cfg_server *ts = &cfg->servers[cfg->target.server];
    st = bench_server_attach(ts->host ? ts->host : (ts->n_hosts ? ts->hosts[0].host : NULL),
                             ts->host ? ts->port : (ts->n_hosts ? ts->hosts[0].port : 0),
                             ts->socket, ts->user, ts->password, &srv, &err);
    if (st == PS_OK && !(lay = bench_layout_config(cfg, c.config_path, &err)))
      st = err.status;
  } else if (c.socket || c.host) {
    st = bench_server_attach(c.host, c.port, c.socket, c.user, password, &srv, &err);
    if (st == PS_OK)
      lay = bench_layout_private(srv, c.prefix, c.cells);
  } else {
    fprintf(stderr, "pollster-bench: starting a private mariadbd under %s\n", c.tmpdir);
    st = bench_server_start(c.tmpdir, &srv, &err);
    if (st == PS_OK)
      lay = bench_layout_private(srv, c.prefix, c.cells);
  }
  if (st != PS_OK || !lay) {
    fprintf(stderr, "pollster-bench: %s\n", err.msg);
    goto out;
  }
  /* The children read the password from here, never from a file. */
  setenv("POLLSTER_BENCH_PASSWORD", srv->password, 1);

  bool all = strcmp(c.table, "all") == 0;
  bench_ctx ctx = {.server = srv, .layout = lay, .pollster = pollster, .out_dir = c.out_dir,
                   .table = all ? NULL : c.table};
  if (bench_ctx_init(&ctx, &err) != PS_OK) {
    fprintf(stderr, "pollster-bench: %s\n", err.msg);
    rc = 2;
    goto out;
  }
  bench_data_opts dop = {.scale = c.scale, .seed = c.seed,
                         .needs_gen = all || strcmp(c.table, "instance") != 0,
                         .gen = access(gen, X_OK) == 0 ? gen : NULL,
                         .generate = !c.config_path};
  const char *how = NULL;
  double t_data = mono();
  if (bench_data_ensure(srv, lay, &dop, &how, &err) != PS_OK) {
    fprintf(stderr, "pollster-bench: dataset: %s\n", err.msg);
    goto out;
  }
  fprintf(stderr, "pollster-bench: dataset ready (%s, %.1f s)\n", how, mono() - t_data);

  rep.table = all ? "all" : c.table;
  rep.scale = c.scale;
  rep.seed = c.seed;
  rep.cells = lay->n_cells;
  rep.dataset = how;
  rep.repeat = c.repeat;
  machine_info(&rep);
  snprintf(rep.server, sizeof rep.server, "MariaDB %s (%s)", srv->version,
           srv->owned ? "private, innodb_buffer_pool_size=1G, binary log off"
           : c.config_path ? "from the config" : "existing");
  time_t now = time(NULL);
  strftime(rep.started, sizeof rep.started, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
  size_t pos = 0;
  for (int i = 0; i < argc && pos < sizeof rep.command - 1; i++)
    pos += (size_t)snprintf(rep.command + pos, sizeof rep.command - pos, "%s%s", i ? " " : "",
                            i ? argv[i] : "pollster-bench");
  char load0[64], load1[64];
  loadavg(load0, sizeof load0);

  /* The grid, in a fixed order: method, deferred, workers, batch_rows. */
  size_t n_points = 0;
  rep.points = calloc((size_t)4 * MAX_LIST * MAX_LIST, sizeof *rep.points);
  for (int m = 0; m < 2; m++)
    for (int d = 1; d >= 0; d--)
      for (size_t w = 0; w < c.n_workers; w++)
        for (size_t b = 0; b < c.n_batch_rows; b++) {
          if (!c.methods[m] || !c.deferred[d])
            continue;
          bench_point *p = &rep.points[n_points++].p;
          p->load_data = m == 1;
          p->deferred = d == 1;
          p->workers = c.workers[w];
          p->batch_rows = c.batch_rows[b];
          p->batch_bytes = c.batch_bytes;
        }
  rep.n_points = n_points;
  size_t total = 1 + (size_t)BENCH_BL__COUNT * c.repeat + n_points * c.repeat, done = 0;
  double started = mono();
  bool failed = false;

  /* A warm-up run creates the reporting tables (the baselines copy their
   * definitions), fills the buffer pool, and gives the data size. */
  bench_point warm = {.workers = 2, .batch_rows = 5000, .batch_bytes = c.batch_bytes,
                      .deferred = true};
  bench_sample ws;
  progress(done, total, "warm-up run", started);
  if (bench_run_point(&ctx, &warm, "warmup", &ws, &err) != PS_OK ||
      bench_measure_bytes(&ctx, &err) != PS_OK) {
    fprintf(stderr, "\npollster-bench: warm-up: %s\n", err.msg);
    goto out;
  }
  done++;
  rep.data_bytes = ctx.data_bytes;

  /* Repeats are the outer loop: on a shared machine the load drifts, and
   * interleaving spreads it over every point and baseline alike instead of
   * charging it to whichever ran during a busy minute. */
  typedef struct samples { double v[4][100]; } samples;
  samples *bls = calloc(BENCH_BL__COUNT, sizeof *bls);
  samples *pts = calloc(n_points ? n_points : 1, sizeof *pts);
  if (!bls || !pts) {
    free(bls);
    free(pts);
    fprintf(stderr, "pollster-bench: out of memory\n");
    goto out;
  }
  for (unsigned r = 0; r < c.repeat && !g_stop; r++) {
    for (int k = 0; k < BENCH_BL__COUNT && !g_stop; k++, done++) {
      bench_baseline_result *b = &rep.baselines[k];
      if (b->error[0])
        continue; /* failed or impossible here: not tried again */
      char what[128];
      snprintf(what, sizeof what, "baseline %s, repeat %u/%u", bench_baseline_name(k), r + 1,
               c.repeat);
      progress(done, total, what, started);
      bench_sample s;
      error_clear(&err);
      if (bench_run_baseline(&ctx, k, &s, &err) != PS_OK) {
        snprintf(b->error, sizeof b->error, "%.255s", err.msg);
        if (err.status != PS_EUSAGE)
          failed = true;
        continue;
      }
      bls[k].v[0][b->n_ok] = s.wall_s;
      bls[k].v[1][b->n_ok] = s.cpu_server_s;
      b->med.rows = s.rows;
      b->n_ok++;
    }
    for (size_t i = 0; i < n_points && !g_stop; i++, done++) {
      bench_result *p = &rep.points[i];
      if (p->error[0])
        continue;
      char what[160], tag[128];
      snprintf(what, sizeof what, "%s, %u workers, batch_rows %zu, deferred %s, repeat %u/%u",
               p->p.load_data ? "load_data" : "insert", p->p.workers, p->p.batch_rows,
               p->p.deferred ? "on" : "off", r + 1, c.repeat);
      snprintf(tag, sizeof tag, "%s-w%u-b%zu-%s-r%u", p->p.load_data ? "load_data" : "insert",
               p->p.workers, p->p.batch_rows, p->p.deferred ? "deferred" : "keys", r + 1);
      progress(done, total, what, started);
      bench_sample s;
      error_clear(&err);
      if (bench_run_point(&ctx, &p->p, tag, &s, &err) != PS_OK) {
        snprintf(p->error, sizeof p->error, "%.255s", err.msg);
        failed = true;
        continue;
      }
      pts[i].v[0][p->n_ok] = s.wall_s;
      pts[i].v[1][p->n_ok] = s.cpu_client_s;
      pts[i].v[2][p->n_ok] = s.cpu_server_s;
      pts[i].v[3][p->n_ok] = s.rss_mib;
      p->med.rows = s.rows;
      p->n_ok++;
    }
  }
  /* A point with a failed repeat is reported as failed (n_ok 0): its other
   * repeats ran on a server in an unknown state. */
  for (int k = 0; k < BENCH_BL__COUNT; k++) {
    bench_baseline_result *b = &rep.baselines[k];
    if (b->error[0])
      b->n_ok = 0;
    if (b->n_ok) {
      b->med.wall_s = bench_median(bls[k].v[0], b->n_ok);
      b->med.cpu_server_s = bench_median(bls[k].v[1], b->n_ok);
    }
  }
  for (size_t i = 0; i < n_points; i++) {
    bench_result *p = &rep.points[i];
    if (p->error[0])
      p->n_ok = 0;
    if (p->n_ok) {
      p->med.wall_s = bench_median(pts[i].v[0], p->n_ok);
      p->med.cpu_client_s = bench_median(pts[i].v[1], p->n_ok);
      p->med.cpu_server_s = bench_median(pts[i].v[2], p->n_ok);
      p->med.rss_mib = bench_median(pts[i].v[3], p->n_ok);
    }
  }
  free(bls);
  free(pts);
  if (isatty(STDERR_FILENO))
    fprintf(stderr, "\r\033[K");
  if (g_stop) {
    fprintf(stderr, "pollster-bench: interrupted; writing what was measured\n");
    failed = true;
  }
  loadavg(load1, sizeof load1);
  snprintf(rep.load, sizeof rep.load, "%s at the start, %s at the end (1/5/15 min)", load0,
           load1);

  char path[PATH_MAX + 32];
  bench_report_print(stdout, &rep);
  snprintf(path, sizeof path, "%s/results.csv", c.out_dir);
  if (bench_report_csv(&rep, path, &err) != PS_OK) {
    fprintf(stderr, "pollster-bench: %s\n", err.msg);
    failed = true;
  }
  snprintf(path, sizeof path, "%s/results.json", c.out_dir);
  if (bench_report_json(&rep, path, &err) != PS_OK) {
    fprintf(stderr, "pollster-bench: %s\n", err.msg);
    failed = true;
  }
  if (bench_report_plot(&rep, c.out_dir, &err) != PS_OK) {
    fprintf(stderr, "pollster-bench: plot: %s\n", err.msg);
    failed = true;
  }
  bench_report_targets(stdout, &rep);
  snprintf(path, sizeof path, "%s/recommended.yaml", c.out_dir);
  FILE *y = fopen(path, "w");
  long pick = bench_report_recommend(stdout, &rep);
  if (y) {
    bench_report_recommend(y, &rep);
    fclose(y);
  }
  if (pick < 0)
    failed = true;
  printf("\nfiles: %s/results.csv, results.json, plot.svg, recommended.yaml\n", c.out_dir);
  rc = failed ? 1 : 0;
out:
  free(rep.points);
  bench_layout_free(lay);
  bench_server_stop(srv);
  config_free(cfg);
  mysql_library_end();
  return rc;
}
