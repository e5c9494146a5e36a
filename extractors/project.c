/* project: keystone projects with their quotas (nova_api, then the cells'
 * legacy rows; cinder sums), whether they own instances, and the owner's
 * organisation from the Shibboleth attributes.  The sources may live on
 * different servers, so every join across them is done here, in lookups
 * built by prepare (one entry per project or owner: bounded by the number of
 * projects, not by the instances). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extractors/catalog.h"
#include "extractors/strmap.h"
#include "extractors/org.h"
#include "extractors/pickle.h"

static const ex_col project_cols[] = {
    {"id", LOADER_STR, 36, true},
    {"display_name", LOADER_STR, 64, false},
    {"organisation", LOADER_STR, 255, false},
    {"description", LOADER_STR, 0, false},
    {"enabled", LOADER_INT, 0, false},
    {"personal", LOADER_INT, 0, false},
    {"has_instances", LOADER_INT, 0, false},
    {"quota_instances", LOADER_INT, 0, false},
    {"quota_vcpus", LOADER_INT, 0, false},
    {"quota_memory", LOADER_INT, 0, false},
    {"quota_volume_total", LOADER_INT, 0, false},
    {"quota_snapshot", LOADER_INT, 0, false},
    {"quota_volume_count", LOADER_INT, 0, false},
};
static const ex_table project_table = {"project", project_cols, 13};

/* A quota value: present (a row exists) and maybe NULL. */
typedef struct quota {
  const char *text; /* NULL = SQL NULL */
  bool present;
} quota;

enum { Q_INSTANCES, Q_CORES, Q_RAM, Q_GIGABYTES, Q_SNAPSHOTS, Q_VOLUMES, Q__COUNT };

typedef struct proj_info {
  quota q[Q__COUNT];
  bool has_instances;
  const char *owner; /* user id (in the map's arena), NULL = none */
} proj_info;

typedef struct owner_info {
  const char *org;   /* organisation, NULL = none */
  bool unreadable;   /* the pickle could not be read */
} owner_info;

typedef struct project_state {
  strmap *projects; /* project id -> proj_info */
  strmap *owners;   /* user id -> owner_info */
} project_state;

static proj_info *proj(project_state *st, const char *id, unsigned long len, ps_error *err) {
  proj_info *p = strmap_put(st->projects, id, len, NULL);
  if (!p)
    ERROR_SET(err, PS_ENOMEM, "project lookups");
  return p;
}

static ps_status set_quota(project_state *st, quota *q, const char *v, unsigned long len,
                           ps_error *err) {
  q->present = true;
  q->text = v ? strmap_strdup(st->projects, v, len) : NULL;
  return (v && !q->text) ? ERROR_SET(err, PS_ENOMEM, "project lookups") : PS_OK;
}

/* Nova quota rows: the first source to give a (project, resource) wins, and
 * nova_api is read before the cells, in config order. */
static ps_status nova_quota_row(void *ud, MYSQL_ROW row, const unsigned long *len,
                                ps_error *err) {
  project_state *st = ud;
  if (!row[0] || !row[1])
    return PS_OK;
  int r = strcmp(row[1], "instances") == 0 ? Q_INSTANCES
          : strcmp(row[1], "cores") == 0   ? Q_CORES
          : strcmp(row[1], "ram") == 0     ? Q_RAM
                                           : -1;
  if (r < 0)
    return PS_OK;
  proj_info *p = proj(st, row[0], len[0], err);
  if (!p)
    return PS_ENOMEM;
  return p->q[r].present ? PS_OK : set_quota(st, &p->q[r], row[2], len[2], err);
}

static ps_status cinder_quota_row(void *ud, MYSQL_ROW row, const unsigned long *len,
                                  ps_error *err) {
  project_state *st = ud;
  if (!row[0])
    return PS_OK;
  proj_info *p = proj(st, row[0], len[0], err);
  if (!p)
    return PS_ENOMEM;
  /* row: project_id, gigabytes sum, snapshots sum, volumes sum, and whether
   * any row of each kind exists (a kind without rows stays NULL). */
  for (int k = 0; k < 3; k++)
    if (row[4 + k] && strcmp(row[4 + k], "0") != 0) {
      ps_status s = set_quota(st, &p->q[Q_GIGABYTES + k], row[1 + k], len[1 + k], err);
      if (s != PS_OK)
        return s;
    }
  return PS_OK;
}

