/* Invariants on generated data: a scale-0.01 cloud with three cells from
 * pollster-gen, refreshed by `pollster run`, checked table by table against
 * independent SQL over the sources; then an incremental run after
 * `pollster-gen --update-fraction` must equal a forced full run. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/db.h"
#include "extractors/org.h"
#include "extractors/pickle.h"
#include "tests/support/testdb.h"

#define CELLS 3

static MYSQL *m;
static char p[64];      /* source prefix */
static char rep[96];    /* reporting schema */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *cmd = NULL;
  cr_assert(vasprintf(&cmd, fmt, ap) >= 0);
  va_end(ap);
  int rc = system(cmd);
  free(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void gen(const char *extra) {
  char *bin = testdb_binary_path("pollster-gen");
  cr_assert_eq(sh("%s --socket %s --prefix %s --scale 0.01 --seed 7 --cells %d --quiet %s", bin,
                  testdb_socket(), p, CELLS, extra ? extra : ""),
               0, "pollster-gen failed");
  free(bin);
}

static void run(const char *cfg, const char *args) {
  char *bin = testdb_binary_path("pollster");
  cr_assert_eq(sh("%s run -q -c %s %s", bin, cfg, args), 0, "pollster run %s failed", args);
  free(bin);
}

/* "UNION ALL" of a SELECT over every cell's table; %s in `tmpl` is the cell schema. */
static char *cells_union(const char *tmpl) {
  char *out = strdup("");
  for (int c = 1; c <= CELLS; c++) {
    char schema[96], *part = NULL, *next = NULL;
    snprintf(schema, sizeof schema, "%s_nova_cell%d", p, c);
    cr_assert(asprintf(&part, tmpl, schema) >= 0);
    cr_assert(asprintf(&next, "%s%s%s", out, c > 1 ? " UNION ALL " : "", part) >= 0);
    free(out);
    free(part);
    out = next;
  }
  return out;
}

static void setup(void) {
  m = testdb_connect();
  testdb_unique(p, sizeof p, "inv");
  snprintf(rep, sizeof rep, "%s_reporting", p);
  gen(NULL);
}

static void teardown(void) {
  static const char *const dbs[] = {"keystone", "nova_api", "cinder", "glance",
                                    "rcshibboleth", "dashboard", "reporting",
                                    "reporting_pollster", "full", "full_pollster"};
  for (size_t i = 0; i < sizeof dbs / sizeof *dbs; i++)
    testdb_exec(m, "DROP DATABASE IF EXISTS `%s_%s`", p, dbs[i]);
  for (int c = 1; c <= CELLS; c++)
    testdb_exec(m, "DROP DATABASE IF EXISTS `%s_nova_cell%d`", p, c);
  db_close(m);
}

TestSuite(invariants, .init = setup, .fini = teardown, .timeout = 300);

Test(invariants, tables_agree_with_the_sources) {
  char *cfg = testdb_write_config(p, CELLS, NULL);
  run(cfg, "");

  /* Row counts. */
  char *u = cells_union("SELECT uuid FROM `%s`.instances");
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.instance", rep),
               testdb_i64(m, "SELECT COUNT(DISTINCT uuid) FROM (%s) x", u));
  free(u);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.project", rep),
               testdb_i64(m, "SELECT COUNT(*) FROM `%s_keystone`.project WHERE is_domain = 0", p));
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.user", rep),
               testdb_i64(m, "SELECT COUNT(DISTINCT k.id) FROM `%s_keystone`.user k JOIN "
                             "`%s_rcshibboleth`.user r ON r.user_id = k.id", p, p));
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.volume", rep),
               testdb_i64(m, "SELECT COUNT(*) FROM `%s_cinder`.volumes", p));
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.image", rep),
               testdb_i64(m, "SELECT COUNT(*) FROM `%s_glance`.images", p));
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.flavour", rep),
               testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_api`.flavors", p));
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.aggregate", rep),
               testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_api`.aggregates", p));
  u = cells_union("SELECT hypervisor_hostname FROM `%s`.compute_nodes WHERE deleted = 0 "
                  "AND hypervisor_hostname IS NOT NULL");
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.hypervisor", rep),
               testdb_i64(m, "SELECT COUNT(*) FROM (%s) x", u));
  free(u);
  /* One allocation per project (plus every request without a project). */
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.allocation", rep),
               testdb_i64(m, "SELECT COUNT(DISTINCT NULLIF(project_id, '')) + "
                             "SUM(project_id IS NULL OR project_id = '') FROM "
                             "`%s_dashboard`.rcallocation_allocationrequest WHERE "
                             "parent_request_id IS NULL AND status IN ('A','X','J')", p));
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM (SELECT project_id FROM `%s`.allocation "
                             "WHERE project_id IS NOT NULL GROUP BY project_id "
                             "HAVING COUNT(*) > 1) x", rep), 0);

  /* Sums of vcpus and memory per project, compared as one checksum. */
  u = cells_union("SELECT LEFT(project_id, 36) p, vcpus, memory_mb FROM `%s`.instances");
  cr_expect_eq(testdb_i64(m, "SELECT SUM(CRC32(CONCAT_WS(',', p, v, mem))) FROM (SELECT "
                             "project_id p, SUM(vcpus) v, SUM(memory) mem FROM `%s`.instance "
                             "GROUP BY project_id) x", rep),
               testdb_i64(m, "SELECT SUM(CRC32(CONCAT_WS(',', p, v, mem))) FROM (SELECT p, "
                             "SUM(vcpus) v, SUM(memory_mb) mem FROM (%s) i GROUP BY p) x", u));
  free(u);

  /* has_instances: projects owning an instance row in any cell. */
  u = cells_union("SELECT project_id FROM `%s`.instances");
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.project WHERE has_instances", rep),
               testdb_i64(m, "SELECT COUNT(*) FROM `%s_keystone`.project k WHERE is_domain = 0 "
                             "AND k.id IN (%s)", p, u));
  free(u);
  cr_expect_gt(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.project WHERE has_instances", rep), 0);

  /* historical_usage on a few days, computed directly over the sources. */
  u = cells_union("SELECT created_at, deleted_at, vcpus, memory_mb, "
                  "COALESCE(root_gb, 0) + COALESCE(ephemeral_gb, 0) st FROM `%s`.instances");
  MYSQL_RES *res;
  cr_assert_eq(mysql_query(m, "SELECT 1"), 0);
  mysql_free_result(mysql_store_result(m));
  char q[1024];
  snprintf(q, sizeof q, "SELECT day FROM `%s`.historical_usage ORDER BY RAND(3) LIMIT 6", rep);
  cr_assert_eq(mysql_query(m, q), 0, "%s", mysql_error(m));
  res = mysql_store_result(m);
  cr_assert_eq(mysql_num_rows(res), 6);
  MYSQL_ROW row;
  while ((row = mysql_fetch_row(res))) {
    int64_t want = testdb_i64(m, "SELECT COALESCE(SUM(vcpus), 0) + COALESCE(SUM(memory_mb), 0) * 7 + "
                                 "COALESCE(SUM(st), 0) * 13 FROM (%s) i WHERE DATE(created_at) <= '%s' "
                                 "AND (deleted_at IS NULL OR DATE(deleted_at) > '%s')", u, row[0], row[0]);
    int64_t got = testdb_i64(m, "SELECT vcpus + memory * 7 + local_storage * 13 FROM "
                                "`%s`.historical_usage WHERE day = '%s'", rep, row[0]);
    cr_expect_eq(got, want, "historical_usage on %s", row[0]);
  }
  mysql_free_result(res);
  cr_expect_eq(testdb_i64(m, "SELECT DATEDIFF(UTC_DATE(), MAX(day)) FROM `%s`.historical_usage", rep), 1,
               "the last day is yesterday");
  cr_expect_eq(testdb_i64(m, "SELECT TO_DAYS(MIN(day)) FROM `%s`.historical_usage", rep),
               testdb_i64(m, "SELECT TO_DAYS(MIN(created_at)) FROM (%s) i", u),
               "the first day is the earliest creation day");
  free(u);

  /* Organisation of sampled projects: owner chosen by SQL here, attributes
   * decoded with the pickle reader. */
  snprintf(q, sizeof q,
           "SELECT a.target_id, COALESCE(MIN(CASE WHEN r.name = 'TenantManager' THEN a.actor_id END), "
           "MIN(CASE WHEN r.name = 'Member' THEN a.actor_id END)) FROM `%s_keystone`.assignment a "
           "JOIN `%s_keystone`.role r ON r.id = a.role_id JOIN `%s_keystone`.project kp ON kp.id = "
           "a.target_id AND kp.is_domain = 0 WHERE a.type = 'UserProject' AND a.inherited = 0 "
           "GROUP BY a.target_id ORDER BY RAND(5) LIMIT 40", p, p, p);
  cr_assert_eq(mysql_query(m, q), 0, "%s", mysql_error(m));
  res = mysql_store_result(m);
  int checked = 0;
  while ((row = mysql_fetch_row(res))) {
    if (!row[1])
      continue;
    char *blob = NULL;
    int64_t n = testdb_i64(m, "SELECT COUNT(*) FROM `%s_rcshibboleth`.user WHERE user_id = '%s'",
                           p, row[1]);
    if (n == 0)
      continue;
    char sq[1024];
    snprintf(sq, sizeof sq, "SELECT HEX(shibboleth_attributes) FROM `%s_rcshibboleth`.user "
                            "WHERE user_id = '%s' ORDER BY id DESC LIMIT 1", p, row[1]);
    blob = testdb_str(m, "%s", sq);
    char want[1024] = "";
    const char *org = NULL;
    if (blob) {
      size_t len = strlen(blob) / 2;
      unsigned char *bytes = malloc(len + 1);
      for (size_t i = 0; i < len; i++)
        sscanf(blob + 2 * i, "%2hhx", &bytes[i]);
      pickle_dict *d = NULL;
      if (pickle_read_dict(bytes, len, &d, NULL) == PS_OK)
        org = org_from_attributes(d, want, sizeof want);
      pickle_dict_free(d);
      free(bytes);
    }
    char *got = testdb_str(m, "SELECT organisation FROM `%s`.project WHERE id = '%s'", rep, row[0]);
    if (org)
      cr_expect(got && strncmp(got, org, strlen(got)) == 0, "project %s: organisation '%s', want '%s'",
                row[0], got ? got : "NULL", org);
    else
      cr_expect_null(got, "project %s: organisation '%s', want NULL", row[0], got);
    free(got);
    free(blob);
    checked++;
  }
  mysql_free_result(res);
  cr_expect_gt(checked, 10);

  /* Nothing but the contract's tables is visible to readers. */
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '%s'",
                          rep), 13);
  unlink(cfg);
  free(cfg);
}

