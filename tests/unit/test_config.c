/* config: the sample and a minimal file parse with the documented defaults;
 * every file under tests/fixtures/config/bad/ fails with PS_ECONFIG and the
 * "FILE:LINE:COLUMN: message" of its first-line `# expect:` comment;
 * config_print round-trips; passwords never leak. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/log.h"
#include "tests/support/testdb.h"

static const cfg_source_id need_nova[] = {SRC_NOVA, SRC__COUNT};
static const cfg_source_id need_nova_api[] = {SRC_NOVA_API, SRC__COUNT};
static const cfg_source_id need_keystone[] = {SRC_KEYSTONE, SRC__COUNT};
static const cfg_source_id need_instance[] = {SRC_NOVA, SRC_KEYSTONE, SRC__COUNT};
static const cfg_source_id need_cinder[] = {SRC_CINDER, SRC__COUNT};
static const cfg_source_id need_glance[] = {SRC_GLANCE, SRC__COUNT};
static const cfg_source_id need_alloc[] = {SRC_RCSHIBBOLETH, SRC_DASHBOARD, SRC__COUNT};

static const config_job_spec specs[] = {
    {"hypervisor", false, need_nova},       {"aggregate", false, need_nova_api},
    {"aggregate_host", false, need_nova_api}, {"project", false, need_keystone},
    {"user", false, need_keystone},         {"role", false, need_keystone},
    {"flavour", false, need_nova_api},      {"instance", true, need_instance},
    {"historical_usage", false, need_nova}, {"volume", true, need_cinder},
    {"image", true, need_glance},           {"allocation", true, need_alloc},
};
#define N_SPECS (sizeof specs / sizeof *specs)

static const char minimal[] =
    "servers:\n"
    "  db: { host: db.example, user: u, password: \"\" }\n"
    "sources:\n"
    "  keystone: { server: db, schema: keystone }\n"
    "  nova_api: { server: db, schema: nova_api }\n"
    "  nova: { server: db, schema: nova }\n"
    "  cinder: { server: db, schema: cinder }\n"
    "  glance: { server: db, schema: glance }\n"
    "  rcshibboleth: { server: db, schema: rcshibboleth }\n"
    "  dashboard: { server: db, schema: dashboard }\n"
    "target: { server: db, schema: reporting }\n";

static config *load_str(const char *yaml) {
  config *cfg = NULL;
  ps_error err;
  error_clear(&err);
  ps_status s = config_load_string("t.yaml", yaml, strlen(yaml), specs, N_SPECS, &cfg, &err);
  cr_assert_eq(s, PS_OK, "load failed: %s", err.msg);
  return cfg;
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "r");
  cr_assert(f, "open %s", path);
  char *buf = NULL;
  size_t cap = 0;
  ssize_t n = getdelim(&buf, &cap, '\0', f);
  cr_assert(n >= 0);
  fclose(f);
  return buf;
}

static char *write_tmp(const char *content, mode_t mode) {
  char path[] = "/tmp/pollster-test-XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
  fchmod(fd, mode);
  close(fd);
  return strdup(path);
}

/* Replace the first `from` in s (owned) by `to`. */
static char *replace(char *s, const char *from, const char *to) {
  char *at = strstr(s, from);
  cr_assert(at, "'%s' not found", from);
  char *r = NULL;
  cr_assert(asprintf(&r, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from)) >= 0);
  free(s);
  return r;
}

