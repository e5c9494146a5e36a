/* gen_storage: cinder (volumes, attachments, quotas) and glance (images).
 *
 * Volume i has, decided by its own stream: no attachment, one, or (for
 * multiattach volumes) two or three live ones, plus sometimes deleted
 * attachment history.  Attachments name instance uuids of any cell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen.h"

static const char *const vtypes[] = {"standard", "ssd", "melbourne-qh2", "nvme"};

const char gen_volume_cols[] =
    "INSERT INTO volumes (created_at,updated_at,deleted_at,deleted,id,user_id,project_id,host,"
    "size,availability_zone,status,attach_status,launched_at,terminated_at,display_name,"
    "display_description,volume_type_id,bootable,multiattach,replication_status) VALUES ";

static const char att_cols[] =
    "INSERT INTO volume_attachment (created_at,updated_at,deleted_at,deleted,id,volume_id,"
    "attached_host,instance_uuid,mountpoint,attach_time,detach_time,attach_mode,"
    "attach_status) VALUES ";

typedef struct vol_plan {
  int live;        /* live attachments */
  bool history;    /* a deleted attachment too */
  const char *att; /* attach_status of the live attachment(s) */
  time_t created, deleted;
} vol_plan;

static vol_plan plan_volume(const gen_model *M, gen_rng *r, time_t fresh) {
  vol_plan v = {0};
  v.created = fresh ? fresh : gen_created_time(M, r);
  v.deleted = -1;
  if (!fresh && rng_chance(r, 0.25)) {
    time_t d = v.created + 3600 + (time_t)rng_below(r, 86400 * 400);
    v.deleted = d < M->now ? d : v.created + (M->now - v.created) / 2;
  }
  unsigned k = (unsigned)rng_below(r, 100);
  v.att = "attached";
  if (k < 45)
    v.live = 1;
  else if (k < 49)
    v.live = 2 + (int)rng_below(r, 2);
  else if (k < 51) {
    v.live = 1;
    v.att = k == 49 ? "attaching" : "error_attaching";
  }
  v.history = rng_chance(r, 0.15);
  return v;
}

void gen_volume_row(const gen_model *M, gen_ins *w, int64_t i, time_t fresh) {
  gen_rng r;
  rng_init(&r, M->seed, K_VOLUME, (uint64_t)i);
  vol_plan v = plan_volume(M, &r, fresh);
  char id[37], pid[33], uid[65], name[300], host[64];
  gen_uuid(gen_hash(M->seed, K_VOLUME, (uint64_t)i + (1ULL << 40)), id);
  int64_t p = gen_pick_project(M, &r);
  gen_project_id(M, p, pid);
  gen_user_id(M, (int64_t)rng_below(&r, (uint64_t)M->n_users), uid);
  const char *dn = gen_name(&r, name, sizeof name, "vol", i);
  bool del = v.deleted >= 0;
  const char *status = del ? "deleted"
                       : v.live && !strcmp(v.att, "attached") ? "in-use"
                       : v.live ? "attaching"
                       : rng_chance(&r, 0.95) ? "available" : "error";
  unsigned t = (unsigned)rng_below(&r, 4);
  snprintf(host, sizeof host, "cinder@%s#%s", vtypes[t], vtypes[t]);
  ins_row(w);
  ins_dt(w, v.created), ins_dt(w, del ? v.deleted : fresh ? fresh : v.created + 120);
  ins_dt(w, v.deleted), ins_int(w, del ? 1 : 0), ins_str(w, id), ins_str(w, uid);
  ins_str(w, pid), ins_str(w, host), ins_int(w, 1 + (int64_t)rng_below(&r, 2000));
  ins_str(w, rng_chance(&r, 0.05) ? NULL : gen_az_names[rng_below(&r, gen_az_count)]);
  ins_str(w, status);
  ins_str(w, del ? "detached" : v.live ? v.att : "detached");
  ins_dt(w, v.created + 60), ins_dt(w, v.deleted), ins_str(w, dn);
  ins_str(w, rng_chance(&r, 0.5) ? NULL : "");
  char tid[37];
  gen_uuid(gen_hash(M->seed, K_TYPE, t), tid);
  ins_str(w, tid), ins_int(w, rng_chance(&r, 0.3) ? 1 : 0), ins_int(w, v.live > 1 ? 1 : 0);
  ins_null(w);
  ins_end_row(w);
}

