/* bench_run: grid points and baselines (see bench_run.h). */
#include "bench/bench_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/db.h"
#include "engine/log.h"
#include "extractors/extractor.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The job measured: the one owning ctx->table, or every job (NULL). */
static const extractor *measured_job(const bench_ctx *ctx) {
  return ctx->table ? ex_catalog_for_table(ctx->table) : NULL;
}

ps_status bench_ctx_init(bench_ctx *ctx, ps_error *err) {
  ctx->n_tables = 0;
  const extractor *only = measured_job(ctx);
  if (ctx->table && !only)
    return ERROR_SET(err, PS_EUSAGE, "--table: unknown table '%s' (see pollster list-tables)",
                     ctx->table);
  for (size_t i = 0; i < ex_catalog_count(); i++) {
    const extractor *ex = ex_catalog_get(i);
    if (only && ex != only)
      continue;
    for (size_t t = 0; t < ex_table_count(ex) && ctx->n_tables < BENCH_MAX_TABLES; t++)
      ctx->tables[ctx->n_tables++] = ex_table_name(ex, t);
  }
  return PS_OK;
}

/* The generated config: the layout's servers/sources/target, the point's
 * engine settings, and every job but the measured one disabled (with one
 * table selected its dependencies are disabled too, so the run measures
 * that table alone; a disabled dependency's table is used as it is). */
static ps_status write_config(const bench_ctx *ctx, const bench_point *p, const char *path,
                              ps_error *err) {
  FILE *f = fopen(path, "w");
  if (!f)
    return ERROR_SET(err, PS_EIO, "%s: %s", path, strerror(errno));
  fputs(ctx->layout->yaml_base, f);
  fprintf(f,
          "engine:\n"
          "  workers: %u\n"
          "  batch_rows: %zu\n"
          "  batch_bytes: %zu\n"
          "  load_method: %s\n"
          "  deferred_indexes: %s\n"
          "  retries: 0\n",
          p->workers, p->batch_rows, p->batch_bytes, p->load_data ? "load_data" : "insert",
          p->deferred ? "true" : "false");
  const extractor *only = measured_job(ctx);
  if (only) {
    fputs("jobs:\n", f);
    for (size_t i = 0; i < ex_catalog_count(); i++) {
      const extractor *ex = ex_catalog_get(i);
      if (ex != only)
        fprintf(f, "  %s: { enabled: false }\n", ex_name(ex));
    }
  }
  if (fclose(f) != 0)
    return ERROR_SET(err, PS_EIO, "%s: %s", path, strerror(errno));
  return PS_OK;
}

static ps_status count_rows(const bench_ctx *ctx, int64_t *rows, ps_error *err) {
  MYSQL *m = bench_server_connect(ctx->server, err);
  if (!m)
    return err->status;
  ps_status st = PS_OK;
  *rows = 0;
  for (size_t t = 0; t < ctx->n_tables && st == PS_OK; t++) {
    char sql[256];
    int64_t n = 0;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM `%s`.`%s`", ctx->layout->target,
             ctx->tables[t]);
    st = db_query_i64(m, sql, &n, NULL, err);
    *rows += n;
  }
  db_close(m);
  return st;
}

static void log_tail(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  char buf[4096];
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, sz > (long)sizeof buf - 1 ? sz - (long)sizeof buf + 1 : 0, SEEK_SET);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  fprintf(stderr, "--- %s (end) ---\n%s\n", path, buf);
}

