/* allocation: the live, awarded allocation requests of the dashboard, one
 * per project.  Requests are streamed grouped by project (then in
 * modified_time order, ties by id), so only one project's requests are held
 * at a time; of several, the one keystone names in the project's `extra`
 * JSON (allocation_id) wins, else the first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "engine/log.h"
#include "extractors/catalog.h"
#include "extractors/strmap.h"
#include "extractors/json.h"

#define ALLOC_COLS 18

static const ex_col allocation_cols[ALLOC_COLS] = {
    {"id", LOADER_INT, 0, true},
    {"project_id", LOADER_STR, 36, false},
    {"project_name", LOADER_STR, 255, false},
    {"contact_email", LOADER_STR, 75, false},
    {"approver_email", LOADER_STR, 75, false},
    {"chief_investigator", LOADER_STR, 75, false},
    {"status", LOADER_STR, 1, false},
    {"start_date", LOADER_DATETIME, 0, false},
    {"end_date", LOADER_DATETIME, 0, false},
    {"modified_time", LOADER_DATETIME, 0, false},
    {"field_of_research_1", LOADER_STR, 6, false},
    {"for_percentage_1", LOADER_INT, 0, false},
    {"field_of_research_2", LOADER_STR, 6, false},
    {"for_percentage_2", LOADER_INT, 0, false},
    {"field_of_research_3", LOADER_STR, 6, false},
    {"for_percentage_3", LOADER_INT, 0, false},
    {"funding_national", LOADER_INT, 0, false},
    {"funding_node", LOADER_STR, 128, false},
};
static const ex_table allocation_table = {"allocation", allocation_cols, ALLOC_COLS};

typedef struct keystone_alloc {
  int64_t allocation_id;
} keystone_alloc;

/* The requests of the project being grouped: values copied into one buffer
 * (offsets, since it grows), reused from group to group. */
typedef struct group {
  char *buf;
  size_t used, cap;
  size_t (*off)[ALLOC_COLS]; /* SIZE_MAX = NULL */
  size_t (*len)[ALLOC_COLS];
  size_t n, rows_cap;
} group;

typedef struct alloc_state {
  strmap *keystone;  /* project id -> keystone_alloc */
  /* Incremental: ids of the requests changed since `since`, any status. */
  int64_t *touched;
  size_t n_touched, cap_touched;
} alloc_state;

typedef struct alloc_unit {
  ex_job *j;
  ex_out *out;
  const strmap *keystone;
  group g;
} alloc_unit;

static ps_status extra_row(void *ud, MYSQL_ROW row, const unsigned long *len, ps_error *err) {
  ex_job *j = ud;
  alloc_state *st = j->state;
  if (!row[0] || !row[1])
    return PS_OK;
  int64_t id = 0;
  bool found = false;
  if (json_object_get_int(row[1], len[1], "allocation_id", &id, &found, NULL) != PS_OK) {
    ex__warn_row(j, "keystone project extra is not valid JSON, allocation_id ignored", row[0]);
    return PS_OK;
  }
  if (!found)
    return PS_OK;
  keystone_alloc *k = strmap_put(st->keystone, row[0], len[0], NULL);
  if (!k)
    return ERROR_SET(err, PS_ENOMEM, "allocation lookups");
  k->allocation_id = id;
  return PS_OK;
}

static ps_status touched_row(void *ud, MYSQL_ROW row, const unsigned long *len,
                             ps_error *err) {
  alloc_state *st = ud;
  if (st->n_touched == st->cap_touched) {
    size_t cap = st->cap_touched ? st->cap_touched * 2 : 256;
    int64_t *t = realloc(st->touched, cap * sizeof *t);
    if (!t)
      return ERROR_SET(err, PS_ENOMEM, "allocation lookups");
    st->touched = t;
    st->cap_touched = cap;
  }
  (void)len;
  st->touched[st->n_touched++] = strtoll(row[0], NULL, 10);
  return PS_OK;
}

