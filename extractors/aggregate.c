/* aggregate (+ aggregate_host): nova_api host aggregates and their hosts,
 * history-keeping, published together in one RENAME so that the host -> AZ
 * mapping never disagrees with the aggregates it came from. */
#include <stdio.h>

#include "extractors/catalog.h"

static const ex_col aggregate_cols[] = {
    {"id", LOADER_INT, 0, true},
    {"availability_zone", LOADER_STR, 255, true},
    {"name", LOADER_STR, 255, false},
    {"created", LOADER_DATETIME, 0, false},
    {"deleted", LOADER_DATETIME, 0, false},
    {"active", LOADER_INT, 0, false},
};
static const ex_table aggregate_table = {"aggregate", aggregate_cols, 6};

static const ex_col aggregate_host_cols[] = {
    {"id", LOADER_INT, 0, true},
    {"availability_zone", LOADER_STR, 255, true},
    {"host", LOADER_STR, 255, true},
    {"last_seen", LOADER_DATETIME, 0, false},
    {"active", LOADER_INT, 0, false},
};
static const ex_table aggregate_host_table = {"aggregate_host", aggregate_host_cols, 5};

static ps_status aggregate_prepare(ex_job *j, size_t *n_units, ps_error *err) {
  (void)j;
  (void)err;
  *n_units = 2; /* one per table */
  return PS_OK;
}

static ps_status aggregate_unit(ex_job *j, size_t unit, ps_error *err) {
  const char *api = ex__schema(j, SRC_NOVA_API, 0);
  char sql[1024];
  if (unit == 0) {
    /* '' when the aggregate has no availability_zone metadata; an aggregate
     * is never deleted in nova_api (hard delete), history keeping sets
     * `deleted` when it goes missing. */
    snprintf(sql, sizeof sql,
             "SELECT a.id, COALESCE(m.value, ''), a.name, a.created_at, NULL, 1 "
             "FROM `%s`.aggregates a LEFT JOIN `%s`.aggregate_metadata m "
             "ON m.aggregate_id = a.id AND m.`key` = 'availability_zone'",
             api, api);
    return ex__copy(j, SRC_NOVA_API, 0, 0, "aggregates", sql, NULL, NULL, err);
  }
  /* Only aggregates with an availability zone map hosts to AZs. */
  snprintf(sql, sizeof sql,
           "SELECT DISTINCT a.id, m.value, SUBSTRING_INDEX(h.host, '.', 1), '%s', 1 "
           "FROM `%s`.aggregates a JOIN `%s`.aggregate_metadata m "
           "ON m.aggregate_id = a.id AND m.`key` = 'availability_zone' AND m.value <> '' "
           "JOIN `%s`.aggregate_hosts h ON h.aggregate_id = a.id",
           j->started, api, api, api);
  return ex__copy(j, SRC_NOVA_API, 0, 1, "aggregate hosts", sql, NULL, NULL, err);
}

static const extractor aggregate = {
    .name = "aggregate",
    .tables = {&aggregate_table, &aggregate_host_table, NULL},
    .deps = {NULL},
    .needs = {SRC_NOVA_API, SRC__COUNT},
    .flags = EX_HISTORY,
    .prepare = aggregate_prepare,
    .unit = aggregate_unit,
};

const extractor *ex__aggregate(void) { return &aggregate; }