static void attachment_rows(const gen_model *M, gen_ins *w, int64_t i) {
  gen_rng r;
  rng_init(&r, M->seed, K_VOLUME, (uint64_t)i);
  vol_plan v = plan_volume(M, &r, 0);
  char vid[37];
  gen_uuid(gen_hash(M->seed, K_VOLUME, (uint64_t)i + (1ULL << 40)), vid);
  gen_rng a;
  rng_init(&a, M->seed, K_ATTACH, (uint64_t)i);
  for (int j = 0; j < v.live + (v.history ? 1 : 0); j++) {
    bool hist = j == v.live;
    /* a volume deleted later has its attachments deleted with it */
    bool del = hist || v.deleted >= 0;
    char id[37], inst[37], host[32], mp[32];
    gen_uuid(gen_hash(M->seed, K_ATTACH, ((uint64_t)i << 3) | (uint64_t)j), id);
    unsigned cell = 1 + (unsigned)rng_below(&a, M->cells);
    int64_t n = gen_cell_instances(M, cell);
    gen_instance_uuid(M, cell, 1 + (int64_t)rng_below(&a, (uint64_t)n), inst);
    snprintf(host, sizeof host, "cn%llu", (unsigned long long)(1 + rng_below(&a, (uint64_t)M->n_nodes)));
    snprintf(mp, sizeof mp, "/dev/vd%c", 'b' + j);
    time_t at = v.created + 300 + j;
    time_t end = v.deleted >= 0 ? v.deleted : hist ? at + 3600 : -1;
    ins_row(w);
    ins_dt(w, at), ins_dt(w, end >= 0 ? end : at), ins_dt(w, del ? end : -1);
    ins_int(w, del ? 1 : 0), ins_str(w, id), ins_str(w, vid), ins_str(w, host);
    ins_str(w, rng_chance(&a, 0.01) ? NULL : inst), ins_str(w, mp), ins_dt(w, at);
    ins_dt(w, end), ins_str(w, "rw");
    ins_str(w, del ? "detached" : v.att);
    ins_end_row(w);
  }
}

static ps_status write_cinder_quotas(const gen_model *M, MYSQL *m, gen_counts *c,
                                     ps_error *err) {
  gen_ins w;
  if (ins_open(M, &w, m, "cinder.quotas",
               "INSERT INTO quotas (created_at,updated_at,deleted_at,deleted,project_id,"
               "resource,hard_limit,allocated) VALUES ",
               err) != PS_OK)
    return w.st;
  static const char *const base[] = {"volumes", "gigabytes", "snapshots", "backups"};
  char pid[33], res[64];
  for (int64_t p = 0; p < M->n_projects && w.st == PS_OK; p++) {
    gen_rng r;
    rng_init(&r, M->seed, K_CQUOTA, (uint64_t)p);
    if (rng_chance(&r, 0.15))
      continue; /* no rows: defaults */
    gen_project_id(M, p, pid);
    time_t t = gen_created_time(M, &r);
    int n_types = rng_chance(&r, 0.3) ? 1 + (int)rng_below(&r, 3) : 0;
    for (int b = 0; b < 4; b++) {
      for (int k = -1; k < n_types; k++) {
        if (b == 3 && k >= 0)
          continue;
        if (k < 0)
          snprintf(res, sizeof res, "%s", base[b]);
        else
          snprintf(res, sizeof res, "%s_%s", base[b], vtypes[k]);
        int64_t v = b == 1 ? 100 * (int64_t)(1 + rng_below(&r, 50)) : 10 + (int64_t)rng_below(&r, 40);
        if (rng_chance(&r, 0.03))
          v = -1;
        bool del = rng_chance(&r, 0.04);
        ins_row(&w);
        ins_dt(&w, t), ins_null(&w), ins_dt(&w, del ? t + 86400 : -1), ins_int(&w, del ? 1 : 0);
        ins_str(&w, pid), ins_str(&w, res), ins_int(&w, v), ins_int(&w, 0);
        ins_end_row(&w);
      }
    }
  }
  ps_status s = ins_close(&w);
  gen_count(c, "cinder", "quotas", w.rows);
  return s;
}

