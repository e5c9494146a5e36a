/* bench_data: layouts and the benchmark dataset (see bench_data.h). */
#include "bench/bench_data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_instances_ddl.h"
#include "engine/db.h"
#include "engine/log.h"

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    s = NULL;
  va_end(ap);
  return s;
}

void bench_layout_free(bench_layout *l) {
  if (!l)
    return;
  free(l->prefix);
  for (unsigned i = 0; i < l->n_cells; i++)
    free(l->cells[i]);
  free(l->target);
  free(l->scratch);
  free(l->yaml_base);
  free(l);
}

bench_layout *bench_layout_private(const bench_server *s, const char *prefix, unsigned cells) {
  bench_layout *l = calloc(1, sizeof *l);
  if (!l)
    return NULL;
  if (cells < 1)
    cells = 1;
  if (cells > BENCH_MAX_CELLS)
    cells = BENCH_MAX_CELLS;
  l->prefix = strdup(prefix);
  l->n_cells = cells;
  for (unsigned c = 0; c < cells; c++)
    l->cells[c] = xasprintf("%s_nova_cell%u", prefix, c + 1);
  l->target = xasprintf("%s_reporting", prefix);
  l->scratch = xasprintf("%s_pollster_bench", prefix);
  l->sources_local = true;
  char *where = s->socket ? xasprintf("socket: %s", s->socket)
                          : xasprintf("host: %s, port: %u", s->host, s->port);
  /* pool_size covers the largest worker count of the grid plus the
   * scheduler's own sessions. */
  char *yaml = xasprintf("servers:\n"
                         "  bench: { %s, user: %s, password_env: POLLSTER_BENCH_PASSWORD, "
                         "pool_size: 24, ssl_mode: disabled }\n"
                         "sources:\n"
                         "  keystone:     { server: bench, schema: %s_keystone }\n"
                         "  nova_api:     { server: bench, schema: %s_nova_api }\n"
                         "  cinder:       { server: bench, schema: %s_cinder }\n"
                         "  glance:       { server: bench, schema: %s_glance }\n"
                         "  rcshibboleth: { server: bench, schema: %s_rcshibboleth }\n"
                         "  dashboard:    { server: bench, schema: %s_dashboard }\n"
                         "  nova:\n",
                         where, s->user, prefix, prefix, prefix, prefix, prefix, prefix);
  free(where);
  size_t cap = strlen(yaml) + cells * 128 + 256, pos = strlen(yaml);
  l->yaml_base = malloc(cap);
  memcpy(l->yaml_base, yaml, pos + 1);
  free(yaml);
  for (unsigned c = 0; c < cells; c++)
    pos += (size_t)snprintf(l->yaml_base + pos, cap - pos,
                            "    - { cell: cell%u, server: bench, schema: %s }\n", c + 1,
                            l->cells[c]);
  snprintf(l->yaml_base + pos, cap - pos, "target: { server: bench, schema: %s }\n", l->target);
  return l;
}

/* A top-level YAML key at column 0 ("engine:", "jobs:"). */
static bool top_key(const char *line, const char *key) {
  size_t n = strlen(key);
  return strncmp(line, key, n) == 0 && line[n] == ':';
}

bench_layout *bench_layout_config(const config *cfg, const char *path, ps_error *err) {
  FILE *f = fopen(path, "r");
  if (!f) {
    ERROR_SET(err, PS_EIO, "%s: %s", path, strerror(errno));
    return NULL;
  }
  bench_layout *l = calloc(1, sizeof *l);
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  char *line = NULL;
  size_t cap = 0;
  bool skipping = false;
  /* The operator's file minus the sections the bench rewrites per point:
   * a section ends at the next line starting in column 0 that is not a
   * comment or blank (block-style YAML, as in etc/pollster.yaml). */
  while (getline(&line, &cap, f) > 0) {
    bool col0 = line[0] != ' ' && line[0] != '\t' && line[0] != '#' && line[0] != '\n';
    if (col0)
      skipping = top_key(line, "engine") || top_key(line, "jobs");
    if (!skipping)
      fputs(line, mem);
  }
  free(line);
  fclose(f);
  fclose(mem);
  l->yaml_base = text;
  l->prefix = strdup("");
  l->n_cells = (unsigned)(cfg->n_sources[SRC_NOVA] < BENCH_MAX_CELLS ? cfg->n_sources[SRC_NOVA]
                                                                     : BENCH_MAX_CELLS);
  l->sources_local = true;
  for (unsigned c = 0; c < l->n_cells; c++) {
    l->cells[c] = strdup(cfg->sources[SRC_NOVA][c].schema);
    if (cfg->sources[SRC_NOVA][c].server != cfg->target.server)
      l->sources_local = false;
  }
  l->target = strdup(cfg->target.schema);
  l->scratch = xasprintf("%s_pollster_bench", cfg->target.schema);
  return l;
}