/* Content of a table as one number (every column), for comparing two runs. */
static int64_t table_sum(const char *schema, const char *table, const char *cols) {
  return testdb_i64(m, "SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', %s))), 0) + COUNT(*) FROM `%s`.`%s`",
                    cols, schema, table);
}

Test(invariants, incremental_equals_full_after_updates) {
  char *inc = testdb_write_config(p, CELLS,
                                  "jobs:\n"
                                  "  instance: { mode: incremental }\n"
                                  "  volume: { mode: incremental }\n"
                                  "  image: { mode: incremental }\n"
                                  "  allocation: { mode: incremental }\n");
  run(inc, "");
  sleep(1); /* updated_at of the changes is after the first refresh started */
  gen("--update-fraction 0.05");
  run(inc, "");
  /* A forced full refresh of the same sources into another schema. */
  char *full = testdb_write_config(p, CELLS, NULL);
  char *cmd = NULL;
  cr_assert(asprintf(&cmd, "sed -i 's/schema: %s_reporting }/schema: %s_full }/' %s", p, p, full) >= 0);
  cr_assert_eq(system(cmd), 0);
  free(cmd);
  run(full, "--force-update");
  char fs[96];
  snprintf(fs, sizeof fs, "%s_full", p);
  static const struct { const char *t, *cols; } tables[] = {
      {"instance", "project_id, id, name, vcpus, memory, root, ephemeral, flavour, created_by, "
                   "created, deleted, active, hypervisor, availability_zone, cell_name"},
      {"volume", "id, project_id, display_name, size, created, deleted, attached, instance_uuid, "
                 "availability_zone, active"},
      {"image", "id, project_id, name, size, status, public, created, deleted, active"},
      {"allocation", "id, project_id, project_name, contact_email, approver_email, "
                     "chief_investigator, status, start_date, end_date, modified_time, "
                     "field_of_research_1, for_percentage_1, funding_national, funding_node"},
      {"project", "id, display_name, organisation, enabled, personal, has_instances, "
                  "quota_instances, quota_vcpus, quota_memory, quota_volume_total"},
      {"historical_usage", "day, vcpus, memory, local_storage"},
  };
  cr_expect_gt(testdb_i64(m, "SELECT COUNT(*) FROM `%s`.instance WHERE deleted > UTC_TIMESTAMP() - "
                             "INTERVAL 1 HOUR", rep), 0, "the update deleted some instances");
  for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
    cr_expect_eq(table_sum(rep, tables[i].t, tables[i].cols), table_sum(fs, tables[i].t, tables[i].cols),
                 "incremental and full %s differ", tables[i].t);
  unlink(inc);
  unlink(full);
  free(inc);
  free(full);
}
