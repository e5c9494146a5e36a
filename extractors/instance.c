/* instance: nova instances of every cell (one unit per cell, or per id range
 * of a large cell, in parallel),
 * full or incremental.  The AZ comes from the host -> AZ mapping, else the
 * instance's own column; cell_name from the row, else the configured cell. */
#include <stdio.h>
#include <stdlib.h>

#include "extractors/azmap.h"
#include "extractors/catalog.h"

static const ex_col instance_cols[] = {
    {"project_id", LOADER_STR, 36, false},
    {"id", LOADER_STR, 36, true},
    {"name", LOADER_STR, 255, false},
    {"vcpus", LOADER_INT, 0, false},
    {"memory", LOADER_INT, 0, false},
    {"root", LOADER_INT, 0, false},
    {"ephemeral", LOADER_INT, 0, false},
    {"flavour", LOADER_INT, 0, false},
    {"created_by", LOADER_STR, 36, false},
    {"created", LOADER_DATETIME, 0, false},
    {"deleted", LOADER_DATETIME, 0, false},
    {"active", LOADER_INT, 0, false},
    {"hypervisor", LOADER_STR, 255, false},
    {"availability_zone", LOADER_STR, 255, false},
    {"cell_name", LOADER_STR, 255, false},
};
static const ex_table instance_table = {"instance", instance_cols, 15};

/* A large cell is read as several id ranges, so that several workers (and
 * several loader connections) share it. */
#define INSTANCE_RANGE_ROWS 200000

typedef struct instance_range {
  size_t cell;
  int64_t lo, hi; /* id range, inclusive; lo > hi = the whole table */
} instance_range;

typedef struct instance_state {
  strmap *az;
  instance_range *ranges;
  size_t n_ranges, cap;
  size_t cell; /* cell being measured */
} instance_state;

static ps_status bounds_row(void *ud, MYSQL_ROW row, const unsigned long *len, ps_error *err) {
  (void)len;
  instance_state *st = ud;
  int64_t lo = row[0] ? strtoll(row[0], NULL, 10) : 1, hi = row[1] ? strtoll(row[1], NULL, 10) : 0;
  int64_t n = row[2] ? strtoll(row[2], NULL, 10) : 0;
  size_t parts = (size_t)(n / INSTANCE_RANGE_ROWS) + 1;
  if (parts > st->cap)
    parts = st->cap;
  instance_range *r = realloc(st->ranges, (st->n_ranges + parts) * sizeof *r);
  if (!r)
    return ERROR_SET(err, PS_ENOMEM, "instance ranges");
  st->ranges = r;
  int64_t span = hi >= lo ? (hi - lo) / (int64_t)parts + 1 : 0;
  for (size_t k = 0; k < parts; k++) {
    instance_range *x = &st->ranges[st->n_ranges++];
    x->cell = st->cell;
    if (parts == 1) {
      x->lo = 1, x->hi = 0; /* whole table: also rows added since */
      continue;
    }
    /* The first and last ranges are open-ended, for rows added meanwhile. */
    x->lo = k == 0 ? INT64_MIN : lo + (int64_t)k * span;
    x->hi = k + 1 == parts ? INT64_MAX : lo + (int64_t)(k + 1) * span - 1;
  }
  return PS_OK;
}

static ps_status instance_prepare(ex_job *j, size_t *n_units, ps_error *err) {
  instance_state *st = calloc(1, sizeof *st);
  if (!st)
    return ERROR_SET(err, PS_ENOMEM, "instance");
  j->state = st;
  st->cap = j->cfg->engine.workers;
  ps_status s = ex__azmap_load(j, &st->az, err);
  for (size_t c = 0; s == PS_OK && c < ex__cells(j); c++) {
    char sql[256];
    st->cell = c;
    snprintf(sql, sizeof sql, "SELECT MIN(id), MAX(id), COUNT(*) FROM `%s`.instances",
             ex__schema(j, SRC_NOVA, c));
    size_t before = st->n_ranges;
    s = ex__query(j, SRC_NOVA, c, "instance id ranges", sql, bounds_row, st, err);
    if (s == PS_OK && st->n_ranges == before) { /* dry run: no rows */
      instance_range *r = realloc(st->ranges, (st->n_ranges + 1) * sizeof *r);
      if (!r)
        return ERROR_SET(err, PS_ENOMEM, "instance ranges");
      st->ranges = r;
      st->ranges[st->n_ranges++] = (instance_range){c, 1, 0};
    }
  }
  *n_units = st->n_ranges;
  return s;
}

static ps_status instance_row(void *ud, MYSQL_ROW row, const unsigned long *len,
                              ps_error *err) {
  ex_copy_ctx *c = ud;
  loader_value v[15];
  /* The query returns the table's columns in order; only the last two are
   * decided here. */
  for (size_t i = 0; i < 15; i++)
    v[i] = ex__val(row[i], len[i]);
  size_t az_len = 0;
  const instance_state *st = c->j->state;
  const char *az = row[12] ? ex__azmap_find(st->az, row[12], len[12], &az_len) : NULL;
  if (az)
    v[13] = ex__val(az, az_len);
  if (!row[14])
    v[14] = ex__lit(ex__cell_name(c->j, c->idx));
  return ex__out_row(c->out, v, err);
}

static ps_status instance_unit(ex_job *j, size_t unit, ps_error *err) {
  const instance_state *st = j->state;
  const instance_range *r = &st->ranges[unit];
  size_t cell = r->cell;
  char sql[1536], where[384] = "", range[128] = "";
  if (r->lo <= r->hi)
    snprintf(range, sizeof range, "id BETWEEN %lld AND %lld", (long long)r->lo,
             (long long)r->hi);
  if (j->incremental)
    snprintf(where, sizeof where,
             " WHERE (IFNULL(deleted_at, NOW()) > '%s' OR updated_at > '%s')%s%s", j->since,
             j->since, range[0] ? " AND " : "", range);
  else if (range[0])
    snprintf(where, sizeof where, " WHERE %s", range);
  /* A NULL `deleted` counts as not deleted (nova always writes 0 or id). */
  snprintf(sql, sizeof sql,
           "SELECT project_id, uuid, display_name, vcpus, memory_mb, root_gb, ephemeral_gb, "
           "instance_type_id, user_id, created_at, deleted_at, COALESCE(deleted, 0) = 0, "
           "host, availability_zone, cell_name FROM `%s`.instances%s",
           ex__schema(j, SRC_NOVA, cell), where);
  char label[160];
  snprintf(label, sizeof label, "instances of cell %s%s%s", ex__cell_name(j, cell),
           range[0] ? ", " : "", range);
  return ex__copy(j, SRC_NOVA, cell, 0, label, sql, instance_row, NULL, err);
}

static void instance_cleanup(ex_job *j) {
  instance_state *st = j->state;
  if (st) {
    strmap_free(st->az);
    free(st->ranges);
  }
  free(st);
  j->state = NULL;
}

static const extractor instance = {
    .name = "instance",
    .tables = {&instance_table, NULL},
    .deps = {"aggregate", NULL},
    .needs = {SRC_NOVA, SRC__COUNT},
    .flags = EX_INCREMENTAL,
    .prepare = instance_prepare,
    .unit = instance_unit,
    .cleanup = instance_cleanup,
};

const extractor *ex__instance(void) { return &instance; }
