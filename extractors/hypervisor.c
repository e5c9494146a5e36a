/* hypervisor: nova compute nodes of every cell, history-keeping; the AZ comes
 * from the aggregate job's host -> AZ mapping, else the cell's name. */
#include <stdio.h>

#include "extractors/azmap.h"
#include "extractors/catalog.h"

static const ex_col hypervisor_cols[] = {
    {"id", LOADER_INT, 0, true},
    {"availability_zone", LOADER_STR, 255, true},
    {"host", LOADER_STR, 255, true},
    {"hostname", LOADER_STR, 255, false},
    {"ip_address", LOADER_STR, 39, false},
    {"cpus", LOADER_INT, 0, false},
    {"memory", LOADER_INT, 0, false},
    {"local_storage", LOADER_INT, 0, false},
    {"last_seen", LOADER_DATETIME, 0, false},
    {"active", LOADER_INT, 0, false},
};
static const ex_table hypervisor_table = {"hypervisor", hypervisor_cols, 10};

static ps_status hypervisor_prepare(ex_job *j, size_t *n_units, ps_error *err) {
  strmap *az = NULL;
  ps_status s = ex__azmap_load(j, &az, err);
  j->state = az;
  *n_units = ex__cells(j);
  return s;
}

static ps_status hypervisor_row(void *ud, MYSQL_ROW row, const unsigned long *len,
                                ps_error *err) {
  ex_copy_ctx *c = ud;
  const strmap *azmap = c->j->state;
  /* row: id, hypervisor_hostname, host_ip, vcpus, memory_mb, local_gb */
  loader_value v[10];
  v[0] = ex__val(row[0], len[0]);
  v[2] = row[1] ? ex__val(row[1], ex__short_host_len(row[1], len[1])) : ex__null();
  size_t az_len = 0;
  const char *az = row[1] ? ex__azmap_find(azmap, row[1], len[1], &az_len) : NULL;
  v[1] = az ? ex__val(az, az_len) : ex__lit(ex__cell_name(c->j, c->idx));
  v[3] = ex__val(row[1], len[1]);
  v[4] = ex__val(row[2], len[2]);
  v[5] = ex__val(row[3], len[3]);
  v[6] = ex__val(row[4], len[4]);
  v[7] = ex__val(row[5], len[5]);
  v[8] = ex__lit(c->j->started);
  v[9] = ex__lit("1");
  return ex__out_row(c->out, v, err);
}

static ps_status hypervisor_unit(ex_job *j, size_t cell, ps_error *err) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT id, hypervisor_hostname, host_ip, vcpus, memory_mb, local_gb "
           "FROM `%s`.compute_nodes WHERE COALESCE(deleted, 0) = 0",
           ex__schema(j, SRC_NOVA, cell));
  char label[128];
  snprintf(label, sizeof label, "compute nodes of cell %s", ex__cell_name(j, cell));
  return ex__copy(j, SRC_NOVA, cell, 0, label, sql, hypervisor_row, NULL, err);
}

static void hypervisor_cleanup(ex_job *j) {
  strmap_free(j->state);
  j->state = NULL;
}

static const extractor hypervisor = {
    .name = "hypervisor",
    .tables = {&hypervisor_table, NULL},
    .deps = {"aggregate", NULL},
    .needs = {SRC_NOVA, SRC__COUNT},
    .flags = EX_HISTORY,
    .prepare = hypervisor_prepare,
    .unit = hypervisor_unit,
    .cleanup = hypervisor_cleanup,
};

const extractor *ex__hypervisor(void) { return &hypervisor; }