Test(config, minimal_file_gets_documented_defaults) {
  config *cfg = load_str(minimal);
  cr_assert_eq(cfg->n_servers, 1);
  const cfg_server *s = &cfg->servers[0];
  cr_assert_str_eq(s->name, "db");
  cr_assert_str_eq(s->host, "db.example");
  cr_assert_null(s->socket);
  cr_assert_eq(s->port, 3306);
  cr_assert_str_eq(s->password, "");
  cr_assert_str_eq(s->password_origin, "password");
  cr_assert_eq(s->pool_size, 4);
  cr_assert_eq(s->ssl_mode, CFG_SSL_PREFERRED);
  cr_assert_null(s->ssl_ca);
  cr_assert_eq(s->connect_timeout_s, 10);
  cr_assert_eq(s->read_timeout_s, 600);
  cr_assert_eq(s->write_timeout_s, 600);
  cr_assert_eq(cfg->n_sources[SRC_NOVA], 1);
  cr_assert_str_eq(cfg->sources[SRC_NOVA][0].cell, "nova", "mapping form: cell = schema");
  cr_assert_str_eq(cfg->sources[SRC_DASHBOARD][0].schema, "dashboard");
  cr_assert_str_eq(cfg->target.schema, "reporting");
  cr_assert_str_eq(cfg->target.state_schema, "reporting_pollster");
  const cfg_engine *e = &cfg->engine;
  cr_assert_eq(e->workers, 4);
  cr_assert_eq(e->batch_rows, 5000);
  cr_assert_eq(e->batch_bytes, 4u << 20);
  cr_assert_eq(e->load_method, CFG_LOAD_INSERT);
  cr_assert_eq(e->retries, 5);
  cr_assert_eq(e->retry_backoff_ms, 500);
  cr_assert(e->deferred_indexes);
  cr_assert_eq(e->swap_lock_wait_s, 5);
  cr_assert_eq(e->swap_retries, 20);
  cr_assert_eq(e->acquire_timeout_s, 60);
  cr_assert_eq(e->shutdown_deadline_s, 30);
  cr_assert_eq(e->lease_ttl_s, 60);
  cr_assert_null(e->metrics_file);
  cr_assert_null(e->pidfile);
  cr_assert_eq(cfg->n_jobs, N_SPECS);
  for (size_t i = 0; i < N_SPECS; i++) {
    const cfg_job *j = &cfg->jobs[i];
    cr_assert_str_eq(j->name, specs[i].name);
    cr_assert(j->enabled);
    cr_assert_eq(j->mode, CFG_MODE_FULL);
    cr_assert_eq(j->period_s, 3600);
    cr_assert_eq(j->full_every_s, 86400);
    cr_assert_eq(j->window_s, 86400);
    cr_assert_eq(j->loc.line, 0);
  }
  cr_assert_str_eq(config_job(cfg, "flavour")->source, "nova_api");
  cr_assert_null(config_job(cfg, "image")->source);
  cr_assert_null(config_job(cfg, "nonesuch"));
  config_free(cfg);
}

Test(config, only_needed_sources_are_required) {
  static const char yaml[] = "servers: { db: { socket: /s, user: u, password: x } }\n"
                             "sources: { keystone: { server: db, schema: ks } }\n"
                             "target: { server: db, schema: r }\n"
                             "jobs:\n";
  char *all = NULL;
  /* every job but the keystone ones disabled */
  cr_assert(asprintf(&all, "%s%s", yaml,
                     "  hypervisor: {enabled: false}\n  aggregate: {enabled: false}\n"
                     "  aggregate_host: {enabled: false}\n  flavour: {enabled: false}\n"
                     "  instance: {enabled: false}\n  historical_usage: {enabled: false}\n"
                     "  volume: {enabled: false}\n  image: {enabled: false}\n"
                     "  allocation: {enabled: false}\n") >= 0);
  config *cfg = load_str(all);
  cr_assert(!config_job(cfg, "image")->enabled);
  cr_assert(config_job(cfg, "user")->enabled);
  cr_assert_eq(cfg->n_sources[SRC_NOVA], 0);
  config_free(cfg);
  free(all);
}

Test(config, sample_file_parses) {
  char *path = testdb_source_path("etc/pollster.yaml");
  char *yaml = read_all(path);
  char *pw = write_tmp("sample-secret\n", 0600);
  yaml = replace(yaml, "/etc/pollster/openstack.pass", pw);
  setenv("POLLSTER_PASSWORD", "env-secret", 1);
  config *cfg = NULL;
  ps_error err;
  cr_assert_eq(config_load_string(path, yaml, strlen(yaml), specs, N_SPECS, &cfg, &err), PS_OK,
               "%s", err.msg);
  cr_assert_eq(cfg->n_servers, 2);
  cr_assert_str_eq(cfg->servers[0].password, "sample-secret");
  cr_assert_str_eq(cfg->servers[1].password, "env-secret");
  cr_assert_str_eq(cfg->servers[1].password_origin, "password_env POLLSTER_PASSWORD");
  cr_assert_str_eq(cfg->servers[1].socket, "/run/mysqld/mysqld.sock");
  cr_assert_eq(cfg->target.server, 1);
  cr_assert_str_eq(cfg->target.state_schema, "reporting_pollster");
  cr_assert_str_eq(cfg->sources[SRC_NOVA][0].cell, "cell1");
  const cfg_job *inst = config_job(cfg, "instance");
  cr_assert_eq(inst->mode, CFG_MODE_INCREMENTAL);
  cr_assert_eq(inst->period_s, 600);
  cr_assert_eq(inst->loc.line, 82, "job location is its key (line %u)", inst->loc.line);
  cr_assert_eq(cfg->engine.batch_bytes, 4u << 20);
  /* The sample documents the defaults: they equal the minimal file's. */
  config *min = load_str(minimal);
  cr_assert_eq(memcmp(&cfg->engine.workers, &min->engine.workers,
                      offsetof(cfg_engine, metrics_file)),
               0, "engine section of the sample differs from the defaults");
  cr_assert_eq(cfg->servers[0].pool_size, min->servers[0].pool_size);
  cr_assert_eq(cfg->servers[0].read_timeout_s, min->servers[0].read_timeout_s);
  config_free(min);
  config_free(cfg);
  unlink(pw);
  free(pw);
  free(yaml);
  free(path);
}