ps_status bench_run_point(bench_ctx *ctx, const bench_point *p, const char *tag,
                          bench_sample *out, ps_error *err) {
  memset(out, 0, sizeof *out);
  char cfg[1024], logp[1024];
  snprintf(cfg, sizeof cfg, "%s/configs/%s.yaml", ctx->out_dir, tag);
  snprintf(logp, sizeof logp, "%s/logs/%s.log", ctx->out_dir, tag);
  ps_status st = write_config(ctx, p, cfg, err);
  if (st != PS_OK)
    return st;
  const char *argv[10];
  size_t n = 0;
  argv[n++] = ctx->pollster;
  argv[n++] = "run";
  argv[n++] = "-c";
  argv[n++] = cfg;
  argv[n++] = "--force-update";
  if (ctx->table) {
    argv[n++] = "--tables";
    argv[n++] = ctx->table;
  }
  argv[n] = NULL;
  double cpu0 = bench_server_cpu(ctx->server);
  double t0 = now_s();
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(ctx->pollster, (char *const *)argv);
    _exit(127);
  }
  if (pid < 0)
    return ERROR_SET(err, PS_EIO, "fork: %s", strerror(errno));
  int ws = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  pid_t w;
  while ((w = wait4(pid, &ws, 0, &ru)) < 0 && errno == EINTR)
    ;
  double t1 = now_s();
  double cpu1 = bench_server_cpu(ctx->server);
  if (w < 0)
    return ERROR_SET(err, PS_EIO, "wait4: %s", strerror(errno));
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
    log_tail(logp);
    return ERROR_SET(err, PS_EIO, "pollster run failed (%s %d); log %s",
                     WIFEXITED(ws) ? "exit status" : "signal",
                     WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws), logp);
  }
  out->wall_s = t1 - t0;
  out->cpu_client_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  out->cpu_server_s = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
  out->rss_mib = (double)ru.ru_maxrss / 1024.0; /* ru_maxrss is KiB on Linux */
  return count_rows(ctx, &out->rows, err);
}

ps_status bench_measure_bytes(bench_ctx *ctx, ps_error *err) {
  MYSQL *m = bench_server_connect(ctx->server, err);
  if (!m)
    return err->status;
  ps_status st = PS_OK;
  int64_t total = 0;
  for (size_t t = 0; t < ctx->n_tables && st == PS_OK; t++) {
    char sql[512];
    int64_t n = 0;
    /* ANALYZE refreshes the persistent statistics information_schema reads. */
    snprintf(sql, sizeof sql, "ANALYZE TABLE `%s`.`%s`", ctx->layout->target, ctx->tables[t]);
    if (mysql_query(m, sql) != 0) {
      st = ERROR_MYSQL(err, m, "%s", sql);
      break;
    }
    MYSQL_RES *r = mysql_store_result(m);
    mysql_free_result(r);
    snprintf(sql, sizeof sql,
             "SELECT data_length FROM information_schema.tables WHERE table_schema = '%s' "
             "AND table_name = '%s'",
             ctx->layout->target, ctx->tables[t]);
    st = db_query_i64(m, sql, &n, NULL, err);
    total += n;
  }
  db_close(m);
  if (st == PS_OK)
    ctx->data_bytes = total;
  return st;
}

/* ---- baselines ------------------------------------------------------------ */

const char *bench_baseline_name(bench_baseline_kind k) {
  static const char *const names[] = {"insert_select", "insert_select_deferred",
                                      "load_data_infile"};
  return k < BENCH_BL__COUNT ? names[k] : "?";
}

/* The rows of one table as a server-side SELECT (count of them in *n_parts,
 * one per nova cell for instance).  For instance these are the extractor's
 * own column expressions (extractors/instance.c) minus the host -> AZ join
 * (an empty map in the bench: the source's availability_zone is used either
 * way), with the extractor's cut of over-long strings to the column's
 * length in characters (pollster counts such rows as "fixed").  For every other table the source is pollster's own result table:
 * that measures the write side alone, the part the server cannot avoid. */
