/* gen_compute: nova_api (flavors, aggregates, quotas) and the per-cell nova
 * databases (instances, compute_nodes, legacy instance_types and quotas).
 *
 * Compute node g (0-based, global) lives in cell g % cells + 1 with local id
 * g / cells + 1; its service host is the short name "cn<g+1>" and its
 * hypervisor_hostname is mostly the FQDN "cn<g+1>.cell<c>.example.org".
 * Instances name the short host; aggregate_hosts mixes both forms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen.h"

typedef struct flavor_spec {
  int vcpus, memory_mb, root_gb, ephemeral_gb;
} flavor_spec;

static flavor_spec flavor_of(const gen_model *M, int64_t id) {
  uint64_t h = gen_hash(M->seed, K_FLAVOR, (uint64_t)id);
  static const int cpus[] = {1, 2, 4, 8, 12, 16, 32, 64};
  flavor_spec f;
  f.vcpus = cpus[h % 8];
  f.memory_mb = f.vcpus * ((h >> 8) % 2 ? 4096 : 2048);
  f.root_gb = (h >> 12) % 3 == 0 ? 10 : 30;
  f.ephemeral_gb = (h >> 16) % 4 == 0 ? 0 : f.vcpus * 30;
  return f;
}

static bool agg_has_az(const gen_model *M, int64_t a) {
  return a == 1 || gen_hash(M->seed, K_AGG, (uint64_t)a) % 100 < 85;
}

static void host_short(int64_t g, char *out, size_t cap) {
  snprintf(out, cap, "cn%lld", (long long)(g + 1));
}
static void host_fqdn(const gen_model *M, int64_t g, char *out, size_t cap) {
  snprintf(out, cap, "cn%lld.cell%u.example.org", (long long)(g + 1), gen_node_cell(M, g));
}

/* ---- nova_api ---- */

static ps_status write_flavors(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  static const char *const fam[] = {"m3", "r3", "c3", "t3", "p3"};
  static const char *const size[] = {"xsmall", "small", "medium", "large", "xlarge", "xxlarge"};
  gen_ins w;
  if (ins_open(M, &w, m, "nova_api.flavors",
               "INSERT INTO flavors (created_at,updated_at,name,id,memory_mb,vcpus,swap,"
               "vcpu_weight,flavorid,rxtx_factor,root_gb,ephemeral_gb,disabled,is_public,"
               "description) VALUES ",
               err) != PS_OK)
    return w.st;
  for (int64_t id = 1; id <= M->n_flavors; id++) {
    gen_rng r;
    rng_init(&r, M->seed, K_FLAVOR, (uint64_t)id + (1ULL << 40));
    flavor_spec f = flavor_of(M, id);
    char name[64], fid[72];
    if (id <= 30)
      snprintf(name, sizeof name, "%s.%s", fam[(id - 1) / 6], size[(id - 1) % 6]);
    else
      snprintf(name, sizeof name, "custom.%lld", (long long)id);
    unsigned k = (unsigned)rng_below(&r, 10);
    if (k < 4)
      snprintf(fid, sizeof fid, "%lld", (long long)id);
    else if (k < 8)
      gen_uuid(gen_hash(M->seed, K_FLAVOR, (uint64_t)id + (2ULL << 40)), fid);
    else
      snprintf(fid, sizeof fid, "%s", name);
    time_t created = gen_created_time(M, &r);
    ins_row(&w);
    ins_dt(&w, created), ins_null(&w), ins_str(&w, name), ins_int(&w, id);
    ins_int(&w, f.memory_mb), ins_int(&w, f.vcpus), ins_int(&w, 0), ins_null(&w);
    ins_str(&w, fid), ins_dbl(&w, 1.0), ins_int(&w, f.root_gb), ins_int(&w, f.ephemeral_gb);
    ins_int(&w, 0), ins_int(&w, rng_chance(&r, 0.8) ? 1 : 0);
    ins_str(&w, k == 9 ? NULL : "general purpose");
    ins_end_row(&w);
  }
  ps_status s = ins_close(&w);
  gen_count(c, "nova_api", "flavors", w.rows);
  return s;
}

