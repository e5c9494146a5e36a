/* image: glance images; public = visibility 'public', or is_public on a
 * glance older than Ocata (detected from the table's columns). */
#include <stdio.h>
#include <stdlib.h>

#include "extractors/catalog.h"

static const ex_col image_cols[] = {
    {"id", LOADER_STR, 36, true},
    {"project_id", LOADER_STR, 36, false},
    {"name", LOADER_STR, 255, false},
    {"size", LOADER_INT, 0, false},
    {"status", LOADER_STR, 30, false},
    {"public", LOADER_INT, 0, false},
    {"created", LOADER_DATETIME, 0, false},
    {"deleted", LOADER_DATETIME, 0, false},
    {"active", LOADER_INT, 0, false},
};
static const ex_table image_table = {"image", image_cols, 9};

typedef struct image_state {
  bool has_visibility;
} image_state;

static ps_status column_row(void *ud, MYSQL_ROW row, const unsigned long *len, ps_error *err) {
  (void)len;
  (void)err;
  ((image_state *)ud)->has_visibility = row[0] && atoi(row[0]) > 0;
  return PS_OK;
}

static ps_status image_prepare(ex_job *j, size_t *n_units, ps_error *err) {
  image_state *st = calloc(1, sizeof *st);
  if (!st)
    return ERROR_SET(err, PS_ENOMEM, "image");
  st->has_visibility = true; /* what a dry run shows */
  j->state = st;
  *n_units = 1;
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' "
           "AND TABLE_NAME = 'images' AND COLUMN_NAME = 'visibility'",
           ex__schema(j, SRC_GLANCE, 0));
  return ex__query(j, SRC_GLANCE, 0, "glance images: visibility or is_public", sql,
                   column_row, st, err);
}

static ps_status image_unit(ex_job *j, size_t unit, ps_error *err) {
  (void)unit;
  const image_state *st = j->state;
  char sql[1024], where[256] = "";
  if (j->incremental)
    snprintf(where, sizeof where,
             " WHERE IFNULL(deleted_at, NOW()) > '%s' OR updated_at > '%s'", j->since,
             j->since);
  snprintf(sql, sizeof sql,
           "SELECT id, owner, name, size, status, %s, created_at, deleted_at, "
           "COALESCE(deleted, 0) = 0 FROM `%s`.images%s",
           st->has_visibility ? "visibility = 'public'" : "is_public <> 0",
           ex__schema(j, SRC_GLANCE, 0), where);
  return ex__copy(j, SRC_GLANCE, 0, 0, "images", sql, NULL, NULL, err);
}

static void image_cleanup(ex_job *j) {
  free(j->state);
  j->state = NULL;
}

static const extractor image = {
    .name = "image",
    .tables = {&image_table, NULL},
    .deps = {NULL},
    .needs = {SRC_GLANCE, SRC__COUNT},
    .flags = EX_INCREMENTAL,
    .prepare = image_prepare,
    .unit = image_unit,
    .cleanup = image_cleanup,
};

const extractor *ex__image(void) { return &image; }