static size_t select_sql(const bench_ctx *ctx, const char *table, char sql[][1024],
                         size_t max) {
  const bench_layout *l = ctx->layout;
  if (strcmp(table, "instance") == 0) {
    size_t n = 0;
    for (unsigned c = 0; c < l->n_cells && n < max; c++, n++)
      snprintf(sql[n], 1024,
               "SELECT LEFT(project_id, 36), LEFT(uuid, 36), LEFT(display_name, 255), vcpus, "
               "memory_mb, root_gb, ephemeral_gb, instance_type_id, LEFT(user_id, 36), "
               "created_at, deleted_at, COALESCE(deleted, 0) = 0, LEFT(host, 255), "
               "LEFT(availability_zone, 255), LEFT(COALESCE(cell_name, 'cell%u'), 255) "
               "FROM `%s`.instances",
               c + 1, l->cells[c]);
    return n;
  }
  snprintf(sql[0], 1024, "SELECT * FROM `%s`.`%s`", l->target, table);
  return 1;
}

/* Secondary key clauses of SHOW CREATE TABLE ("KEY `x` (`a`,`b`)"), each
 * written into keys[i]; their names into names[i]. */
static ps_status secondary_keys(MYSQL *m, const char *schema, const char *table,
                                char keys[][512], char names[][128], size_t max, size_t *n,
                                ps_error *err) {
  *n = 0;
  char sql[512];
  snprintf(sql, sizeof sql, "SHOW CREATE TABLE `%s`.`%s`", schema, table);
  if (mysql_query(m, sql) != 0)
    return ERROR_MYSQL(err, m, "%s", sql);
  MYSQL_RES *r = mysql_store_result(m);
  MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
  if (!row || !row[1]) {
    mysql_free_result(r);
    return ERROR_SET(err, PS_ESCHEMA, "%s: no result", sql);
  }
  char *save = NULL, *copy = strdup(row[1]);
  mysql_free_result(r);
  for (char *line = strtok_r(copy, "\n", &save); line && *n < max;
       line = strtok_r(NULL, "\n", &save)) {
    while (*line == ' ')
      line++;
    bool uniq = strncmp(line, "UNIQUE KEY `", 12) == 0;
    if (!uniq && strncmp(line, "KEY `", 5) != 0)
      continue;
    size_t len = strlen(line);
    if (len && line[len - 1] == ',')
      line[--len] = '\0';
    snprintf(keys[*n], 512, "%s", line);
    const char *nm = strchr(line, '`') + 1;
    const char *end = strchr(nm, '`');
    snprintf(names[*n], 128, "%.*s", end ? (int)(end - nm) : 0, nm);
    (*n)++;
  }
  free(copy);
  return PS_OK;
}

/* ALTER TABLE t DROP KEY a, DROP KEY b / ADD KEY ..., ADD KEY ... */
static ps_status alter_keys(MYSQL *m, const char *schema, const char *table, bool add,
                            char keys[][512], char names[][128], size_t n, ps_error *err) {
  if (n == 0)
    return PS_OK;
  size_t cap = 256 + n * 640, pos = 0;
  char *sql = malloc(cap);
  if (!sql)
    return ERROR_SET(err, PS_ENOMEM, "ALTER TABLE");
  pos += (size_t)snprintf(sql, cap, "ALTER TABLE `%s`.`%s` ", schema, table);
  for (size_t i = 0; i < n; i++)
    pos += (size_t)(add ? snprintf(sql + pos, cap - pos, "%sADD %s", i ? ", " : "", keys[i])
                        : snprintf(sql + pos, cap - pos, "%sDROP KEY `%s`", i ? ", " : "",
                                   names[i]));
  ps_status st = db_exec(m, sql, err);
  free(sql);
  return st;
}