static ps_status write_aggregates(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  gen_ins wa, wm, wh;
  int64_t n_meta = 0;
  ps_status s = ins_open(M, &wa, m, "nova_api.aggregates",
                         "INSERT INTO aggregates (created_at,updated_at,id,uuid,name) VALUES ",
                         err);
  if (s != PS_OK)
    return s;
  for (int64_t a = 1; a <= M->n_aggs; a++) {
    gen_rng r;
    rng_init(&r, M->seed, K_AGG, (uint64_t)a + (1ULL << 40));
    char uuid[37], name[96];
    gen_uuid(gen_hash(M->seed, K_AGG, (uint64_t)a + (2ULL << 40)), uuid);
    snprintf(name, sizeof name, "%s-%s-%lld", gen_az_names[a % gen_az_count],
             agg_has_az(M, a) ? "zone" : "ssd", (long long)a);
    ins_row(&wa);
    ins_dt(&wa, gen_created_time(M, &r)), ins_null(&wa), ins_int(&wa, a), ins_str(&wa, uuid);
    ins_str(&wa, name);
    ins_end_row(&wa);
  }
  s = ins_close(&wa);
  gen_count(c, "nova_api", "aggregates", wa.rows);
  if (s != PS_OK)
    return s;

  s = ins_open(M, &wm, m, "nova_api.aggregate_metadata",
               "INSERT INTO aggregate_metadata (created_at,updated_at,aggregate_id,`key`,value) "
               "VALUES ",
               err);
  if (s != PS_OK)
    return s;
  for (int64_t a = 1; a <= M->n_aggs; a++) {
    uint64_t h = gen_hash(M->seed, K_AGG, (uint64_t)a + (3ULL << 40));
    if (agg_has_az(M, a)) {
      ins_row(&wm);
      ins_dt(&wm, M->now - 86400 * 400), ins_null(&wm), ins_int(&wm, a);
      ins_str(&wm, "availability_zone"), ins_str(&wm, gen_az_names[a % gen_az_count]);
      ins_end_row(&wm);
    }
    if (h % 3 == 0 || !agg_has_az(M, a)) {
      char pid[33];
      gen_project_id(M, (int64_t)(h % (uint64_t)M->n_projects), pid);
      const char *key = h % 2 ? "ssd" : "filter_tenant_id";
      ins_row(&wm);
      ins_dt(&wm, M->now - 86400 * 300), ins_null(&wm), ins_int(&wm, a), ins_str(&wm, key);
      ins_str(&wm, h % 2 ? "true" : pid);
      ins_end_row(&wm);
    }
  }
  s = ins_close(&wm);
  n_meta = wm.rows;
  gen_count(c, "nova_api", "aggregate_metadata", n_meta);
  if (s != PS_OK)
    return s;

  /* Hosts: 90% of compute nodes sit in an AZ aggregate of their AZ; some
   * also in a non-AZ aggregate or a second aggregate of the same AZ; some
   * entries name hosts that no longer exist. */
  s = ins_open(M, &wh, m, "nova_api.aggregate_hosts",
               "INSERT IGNORE INTO aggregate_hosts (created_at,updated_at,host,aggregate_id) "
               "VALUES ",
               err);
  if (s != PS_OK)
    return s;
  int64_t n_az = 0;
  int64_t *az_aggs = malloc(sizeof *az_aggs * (size_t)M->n_aggs);
  if (!az_aggs) {
    ins_close(&wh);
    return ERROR_SET(err, PS_ENOMEM, "aggregate list");
  }
  int64_t plain = 0; /* an aggregate without AZ */
  for (int64_t a = 1; a <= M->n_aggs; a++)
    if (agg_has_az(M, a))
      az_aggs[n_az++] = a;
    else if (!plain)
      plain = a;
  for (int64_t g = 0; g < M->n_nodes + M->n_nodes / 50 && wh.st == PS_OK; g++) {
    gen_rng r;
    rng_init(&r, M->seed, K_NODE, (uint64_t)g + (1ULL << 40));
    if (g < M->n_nodes && rng_chance(&r, 0.1))
      continue; /* not in any aggregate: AZ falls back to the cell name */
    char host[96];
    if (rng_chance(&r, 0.35))
      host_fqdn(M, g, host, sizeof host);
    else
      host_short(g, host, sizeof host);
    int64_t a = az_aggs[rng_below(&r, (uint64_t)n_az)];
    if (plain && rng_chance(&r, 0.04))
      a = plain; /* only in an aggregate without AZ */
    ins_row(&wh);
    ins_dt(&wh, M->now - 86400 * 200), ins_null(&wh), ins_str(&wh, host), ins_int(&wh, a);
    ins_end_row(&wh);
    unsigned k = (unsigned)rng_below(&r, 10);
    int64_t a2 = 0;
    if (k == 0 && a + (int64_t)gen_az_count <= M->n_aggs &&
        agg_has_az(M, a + (int64_t)gen_az_count))
      a2 = a + (int64_t)gen_az_count; /* same AZ name, another aggregate */
    else if (k == 1 && a != plain)
      a2 = plain; /* also in an aggregate without AZ */
    if (a2) {
      ins_row(&wh);
      ins_dt(&wh, M->now - 86400 * 100), ins_null(&wh);
      if (k == 0)
        host_short(g, host, sizeof host);
      ins_str(&wh, host), ins_int(&wh, a2);
      ins_end_row(&wh);
    }
  }
  free(az_aggs);
  s = ins_close(&wh);
  gen_count(c, "nova_api", "aggregate_hosts", wh.rows);
  return s;
}

