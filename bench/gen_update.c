/* gen_update: --update-fraction F, the day-to-day churn an incremental
 * refresh must pick up.  About F of the rows of instances, volumes, images
 * and live allocation requests are touched: ~60% of those updated in place,
 * ~20% deleted, ~20% worth of new rows added, all stamped with the real
 * current time.  Which rows is decided by CRC32(seed, key) on the server, so
 * the selection is the same for a given seed and data. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bench/gen.h"
#include "engine/db.h"

typedef struct upd {
  const gen_model *M;
  MYSQL *m;
  ps_error *err;
  char now[32];
  double f;
} upd;

/* Run an UPDATE and add its affected rows to *n. */
static ps_status upd_exec(upd *u, int64_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ps_status upd_exec(upd *u, int64_t *n, const char *fmt, ...) {
  char sql[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  if (mysql_query(u->m, sql) != 0)
    return ERROR_MYSQL(u->err, u->m, "update [%.120s]", sql);
  *n += (int64_t)mysql_affected_rows(u->m);
  return PS_OK;
}

/* "CRC32(CONCAT(seed, salt, key)) % 1000000 < share * F * 1e6" */
static void pick(const upd *u, char *out, size_t cap, const char *salt, const char *key,
                 double share) {
  snprintf(out, cap, "CRC32(CONCAT('%llu:%s:', %s)) %% 1000000 < %lld",
           (unsigned long long)u->M->seed, salt, key, llround(share * u->f * 1e6));
}

static ps_status count_rows(upd *u, const char *sql, int64_t *out) {
  return db_query_i64(u->m, sql, out, NULL, u->err);
}

static ps_status update_cell(upd *u, unsigned cell, time_t now, gen_counts *c) {
  char sel_u[160], sel_d[160], db[32];
  int64_t n_upd = 0, n_del = 0, n = 0, max_id = 0;
  pick(u, sel_u, sizeof sel_u, "u", "uuid", 0.6);
  pick(u, sel_d, sizeof sel_d, "d", "uuid", 0.2);
  ps_status s = upd_exec(u, &n_upd,
                         "UPDATE instances SET updated_at = '%s', display_name = CONCAT('renamed-', "
                         "id), vcpus = vcpus + 1, vm_state = IF(vm_state = 'active', 'stopped', "
                         "'active') WHERE deleted = 0 AND %s",
                         u->now, sel_u);
  if (s == PS_OK)
    s = upd_exec(u, &n_del,
                 "UPDATE instances SET deleted = id, deleted_at = '%s', updated_at = '%s', "
                 "terminated_at = '%s', vm_state = 'deleted', power_state = 0 "
                 "WHERE deleted = 0 AND %s",
                 u->now, u->now, u->now, sel_d);
  if (s == PS_OK)
    s = count_rows(u, "SELECT COUNT(*) FROM instances", &n);
  if (s == PS_OK)
    s = count_rows(u, "SELECT COALESCE(MAX(id), 0) FROM instances", &max_id);
  if (s != PS_OK)
    return s;
  int64_t add = llround((double)n * u->f * 0.2);
  gen_ins w;
  if (ins_open(u->M, &w, u->m, "nova.instances", gen_instance_cols, u->err) != PS_OK)
    return w.st;
  for (int64_t k = 1; k <= add && w.st == PS_OK; k++)
    gen_instance_row(u->M, &w, cell, max_id + k, now);
  s = ins_close(&w);
  snprintf(db, sizeof db, "nova_cell%u", cell);
  gen_count(c, db, "instances updated", n_upd);
  gen_count(c, db, "instances deleted", n_del);
  gen_count(c, db, "instances added", w.rows);
  return s;
}

static ps_status update_cinder(upd *u, time_t now, gen_counts *c) {
  char sel_u[160], sel_d[160];
  int64_t n_upd = 0, n_del = 0, n = 0;
  pick(u, sel_u, sizeof sel_u, "u", "id", 0.6);
  pick(u, sel_d, sizeof sel_d, "d", "id", 0.2);
  ps_status s = upd_exec(u, &n_upd,
                         "UPDATE volumes SET updated_at = '%s', display_name = CONCAT('renamed-', "
                         "LEFT(id, 8)), size = size + 10 WHERE deleted = 0 AND %s",
                         u->now, sel_u);
  if (s == PS_OK)
    s = upd_exec(u, &n_del,
                 "UPDATE volumes SET deleted = 1, deleted_at = '%s', updated_at = '%s', "
                 "terminated_at = '%s', status = 'deleted', attach_status = 'detached' "
                 "WHERE deleted = 0 AND %s",
                 u->now, u->now, u->now, sel_d);
  if (s == PS_OK) {
    int64_t dummy = 0;
    s = upd_exec(u, &dummy,
                 "UPDATE volume_attachment a JOIN volumes v ON v.id = a.volume_id "
                 "SET a.deleted = 1, a.deleted_at = v.deleted_at, a.detach_time = v.deleted_at, "
                 "a.attach_status = 'detached', a.updated_at = '%s' "
                 "WHERE a.deleted = 0 AND v.deleted = 1",
                 u->now);
  }
  if (s == PS_OK)
    s = count_rows(u, "SELECT COUNT(*) FROM volumes", &n);
  if (s != PS_OK)
    return s;
  int64_t add = llround((double)n * u->f * 0.2);
  gen_ins w;
  if (ins_open(u->M, &w, u->m, "cinder.volumes", gen_volume_cols, u->err) != PS_OK)
    return w.st;
  /* Volume indices past every existing row give new ids. */
  for (int64_t k = 0; k < add && w.st == PS_OK; k++)
    gen_volume_row(u->M, &w, n + k, now);
  s = ins_close(&w);
  gen_count(c, "cinder", "volumes updated", n_upd);
  gen_count(c, "cinder", "volumes deleted", n_del);
  gen_count(c, "cinder", "volumes added", w.rows);
  return s;
}

static ps_status update_glance(upd *u, time_t now, gen_counts *c) {
  char sel_u[160], sel_d[160];
  int64_t n_upd = 0, n_del = 0, n = 0;
  pick(u, sel_u, sizeof sel_u, "u", "id", 0.6);
  pick(u, sel_d, sizeof sel_d, "d", "id", 0.2);
  ps_status s = upd_exec(u, &n_upd,
                         "UPDATE images SET updated_at = '%s', name = CONCAT('renamed-', "
                         "LEFT(id, 8)), status = IF(status = 'active', 'deactivated', 'active') "
                         "WHERE deleted = 0 AND %s",
                         u->now, sel_u);
  if (s == PS_OK)
    s = upd_exec(u, &n_del,
                 "UPDATE images SET deleted = 1, deleted_at = '%s', updated_at = '%s', "
                 "status = 'deleted' WHERE deleted = 0 AND %s",
                 u->now, u->now, sel_d);
  if (s == PS_OK)
    s = count_rows(u, "SELECT COUNT(*) FROM images", &n);
  if (s != PS_OK)
    return s;
  int64_t add = llround((double)n * u->f * 0.2);
  gen_ins w;
  if (ins_open(u->M, &w, u->m, "glance.images",
               u->M->legacy_glance ? gen_image_cols_newton : gen_image_cols, u->err) != PS_OK)
    return w.st;
  for (int64_t k = 0; k < add && w.st == PS_OK; k++)
    gen_image_row(u->M, &w, n + k, now);
  s = ins_close(&w);
  gen_count(c, "glance", "images updated", n_upd);
  gen_count(c, "glance", "images deleted", n_del);
  gen_count(c, "glance", "images added", w.rows);
  return s;
}

static ps_status update_dashboard(upd *u, time_t now, gen_counts *c) {
  char sel_u[160];
  int64_t n_upd = 0, n = 0, max_id = 0;
  pick(u, sel_u, sizeof sel_u, "u", "id", 0.8);
  ps_status s = upd_exec(u, &n_upd,
                         "UPDATE rcallocation_allocationrequest SET modified_time = '%s', "
                         "status = CASE status WHEN 'E' THEN 'A' WHEN 'A' THEN 'X' "
                         "WHEN 'X' THEN 'A' ELSE status END "
                         "WHERE parent_request_id IS NULL AND %s",
                         u->now, sel_u);
  if (s == PS_OK)
    s = count_rows(u, "SELECT COUNT(*) FROM rcallocation_allocationrequest", &n);
  if (s == PS_OK)
    s = count_rows(u, "SELECT COALESCE(MAX(id), 0) FROM rcallocation_allocationrequest", &max_id);
  if (s != PS_OK)
    return s;
  int64_t add = llround((double)n * u->f * 0.2);
  gen_ins w;
  if (ins_open(u->M, &w, u->m, "dashboard.rcallocation_allocationrequest", gen_alloc_cols,
               u->err) != PS_OK)
    return w.st;
  for (int64_t k = 1; k <= add && w.st == PS_OK; k++) {
    gen_rng r;
    rng_init(&r, u->M->seed, K_UPDATE, (uint64_t)(max_id + k));
    gen_alloc a = {.id = (int32_t)(max_id + k),
                   .parent = 0,
                   .project = (int32_t)(1 + 3 * rng_below(&r, (uint64_t)u->M->n_projects / 3)),
                   .status = "AEN"[rng_below(&r, 3)],
                   .modified_us = (int64_t)now * 1000000LL};
    gen_alloc_row(u->M, &w, &a);
  }
  s = ins_close(&w);
  gen_count(c, "dashboard", "allocations updated", n_upd);
  gen_count(c, "dashboard", "allocations added", w.rows);
  return s;
}

ps_status gen_update(const gen_model *M, const char *kind, unsigned cell, MYSQL *m,
                     double fraction, time_t now, gen_counts *c, ps_error *err) {
  upd u = {.M = M, .m = m, .err = err, .f = fraction};
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(u.now, sizeof u.now, "%Y-%m-%d %H:%M:%S", &tm);
  if (!strcmp(kind, "nova_cell"))
    return update_cell(&u, cell, now, c);
  if (!strcmp(kind, "cinder"))
    return update_cinder(&u, now, c);
  if (!strcmp(kind, "glance"))
    return update_glance(&u, now, c);
  if (!strcmp(kind, "dashboard"))
    return update_dashboard(&u, now, c);
  return ERROR_SET(err, PS_EINTERNAL, "no update for %s", kind);
}
