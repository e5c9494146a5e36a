/* instance: nova instances of every cell (one unit per cell, in parallel),
 * full or incremental.  The AZ comes from the host -> AZ mapping, else the
 * instance's own column; cell_name from the row, else the configured cell. */
#include <stdio.h>

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

static ps_status instance_prepare(ex_job *j, size_t *n_units, ps_error *err) {
  strmap *az = NULL;
  ps_status s = ex__azmap_load(j, &az, err);
  j->state = az;
  *n_units = ex__cells(j);
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
  const char *az = row[12] ? ex__azmap_find(c->j->state, row[12], len[12], &az_len) : NULL;
  if (az)
    v[13] = ex__val(az, az_len);
  if (!row[14])
    v[14] = ex__lit(ex__cell_name(c->j, c->idx));
  return ex__out_row(c->out, v, err);
}

static ps_status instance_unit(ex_job *j, size_t cell, ps_error *err) {
  char sql[1536], where[256] = "";
  if (j->incremental)
    snprintf(where, sizeof where,
             " WHERE IFNULL(deleted_at, NOW()) > '%s' OR updated_at > '%s'", j->since,
             j->since);
  /* A NULL `deleted` counts as not deleted (nova always writes 0 or id). */
  snprintf(sql, sizeof sql,
           "SELECT project_id, uuid, display_name, vcpus, memory_mb, root_gb, ephemeral_gb, "
           "instance_type_id, user_id, created_at, deleted_at, COALESCE(deleted, 0) = 0, "
           "host, availability_zone, cell_name FROM `%s`.instances%s",
           ex__schema(j, SRC_NOVA, cell), where);
  char label[128];
  snprintf(label, sizeof label, "instances of cell %s", ex__cell_name(j, cell));
  return ex__copy(j, SRC_NOVA, cell, 0, label, sql, instance_row, NULL, err);
}

static void instance_cleanup(ex_job *j) {
  strmap_free(j->state);
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