static int64_t quota_value(const gen_model *M, int64_t p, int res, unsigned source) {
  uint64_t h = gen_hash(M->seed, K_QUOTA, ((uint64_t)p << 8) | (uint64_t)res);
  if (h % 60 == 0)
    return -1;
  static const int64_t base[3] = {10, 20, 81920};
  int64_t v = base[res] * (int64_t)(1 + (h >> 8) % 8);
  if (source && (h >> 20) % 4 == 0)
    v += 1000 * source; /* a legacy cell value that disagrees with nova_api */
  return v;
}
static const char *const nova_res[3] = {"instances", "cores", "ram"};

static ps_status write_api_quotas(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  gen_ins w;
  if (ins_open(M, &w, m, "nova_api.quotas",
               "INSERT INTO quotas (created_at,updated_at,project_id,resource,hard_limit) VALUES ",
               err) != PS_OK)
    return w.st;
  char pid[33];
  for (int64_t p = 0; p < M->n_projects && w.st == PS_OK; p++) {
    uint64_t h = gen_hash(M->seed, K_QUOTA, (uint64_t)p);
    if (h % 10 >= 8)
      continue; /* no nova_api rows: defaults, or legacy cell rows */
    gen_project_id(M, p, pid);
    for (int res = 0; res < 3; res++) {
      if (res == 2 && (h >> 8) % 20 == 0)
        continue; /* a project with only some resources */
      ins_row(&w);
      ins_dt(&w, M->now - 86400 * (time_t)(30 + h % 1000)), ins_null(&w), ins_str(&w, pid);
      ins_str(&w, nova_res[res]), ins_int(&w, quota_value(M, p, res, 0));
      ins_end_row(&w);
    }
  }
  ps_status s = ins_close(&w);
  gen_count(c, "nova_api", "quotas", w.rows);
  return s;
}

ps_status gen_nova_api(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  ps_status s = write_flavors(M, m, c, err);
  if (s == PS_OK)
    s = write_aggregates(M, m, c, err);
  if (s == PS_OK)
    s = write_api_quotas(M, m, c, err);
  return s;
}

/* ---- one cell ---- */

const char gen_instance_cols[] =
    "INSERT INTO instances (created_at,updated_at,deleted_at,id,user_id,project_id,image_ref,"
    "key_name,power_state,vm_state,memory_mb,vcpus,hostname,host,launched_at,terminated_at,"
    "display_name,availability_zone,locked,instance_type_id,uuid,root_gb,ephemeral_gb,"
    "cell_name,node,deleted) VALUES ";

