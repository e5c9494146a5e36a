/* historical_usage: daily totals of what the instances held, derived from
 * the live instance table.  One pass over the instances fills a difference
 * array (+usage on the created day, -usage on the end day), one pass over
 * the days turns it into running totals: O(instances + days), never
 * instances x days.  Memory: three int64 per day (~30 years = 260 KiB). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/log.h"
#include "extractors/catalog.h"

static const ex_col usage_cols[] = {
    {"day", LOADER_DATETIME, 0, true},
    {"vcpus", LOADER_INT, 0, false},
    {"memory", LOADER_INT, 0, false},
    {"local_storage", LOADER_INT, 0, false},
};
static const ex_table usage_table = {"historical_usage", usage_cols, 4};

typedef struct usage_delta {
  int64_t vcpus, memory, storage;
} usage_delta;

/* Days are counted from 1970-01-01; diff[d - lo] holds day d's change. */
typedef struct usage_state {
  int64_t today;      /* the refresh's day: never written (it is not over) */
  int64_t lo, first;  /* array base; earliest created day seen (INT64_MAX = none) */
  usage_delta *diff;
  size_t cap;         /* diff covers days lo .. lo + cap - 1 */
} usage_state;

static int64_t parse_day(const char *s, unsigned long len) {
  /* 'YYYY-MM-DD[ HH:MM:SS]' -> days since 1970-01-01 (civil-from-days
   * inverse, Howard Hinnant's algorithm); -1 on bad input. */
  if (!s || len < 10 || s[4] != '-' || s[7] != '-')
    return INT64_MIN;
  int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
  if (m < 1 || m > 12 || d < 1 || d > 31)
    return INT64_MIN;
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void format_day(int64_t day, char out[11]) {
  time_t t = (time_t)(day * 86400);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Make diff cover `day` (never beyond today). */
static bool usage_cover(usage_state *u, int64_t day) {
  if (u->diff && day >= u->lo)
    return true;
  int64_t hi = u->today; /* exclusive end: entries lo .. today */
  int64_t lo = u->diff ? u->lo : day;
  while (lo > day)
    lo -= (u->today - lo) + 1; /* double the span downwards */
  if (lo > day)
    lo = day;
  size_t cap = (size_t)(hi - lo + 1);
  usage_delta *n = calloc(cap, sizeof *n);
  if (!n)
    return false;
  if (u->diff)
    memcpy(n + (u->lo - lo), u->diff, u->cap * sizeof *n);
  free(u->diff);
  u->diff = n;
  u->lo = lo;
  u->cap = cap;
  return true;
}

static int64_t num(const char *s) { return s ? strtoll(s, NULL, 10) : 0; }

static ps_status usage_row(void *ud, MYSQL_ROW row, const unsigned long *len, ps_error *err) {
  usage_state *u = ud;
  /* row: created, deleted, vcpus, memory, root, ephemeral */
  int64_t cd = parse_day(row[0], len[0]);
  if (cd == INT64_MIN)
    return PS_OK; /* no creation time: alive on no day */
  if (cd < u->first)
    u->first = cd;
  int64_t ed = row[1] ? parse_day(row[1], len[1]) : u->today;
  if (ed == INT64_MIN || ed > u->today)
    ed = u->today;
  if (ed <= cd)
    return PS_OK; /* deleted on (or before) its creation day: contributes nothing */
  if (!usage_cover(u, cd))
    return ERROR_SET(err, PS_ENOMEM, "historical_usage: day array");
  /* NULL sizes count as 0. */
  int64_t vc = num(row[2]), mem = num(row[3]), st = num(row[4]) + num(row[5]);
  usage_delta *a = &u->diff[cd - u->lo], *b = &u->diff[ed - u->lo];
  a->vcpus += vc, a->memory += mem, a->storage += st;
  b->vcpus -= vc, b->memory -= mem, b->storage -= st;
  return PS_OK;
}

static ps_status usage_prepare(ex_job *j, size_t *n_units, ps_error *err) {
  usage_state *u = calloc(1, sizeof *u);
  if (!u)
    return ERROR_SET(err, PS_ENOMEM, "historical_usage");
  j->state = u;
  u->today = j->started_epoch / 86400;
  u->first = INT64_MAX;
  *n_units = 1;
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT created, deleted, vcpus, memory, root, ephemeral FROM `%s`.instance "
           "WHERE created IS NOT NULL",
           ex__target_schema(j));
  return ex__query_target(j, "instances (live table)", sql, usage_row, u, err);
}

static void clamp(ex_job *j, int64_t *v, const char *col, const char *day) {
  if (*v <= INT32_MAX && *v >= INT32_MIN)
    return;
  char what[96];
  snprintf(what, sizeof what, "%s total %lld exceeds the int column, stored as its limit", col,
           (long long)*v);
  *v = *v > 0 ? INT32_MAX : INT32_MIN;
  ex__warn_row(j, what, day);
  atomic_fetch_add(&j->rows_fixed, 1);
}

static ps_status usage_unit(ex_job *j, size_t unit, ps_error *err) {
  (void)unit;
  usage_state *u = j->state;
  MYSQL *target = NULL;
  ps_status s = ex__target_begin(j, &target, err);
  if (s != PS_OK)
    return s;
  ex_out *o = ex__out_open(j, 0, target, err);
  if (!o) {
    s = err ? err->status : PS_EINTERNAL;
    goto out;
  }
  usage_delta run = {0, 0, 0};
  for (int64_t d = u->first; s == PS_OK && d < u->today; d++) {
    if (u->diff && d >= u->lo) {
      const usage_delta *x = &u->diff[d - u->lo];
      run.vcpus += x->vcpus, run.memory += x->memory, run.storage += x->storage;
    }
    char day[11], vc[24], mem[24], st[24];
    format_day(d, day);
    int64_t a = run.vcpus, b = run.memory, c = run.storage;
    clamp(j, &a, "vcpus", day), clamp(j, &b, "memory", day), clamp(j, &c, "local_storage", day);
    snprintf(vc, sizeof vc, "%lld", (long long)a);
    snprintf(mem, sizeof mem, "%lld", (long long)b);
    snprintf(st, sizeof st, "%lld", (long long)c);
    loader_value v[4] = {ex__lit(day), ex__lit(vc), ex__lit(mem), ex__lit(st)};
    s = ex__out_row(o, v, err);
  }
  ps_status s2 = ex__out_close(o, s == PS_OK, err);
  if (s == PS_OK)
    s = s2;
out:
  ex__target_end(j, target, s != PS_OK);
  return s;
}

static void usage_cleanup(ex_job *j) {
  usage_state *u = j->state;
  if (u)
    free(u->diff);
  free(u);
  j->state = NULL;
}

static const extractor historical_usage = {
    .name = "historical_usage",
    .tables = {&usage_table, NULL},
    .deps = {"instance", NULL},
    .needs = {SRC__COUNT},
    .flags = 0,
    .prepare = usage_prepare,
    .unit = usage_unit,
    .cleanup = usage_cleanup,
};

const extractor *ex__historical_usage(void) { return &historical_usage; }
