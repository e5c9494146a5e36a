/* pollster-gen against the private server: row counts and proportions at
 * scale 0.01, the presence of every edge case the reporting rules must
 * survive, determinism per seed, the incremental update and the Newton
 * glance shape.  Each test drops the schemas it made. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "engine/db.h"
#include "tests/support/testdb.h"

static const char *const dbs[] = {"keystone", "nova_api", "cinder", "glance", "rcshibboleth",
                                  "dashboard", "nova_cell1", "nova_cell2", "nova_cell3"};
enum { N_DBS = sizeof dbs / sizeof *dbs };

/* Run pollster-gen with the given extra arguments; returns its exit status. */
static int run_gen(const char *prefix, const char *args) {
  char *bin = testdb_binary_path("pollster-gen");
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "%s --socket '%s' --prefix %s --quiet %s", bin, testdb_socket(),
           prefix, args);
  free(bin);
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void drop_all(MYSQL *m, const char *prefix) {
  for (size_t i = 0; i < N_DBS; i++)
    testdb_exec(m, "DROP DATABASE IF EXISTS `%s_%s`", prefix, dbs[i]);
}

/* Whether a query (printf-style) returns at least one row. */
static bool HAS(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool HAS(MYSQL *m, const char *fmt, ...) {
  char *inner = NULL;
  va_list ap;
  va_start(ap, fmt);
  cr_assert(vasprintf(&inner, fmt, ap) >= 0);
  va_end(ap);
  int64_t n = testdb_i64(m, "SELECT COUNT(*) FROM (%s LIMIT 1) x", inner);
  free(inner);
  return n > 0;
}

static int64_t instances_total(MYSQL *m, const char *p, const char *where) {
  return testdb_i64(m,
                    "SELECT (SELECT COUNT(*) FROM `%s_nova_cell1`.instances %s) + "
                    "(SELECT COUNT(*) FROM `%s_nova_cell2`.instances %s) + "
                    "(SELECT COUNT(*) FROM `%s_nova_cell3`.instances %s)",
                    p, where, p, where, p, where);
}

Test(gen, counts_proportions_and_edge_cases, .timeout = 120) {
  MYSQL *m = testdb_connect();
  char p[64];
  testdb_unique(p, sizeof p, "gen");
  cr_assert_eq(run_gen(p, "--scale 0.01 --seed 1 --cells 3"), 0);

  /* Counts. */
  cr_expect_eq(instances_total(m, p, ""), 10000);
  for (int c = 1; c <= 3; c++) {
    int64_t n = testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_cell%d`.instances", p, c);
    cr_expect(n >= 3333 && n <= 3334, "cell %d: %lld instances", c, (long long)n);
  }
  int64_t projects = testdb_i64(m, "SELECT COUNT(*) FROM `%s_keystone`.project WHERE is_domain = 0", p);
  cr_expect_eq(projects, 500);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_keystone`.user", p), 600);
  int64_t assign = testdb_i64(m, "SELECT COUNT(*) FROM `%s_keystone`.assignment", p);
  cr_expect(assign >= 1200 && assign <= 1800, "assignments: %lld", (long long)assign);
  int64_t nodes = testdb_i64(m,
                             "SELECT (SELECT COUNT(*) FROM `%s_nova_cell1`.compute_nodes WHERE deleted = 0) + "
                             "(SELECT COUNT(*) FROM `%s_nova_cell2`.compute_nodes WHERE deleted = 0) + "
                             "(SELECT COUNT(*) FROM `%s_nova_cell3`.compute_nodes WHERE deleted = 0)",
                             p, p, p);
  cr_expect_eq(nodes, 20);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_api`.flavors", p), 8);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_api`.aggregates", p), 6);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_cinder`.volumes", p), 2000);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_glance`.images", p), 500);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_dashboard`.rcallocation_allocationrequest", p), 200);

  /* Proportions. */
  int64_t deleted = instances_total(m, p, "WHERE deleted <> 0");
  cr_expect(deleted > 2800 && deleted < 3800, "deleted instances: %lld", (long long)deleted);
  int64_t pt = testdb_i64(m, "SELECT COUNT(*) FROM `%s_keystone`.project WHERE is_domain = 0 AND name LIKE 'pt-%%'", p);
  cr_expect(pt * 100 >= projects * 30 && pt * 100 <= projects * 36, "pt- projects: %lld", (long long)pt);
  int64_t shib = testdb_i64(m, "SELECT COUNT(*) FROM `%s_keystone`.user k WHERE EXISTS "
                               "(SELECT 1 FROM `%s_rcshibboleth`.user s WHERE s.user_id = k.id)", p, p);
  cr_expect(shib >= 510 && shib < 590, "users with a shibboleth row: %lld", (long long)shib);
  int64_t az_aggs = testdb_i64(m, "SELECT COUNT(DISTINCT aggregate_id) FROM `%s_nova_api`.aggregate_metadata "
                                  "WHERE `key` = 'availability_zone'", p);
  cr_expect(az_aggs >= 4, "aggregates with an AZ: %lld of 6", (long long)az_aggs);
  /* Skew: the ten busiest projects own far more than 10/500 of the instances. */
  int64_t top = testdb_i64(m, "SELECT SUM(n) FROM (SELECT project_id, COUNT(*) n FROM ("
                              "SELECT project_id FROM `%s_nova_cell1`.instances UNION ALL "
                              "SELECT project_id FROM `%s_nova_cell2`.instances UNION ALL "
                              "SELECT project_id FROM `%s_nova_cell3`.instances) a "
                              "GROUP BY project_id ORDER BY n DESC LIMIT 10) t", p, p, p);
  cr_expect(top > 1500, "top ten projects own %lld instances", (long long)top);

  /* keystone shapes. */
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.project WHERE id = '<<keystone.domain.root>>' "
                   "AND domain_id = id AND is_domain = 1", p));
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_keystone`.role WHERE name IN ('TenantManager', 'Member') "
                             "AND domain_id = '<<null>>'", p), 2);
  const char *direct = "a.type = 'UserProject' AND a.inherited = 0";
  cr_expect(HAS(m, "SELECT a.target_id FROM `%s_keystone`.assignment a JOIN `%s_keystone`.role r ON r.id = a.role_id "
                   "WHERE %s AND r.name = 'TenantManager' GROUP BY a.target_id HAVING COUNT(*) >= 2", p, p, direct),
            "a project with several TenantManagers");
  cr_expect(HAS(m, "SELECT a.target_id FROM `%s_keystone`.assignment a JOIN `%s_keystone`.role r ON r.id = a.role_id "
                   "WHERE %s GROUP BY a.target_id HAVING SUM(r.name = 'Member') > 0 AND SUM(r.name = 'TenantManager') = 0",
                p, p, direct), "a project with only Members");
  cr_expect(HAS(m, "SELECT id FROM `%s_keystone`.project pr WHERE is_domain = 0 AND NOT EXISTS (SELECT 1 FROM "
                   "`%s_keystone`.assignment a JOIN `%s_keystone`.role r ON r.id = a.role_id WHERE %s AND "
                   "a.target_id = pr.id AND r.name IN ('TenantManager', 'Member'))", p, p, p, direct),
            "a project with neither");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.assignment WHERE type = 'GroupProject'", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.assignment WHERE type = 'UserDomain'", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.assignment WHERE type = 'UserProject' AND inherited = 1", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.assignment a WHERE a.type = 'UserProject' AND NOT EXISTS "
                   "(SELECT 1 FROM `%s_keystone`.user u WHERE u.id = a.actor_id)", p, p), "an unknown user");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.assignment a WHERE a.type = 'UserProject' AND NOT EXISTS "
                   "(SELECT 1 FROM `%s_keystone`.project pr WHERE pr.id = a.target_id)", p, p), "an unknown project");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.project WHERE extra LIKE '{\"allocation_id\": %%}'", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.project WHERE extra = '{}' AND is_domain = 0", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.project WHERE extra IS NULL", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.project WHERE extra LIKE '%%expires%%' AND extra NOT LIKE '%%allocation_id%%'", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.project WHERE CHAR_LENGTH(name) = 64", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.user WHERE CHAR_LENGTH(id) = 64", p));

  /* rcshibboleth pickles. */
  const char *shu = "rcshibboleth`.user";
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE LEFT(shibboleth_attributes, 4) = '(dp0'", p, shu), "protocol 0");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE LEFT(shibboleth_attributes, 3) = X'80027D'", p, shu), "protocol 2");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE LOCATE('\\nV', shibboleth_attributes) > 0", p, shu), "V opcodes");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE LOCATE('\\nS\\'', shibboleth_attributes) > 0", p, shu), "S opcodes");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE LEFT(shibboleth_attributes, 2) = X'8002' "
                   "AND LOCATE(X'71015507', shibboleth_attributes) = 0 AND LOCATE('U', shibboleth_attributes) > 0", p, shu));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE LOCATE('\\\\U0001f52c', shibboleth_attributes) > 0", p, shu),
            "a non-BMP character escaped in protocol 0");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE LOCATE(X'F09F94AC', shibboleth_attributes) > 0", p, shu),
            "4-byte UTF-8 in protocol 2");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE shibboleth_attributes IS NULL", p, shu));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE shibboleth_attributes IS NOT NULL AND "
                   "(RIGHT(shibboleth_attributes, 1) <> '.' OR LEFT(shibboleth_attributes, 2) NOT IN ('(d', X'8002'))", p, shu),
            "malformed pickles");
  static const char *const keys[] = {"organisation", "homeorganisation", "orginisation", "organisationtype"};
  for (size_t i = 0; i < 4; i++)
    cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE LOCATE('%s', shibboleth_attributes) > 0", p, shu, keys[i]),
              "key %s", keys[i]);
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE RIGHT(shibboleth_attributes, 1) = '.' AND LOCATE('mail', shibboleth_attributes) > 0 "
                   "AND LOCATE('organi', shibboleth_attributes) = 0 AND LOCATE('orgini', shibboleth_attributes) = 0", p, shu),
            "only mail");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE RIGHT(shibboleth_attributes, 1) = '.' AND LOCATE('mail', shibboleth_attributes) = 0", p, shu),
            "no mail");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE user_id IS NULL", p, shu));

  /* nova. */
  cr_expect_eq(instances_total(m, p, "WHERE deleted <> 0 AND (deleted <> id OR deleted_at IS NULL OR deleted_at < created_at)"), 0);
  cr_expect(instances_total(m, p, "WHERE deleted <> 0 AND DATE(deleted_at) = DATE(created_at)") > 0);
  cr_expect(testdb_i64(m, "SELECT TIMESTAMPDIFF(YEAR, MIN(created_at), MAX(created_at)) FROM `%s_nova_cell1`.instances", p) >= 8);
  int64_t cell_named = instances_total(m, p, "WHERE cell_name IS NOT NULL");
  cr_expect(cell_named > 0 && cell_named < 2000, "cell_name set on %lld", (long long)cell_named);
  cr_expect(instances_total(m, p, "WHERE cell_name = 'api!cell2'") > 0);
  cr_expect(instances_total(m, p, "WHERE availability_zone IS NULL") > 0);
  cr_expect(instances_total(m, p, "WHERE availability_zone IS NOT NULL") > 0);
  cr_expect(instances_total(m, p, "WHERE host IS NULL") > 0);
  cr_expect_eq(instances_total(m, p, "WHERE host LIKE '%.%'"), 0, "instances name short hosts");
  cr_expect(instances_total(m, p, "WHERE display_name = ''") > 0);
  cr_expect(instances_total(m, p, "WHERE display_name IS NULL") > 0);
  cr_expect(instances_total(m, p, "WHERE CHAR_LENGTH(display_name) < LENGTH(display_name)") > 0, "multi-byte names");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_cell1`.compute_nodes WHERE hypervisor_hostname LIKE '%%.cell1.example.org'", p));
  cr_expect(HAS(m, "SELECT 1 FROM (SELECT hypervisor_hostname h FROM `%s_nova_cell1`.compute_nodes UNION ALL "
                   "SELECT hypervisor_hostname FROM `%s_nova_cell2`.compute_nodes UNION ALL "
                   "SELECT hypervisor_hostname FROM `%s_nova_cell3`.compute_nodes) n WHERE h NOT LIKE '%%.%%'", p, p, p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_api`.aggregate_hosts WHERE host LIKE '%%.%%'", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_api`.aggregate_hosts WHERE host NOT LIKE '%%.%%'", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_api`.aggregates a WHERE NOT EXISTS (SELECT 1 FROM "
                   "`%s_nova_api`.aggregate_metadata md WHERE md.aggregate_id = a.id AND md.`key` = 'availability_zone')", p, p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_api`.aggregate_metadata WHERE `key` <> 'availability_zone'", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_cell1`.compute_nodes c WHERE c.deleted = 0 AND NOT EXISTS (SELECT 1 FROM "
                   "`%s_nova_api`.aggregate_hosts h WHERE SUBSTRING_INDEX(h.host, '.', 1) = c.host)", p, p),
            "a host in no aggregate");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_cell1`.compute_nodes WHERE deleted <> 0", p) ||
                HAS(m, "SELECT 1 FROM `%s_nova_cell2`.compute_nodes WHERE deleted <> 0", p) ||
                HAS(m, "SELECT 1 FROM `%s_nova_cell3`.compute_nodes WHERE deleted <> 0", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_api`.flavors WHERE is_public = 0", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_api`.flavors WHERE is_public = 1", p));
  cr_expect(HAS(m, "SELECT flavorid FROM `%s_nova_cell1`.instance_types WHERE deleted <> 0 GROUP BY flavorid HAVING COUNT(*) >= 2", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_cell1`.instance_types WHERE deleted = 0", p));

  /* quotas. */
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_api`.quotas WHERE hard_limit = -1", p));
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(DISTINCT resource) FROM `%s_nova_api`.quotas", p), 3);
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.project pr WHERE is_domain = 0 AND NOT EXISTS "
                   "(SELECT 1 FROM `%s_nova_api`.quotas q WHERE q.project_id = pr.id)", p, p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_cell1`.quotas WHERE deleted <> 0", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_cell1`.quotas c JOIN `%s_nova_api`.quotas a USING (project_id, resource) "
                   "WHERE c.deleted = 0 AND c.hard_limit <> a.hard_limit", p, p), "a cell value that disagrees");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_nova_cell1`.quotas c WHERE c.deleted = 0 AND NOT EXISTS "
                   "(SELECT 1 FROM `%s_nova_api`.quotas a WHERE a.project_id = c.project_id)", p, p), "only legacy rows");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_cinder`.quotas WHERE resource LIKE 'gigabytes\\_%%'", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_cinder`.quotas WHERE resource LIKE 'volumes\\_%%'", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_cinder`.quotas WHERE hard_limit = -1", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_cinder`.quotas WHERE deleted = 1", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.project pr WHERE is_domain = 0 AND NOT EXISTS "
                   "(SELECT 1 FROM `%s_cinder`.quotas q WHERE q.project_id = pr.id)", p, p));

  /* cinder and glance. */
  cr_expect(HAS(m, "SELECT volume_id FROM `%s_cinder`.volume_attachment WHERE deleted = 0 GROUP BY volume_id HAVING COUNT(*) >= 2", p),
            "a volume with several live attachments");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_cinder`.volumes v WHERE NOT EXISTS (SELECT 1 FROM "
                   "`%s_cinder`.volume_attachment a WHERE a.volume_id = v.id)", p, p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_cinder`.volume_attachment WHERE deleted = 1", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_cinder`.volumes WHERE deleted = 1", p));
  cr_expect(testdb_i64(m, "SELECT COUNT(DISTINCT attach_status) FROM `%s_cinder`.volume_attachment", p) >= 3);
  cr_expect(HAS(m, "SELECT 1 FROM `%s_cinder`.volumes WHERE CHAR_LENGTH(display_name) > 64", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_cinder`.volumes WHERE display_name = ''", p));
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(DISTINCT visibility) FROM `%s_glance`.images", p), 4);
  cr_expect(HAS(m, "SELECT 1 FROM `%s_glance`.images WHERE deleted = 1", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_glance`.images WHERE owner IS NULL", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_glance`.images WHERE size IS NULL", p));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_glance`.images WHERE name IS NULL", p));

  /* dashboard. */
  const char *ar = "dashboard`.rcallocation_allocationrequest";
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE parent_request_id IS NOT NULL", p, ar));
  cr_expect(testdb_i64(m, "SELECT COUNT(DISTINCT status) FROM `%s_%s WHERE status NOT IN ('A', 'X', 'J')", p, ar) >= 5);
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE project_id = ''", p, ar));
  cr_expect(HAS(m, "SELECT 1 FROM `%s_%s WHERE project_id IS NULL", p, ar));
  cr_expect(HAS(m, "SELECT project_id FROM `%s_%s WHERE parent_request_id IS NULL AND project_id <> '' "
                   "GROUP BY project_id HAVING COUNT(*) >= 2", p, ar), "several requests for one project");
  cr_expect(HAS(m, "SELECT modified_time FROM `%s_%s WHERE parent_request_id IS NULL GROUP BY modified_time "
                   "HAVING COUNT(*) >= 2", p, ar), "modified_time ties");
  cr_expect(HAS(m, "SELECT allocation_id FROM `%s_dashboard`.rcallocation_chiefinvestigator GROUP BY allocation_id "
                   "HAVING COUNT(*) >= 2", p), "several chief investigators");
  cr_expect(HAS(m, "SELECT 1 FROM `%s_keystone`.project pr WHERE JSON_VALUE(pr.extra, '$.allocation_id') IS NOT NULL "
                   "AND NOT EXISTS (SELECT 1 FROM `%s_%s a WHERE a.project_id = pr.id AND "
                   "a.id = JSON_VALUE(pr.extra, '$.allocation_id'))", p, p, ar), "an allocation_id that is not theirs");
  cr_expect(HAS(m, "SELECT a.project_id FROM `%s_%s a JOIN `%s_keystone`.project pr ON pr.id = a.project_id "
                   "WHERE a.parent_request_id IS NULL AND a.id = JSON_VALUE(pr.extra, '$.allocation_id')", p, ar, p));

  drop_all(m, p);
  db_close(m);
}