static int64_t nodes_in_cell(const gen_model *M, unsigned cell) {
  return (M->n_nodes - (cell - 1) + M->cells - 1) / M->cells;
}

void gen_instance_row(const gen_model *M, gen_ins *w, unsigned cell, int64_t id, time_t fresh) {
  gen_rng r;
  rng_init(&r, M->seed, K_INSTANCE, ((uint64_t)cell << 40) | (uint64_t)id);
  char uuid[37], uid[65], pid[33], img[37], name[300], hostname[80], host[96], node[128];
  gen_instance_uuid(M, cell, id, uuid);
  int64_t p = gen_pick_project(M, &r);
  if (rng_chance(&r, 0.003))
    p = M->n_projects + (int64_t)rng_below(&r, 500); /* project gone from keystone */
  gen_project_id(M, p, pid);
  gen_user_id(M, p % 3 == 0 ? p / 3 : (int64_t)rng_below(&r, (uint64_t)M->n_users), uid);
  gen_uuid(gen_hash(M->seed, K_IMAGE, rng_below(&r, (uint64_t)M->n_images)), img);
  int64_t fl = 1 + (int64_t)rng_below(&r, (uint64_t)M->n_flavors);
  flavor_spec f = flavor_of(M, fl);
  time_t created = fresh ? fresh : gen_created_time(M, &r);
  time_t deleted = -1;
  if (!fresh && rng_chance(&r, 1.0 / 3)) {
    time_t dur;
    if (rng_chance(&r, 0.08))
      dur = 60 + (time_t)rng_below(&r, 3600); /* gone the day it was made (mostly) */
    else {
      double u = rng_unit(&r);
      dur = 86400 + (time_t)(u * u * 700 * 86400);
    }
    deleted = created + dur < M->now ? created + dur : created + (M->now - created) / 2;
  }
  time_t updated = fresh ? fresh
                   : deleted >= 0
                       ? deleted
                       : created + (time_t)rng_below(&r, (uint64_t)(M->now - created));
  const char *dn = gen_name(&r, name, sizeof name, "vm", id);
  snprintf(hostname, sizeof hostname, "vm-%lld", (long long)id);
  int64_t nic = nodes_in_cell(M, cell);
  int64_t g = (int64_t)(cell - 1) + (int64_t)M->cells * (int64_t)rng_below(&r, (uint64_t)nic);
  unsigned hk = (unsigned)rng_below(&r, 100);
  bool no_host = hk < 2;
  if (hk == 2) { /* a host that is no longer a compute node */
    snprintf(host, sizeof host, "retired-cn%u", (unsigned)rng_below(&r, 50));
    snprintf(node, sizeof node, "%s.cell%u.example.org", host, cell);
  } else {
    host_short(g, host, sizeof host);
    host_fqdn(M, g, node, sizeof node);
  }
  ins_row(w);
  ins_dt(w, created), ins_dt(w, updated), ins_dt(w, deleted), ins_int(w, id);
  ins_str(w, uid), ins_str(w, pid), ins_str(w, img);
  ins_str(w, rng_chance(&r, 0.2) ? NULL : "mykey");
  ins_int(w, deleted >= 0 ? 0 : 1);
  ins_str(w, deleted >= 0 ? "deleted" : no_host ? "error" : rng_chance(&r, 0.9) ? "active" : "stopped");
  int drift = rng_chance(&r, 0.02) ? 2 : 1; /* resized after the flavor changed */
  ins_int(w, f.memory_mb * drift), ins_int(w, f.vcpus * drift);
  ins_str(w, hostname);
  ins_str(w, no_host ? NULL : host);
  ins_dt(w, no_host ? -1 : created + 30), ins_dt(w, deleted);
  ins_str(w, dn);
  unsigned az = (unsigned)rng_below(&r, 10);
  ins_str(w, az < 6 ? gen_az_names[(g + az) % gen_az_count] : az < 7 ? "nova" : NULL);
  ins_int(w, 0), ins_int(w, fl), ins_str(w, uuid);
  ins_int(w, f.root_gb), ins_int(w, f.ephemeral_gb);
  if (rng_chance(&r, 0.1)) {
    char cn[32];
    snprintf(cn, sizeof cn, "api!cell%u", cell);
    ins_str(w, cn);
  } else {
    ins_null(w);
  }
  if (no_host)
    ins_null(w);
  else
    ins_str(w, node);
  ins_int(w, deleted >= 0 ? id : 0);
  ins_end_row(w);
}