static ps_status instance_owner_row(void *ud, MYSQL_ROW row, const unsigned long *len,
                                    ps_error *err) {
  project_state *st = ud;
  if (!row[0])
    return PS_OK;
  proj_info *p = proj(st, row[0], len[0], err);
  if (!p)
    return PS_ENOMEM;
  p->has_instances = true;
  return PS_OK;
}

static ps_status manager_row(void *ud, MYSQL_ROW row, const unsigned long *len,
                             ps_error *err) {
  project_state *st = ud;
  /* row: project, smallest TenantManager, smallest Member */
  int k = row[1] ? 1 : row[2] ? 2 : 0;
  if (!row[0] || !k)
    return PS_OK;
  proj_info *p = proj(st, row[0], len[0], err);
  owner_info *o = p ? strmap_put(st->owners, row[k], len[k], NULL) : NULL;
  if (!o)
    return ERROR_SET(err, PS_ENOMEM, "project lookups");
  p->owner = strmap_strdup(st->projects, row[k], len[k]);
  return p->owner ? PS_OK : ERROR_SET(err, PS_ENOMEM, "project lookups");
}

/* Shibboleth rows come in id order: for a user with several, the latest
 * registration (largest id) wins. */
static ps_status shib_row(void *ud, MYSQL_ROW row, const unsigned long *len, ps_error *err) {
  project_state *st = ud;
  owner_info *o = row[0] ? strmap_get(st->owners, row[0], len[0]) : NULL;
  if (!o)
    return PS_OK; /* not an owner */
  o->org = NULL;
  o->unreadable = false;
  if (!row[1])
    return PS_OK;
  pickle_dict *d = NULL;
  if (pickle_read_dict((const unsigned char *)row[1], len[1], &d, NULL) != PS_OK) {
    o->unreadable = true;
    return PS_OK;
  }
  char buf[1024];
  const char *org = org_from_attributes(d, buf, sizeof buf);
  if (org) {
    o->org = strmap_strdup(st->owners, org, strlen(org));
    if (!o->org) {
      pickle_dict_free(d);
      return ERROR_SET(err, PS_ENOMEM, "project lookups");
    }
  }
  pickle_dict_free(d);
  return PS_OK;
}

static ps_status project_prepare(ex_job *j, size_t *n_units, ps_error *err) {
  project_state *st = calloc(1, sizeof *st);
  if (!st)
    return ERROR_SET(err, PS_ENOMEM, "project lookups");
  j->state = st;
  st->projects = strmap_create(sizeof(proj_info));
  st->owners = strmap_create(sizeof(owner_info));
  if (!st->projects || !st->owners)
    return ERROR_SET(err, PS_ENOMEM, "project lookups");
  *n_units = 1;
  const char *api = ex__schema(j, SRC_NOVA_API, 0);
  const char *ks = ex__schema(j, SRC_KEYSTONE, 0);
  char sql[1536];
  snprintf(sql, sizeof sql,
           "SELECT project_id, resource, hard_limit FROM `%s`.quotas "
           "WHERE resource IN ('instances', 'cores', 'ram')",
           api);
  ps_status s = ex__query(j, SRC_NOVA_API, 0, "nova quotas (nova_api)", sql, nova_quota_row,
                          st, err);
  for (size_t c = 0; s == PS_OK && c < ex__cells(j); c++) {
    snprintf(sql, sizeof sql,
             "SELECT project_id, resource, hard_limit FROM `%s`.quotas "
             "WHERE COALESCE(deleted, 0) = 0 AND resource IN ('instances', 'cores', 'ram') "
             "ORDER BY id",
             ex__schema(j, SRC_NOVA, c));
    s = ex__query(j, SRC_NOVA, c, "nova quotas (legacy, cell)", sql, nova_quota_row, st, err);
  }
  if (s != PS_OK)
    return s;
  /* Negative limits (unlimited) count as 0 in the sums, like a NULL limit. */
#define CINDER_SUM(p) "SUM(CASE WHEN resource LIKE '" p "%%' THEN IF(hard_limit >= 0, hard_limit, 0) END)"
#define CINDER_ANY(p) "MAX(resource LIKE '" p "%%')"
  snprintf(sql, sizeof sql,
           "SELECT project_id, " CINDER_SUM("gigabytes") ", " CINDER_SUM("snapshots") ", "
           CINDER_SUM("volumes") ", " CINDER_ANY("gigabytes") ", " CINDER_ANY("snapshots") ", "
           CINDER_ANY("volumes") " FROM `%s`.quotas WHERE COALESCE(deleted, 0) = 0 "
           "GROUP BY project_id",
           ex__schema(j, SRC_CINDER, 0));
  s = ex__query(j, SRC_CINDER, 0, "cinder quota sums", sql, cinder_quota_row, st, err);
  for (size_t c = 0; s == PS_OK && c < ex__cells(j); c++) {
    snprintf(sql, sizeof sql, "SELECT DISTINCT project_id FROM `%s`.instances",
             ex__schema(j, SRC_NOVA, c));
    s = ex__query(j, SRC_NOVA, c, "projects owning instances", sql, instance_owner_row, st,
                  err);
  }
  if (s != PS_OK)
    return s;
  /* Owner: smallest TenantManager by direct assignment, else smallest Member. */
  snprintf(sql, sizeof sql,
           "SELECT a.target_id, MIN(CASE WHEN r.name = 'TenantManager' THEN a.actor_id END), "
           "MIN(CASE WHEN r.name = 'Member' THEN a.actor_id END) "
           "FROM `%s`.assignment a JOIN `%s`.role r ON r.id = a.role_id "
           "WHERE a.type = 'UserProject' AND a.inherited = 0 "
           "AND r.name IN ('TenantManager', 'Member') GROUP BY a.target_id",
           ks, ks);
  s = ex__query(j, SRC_KEYSTONE, 0, "project owners", sql, manager_row, st, err);
  if (s != PS_OK)
    return s;
  snprintf(sql, sizeof sql,
           "SELECT user_id, shibboleth_attributes FROM `%s`.user WHERE user_id IS NOT NULL "
           "ORDER BY id",
           ex__schema(j, SRC_RCSHIBBOLETH, 0));
  return ex__query(j, SRC_RCSHIBBOLETH, 0, "owners' shibboleth attributes", sql, shib_row, st,
                   err);
}