static ps_status baseline_table(bench_ctx *ctx, MYSQL *m, bench_baseline_kind k,
                                const char *table, double *secs, double *cpu,
                                int64_t *rows, ps_error *err) {
  const bench_layout *l = ctx->layout;
  char bl[160];
  snprintf(bl, sizeof bl, "bl_%s", table);
  char sel[BENCH_MAX_CELLS][1024];
  size_t n_sel = select_sql(ctx, table, sel, BENCH_MAX_CELLS);
  char keys[32][512], names[32][128];
  size_t n_keys = 0;
  char files[BENCH_MAX_CELLS][700];
  size_t n_files = 0;
  ps_status st = db_execf(m, err, "DROP TABLE IF EXISTS `%s`.`%s`", l->scratch, bl);
  if (st == PS_OK)
    st = db_execf(m, err, "CREATE TABLE `%s`.`%s` LIKE `%s`.`%s`", l->scratch, bl, l->target,
                  table);
  if (st == PS_OK && k != BENCH_BL_INSERT_SELECT) {
    st = secondary_keys(m, l->scratch, bl, keys, names, 32, &n_keys, err);
    if (st == PS_OK)
      st = alter_keys(m, l->scratch, bl, false, keys, names, n_keys, err);
  }
  if (st == PS_OK && k == BENCH_BL_LOAD_DATA) {
    /* The export is not timed: the baseline is the server reading a file. */
    for (size_t i = 0; i < n_sel && st == PS_OK; i++, n_files++) {
      snprintf(files[i], sizeof files[i], "%s/pollster-bench-%d-%s-%zu.tsv",
               ctx->server->files, (int)getpid(), table, i);
      unlink(files[i]);
      st = db_execf(m, err, "%s INTO OUTFILE '%s'", sel[i], files[i]);
    }
  }
  double cpu0 = bench_server_cpu(ctx->server);
  double t0 = now_s();
  for (size_t i = 0; i < n_sel && st == PS_OK; i++) {
    if (k == BENCH_BL_LOAD_DATA)
      st = db_execf(m, err, "LOAD DATA INFILE '%s' INTO TABLE `%s`.`%s`", files[i],
                    l->scratch, bl);
    else
      st = db_execf(m, err, "INSERT INTO `%s`.`%s` %s", l->scratch, bl, sel[i]);
  }
  if (st == PS_OK && k != BENCH_BL_INSERT_SELECT)
    st = alter_keys(m, l->scratch, bl, true, keys, names, n_keys, err);
  *secs = now_s() - t0;
  double cpu1 = bench_server_cpu(ctx->server);
  *cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
  for (size_t i = 0; i < n_files; i++)
    unlink(files[i]); /* only works when the server shares this machine; harmless otherwise */
  if (st == PS_OK) {
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM `%s`.`%s`", l->scratch, bl);
    st = db_query_i64(m, sql, rows, NULL, err);
  }
  ps_error e2;
  error_clear(&e2);
  db_execf(m, &e2, "DROP TABLE IF EXISTS `%s`.`%s`", l->scratch, bl);
  return st;
}

ps_status bench_run_baseline(bench_ctx *ctx, bench_baseline_kind k, bench_sample *out,
                             ps_error *err) {
  memset(out, 0, sizeof *out);
  if (!ctx->layout->sources_local)
    return ERROR_SET(err, PS_EUSAGE, "the nova sources are on another server than the target");
  if (k == BENCH_BL_LOAD_DATA && !ctx->server->files)
    return ERROR_SET(err, PS_EUSAGE, "the server has no secure_file_priv folder");
  MYSQL *m = bench_server_connect(ctx->server, err);
  if (!m)
    return err->status;
  ps_status st = db_execf(m, err, "CREATE DATABASE IF NOT EXISTS `%s`", ctx->layout->scratch);
  for (size_t t = 0; t < ctx->n_tables && st == PS_OK; t++) {
    double secs = 0, cpu = 0;
    int64_t rows = 0;
    st = baseline_table(ctx, m, k, ctx->tables[t], &secs, &cpu, &rows, err);
    out->wall_s += secs;
    out->rows += rows;
    out->cpu_server_s = cpu < 0 || out->cpu_server_s < 0 ? -1 : out->cpu_server_s + cpu;
  }
  db_close(m);
  return st;
}