static ps_status write_nodes(const gen_model *M, unsigned cell, MYSQL *m, gen_counts *c,
                             ps_error *err) {
  gen_ins w;
  if (ins_open(M, &w, m, "nova.compute_nodes",
               "INSERT INTO compute_nodes (created_at,updated_at,deleted_at,id,service_id,vcpus,"
               "memory_mb,local_gb,vcpus_used,memory_mb_used,local_gb_used,hypervisor_type,"
               "hypervisor_version,cpu_info,free_ram_mb,free_disk_gb,running_vms,"
               "hypervisor_hostname,deleted,host_ip,host,ram_allocation_ratio,"
               "cpu_allocation_ratio,uuid,disk_allocation_ratio,mapped) VALUES ",
               err) != PS_OK)
    return w.st;
  int64_t id = 0;
  for (int64_t g = (int64_t)cell - 1; g < M->n_nodes && w.st == PS_OK; g += M->cells) {
    gen_rng r;
    rng_init(&r, M->seed, K_NODE, (uint64_t)g);
    bool has_old = rng_chance(&r, 0.05); /* re-registered: a deleted row for the same host */
    for (int v = has_old ? 0 : 1; v < 2; v++) {
      id++;
      char host[64], hh[96], ip[40], uuid[37];
      host_short(g, host, sizeof host);
      if (rng_chance(&r, 0.85))
        host_fqdn(M, g, hh, sizeof hh);
      else
        snprintf(hh, sizeof hh, "%s", host);
      snprintf(ip, sizeof ip, "10.%u.%u.%u", cell, (unsigned)((g / 250) % 250),
               (unsigned)(g % 250 + 1));
      gen_uuid(gen_hash(M->seed, K_NODE, ((uint64_t)g << 2) | (uint64_t)v | (1ULL << 50)), uuid);
      int vcpus = 16 << rng_below(&r, 3), mem = vcpus * 4096, disk = vcpus * 100;
      int used = (int)rng_below(&r, (uint64_t)vcpus + 1);
      time_t created = gen_created_time(M, &r);
      bool dead = v == 0;
      ins_row(&w);
      ins_dt(&w, created), ins_dt(&w, dead ? created + 86400 : M->now - 60);
      ins_dt(&w, dead ? created + 86400 : -1), ins_int(&w, id), ins_int(&w, id);
      ins_int(&w, vcpus), ins_int(&w, mem), ins_int(&w, disk), ins_int(&w, used);
      ins_int(&w, used * 4096), ins_int(&w, used * 100), ins_str(&w, "QEMU");
      ins_int(&w, 2011001);
      ins_str(&w, "{\"vendor\": \"Intel\", \"model\": \"Broadwell\", \"arch\": \"x86_64\"}");
      ins_int(&w, mem - used * 4096), ins_int(&w, disk - used * 100), ins_int(&w, used);
      ins_str(&w, hh), ins_int(&w, dead ? id : 0), ins_str(&w, ip), ins_str(&w, host);
      ins_dbl(&w, 1.5), ins_dbl(&w, 4.0), ins_str(&w, uuid), ins_dbl(&w, 1.0), ins_int(&w, 1);
      ins_end_row(&w);
    }
  }
  ps_status s = ins_close(&w);
  char db[32];
  snprintf(db, sizeof db, "nova_cell%u", cell);
  gen_count(c, db, "compute_nodes", w.rows);
  return s;
}