ps_status gen_cinder(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  gen_ins w;
  if (ins_open(M, &w, m, "cinder.volumes", gen_volume_cols, err) != PS_OK)
    return w.st;
  for (int64_t i = 0; i < M->n_volumes && w.st == PS_OK; i++)
    gen_volume_row(M, &w, i, 0);
  ps_status s = ins_close(&w);
  gen_count(c, "cinder", "volumes", w.rows);
  if (s != PS_OK)
    return s;
  if (ins_open(M, &w, m, "cinder.volume_attachment", att_cols, err) != PS_OK)
    return w.st;
  for (int64_t i = 0; i < M->n_volumes && w.st == PS_OK; i++)
    attachment_rows(M, &w, i);
  s = ins_close(&w);
  gen_count(c, "cinder", "volume_attachment", w.rows);
  if (s != PS_OK)
    return s;
  return write_cinder_quotas(M, m, c, err);
}

/* ---- glance ---- */

const char gen_image_cols[] =
    "INSERT INTO images (id,name,size,status,created_at,updated_at,deleted_at,deleted,"
    "disk_format,container_format,checksum,owner,min_disk,min_ram,protected,virtual_size,"
    "visibility) VALUES ";
const char gen_image_cols_newton[] =
    "INSERT INTO images (id,name,size,status,created_at,updated_at,deleted_at,deleted,"
    "disk_format,container_format,checksum,owner,min_disk,min_ram,protected,virtual_size,"
    "is_public) VALUES ";

void gen_image_row(const gen_model *M, gen_ins *w, int64_t i, time_t fresh) {
  static const char *const vis[] = {"public", "private", "private", "shared", "community"};
  gen_rng r;
  rng_init(&r, M->seed, K_IMAGE, (uint64_t)i + (1ULL << 40));
  char id[37], name[300], pid[33], sum[33];
  gen_uuid(gen_hash(M->seed, K_IMAGE, (uint64_t)i), id);
  time_t created = fresh ? fresh : gen_created_time(M, &r);
  bool del = !fresh && rng_chance(&r, 0.2);
  time_t deleted = del ? created + (M->now - created) / 3 : -1;
  const char *status;
  unsigned k = (unsigned)rng_below(&r, 100);
  if (del)
    status = k < 80 ? "deleted" : k < 90 ? "killed" : "pending_delete";
  else
    status = k < 85 ? "active" : k < 90 ? "queued" : k < 94 ? "saving" : k < 97 ? "deactivated" : "killed";
  bool no_size = !strcmp(status, "queued") || rng_chance(&r, 0.02);
  const char *dn = gen_name(&r, name, sizeof name, "image", i);
  snprintf(sum, sizeof sum, "%016llx%016llx", (unsigned long long)rng_next(&r),
           (unsigned long long)rng_next(&r));
  int64_t size = (int64_t)(rng_below(&r, 40ULL << 30)) + 1000000;
  unsigned v = (unsigned)rng_below(&r, 5);
  ins_row(w);
  ins_str(w, id), ins_str(w, dn);
  if (no_size)
    ins_null(w);
  else
    ins_int(w, size);
  ins_str(w, status), ins_dt(w, created), ins_dt(w, del ? deleted : fresh ? fresh : created + 600);
  ins_dt(w, deleted), ins_int(w, del ? 1 : 0), ins_str(w, no_size ? NULL : "qcow2");
  ins_str(w, no_size ? NULL : "bare"), ins_str(w, no_size ? NULL : sum);
  if (rng_chance(&r, 0.03))
    ins_null(w);
  else {
    gen_project_id(M, gen_pick_project(M, &r), pid);
    ins_str(w, pid);
  }
  ins_int(w, (int64_t)rng_below(&r, 3) * 10), ins_int(w, 0), ins_int(w, rng_chance(&r, 0.05));
  if (no_size)
    ins_null(w);
  else
    ins_int(w, size * 2);
  if (M->legacy_glance)
    ins_int(w, v == 0 ? 1 : 0);
  else
    ins_str(w, vis[v]);
  ins_end_row(w);
}

ps_status gen_glance(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  gen_ins w;
  if (ins_open(M, &w, m, "glance.images", M->legacy_glance ? gen_image_cols_newton : gen_image_cols,
               err) != PS_OK)
    return w.st;
  for (int64_t i = 0; i < M->n_images && w.st == PS_OK; i++)
    gen_image_row(M, &w, i, 0);
  ps_status s = ins_close(&w);
  gen_count(c, "glance", "images", w.rows);
  return s;
}