/* CHECKSUM TABLE of every table of every schema of a prefix, concatenated. */
static char *checksums(MYSQL *m, const char *p) {
  size_t cap = 1 << 16, len = 0;
  char *out = calloc(1, cap);
  for (size_t i = 0; i < N_DBS; i++) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT table_name FROM information_schema.tables WHERE table_schema = '%s_%s' "
             "ORDER BY table_name", p, dbs[i]);
    cr_assert(mysql_query(m, sql) == 0, "%s", mysql_error(m));
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row;
    char names[32][64];
    int n = 0;
    while ((row = mysql_fetch_row(res)) && n < 32)
      snprintf(names[n++], 64, "%s", row[0]);
    mysql_free_result(res);
    cr_assert(n > 0, "schema %s_%s has no tables", p, dbs[i]);
    for (int t = 0; t < n; t++) {
      char sum[256];
      snprintf(sum, sizeof sum, "CHECKSUM TABLE `%s_%s`.`%s`", p, dbs[i], names[t]);
      cr_assert(mysql_query(m, sum) == 0, "%s", mysql_error(m));
      res = mysql_store_result(m);
      row = mysql_fetch_row(res);
      len += (size_t)snprintf(out + len, cap - len, "%s.%s=%s\n", dbs[i], names[t], row[1] ? row[1] : "NULL");
      mysql_free_result(res);
    }
  }
  return out;
}