/* ---- dataset -------------------------------------------------------------- */

static ps_status count_instances(MYSQL *m, const bench_layout *l, int64_t *n, ps_error *err) {
  *n = 0;
  for (unsigned c = 0; c < l->n_cells; c++) {
    bool ex = false;
    ps_status st = db_table_exists(m, l->cells[c], "instances", &ex, err);
    if (st != PS_OK)
      return st;
    if (!ex) {
      *n = -1;
      return PS_OK;
    }
    char sql[256];
    int64_t k = 0;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM `%s`.instances", l->cells[c]);
    if ((st = db_query_i64(m, sql, &k, NULL, err)) != PS_OK)
      return st;
    *n += k;
  }
  return PS_OK;
}

/* The built-in generator: nova instances only, deterministic in the seed.
 * Shapes follow a production cloud: 500 projects, 1000 users, 200 hosts,
 * 12 flavours, about 30% deleted. */
static ps_status gen_instances(MYSQL *m, const bench_layout *l, int64_t total, uint64_t seed,
                               ps_error *err) {
  ps_status st = PS_OK;
  int64_t per = total / l->n_cells, extra = total % l->n_cells;
  for (unsigned c = 0; c < l->n_cells && st == PS_OK; c++) {
    int64_t k = per + ((int64_t)c < extra ? 1 : 0);
    st = db_execf(m, err, "DROP DATABASE IF EXISTS `%s`", l->cells[c]);
    if (st == PS_OK)
      st = db_execf(m, err, "CREATE DATABASE `%s`", l->cells[c]);
    if (st == PS_OK)
      st = db_execf(m, err, "USE `%s`", l->cells[c]);
    if (st == PS_OK)
      st = db_exec(m, bench_instances_ddl, err);
    if (st != PS_OK || k == 0)
      continue;
    st = db_execf(
        m, err,
        "INSERT INTO instances (created_at, updated_at, deleted_at, user_id, project_id, "
        "image_ref, power_state, vm_state, memory_mb, vcpus, hostname, host, display_name, "
        "availability_zone, instance_type_id, uuid, root_gb, ephemeral_gb, node, deleted, "
        "launched_at, terminated_at) "
        "SELECT created, created + INTERVAL 1 HOUR, IF(del, created + INTERVAL life HOUR, NULL), "
        "MD5(CONCAT(%llu, 'u', seq * 7 MOD 1000)), MD5(CONCAT(%llu, 'p', seq MOD 500)), "
        "MD5(CONCAT(%llu, 'i', seq MOD 40)), IF(del, 0, 1), IF(del, 'deleted', 'active'), "
        "1024 << (flv MOD 5), 1 << (flv MOD 4), CONCAT('vm-', seq), hst, "
        "CONCAT('vm-', seq, '-', LEFT(h, 6)), 'nova', flv, "
        "CONCAT_WS('-', SUBSTR(h, 1, 8), SUBSTR(h, 9, 4), SUBSTR(h, 13, 4), SUBSTR(h, 17, 4), "
        "SUBSTR(h, 21, 12)), 20 * (1 + flv MOD 3), IF(flv > 8, 40, 0), hst, IF(del, seq, 0), "
        "created + INTERVAL 2 MINUTE, IF(del, created + INTERVAL life HOUR, NULL) "
        "FROM (SELECT seq, h, CONV(LEFT(h, 6), 16, 10) MOD 10 < 3 AS del, "
        "1 + CONV(SUBSTR(h, 7, 4), 16, 10) MOD 12 AS flv, "
        "1 + CONV(SUBSTR(h, 11, 4), 16, 10) MOD 8760 AS life, "
        "CONCAT('compute-', LPAD(CONV(SUBSTR(h, 15, 4), 16, 10) MOD 200, 3, '0'), "
        "'.cell%u.example.org') AS hst, "
        "TIMESTAMP'2019-01-01 00:00:00' + INTERVAL CONV(SUBSTR(h, 19, 8), 16, 10) MOD 189216000 "
        "SECOND AS created "
        "FROM (SELECT seq, MD5(CONCAT(%llu, '/', %u, '/', seq)) AS h FROM seq_1_to_%lld) s) t",
        (unsigned long long)seed, (unsigned long long)seed, (unsigned long long)seed, c + 1,
        (unsigned long long)seed, c + 1, (long long)k);
  }
  return st;
}