Test(config, durations_and_sizes) {
  static const struct {
    const char *in;
    bool ok;
    uint64_t ms;
  } d[] = {
      {"0", true, 0},          {"10", true, 10000},     {"10s", true, 10000},
      {"250ms", true, 250},    {"10m", true, 600000},   {"1h", true, 3600000},
      {"1d", true, 86400000},  {"2 h", true, 7200000},  {"", false, 0},
      {"s", false, 0},         {"10x", false, 0},       {"-1s", false, 0},
      {"1.5s", false, 0},      {"10S", false, 0},       {"10 ms ", false, 0},
      {"99999999999999999999", false, 0}, {"999999999999999d", false, 0},
  };
  for (size_t i = 0; i < sizeof d / sizeof *d; i++) {
    uint64_t ms = 12345;
    cr_assert_eq(config_parse_duration_ms(d[i].in, &ms), d[i].ok, "duration '%s'", d[i].in);
    if (d[i].ok)
      cr_assert_eq(ms, d[i].ms, "duration '%s' = %llu", d[i].in, (unsigned long long)ms);
  }
  static const struct {
    const char *in;
    bool ok;
    uint64_t b;
  } z[] = {
      {"1000", true, 1000},        {"7B", true, 7},          {"512KiB", true, 524288},
      {"4MiB", true, 4194304},     {"1GiB", true, 1073741824}, {"4MB", true, 4000000},
      {"2KB", true, 2000},         {"3GB", true, 3000000000ull}, {"4mb", false, 0},
      {"MiB", false, 0},           {"4TiB", false, 0},       {"-4MiB", false, 0},
      {"20000000000GiB", false, 0},
  };
  for (size_t i = 0; i < sizeof z / sizeof *z; i++) {
    uint64_t b = 0;
    cr_assert_eq(config_parse_size(z[i].in, &b), z[i].ok, "size '%s'", z[i].in);
    if (z[i].ok)
      cr_assert_eq(b, z[i].b, "size '%s'", z[i].in);
  }
  cr_assert(config_is_identifier("nova_cell1"));
  cr_assert(config_is_identifier("a$b"));
  cr_assert(!config_is_identifier("123"));
  cr_assert(!config_is_identifier(""));
  cr_assert(!config_is_identifier("nova`; DROP TABLE x"));
  cr_assert(!config_is_identifier("a-b"));
  cr_assert(config_is_identifier("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
  cr_assert(!config_is_identifier("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
  cr_assert_str_eq(config_source_name(SRC_RCSHIBBOLETH), "rcshibboleth");
}

Test(config, every_bad_file_names_line_and_column) {
  char *dir = testdb_source_path("tests/fixtures/config/bad");
  DIR *d = opendir(dir);
  cr_assert(d, "opendir %s", dir);
  unsetenv("POLLSTER_TEST_SURELY_UNSET_VAR");
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
      continue;
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/%s", dir, de->d_name) >= 0);
    char *text = read_all(path);
    cr_assert(!strncmp(text, "# expect: ", 10), "%s: no '# expect:' first line", path);
    char *nl = strchr(text, '\n');
    char *expect = strndup(text + 10, nl ? (size_t)(nl - text - 10) : strlen(text + 10));
    /* "L:C: fragment" */
    unsigned line, col;
    int off = 0;
    cr_assert(sscanf(expect, "%u:%u: %n", &line, &col, &off) == 2 && off > 0,
              "%s: bad expect line '%s'", path, expect);
    const char *frag = expect + off;

    config *cfg = (config *)1;
    ps_error err;
    error_clear(&err);
    ps_status s = config_load(path, specs, N_SPECS, &cfg, &err);
    cr_assert_eq(s, PS_ECONFIG, "%s: status %s (%s)", de->d_name, status_name(s), err.msg);
    cr_assert_null(cfg);
    char *prefix = NULL;
    cr_assert(asprintf(&prefix, "%s:%u:%u: ", path, line, col) >= 0);
    cr_expect(!strncmp(err.msg, prefix, strlen(prefix)), "%s: got '%s', want position %u:%u",
              de->d_name, err.msg, line, col);
    cr_expect(strstr(err.msg, frag), "%s: got '%s', want '%s'", de->d_name, err.msg, frag);
    free(prefix);
    free(expect);
    free(text);
    free(path);
    n++;
  }
  closedir(d);
  free(dir);
  cr_assert_geq(n, 30, "only %zu bad files", n);
}

static bool configs_equal(const config *a, const config *b) {
  if (a->n_servers != b->n_servers)
    return false;
  for (size_t i = 0; i < a->n_servers; i++) {
    const cfg_server *x = &a->servers[i], *y = &b->servers[i];
#define SEQ(f) ((!x->f && !y->f) || (x->f && y->f && !strcmp(x->f, y->f)))
    if (!SEQ(name) || !SEQ(host) || !SEQ(socket) || !SEQ(user) || !SEQ(ssl_ca) ||
        x->port != y->port || x->n_hosts != y->n_hosts || x->pool_size != y->pool_size ||
        x->ssl_mode != y->ssl_mode || x->connect_timeout_s != y->connect_timeout_s ||
        x->read_timeout_s != y->read_timeout_s || x->write_timeout_s != y->write_timeout_s)
      return false;
    /* inline passwords are printed masked; the other origins re-resolve */
    if (strcmp(x->password_origin, "password") != 0 && (!SEQ(password_origin) || !SEQ(password)))
      return false;
#undef SEQ
    for (size_t h = 0; h < x->n_hosts; h++)
      if (strcmp(x->hosts[h].host, y->hosts[h].host) || x->hosts[h].port != y->hosts[h].port)
        return false;
  }
  for (int id = 0; id < SRC__COUNT; id++) {
    if (a->n_sources[id] != b->n_sources[id])
      return false;
    for (size_t i = 0; i < a->n_sources[id]; i++) {
      const cfg_source *x = &a->sources[id][i], *y = &b->sources[id][i];
      if (x->server != y->server || strcmp(x->schema, y->schema) ||
          (x->cell || y->cell) != (x->cell && y->cell && !strcmp(x->cell, y->cell)))
        return false;
    }
  }
  if (a->target.server != b->target.server || strcmp(a->target.schema, b->target.schema) ||
      strcmp(a->target.state_schema, b->target.state_schema))
    return false;
  const cfg_engine *e = &a->engine, *f = &b->engine;
  if (memcmp(&e->workers, &f->workers, offsetof(cfg_engine, metrics_file)) ||
      !e->metrics_file != !f->metrics_file || !e->pidfile != !f->pidfile ||
      (e->metrics_file && strcmp(e->metrics_file, f->metrics_file)) ||
      (e->pidfile && strcmp(e->pidfile, f->pidfile)))
    return false;
  if (a->n_jobs != b->n_jobs)
    return false;
  for (size_t i = 0; i < a->n_jobs; i++) {
    const cfg_job *x = &a->jobs[i], *y = &b->jobs[i];
    if (x->enabled != y->enabled || x->mode != y->mode || x->period_s != y->period_s ||
        x->full_every_s != y->full_every_s || x->window_s != y->window_s ||
        !x->source != !y->source || (x->source && strcmp(x->source, y->source)))
      return false;
  }
  return true;
}

static char *print_to_string(const config *cfg) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  config_print(cfg, f);
  fclose(f);
  return buf;
}

Test(config, print_round_trips_and_masks_passwords) {
  char *pw = write_tmp("file-s3cret\n", 0600);
  setenv("POLLSTER_TEST_PW", "env-s3cret", 1);
  char *yaml = NULL;
  cr_assert(asprintf(&yaml,
                     "servers:\n"
                     "  a: { socket: \"/tmp/odd \\\"path\\\".sock\", user: \"weird user\", "
                     "password: \"s3cret\", pool_size: 7, ssl_mode: verify_ca, ssl_ca: /ca.pem,"
                     " read_timeout: 90s }\n"
                     "  b: { hosts: [\"10.0.0.1:3307\", n2, \"[::1]:3308\"], port: 3399, user: r, "
                     "password_file: %s, connect_timeout: 2m }\n"
                     "  c: { host: h, user: r, password_env: POLLSTER_TEST_PW, write_timeout: 1d }\n"
                     "sources:\n"
                     "  keystone: { server: b, schema: ks }\n"
                     "  nova_api: { server: a, schema: na }\n"
                     "  nova: [ { cell: c1, server: a, schema: n1 }, { cell: c2, server: b, schema: n2 } ]\n"
                     "  cinder: { server: a, schema: ci }\n"
                     "  glance: { server: a, schema: gl }\n"
                     "  rcshibboleth: { server: a, schema: rc }\n"
                     "  dashboard: { server: a, schema: da }\n"
                     "target: { server: c, schema: rep, state_schema: st }\n"
                     "engine: { workers: 9, batch_rows: 77, batch_bytes: 1500KB, load_method: load_data,"
                     " retries: 0, retry_backoff: 1500ms, deferred_indexes: false, swap_lock_wait: 61s,"
                     " swap_retries: 3, acquire_timeout: 2h, shutdown_deadline: 1m, lease_ttl: 45s,"
                     " metrics_file: /m.prom, pidfile: /p.pid }\n"
                     "jobs:\n"
                     "  instance: { mode: incremental, period: 10m, full_every: 12h, window: 2d }\n"
                     "  flavour: { source: nova }\n"
                     "  image: { enabled: false }\n",
                     pw) >= 0);
  config *cfg = load_str(yaml);
  cr_assert_eq(cfg->servers[1].n_hosts, 3);
  cr_assert_str_eq(cfg->servers[1].hosts[1].host, "n2");
  cr_assert_eq(cfg->servers[1].hosts[1].port, 3399, "a node without port gets the server's");
  cr_assert_str_eq(cfg->servers[1].hosts[2].host, "::1");
  cr_assert_str_eq(cfg->servers[1].password, "file-s3cret", "one trailing newline stripped");
  cr_assert_str_eq(cfg->servers[0].socket, "/tmp/odd \"path\".sock");
  char *out = print_to_string(cfg);
  cr_assert_null(strstr(out, "s3cret"), "password printed:\n%s", out);
  cr_assert(strstr(out, "password: \"********\""), "%s", out);
  cr_assert(strstr(out, "password_env: \"POLLSTER_TEST_PW\""), "%s", out);
  cr_assert(strstr(out, pw), "password_file origin printed");
  config *again = NULL;
  ps_error err;
  cr_assert_eq(config_load_string("printed", out, strlen(out), specs, N_SPECS, &again, &err),
               PS_OK, "printed config does not parse: %s\n%s", err.msg, out);
  cr_assert(configs_equal(cfg, again), "round trip differs:\n%s", out);
  cr_assert_str_eq(again->servers[0].password, "********");
  /* and the defaults-only config too */
  config *min = load_str(minimal);
  char *out2 = print_to_string(min);
  config *min2 = NULL;
  cr_assert_eq(config_load_string("printed", out2, strlen(out2), specs, N_SPECS, &min2, &err),
               PS_OK, "%s\n%s", err.msg, out2);
  cr_assert(configs_equal(min, min2), "%s", out2);
  config_free(min);
  config_free(min2);
  free(out2);
  config_free(again);
  config_free(cfg);
  free(out);
  free(yaml);
  unlink(pw);
  free(pw);
}

Test(config, passwords_never_in_error_messages) {
  static const char *const bad[] = {
      /* wrong type of the password itself */
      "servers: { db: { socket: /s, user: u, password: [s3cret] } }\n",
      /* an error in the same server after the password */
      "servers: { db: { socket: /s, user: u, password: s3cret, port: s3cret } }\n"
      "sources: {}\ntarget: { server: db, schema: r }\n",
      "servers: { db: { socket: /s, user: u, password: s3cret, password_env: X } }\n",
      "servers: { db: { socket: /s, user: u, password: s3cret, bogus: 1 } }\n",
      "servers: { db: { socket: /s, user: u, password: { s3cret: 1 } } }\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    config *cfg = NULL;
    ps_error err;
    ps_status s = config_load_string("pw.yaml", bad[i], strlen(bad[i]), specs, N_SPECS, &cfg, &err);
    cr_assert_eq(s, PS_ECONFIG, "case %zu", i);
    /* case 1 echoes the bad port value, which the test made equal to the password */
    if (i == 1)
      cr_assert(strstr(err.msg, "'port'"), "%s", err.msg);
    else
      cr_assert_null(strstr(err.msg, "s3cret"), "case %zu leaks: %s", i, err.msg);
  }
}

Test(config, readable_password_file_is_a_warning) {
  char *pw = write_tmp("w0rld-s3cret\n\n", 0644);
  char *yaml = NULL;
  cr_assert(asprintf(&yaml, "servers: { db: { socket: /s, user: u, password_file: %s } }\n"
                            "sources: {}\ntarget: { server: db, schema: r }\n",
                     pw) >= 0);
  char *logbuf = NULL;
  size_t loglen = 0;
  FILE *log = open_memstream(&logbuf, &loglen);
  log_set_stream(log);
  config *cfg = NULL;
  ps_error err;
  ps_status s = config_load_string("w.yaml", yaml, strlen(yaml), NULL, 0, &cfg, &err);
  log_set_stream(NULL);
  fclose(log);
  cr_assert_eq(s, PS_OK, "%s", err.msg);
  cr_assert_str_eq(cfg->servers[0].password, "w0rld-s3cret\n", "only one newline stripped");
  cr_assert(strstr(logbuf, "WARN"), "log: %s", logbuf);
  cr_assert(strstr(logbuf, pw), "warning names the file: %s", logbuf);
  cr_assert_null(strstr(logbuf, "s3cret"));
  config_free(cfg);

  /* mode 600: no warning */
  chmod(pw, 0600);
  free(logbuf);
  log = open_memstream(&logbuf, &loglen);
  log_set_stream(log);
  s = config_load_string("w.yaml", yaml, strlen(yaml), NULL, 0, &cfg, &err);
  log_set_stream(NULL);
  fclose(log);
  cr_assert_eq(s, PS_OK);
  cr_assert_eq(loglen, 0, "unexpected log: %s", logbuf);
  config_free(cfg);
  free(logbuf);
  free(yaml);
  unlink(pw);
  free(pw);
}

Test(config, nova_mapping_and_list_forms) {
  config *cfg = load_str(
      "servers: { db: { socket: /s, user: u, password: \"\" } }\n"
      "sources:\n"
      "  keystone: { server: db, schema: keystone }\n"
      "  nova_api: { server: db, schema: nova_api }\n"
      "  nova:\n"
      "    - { cell: cell1, server: db, schema: nova_cell1 }\n"
      "    - { cell: cell2, server: db, schema: nova_cell2 }\n"
      "  cinder: { server: db, schema: cinder }\n"
      "  glance: { server: db, schema: glance }\n"
      "  rcshibboleth: { server: db, schema: rcshibboleth }\n"
      "  dashboard: { server: db, schema: dashboard }\n"
      "target: { server: db, schema: reporting }\n");
  cr_assert_eq(cfg->n_sources[SRC_NOVA], 2);
  cr_assert_str_eq(cfg->sources[SRC_NOVA][1].cell, "cell2");
  cr_assert_str_eq(cfg->sources[SRC_NOVA][1].schema, "nova_cell2");
  cr_assert_eq(cfg->sources[SRC_NOVA][1].loc.line, 7);
  cr_assert_eq(cfg->sources[SRC_NOVA][1].loc.column, 7);
  cr_assert_null(cfg->sources[SRC_KEYSTONE][0].cell);
  config_free(cfg);
}

Test(config, missing_file_is_eio) {
  config *cfg = NULL;
  ps_error err;
  cr_assert_eq(config_load("/nonexistent/pollster.yaml", specs, N_SPECS, &cfg, &err), PS_EIO);
  cr_assert(strstr(err.msg, "/nonexistent/pollster.yaml"));
}

Test(config, testdb_config_parses) {
  /* The shared test helper's files must stay loadable. */
  setenv("POLLSTER_TEST_SOCKET", "/tmp/none.sock", 0);
  char *path = testdb_write_config("t", 2, NULL);
  config *cfg = NULL;
  ps_error err;
  cr_assert_eq(config_load(path, specs, N_SPECS, &cfg, &err), PS_OK, "%s", err.msg);
  cr_assert_eq(cfg->n_sources[SRC_NOVA], 2);
  cr_assert_eq(cfg->servers[0].pool_size, 8);
  config_free(cfg);
  unlink(path);
  free(path);
}