Test(gen, deterministic_per_seed, .timeout = 180) {
  MYSQL *m = testdb_connect();
  char a[64], b[64], c[64];
  testdb_unique(a, sizeof a, "gen");
  testdb_unique(b, sizeof b, "gen");
  testdb_unique(c, sizeof c, "gen");
  cr_assert_eq(run_gen(a, "--scale 0.01 --seed 1 --cells 3"), 0);
  cr_assert_eq(run_gen(b, "--scale 0.01 --seed 1 --cells 3"), 0);
  cr_assert_eq(run_gen(c, "--scale 0.01 --seed 2 --cells 3"), 0);
  char *sa = checksums(m, a), *sb = checksums(m, b), *sc = checksums(m, c);
  cr_expect_str_eq(sa, sb, "same seed, same data");
  cr_expect(strstr(sa, "nova_cell1.instances=") != NULL);
  /* Every table with generated content differs for another seed (role and
   * the fixed-shape tables aside). */
  const char *line = strstr(sa, "nova_cell1.instances=");
  const char *other = strstr(sc, "nova_cell1.instances=");
  cr_expect(strncmp(line, other, strcspn(line, "\n")) != 0, "seed 2 gives other instances");
  line = strstr(sa, "rcshibboleth.user=");
  other = strstr(sc, "rcshibboleth.user=");
  cr_expect(strncmp(line, other, strcspn(line, "\n")) != 0, "seed 2 gives other pickles");
  free(sa), free(sb), free(sc);
  drop_all(m, a), drop_all(m, b), drop_all(m, c);
  db_close(m);
}