static ps_status allocation_prepare(ex_job *j, size_t *n_units, ps_error *err) {
  alloc_state *st = calloc(1, sizeof *st);
  if (!st)
    return ERROR_SET(err, PS_ENOMEM, "allocation lookups");
  j->state = st;
  st->keystone = strmap_create(sizeof(keystone_alloc));
  if (!st->keystone)
    return ERROR_SET(err, PS_ENOMEM, "allocation lookups");
  *n_units = 1;
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT id, extra FROM `%s`.project WHERE extra LIKE '%%allocation_id%%'",
           ex__schema(j, SRC_KEYSTONE, 0));
  ps_status s = ex__query(j, SRC_KEYSTONE, 0, "keystone allocation ids", sql, extra_row, j, err);
  if (s != PS_OK || !j->incremental)
    return s;
  snprintf(sql, sizeof sql,
           "SELECT id FROM `%s`.rcallocation_allocationrequest "
           "WHERE modified_time >= '%s'",
           ex__schema(j, SRC_DASHBOARD, 0), j->since);
  return ex__query(j, SRC_DASHBOARD, 0, "allocation requests changed since", sql, touched_row,
                   st, err);
}

/* Incremental: the changed requests' rows, and the rows of every project the
 * delta holds, leave the live table; the delta (which re-read all requests of
 * the projects changed requests name) puts back what a full refresh would
 * hold.  A request moved to another project leaves its old project without a
 * row until the next full refresh. */
static ps_status allocation_before_upsert(ex_job *j, MYSQL *m, ps_error *err) {
  alloc_state *st = j->state;
  const char *rep = ex__target_schema(j);
  char *sql = malloc(65536 + 2 * 256 + 16);
  if (!sql)
    return ERROR_SET(err, PS_ENOMEM, "allocation delta");
  ps_status s = PS_OK;
  for (size_t i = 0; s == PS_OK && i < st->n_touched; i += 1000) {
    size_t pos = (size_t)snprintf(sql, 256, "DELETE FROM `%s`.allocation WHERE id IN (", rep);
    for (size_t k = i; k < st->n_touched && k < i + 1000; k++)
      pos += (size_t)snprintf(sql + pos, 32, "%s%lld", k > i ? "," : "", (long long)st->touched[k]);
    snprintf(sql + pos, 8, ")");
    s = db_exec(m, sql, err);
  }
  free(sql);
  if (s == PS_OK)
    s = db_execf(m, err,
                 "DELETE FROM `%s`.allocation WHERE project_id IN (SELECT project_id FROM "
                 "`%s`.allocation__staging WHERE project_id IS NOT NULL)",
                 rep, j->cfg->target.state_schema);
  return s;
}

static bool group_add(group *g, MYSQL_ROW row, const unsigned long *len) {
  if (g->n == g->rows_cap) {
    size_t cap = g->rows_cap ? g->rows_cap * 2 : 8;
    void *o = realloc(g->off, cap * sizeof *g->off), *l = o ? realloc(g->len, cap * sizeof *g->len) : NULL;
    if (o)
      g->off = o;
    if (!l)
      return false;
    g->len = l;
    g->rows_cap = cap;
  }
  size_t need = 0;
  for (size_t i = 0; i < ALLOC_COLS; i++)
    need += row[i] ? len[i] : 0;
  if (g->used + need > g->cap) {
    size_t cap = (g->used + need) * 2 + 1024;
    char *b = realloc(g->buf, cap);
    if (!b)
      return false;
    g->buf = b;
    g->cap = cap;
  }
  for (size_t i = 0; i < ALLOC_COLS; i++) {
    g->off[g->n][i] = row[i] ? g->used : SIZE_MAX;
    g->len[g->n][i] = row[i] ? len[i] : 0;
    if (row[i]) {
      memcpy(g->buf + g->used, row[i], len[i]);
      g->used += len[i];
    }
  }
  g->n++;
  return true;
}

static ps_status emit(alloc_unit *u, size_t r, bool null_project, ps_error *err) {
  group *g = &u->g;
  loader_value v[ALLOC_COLS];
  for (size_t i = 0; i < ALLOC_COLS; i++)
    v[i] = g->off[r][i] == SIZE_MAX ? ex__null() : ex__val(g->buf + g->off[r][i], g->len[r][i]);
  if (null_project)
    v[1] = ex__null();
  return ex__out_row(u->out, v, err);
}

