/* bench_report: terminal table, CSV, JSON, plot, targets, recommendation. */
#include "bench/bench_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Rows, bytes and throughput of a sample. */
static double rows_per_s(const bench_sample *s) { return s->wall_s > 0 ? s->rows / s->wall_s : 0; }
static double mb_per_s(const bench_report *r, const bench_sample *s) {
  return s->wall_s > 0 ? (double)r->data_bytes / 1e6 / s->wall_s : 0;
}
/* Pollster's wall time over the INSERT ... SELECT baseline's; 0 when unknown. */
static double ratio(const bench_report *r, const bench_sample *s) {
  const bench_baseline_result *b = &r->baselines[BENCH_BL_INSERT_SELECT];
  return b->n_ok && b->med.wall_s > 0 ? s->wall_s / b->med.wall_s : 0;
}
static const char *method(const bench_point *p) { return p->load_data ? "load_data" : "insert"; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bench_median(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void fmt_opt(char *buf, size_t cap, double v, const char *fmt) {
  if (v < 0)
    snprintf(buf, cap, "n/a");
  else
    snprintf(buf, cap, fmt, v);
}

void bench_report_print(FILE *out, const bench_report *r) {
  fprintf(out, "\npollster-bench: table %s, scale %g (seed %llu, %u cell%s, %s)\n", r->table,
          r->scale, r->seed, r->cells, r->cells == 1 ? "" : "s", r->dataset);
  fprintf(out, "machine: %s\nserver:  %s\nload:    %s\n", r->machine, r->server, r->load);
  fprintf(out, "MB/s = %.1f MB of InnoDB data (SUM(data_length) after ANALYZE TABLE) / wall "
               "seconds; medians of %u repeat%s\n\n",
          (double)r->data_bytes / 1e6, r->repeat, r->repeat == 1 ? "" : "s");
  fprintf(out, "%-24s %7s %10s %8s %10s %8s %8s %8s %8s %7s\n", "POINT / BASELINE", "WORKERS",
          "BATCH_ROWS", "DEFERRED", "ROWS/S", "MB/S", "WALL_S", "CPU_CL", "CPU_SRV", "RSS_MB");
  fprintf(out, "%-24s %7s %10s %8s %10s %8s %8s %8s %8s %7s  %s\n", "", "", "", "", "", "", "",
          "", "", "", "x INSERT..SELECT");
  char srv[32];
  for (int k = 0; k < BENCH_BL__COUNT; k++) {
    const bench_baseline_result *b = &r->baselines[k];
    if (!b->n_ok) {
      fprintf(out, "%-24s  n/a: %s\n", bench_baseline_name(k), b->error);
      continue;
    }
    fmt_opt(srv, sizeof srv, b->med.cpu_server_s, "%.2f");
    fprintf(out, "%-24s %7s %10s %8s %10.0f %8.1f %8.2f %8s %8s %7s  %.2f\n",
            bench_baseline_name(k), "-", "-", k == BENCH_BL_INSERT_SELECT ? "no" : "yes",
            rows_per_s(&b->med), mb_per_s(r, &b->med), b->med.wall_s, "-", srv, "-",
            ratio(r, &b->med));
  }
  for (size_t i = 0; i < r->n_points; i++) {
    const bench_result *p = &r->points[i];
    if (!p->n_ok) {
      fprintf(out, "%-24s %7u %10zu %8s  FAILED: %s\n", method(&p->p), p->p.workers,
              p->p.batch_rows, p->p.deferred ? "yes" : "no", p->error);
      continue;
    }
    fmt_opt(srv, sizeof srv, p->med.cpu_server_s, "%.2f");
    char rat[16];
    fmt_opt(rat, sizeof rat, ratio(r, &p->med) > 0 ? ratio(r, &p->med) : -1, "%.2f");
    fprintf(out, "%-24s %7u %10zu %8s %10.0f %8.1f %8.2f %8.2f %8s %7.1f  %s\n", method(&p->p),
            p->p.workers, p->p.batch_rows, p->p.deferred ? "yes" : "no", rows_per_s(&p->med),
            mb_per_s(r, &p->med), p->med.wall_s, p->med.cpu_client_s, srv, p->med.rss_mib, rat);
  }
}

ps_status bench_report_csv(const bench_report *r, const char *path, ps_error *err) {
  FILE *f = fopen(path, "w");
  if (!f)
    return ERROR_SET(err, PS_EIO, "%s: %s", path, strerror(errno));
  fprintf(f, "kind,table,scale,load_method,workers,batch_rows,batch_bytes,deferred_indexes,"
             "repeats_ok,rows,data_bytes,wall_s,rows_per_s,mb_per_s,cpu_pollster_s,"
             "cpu_server_s,peak_rss_mib,ratio_insert_select,error\n");
  for (int k = 0; k < BENCH_BL__COUNT; k++) {
    const bench_baseline_result *b = &r->baselines[k];
    fprintf(f, "baseline,%s,%g,%s,,,,%s,%u,%lld,%lld,%.4f,%.1f,%.3f,,%.3f,,%.4f,\"%s\"\n",
            r->table, r->scale, bench_baseline_name(k),
            k == BENCH_BL_INSERT_SELECT ? "false" : "true", b->n_ok, (long long)b->med.rows,
            r->data_bytes, b->med.wall_s, rows_per_s(&b->med), mb_per_s(r, &b->med),
            b->med.cpu_server_s, ratio(r, &b->med), b->error);
  }
  for (size_t i = 0; i < r->n_points; i++) {
    const bench_result *p = &r->points[i];
    fprintf(f, "pollster,%s,%g,%s,%u,%zu,%zu,%s,%u,%lld,%lld,%.4f,%.1f,%.3f,%.3f,%.3f,%.2f,%.4f,"
               "\"%s\"\n",
            r->table, r->scale, method(&p->p), p->p.workers, p->p.batch_rows, p->p.batch_bytes,
            p->p.deferred ? "true" : "false", p->n_ok, (long long)p->med.rows, r->data_bytes,
            p->med.wall_s, rows_per_s(&p->med), mb_per_s(r, &p->med), p->med.cpu_client_s,
            p->med.cpu_server_s, p->med.rss_mib, ratio(r, &p->med), p->error);
  }
  if (fclose(f) != 0)
    return ERROR_SET(err, PS_EIO, "%s: %s", path, strerror(errno));
  return PS_OK;
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

/* JSON has no NaN: unknown figures (negative) are null. */
static void json_num(FILE *f, double v) {
  if (v < 0)
    fputs("null", f);
  else
    fprintf(f, "%.6g", v);
}

ps_status bench_report_json(const bench_report *r, const char *path, ps_error *err) {
  FILE *f = fopen(path, "w");
  if (!f)
    return ERROR_SET(err, PS_EIO, "%s: %s", path, strerror(errno));
  fputs("{\n  \"table\": ", f);
  json_str(f, r->table);
  fprintf(f, ",\n  \"scale\": %g,\n  \"seed\": %llu,\n  \"cells\": %u,\n  \"dataset\": ", r->scale,
          r->seed, r->cells);
  json_str(f, r->dataset);
  fprintf(f, ",\n  \"data_bytes\": %lld,\n  \"repeat\": %u,\n  \"machine\": ", r->data_bytes,
          r->repeat);
  json_str(f, r->machine);
  fputs(",\n  \"server\": ", f);
  json_str(f, r->server);
  fputs(",\n  \"load\": ", f);
  json_str(f, r->load);
  fputs(",\n  \"started\": ", f);
  json_str(f, r->started);
  fputs(",\n  \"command\": ", f);
  json_str(f, r->command);
  fputs(",\n  \"baselines\": [", f);
  for (int k = 0; k < BENCH_BL__COUNT; k++) {
    const bench_baseline_result *b = &r->baselines[k];
    fprintf(f, "%s\n    {\"name\": \"%s\", \"ok\": %s, \"rows\": %lld, \"wall_s\": ", k ? "," : "",
            bench_baseline_name(k), b->n_ok ? "true" : "false", (long long)b->med.rows);
    json_num(f, b->n_ok ? b->med.wall_s : -1);
    fputs(", \"rows_per_s\": ", f);
    json_num(f, b->n_ok ? rows_per_s(&b->med) : -1);
    fputs(", \"mb_per_s\": ", f);
    json_num(f, b->n_ok ? mb_per_s(r, &b->med) : -1);
    fputs(", \"cpu_server_s\": ", f);
    json_num(f, b->n_ok ? b->med.cpu_server_s : -1);
    fputs(", \"error\": ", f);
    json_str(f, b->error);
    fputs("}", f);
  }
  fputs("\n  ],\n  \"points\": [", f);
  for (size_t i = 0; i < r->n_points; i++) {
    const bench_result *p = &r->points[i];
    bool ok = p->n_ok > 0;
    fprintf(f,
            "%s\n    {\"load_method\": \"%s\", \"workers\": %u, \"batch_rows\": %zu, "
            "\"batch_bytes\": %zu, \"deferred_indexes\": %s, \"repeats_ok\": %u, \"rows\": %lld, "
            "\"wall_s\": ",
            i ? "," : "", method(&p->p), p->p.workers, p->p.batch_rows, p->p.batch_bytes,
            p->p.deferred ? "true" : "false", p->n_ok, (long long)p->med.rows);
    json_num(f, ok ? p->med.wall_s : -1);
    fputs(", \"rows_per_s\": ", f);
    json_num(f, ok ? rows_per_s(&p->med) : -1);
    fputs(", \"mb_per_s\": ", f);
    json_num(f, ok ? mb_per_s(r, &p->med) : -1);
    fputs(", \"cpu_pollster_s\": ", f);
    json_num(f, ok ? p->med.cpu_client_s : -1);
    fputs(", \"cpu_server_s\": ", f);
    json_num(f, ok ? p->med.cpu_server_s : -1);
    fputs(", \"peak_rss_mib\": ", f);
    json_num(f, ok ? p->med.rss_mib : -1);
    fputs(", \"ratio_insert_select\": ", f);
    json_num(f, ok && ratio(r, &p->med) > 0 ? ratio(r, &p->med) : -1);
    fputs(", \"error\": ", f);
    json_str(f, p->error);
    fputs("}", f);
  }
  fputs("\n  ]\n}\n", f);
  if (fclose(f) != 0)
    return ERROR_SET(err, PS_EIO, "%s: %s", path, strerror(errno));
  return PS_OK;
}

static const char *find_gnuplot(void) {
  static const char *const c[] = {"/usr/bin/gnuplot", "/usr/local/bin/gnuplot", "/bin/gnuplot"};
  for (size_t i = 0; i < sizeof c / sizeof *c; i++)
    if (access(c[i], X_OK) == 0)
      return c[i];
  return NULL;
}

ps_status bench_report_plot(const bench_report *r, const char *dir, ps_error *err) {
  char dat[1024], gp[1024], svg[1024];
  snprintf(dat, sizeof dat, "%s/plot.dat", dir);
  snprintf(gp, sizeof gp, "%s/plot.gp", dir);
  snprintf(svg, sizeof svg, "%s/plot.svg", dir);
  FILE *d = fopen(dat, "w"), *g = d ? fopen(gp, "w") : NULL;
  if (!d || !g) {
    if (d)
      fclose(d);
    return ERROR_SET(err, PS_EIO, "%s: %s", d ? gp : dat, strerror(errno));
  }
  /* One gnuplot data block per line: workers x load_method x deferred. */
  size_t n_lines = 0;
  char titles[64][64];
  bool line_deferred[64];
  bool done[4096] = {false};
  for (size_t i = 0; i < r->n_points && i < 4096 && n_lines < 64; i++) {
    if (done[i] || !r->points[i].n_ok)
      continue;
    const bench_point *a = &r->points[i].p;
    snprintf(titles[n_lines], sizeof titles[n_lines], "%s, %u worker%s%s", method(a), a->workers,
             a->workers == 1 ? "" : "s", a->deferred ? ", deferred keys" : ", keys during load");
    line_deferred[n_lines] = a->deferred;
    fprintf(d, "# %s\n", titles[n_lines]);
    for (size_t j = i; j < r->n_points && j < 4096; j++) {
      const bench_point *b = &r->points[j].p;
      if (done[j] || !r->points[j].n_ok || b->workers != a->workers ||
          b->load_data != a->load_data || b->deferred != a->deferred)
        continue;
      done[j] = true;
      fprintf(d, "%zu %.1f\n", b->batch_rows, rows_per_s(&r->points[j].med));
    }
    fputs("\n\n", d);
    n_lines++;
  }
  fclose(d);
  fprintf(g,
          "set terminal svg size 1000,700 dynamic noenhanced font 'sans,12' background '#ffffff'\n"
          "set output '%s'\n"
          "set title 'pollster: %s table, scale %g (%lld rows): throughput against batch size'\n"
          "set xlabel 'batch_rows (log scale)'\nset ylabel 'rows per second'\n"
          "set logscale x\nset grid\nset key below\nset yrange [0:*]\n"
          "set format y '%%.0f'\n",
          svg, r->table, r->scale,
          r->n_points ? (long long)r->points[0].med.rows : 0LL);
  fputs("plot ", g);
  bool first = true;
  for (size_t k = 0; k < n_lines; k++) {
    /* Solid: deferred keys; dashed: keys maintained during the load. */
    fprintf(g, "%s'%s' index %zu using 1:2 with linespoints lw 2 dt %d title '%s'",
            first ? "" : ", \\\n  ", dat, k, line_deferred[k] ? 1 : 3, titles[k]);
    first = false;
  }
  for (int k = 0; k < BENCH_BL__COUNT; k++) {
    const bench_baseline_result *b = &r->baselines[k];
    if (!b->n_ok)
      continue;
    static const char *const label[] = {"server INSERT ... SELECT (all keys)",
                                        "server INSERT ... SELECT + ALTER ADD KEY",
                                        "server LOAD DATA INFILE + ALTER ADD KEY"};
    fprintf(g, "%s%.1f with lines dt %d lw 2 lc rgb '%s' title '%s'",
            first ? "" : ", \\\n  ", rows_per_s(&b->med), k + 2,
            k == 0 ? "#000000" : k == 1 ? "#666666" : "#aa0000", label[k]);
    first = false;
  }
  if (first)
    fputs("0 notitle", g);
  fputs("\n", g);
  fclose(g);
  const char *gnuplot = find_gnuplot();
  if (!gnuplot)
    return ERROR_SET(err, PS_EIO, "gnuplot not found (install gnuplot-nox); data in %s", dat);
  pid_t pid = fork();
  if (pid == 0) {
    execl(gnuplot, "gnuplot", gp, (char *)NULL);
    _exit(127);
  }
  int ws = 0;
  if (pid < 0 || waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
    return ERROR_SET(err, PS_EIO, "gnuplot %s failed", gp);
  return PS_OK;
}

static long best_point(const bench_report *r, int deferred /* -1 any */) {
  long best = -1;
  for (size_t i = 0; i < r->n_points; i++) {
    const bench_result *p = &r->points[i];
    if (!p->n_ok || (deferred >= 0 && p->p.deferred != (deferred == 1)))
      continue;
    if (best < 0 || rows_per_s(&p->med) > rows_per_s(&r->points[best].med))
      best = (long)i;
  }
  return best;
}

long bench_report_targets(FILE *out, const bench_report *r) {
  long best = best_point(r, -1), best_def = best_point(r, 1);
  const bench_baseline_result *b = &r->baselines[BENCH_BL_INSERT_SELECT];
  bool all = strcmp(r->table, "all") == 0;
  double limit = all ? 1.3 : 1.2;
  fprintf(out, "\ntargets (scale %g; the issue states them at scale 1):\n", r->scale);
  if (best < 0 || !b->n_ok) {
    fprintf(out, "  no successful point or no INSERT ... SELECT baseline: nothing to check\n");
    return best;
  }
  double rb = ratio(r, &r->points[best].med);
  fprintf(out, "  best setting vs INSERT ... SELECT: %.2fx (target <= %.1fx)  %s\n", rb, limit,
          rb <= limit ? "met" : "MISSED");
  if (!all && best_def >= 0) {
    double rd = ratio(r, &r->points[best_def].med);
    fprintf(out, "  best with deferred keys:           %.2fx (target < 1.0x)   %s\n", rd,
            rd < 1.0 ? "met" : "MISSED");
  }
  double max_rss = 0;
  for (size_t i = 0; i < r->n_points; i++)
    if (r->points[i].n_ok && r->points[i].p.batch_rows <= 20000 &&
        r->points[i].med.rss_mib > max_rss)
      max_rss = r->points[i].med.rss_mib;
  fprintf(out, "  peak RSS, batch_rows <= 20000:     %.1f MiB (target < 64)  %s\n", max_rss,
          max_rss < 64 ? "met" : "MISSED");
  double slow = -1;
  for (size_t i = 0; i < r->n_points; i++)
    if (r->points[i].n_ok && r->points[i].p.batch_rows == 1 &&
        (slow < 0 || rows_per_s(&r->points[i].med) > slow))
      slow = rows_per_s(&r->points[i].med);
  if (slow > 0) {
    double f = rows_per_s(&r->points[best].med) / slow;
    fprintf(out, "  best / one row per INSERT:         %.1fx (target >= 10x)  %s\n", f,
            f >= 10 ? "met" : "MISSED");
  } else {
    fprintf(out, "  best / one row per INSERT:         n/a (batch_rows 1 not in the grid)\n");
  }
  return best;
}

long bench_report_recommend(FILE *out, const bench_report *r) {
  long best = best_point(r, -1);
  if (best < 0)
    return -1;
  /* Among the points within 5% of the best (noise on a busy machine), the
   * one that costs least: fewest workers (connections), then smallest batch
   * (memory), and at most 64 MiB resident. */
  double top = rows_per_s(&r->points[best].med);
  long pick = best;
  for (size_t i = 0; i < r->n_points; i++) {
    const bench_result *p = &r->points[i];
    if (!p->n_ok || rows_per_s(&p->med) < 0.95 * top || p->med.rss_mib >= 64)
      continue;
    const bench_point *a = &p->p, *c = &r->points[pick].p;
    if (r->points[pick].med.rss_mib >= 64 || a->workers < c->workers ||
        (a->workers == c->workers && a->batch_rows < c->batch_rows))
      pick = (long)i;
  }
  const bench_result *p = &r->points[pick];
  fprintf(out,
          "\n# recommended by pollster-bench (%s table, scale %g): %.0f rows/s, %.2fx the "
          "server's own INSERT ... SELECT, peak RSS %.1f MiB\n"
          "engine:\n"
          "  workers: %u\n"
          "  batch_rows: %zu\n"
          "  batch_bytes: %zu%s\n"
          "  load_method: %s\n"
          "  deferred_indexes: %s\n",
          r->table, r->scale, rows_per_s(&p->med), ratio(r, &p->med), p->med.rss_mib,
          p->p.workers, p->p.batch_rows,
          p->p.batch_bytes % (1u << 20) == 0 ? p->p.batch_bytes >> 20 : p->p.batch_bytes >> 10,
          p->p.batch_bytes % (1u << 20) == 0 ? "MiB" : "KiB", method(&p->p),
          p->p.deferred ? "true" : "false");
  return pick;
}