static ps_status run_gen(const bench_server *s, const bench_layout *l,
                         const bench_data_opts *o, ps_error *err) {
  char scale[32], seed[32], cells[16], port[16];
  snprintf(scale, sizeof scale, "%g", o->scale);
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
  snprintf(cells, sizeof cells, "%u", l->n_cells);
  snprintf(port, sizeof port, "%u", s->port);
  const char *argv[24];
  size_t n = 0;
  argv[n++] = o->gen;
  if (s->socket) {
    argv[n++] = "--socket";
    argv[n++] = s->socket;
  } else {
    argv[n++] = "--host";
    argv[n++] = s->host;
    argv[n++] = "--port";
    argv[n++] = port;
  }
  argv[n++] = "--user";
  argv[n++] = s->user;
  /* pollster-bench exports the password there before any child starts. */
  argv[n++] = "--password-env";
  argv[n++] = "POLLSTER_BENCH_PASSWORD";
  argv[n++] = "--prefix";
  argv[n++] = l->prefix;
  argv[n++] = "--scale";
  argv[n++] = scale;
  argv[n++] = "--seed";
  argv[n++] = seed;
  argv[n++] = "--cells";
  argv[n++] = cells;
  argv[n++] = "--quiet";
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    execv(o->gen, (char *const *)argv);
    _exit(127);
  }
  int ws = 0;
  if (pid < 0 || waitpid(pid, &ws, 0) < 0)
    return ERROR_SET(err, PS_EIO, "pollster-gen: %s", strerror(errno));
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
    return ERROR_SET(err, PS_EIO, "pollster-gen failed (status %d)",
                     WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
  return PS_OK;
}

ps_status bench_data_ensure(const bench_server *s, const bench_layout *l,
                            const bench_data_opts *o, const char **how, ps_error *err) {
  *how = "reused";
  MYSQL *m = bench_server_connect(s, err);
  if (!m)
    return err->status;
  int64_t want = (int64_t)(o->scale * 1e6 + 0.5), have = 0;
  ps_status st = db_execf(m, err, "CREATE DATABASE IF NOT EXISTS `%s`", l->scratch);
  if (st == PS_OK)
    st = db_execf(m, err,
                  "CREATE TABLE IF NOT EXISTS `%s`.dataset (scale DOUBLE NOT NULL, "
                  "seed BIGINT UNSIGNED NOT NULL, cells INT NOT NULL, generator VARCHAR(64) "
                  "NOT NULL, instances BIGINT NOT NULL) "
                  "COMMENT 'pollster-bench: the dataset in the source schemas'",
                  l->scratch);
  if (st == PS_OK)
    st = count_instances(m, l, &have, err);
  if (st != PS_OK)
    goto out;
  if (!o->generate) {
    /* An operator's config: measure whatever the sources hold. */
    if (have <= 0)
      st = ERROR_SET(err, PS_EDATA, "the configured nova sources hold no instances");
    *how = "the configured sources, as they are";
    goto out;
  }
  char sql[512], gen[64] = "";
  bool found = false;
  snprintf(sql, sizeof sql,
           "SELECT generator FROM `%s`.dataset WHERE scale = %.17g AND seed = %llu AND "
           "cells = %u AND instances = %lld",
           l->scratch, o->scale, (unsigned long long)o->seed, l->n_cells, (long long)have);
  if ((st = db_query_str(m, sql, gen, sizeof gen, &found, err)) != PS_OK)
    goto out;
  if (found && have > 0 && (!o->needs_gen || strcmp(gen, "pollster-gen") == 0))
    goto out;
  if ((st = db_execf(m, err, "DELETE FROM `%s`.dataset", l->scratch)) != PS_OK)
    goto out;
  const char *generator = "";
  if (o->gen) {
    *how = generator = "pollster-gen";
    log_info("generating the dataset with %s (scale %g, seed %llu)", o->gen, o->scale,
             (unsigned long long)o->seed);
    st = run_gen(s, l, o, err);
  } else if (o->needs_gen) {
    st = ERROR_SET(err, PS_EUSAGE,
                   "tables other than instance need pollster-gen next to pollster-bench (the "
                   "built-in generator only makes nova instances)");
  } else {
    *how = generator = "built-in instance generator";
    log_info("generating %lld nova instances (scale %g, seed %llu, built-in generator)",
             (long long)want, o->scale, (unsigned long long)o->seed);
    st = gen_instances(m, l, want, o->seed, err);
  }
  if (st == PS_OK)
    st = count_instances(m, l, &have, err);
  if (st == PS_OK && have <= 0)
    st = ERROR_SET(err, PS_EDATA, "the generator made no instances");
  if (st == PS_OK)
    st = db_execf(m, err,
                  "INSERT INTO `%s`.dataset VALUES (%.17g, %llu, %u, '%s', %lld)", l->scratch,
                  o->scale, (unsigned long long)o->seed, l->n_cells, generator,
                  (long long)have);
out:
  db_close(m);
  return st;
}