static loader_value quota_val(const proj_info *p, int k) {
  return p && p->q[k].present && p->q[k].text ? ex__lit(p->q[k].text) : ex__null();
}

static ps_status project_row(void *ud, MYSQL_ROW row, const unsigned long *len,
                             ps_error *err) {
  ex_copy_ctx *c = ud;
  project_state *st = c->j->state;
  /* row: id, name, description, enabled */
  const proj_info *p = row[0] ? strmap_get(st->projects, row[0], len[0]) : NULL;
  loader_value v[13];
  v[0] = ex__val(row[0], len[0]);
  v[1] = ex__val(row[1], len[1]);
  v[2] = ex__null();
  if (p && p->owner) {
    const owner_info *o = strmap_get(st->owners, p->owner, strlen(p->owner));
    if (o && o->org)
      v[2] = ex__lit(o->org);
    else if (o && o->unreadable) {
      atomic_fetch_add(&c->j->rows_fixed, 1);
      ex__warn_row(c->j, "owner's shibboleth attributes unreadable, organisation NULL",
                   row[0] ? row[0] : "NULL");
    }
  }
  v[3] = ex__val(row[2], len[2]);
  v[4] = ex__val(row[3], len[3]);
  bool personal = row[1] && len[1] >= 3 && memcmp(row[1], "pt-", 3) == 0;
  v[5] = ex__lit(personal ? "1" : "0");
  v[6] = ex__lit(p && p->has_instances ? "1" : "0");
  v[7] = quota_val(p, Q_INSTANCES);
  v[8] = quota_val(p, Q_CORES);
  v[9] = quota_val(p, Q_RAM);
  v[10] = quota_val(p, Q_GIGABYTES);
  v[11] = quota_val(p, Q_SNAPSHOTS);
  v[12] = quota_val(p, Q_VOLUMES);
  return ex__out_row(c->out, v, err);
}

static ps_status project_unit(ex_job *j, size_t unit, ps_error *err) {
  (void)unit;
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT id, name, description, enabled FROM `%s`.project WHERE is_domain = 0",
           ex__schema(j, SRC_KEYSTONE, 0));
  return ex__copy(j, SRC_KEYSTONE, 0, 0, "projects", sql, project_row, NULL, err);
}

static void project_cleanup(ex_job *j) {
  project_state *st = j->state;
  if (st) {
    strmap_free(st->projects);
    strmap_free(st->owners);
  }
  free(st);
  j->state = NULL;
}

static const extractor project = {
    .name = "project",
    .tables = {&project_table, NULL},
    .deps = {"instance", NULL},
    .needs = {SRC_KEYSTONE, SRC_NOVA_API, SRC_NOVA, SRC_CINDER, SRC_RCSHIBBOLETH, SRC__COUNT},
    .flags = 0,
    .prepare = project_prepare,
    .unit = project_unit,
    .cleanup = project_cleanup,
};

const extractor *ex__project(void) { return &project; }