Test(gen, update_fraction_touches_rows, .timeout = 120) {
  MYSQL *m = testdb_connect();
  char p[64];
  testdb_unique(p, sizeof p, "gen");
  cr_assert_eq(run_gen(p, "--scale 0.01 --seed 1 --cells 1"), 0);
  /* The generated data is stamped no later than the fixed reference date. */
  const char *ref = "2026-11-01 00:00:00";
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_cell1`.instances WHERE updated_at > '%s' "
                             "OR deleted_at > '%s' OR created_at > '%s'", p, ref, ref, ref), 0);
  int64_t before = testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_cell1`.instances", p);
  int64_t live = testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_cell1`.instances WHERE deleted = 0", p);
  int64_t vols = testdb_i64(m, "SELECT COUNT(*) FROM `%s_cinder`.volumes", p);
  int64_t imgs = testdb_i64(m, "SELECT COUNT(*) FROM `%s_glance`.images", p);
  int64_t allocs = testdb_i64(m, "SELECT COUNT(*) FROM `%s_dashboard`.rcallocation_allocationrequest", p);
  char start[32];
  time_t t0 = time(NULL) - 2;
  strftime(start, sizeof start, "%Y-%m-%d %H:%M:%S", gmtime(&t0));

  cr_assert_eq(run_gen(p, "--scale 0.01 --seed 1 --cells 1 --update-fraction 0.05"), 0);
  int64_t after = testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_cell1`.instances", p);
  cr_expect(after > before && after <= before + before / 50, "instances %lld -> %lld", (long long)before, (long long)after);
  int64_t touched = testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_cell1`.instances WHERE updated_at >= '%s'", p, start);
  cr_expect(touched > before / 50 && touched < before / 8, "touched %lld of %lld", (long long)touched, (long long)before);
  int64_t died = testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_cell1`.instances WHERE deleted_at >= '%s' AND deleted = id", p, start);
  cr_expect(died > 0 && died < live / 20, "deleted now: %lld", (long long)died);
  cr_expect(testdb_i64(m, "SELECT COUNT(*) FROM `%s_nova_cell1`.instances WHERE created_at >= '%s' AND updated_at = created_at "
                          "AND deleted = 0", p, start) == after - before);
  cr_expect(testdb_i64(m, "SELECT COUNT(*) FROM `%s_cinder`.volumes", p) > vols);
  cr_expect(testdb_i64(m, "SELECT COUNT(*) FROM `%s_cinder`.volumes WHERE deleted_at >= '%s'", p, start) > 0);
  cr_expect(testdb_i64(m, "SELECT COUNT(*) FROM `%s_glance`.images", p) > imgs);
  cr_expect(testdb_i64(m, "SELECT COUNT(*) FROM `%s_glance`.images WHERE updated_at >= '%s' AND deleted = 0", p, start) > 0);
  cr_expect(testdb_i64(m, "SELECT COUNT(*) FROM `%s_dashboard`.rcallocation_allocationrequest", p) > allocs);
  cr_expect(testdb_i64(m, "SELECT COUNT(*) FROM `%s_dashboard`.rcallocation_allocationrequest WHERE modified_time >= '%s' "
                          "AND id <= %lld", p, start, (long long)allocs) > 0);
  /* Untouched databases stay as they were. */
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM `%s_keystone`.project WHERE is_domain = 0", p), 500);
  drop_all(m, p);
  db_close(m);
}

