/* flavour: nova_api flavors, or on an old cloud (jobs: flavour: {source:
 * nova}) the legacy instance_types table of the first nova database. */
#include <stdio.h>
#include <string.h>

#include "extractors/catalog.h"

static const ex_col flavour_cols[] = {
    {"id", LOADER_INT, 0, true},
    {"uuid", LOADER_STR, 36, false},
    {"name", LOADER_STR, 255, false},
    {"vcpus", LOADER_INT, 0, false},
    {"memory", LOADER_INT, 0, false},
    {"root", LOADER_INT, 0, false},
    {"ephemeral", LOADER_INT, 0, false},
    {"public", LOADER_INT, 0, false},
    {"active", LOADER_INT, 0, false},
};
static const ex_table flavour_table = {"flavour", flavour_cols, 9};

static bool legacy(const ex_job *j) {
  return j->job_cfg->source && strcmp(j->job_cfg->source, "nova") == 0;
}

static ps_status flavour_unit(ex_job *j, size_t unit, ps_error *err) {
  (void)unit;
  char sql[512];
  if (legacy(j)) {
    /* Soft delete sets deleted = id: active = not deleted. */
    snprintf(sql, sizeof sql,
             "SELECT id, flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, is_public, "
             "COALESCE(deleted, 0) = 0 FROM `%s`.instance_types",
             ex__schema(j, SRC_NOVA, 0));
    return ex__copy(j, SRC_NOVA, 0, 0, "flavours (legacy instance_types)", sql, NULL, NULL,
                    err);
  }
  snprintf(sql, sizeof sql,
           "SELECT id, flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, is_public, 1 "
           "FROM `%s`.flavors",
           ex__schema(j, SRC_NOVA_API, 0));
  return ex__copy(j, SRC_NOVA_API, 0, 0, "flavours", sql, NULL, NULL, err);
}

static const extractor flavour = {
    .name = "flavour",
    .tables = {&flavour_table, NULL},
    .deps = {NULL},
    .needs = {SRC_NOVA_API, SRC__COUNT},
    .unit = flavour_unit,
};

const extractor *ex__flavour(void) { return &flavour; }