/* Pick the one request to keep of the current project's group. */
static ps_status flush_group(alloc_unit *u, ps_error *err) {
  group *g = &u->g;
  if (g->n == 0)
    return PS_OK;
  size_t keep = 0;
  if (g->n > 1) {
    const char *pid = g->buf + g->off[0][1];
    const keystone_alloc *k = strmap_get(u->keystone, pid, g->len[0][1]);
    bool named = false;
    for (size_t r = 0; k && r < g->n; r++) {
      char id[24];
      snprintf(id, sizeof id, "%.*s", (int)g->len[r][0], g->buf + g->off[r][0]);
      if (strtoll(id, NULL, 10) == k->allocation_id) {
        keep = r;
        named = true;
        break;
      }
    }
    if (!named)
      log_info("project %.*s has %zu allocation requests and keystone names none of them: "
               "keeping the first by modified_time (id %.*s)",
               (int)g->len[0][1], pid, g->n, (int)g->len[0][0], g->buf + g->off[0][0]);
  }
  ps_status s = emit(u, keep, false, err);
  g->n = 0;
  g->used = 0;
  return s;
}

static ps_status last_group(ex_copy_ctx *c, ps_error *err) {
  return flush_group(c->ud, err);
}

static ps_status allocation_row(void *ud, MYSQL_ROW row, const unsigned long *len,
                                ps_error *err) {
  ex_copy_ctx *c = ud;
  alloc_unit *u = c->ud;
  u->out = c->out;
  c->at_end = last_group;
  group *g = &u->g;
  if (!row[1] || len[1] == 0) {
    /* No project: every such request is kept, with a NULL project_id. */
    ps_status s = flush_group(u, err);
    if (s != PS_OK)
      return s;
    if (!group_add(g, row, len))
      return ERROR_SET(err, PS_ENOMEM, "allocation group");
    s = emit(u, 0, true, err);
    g->n = 0;
    g->used = 0;
    return s;
  }
  if (g->n && (g->len[0][1] != len[1] || memcmp(g->buf + g->off[0][1], row[1], len[1]) != 0)) {
    ps_status s = flush_group(u, err);
    if (s != PS_OK)
      return s;
  }
  return group_add(g, row, len) ? PS_OK : ERROR_SET(err, PS_ENOMEM, "allocation group");
}

static ps_status allocation_unit(ex_job *j, size_t unit, ps_error *err) {
  (void)unit;
  const char *db = ex__schema(j, SRC_DASHBOARD, 0);
  char sql[2560], where[512] = "";
  if (j->incremental)
    /* A changed request re-decides its whole project: read every live
     * request of the projects touched since `since`. */
    snprintf(where, sizeof where,
             " AND (ra.modified_time >= '%s' OR ra.project_id IN (SELECT t.project_id FROM "
             "`%s`.rcallocation_allocationrequest t WHERE t.modified_time >= '%s' "
             "AND t.project_id <> ''))",
             j->since, db, j->since);
  snprintf(sql, sizeof sql,
           "SELECT ra.id, ra.project_id, ra.project_name, ra.contact_email, ra.approver_email, "
           "(SELECT MIN(ci.email) FROM `%s`.rcallocation_chiefinvestigator ci "
           "WHERE ci.allocation_id = ra.id), ra.status, ra.start_date, ra.end_date, "
           "ra.modified_time, ra.field_of_research_1, ra.for_percentage_1, "
           "ra.field_of_research_2, ra.for_percentage_2, ra.field_of_research_3, "
           "ra.for_percentage_3, ra.funding_national_percent, ra.funding_node "
           "FROM `%s`.rcallocation_allocationrequest ra "
           "WHERE ra.parent_request_id IS NULL AND ra.status IN ('A', 'X', 'J')%s "
           "ORDER BY BINARY ra.project_id, ra.modified_time, ra.id",
           db, db, where);
  alloc_unit u = {.j = j, .keystone = ((alloc_state *)j->state)->keystone};
  ps_status s = ex__copy(j, SRC_DASHBOARD, 0, 0, "allocation requests", sql, allocation_row,
                         &u, err);
  free(u.g.buf);
  free(u.g.off);
  free(u.g.len);
  return s;
}

static void allocation_cleanup(ex_job *j) {
  alloc_state *st = j->state;
  if (st) {
    strmap_free(st->keystone);
    free(st->touched);
  }
  free(st);
  j->state = NULL;
}

static const extractor allocation = {
    .name = "allocation",
    .tables = {&allocation_table, NULL},
    .deps = {NULL},
    .needs = {SRC_DASHBOARD, SRC_KEYSTONE, SRC__COUNT},
    .flags = EX_INCREMENTAL,
    .prepare = allocation_prepare,
    .unit = allocation_unit,
    .before_upsert = allocation_before_upsert,
    .cleanup = allocation_cleanup,
};

const extractor *ex__allocation(void) { return &allocation; }
