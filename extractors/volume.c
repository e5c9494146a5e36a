/* volume: cinder volumes, one row each however many live attachments they
 * have (instance_uuid = the smallest attached instance). */
#include <stdio.h>

#include "extractors/catalog.h"

static const ex_col volume_cols[] = {
    {"id", LOADER_STR, 36, true},
    {"project_id", LOADER_STR, 36, false},
    {"display_name", LOADER_STR, 64, false},
    {"size", LOADER_INT, 0, false},
    {"created", LOADER_DATETIME, 0, false},
    {"deleted", LOADER_DATETIME, 0, false},
    {"attached", LOADER_INT, 0, false},
    {"instance_uuid", LOADER_STR, 36, false},
    {"availability_zone", LOADER_STR, 255, false},
    {"active", LOADER_INT, 0, false},
};
static const ex_table volume_table = {"volume", volume_cols, 10};

static ps_status volume_unit(ex_job *j, size_t unit, ps_error *err) {
  (void)unit;
  const char *cinder = ex__schema(j, SRC_CINDER, 0);
  char sql[1536], where[256] = "";
  if (j->incremental)
    snprintf(where, sizeof where,
             " WHERE IFNULL(v.deleted_at, NOW()) > '%s' OR v.updated_at > '%s'", j->since,
             j->since);
  /* A NULL attach_status is not attached; a NULL deleted is not deleted. */
  snprintf(sql, sizeof sql,
           "SELECT v.id, v.project_id, v.display_name, v.size, v.created_at, v.deleted_at, "
           "COALESCE(v.attach_status = 'attached', 0), MIN(a.instance_uuid), "
           "v.availability_zone, COALESCE(v.deleted, 0) = 0 "
           "FROM `%s`.volumes v LEFT JOIN `%s`.volume_attachment a "
           "ON a.volume_id = v.id AND COALESCE(a.deleted, 0) = 0%s GROUP BY v.id",
           cinder, cinder, where);
  return ex__copy(j, SRC_CINDER, 0, 0, "volumes", sql, NULL, NULL, err);
}

static const extractor volume = {
    .name = "volume",
    .tables = {&volume_table, NULL},
    .deps = {NULL},
    .needs = {SRC_CINDER, SRC__COUNT},
    .flags = EX_INCREMENTAL,
    .unit = volume_unit,
};

const extractor *ex__volume(void) { return &volume; }
