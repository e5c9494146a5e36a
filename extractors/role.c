/* role: who holds which role on which project (direct user assignments whose
 * user and project both exist in keystone). */
#include <stdio.h>

#include "extractors/catalog.h"

static const ex_col role_cols[] = {
    {"role", LOADER_STR, 255, true},
    {"user", LOADER_STR, 64, true},
    {"project", LOADER_STR, 36, true},
};
static const ex_table role_table = {"role", role_cols, 3};

static ps_status role_unit(ex_job *j, size_t unit, ps_error *err) {
  (void)unit;
  const char *ks = ex__schema(j, SRC_KEYSTONE, 0);
  char sql[1024];
  /* DISTINCT: an assignment may exist inherited and not, or through two
   * roles of the same name in different domains; the table keeps one row. */
  snprintf(sql, sizeof sql,
           "SELECT DISTINCT r.name, a.actor_id, a.target_id FROM `%s`.assignment a "
           "JOIN `%s`.role r ON r.id = a.role_id WHERE a.type = 'UserProject' "
           "AND EXISTS (SELECT 1 FROM `%s`.user u WHERE u.id = a.actor_id) "
           "AND EXISTS (SELECT 1 FROM `%s`.project p WHERE p.id = a.target_id)",
           ks, ks, ks, ks);
  return ex__copy(j, SRC_KEYSTONE, 0, 0, "role assignments", sql, NULL, NULL, err);
}

static const extractor role = {
    .name = "role",
    .tables = {&role_table, NULL},
    .deps = {NULL},
    .needs = {SRC_KEYSTONE, SRC__COUNT},
    .unit = role_unit,
};

const extractor *ex__role(void) { return &role; }