Test(gen, legacy_glance_has_is_public, .timeout = 60) {
  MYSQL *m = testdb_connect();
  char p[64];
  testdb_unique(p, sizeof p, "gen");
  cr_assert_eq(run_gen(p, "--scale 0.001 --seed 3 --cells 1 --legacy-glance"), 0);
  cr_expect_eq(testdb_i64(m, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = '%s_glance' "
                             "AND table_name = 'images' AND column_name = 'visibility'", p), 0);
  cr_expect(testdb_i64(m, "SELECT COUNT(*) FROM `%s_glance`.images WHERE is_public = 1", p) > 0);
  cr_expect(testdb_i64(m, "SELECT COUNT(*) FROM `%s_glance`.images WHERE is_public = 0", p) > 0);
  drop_all(m, p);
  db_close(m);
}

Test(gen, bad_command_lines_fail, .timeout = 30) {
  cr_expect_eq(run_gen("genbad", "--scale 0.01"), 2, "--seed is required");
  cr_expect_eq(run_gen("genbad", "--scale 0 --seed 1"), 2);
  cr_expect_eq(run_gen("genbad", "--scale 0.01 --seed 1 --cells 0"), 2);
  cr_expect_eq(run_gen("bad-prefix", "--scale 0.01 --seed 1"), 2);
}