static ps_status write_legacy(const gen_model *M, unsigned cell, MYSQL *m, gen_counts *c,
                              ps_error *err) {
  char db[32];
  snprintf(db, sizeof db, "nova_cell%u", cell);
  gen_ins w;
  if (ins_open(M, &w, m, "nova.instance_types",
               "INSERT INTO instance_types (created_at,updated_at,deleted_at,name,id,memory_mb,"
               "vcpus,swap,vcpu_weight,flavorid,rxtx_factor,root_gb,ephemeral_gb,disabled,"
               "is_public,deleted) VALUES ",
               err) != PS_OK)
    return w.st;
  int64_t n = M->n_flavors < 24 ? M->n_flavors : 24, id = 0;
  for (int64_t f = 1; f <= n; f++) {
    /* Old flavors: deleted copies (twice for some, same flavorid), and a few
     * never migrated, still live. */
    int copies = f % 4 == 0 ? 2 : 1;
    for (int k = 0; k < copies + (f % 7 == 0 ? 1 : 0); k++) {
      id++;
      bool live = k == copies;
      flavor_spec fs = flavor_of(M, f);
      char name[64], fid[32];
      snprintf(name, sizeof name, "legacy.%lld%s", (long long)f, live ? "" : "-old");
      snprintf(fid, sizeof fid, "%lld", (long long)(f + 1000));
      time_t t = M->now - 86400 * (time_t)(2000 + 10 * f + k);
      ins_row(&w);
      ins_dt(&w, t), ins_null(&w), ins_dt(&w, live ? -1 : t + 86400 * 30), ins_str(&w, name);
      ins_int(&w, id), ins_int(&w, fs.memory_mb), ins_int(&w, fs.vcpus), ins_int(&w, 0);
      ins_null(&w), ins_str(&w, fid), ins_dbl(&w, 1.0), ins_int(&w, fs.root_gb);
      ins_int(&w, fs.ephemeral_gb), ins_int(&w, 0), ins_int(&w, f % 3 ? 1 : 0);
      ins_int(&w, live ? 0 : id);
      ins_end_row(&w);
    }
  }
  ps_status s = ins_close(&w);
  gen_count(c, db, "instance_types", w.rows);
  if (s != PS_OK)
    return s;

  /* Legacy quota rows for about a tenth of the projects, in this cell or in
   * several; some deleted, some disagreeing with nova_api. */
  if (ins_open(M, &w, m, "nova.quotas",
               "INSERT INTO quotas (created_at,updated_at,deleted_at,project_id,resource,"
               "hard_limit,deleted) VALUES ",
               err) != PS_OK)
    return w.st;
  id = 0;
  char pid[33];
  for (int64_t p = 0; p < M->n_projects && w.st == PS_OK; p++) {
    uint64_t h = gen_hash(M->seed, K_LEGACY, (uint64_t)p);
    if (h % 10 != 0)
      continue;
    if ((h >> 8) % M->cells != cell - 1 && (h >> 16) % 3 != 0)
      continue;
    gen_project_id(M, p, pid);
    for (int res = 0; res < 3; res++) {
      bool del = (h >> (24 + res)) % 5 == 0;
      id++;
      time_t t = M->now - 86400 * (time_t)(1500 + h % 500);
      ins_row(&w);
      ins_dt(&w, t), ins_null(&w), ins_dt(&w, del ? t + 86400 : -1), ins_str(&w, pid);
      ins_str(&w, nova_res[res]), ins_int(&w, quota_value(M, p, res, cell));
      ins_int(&w, del ? id : 0);
      ins_end_row(&w);
    }
  }
  s = ins_close(&w);
  gen_count(c, db, "quotas", w.rows);
  return s;
}

ps_status gen_nova_cell(const gen_model *M, unsigned cell, MYSQL *m, gen_counts *c,
                        ps_error *err) {
  ps_status s = write_nodes(M, cell, m, c, err);
  if (s == PS_OK)
    s = write_legacy(M, cell, m, c, err);
  if (s != PS_OK)
    return s;
  gen_ins w;
  if (ins_open(M, &w, m, "nova.instances", gen_instance_cols, err) != PS_OK)
    return w.st;
  int64_t n = gen_cell_instances(M, cell);
  for (int64_t id = 1; id <= n && w.st == PS_OK; id++)
    gen_instance_row(M, &w, cell, id, 0);
  s = ins_close(&w);
  char db[32];
  snprintf(db, sizeof db, "nova_cell%u", cell);
  gen_count(c, db, "instances", w.rows);
  return s;
}
