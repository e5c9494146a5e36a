/* gen_model: counts per scale, derived identities, the owner distribution
 * and the allocation-request plan (which keystone needs for project.extra). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen.h"

const char *const gen_az_names[] = {"melbourne-qh2", "monash-01", "monash-02", "tasmania",
                                    "QRIScloud",     "auckland",  "intersect", "NCI",
                                    "sa",            "perth"};
const size_t gen_az_count = sizeof gen_az_names / sizeof *gen_az_names;

static int64_t scaled(double scale, double base, int64_t min) {
  int64_t n = llround(base * scale);
  return n < min ? min : n;
}

void gen_uuid(uint64_t h, char out[37]) {
  uint64_t h2 = gen_mix(h);
  snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h >> 32),
           (unsigned)((h >> 16) & 0xffff), (unsigned)(h & 0xfff),
           (unsigned)(0x8000 | ((h2 >> 48) & 0x3fff)),
           (unsigned long long)(h2 & 0xffffffffffffULL));
}

void gen_project_id(const gen_model *M, int64_t p, char out[33]) {
  uint64_t h = gen_hash(M->seed, K_PROJECT, (uint64_t)p);
  snprintf(out, 33, "%016llx%016llx", (unsigned long long)h,
           (unsigned long long)gen_mix(h));
}

void gen_user_id(const gen_model *M, int64_t u, char out[65]) {
  uint64_t h = gen_hash(M->seed, K_USER, (uint64_t)u);
  if (h % 40 == 0) /* federated users have 64-character (sha256) ids */
    snprintf(out, 65, "%016llx%016llx%016llx%016llx", (unsigned long long)h,
             (unsigned long long)gen_mix(h), (unsigned long long)gen_mix(h + 1),
             (unsigned long long)gen_mix(h + 2));
  else
    snprintf(out, 65, "%016llx%016llx", (unsigned long long)h,
             (unsigned long long)gen_mix(h));
}

void gen_instance_uuid(const gen_model *M, unsigned cell, int64_t id, char out[37]) {
  gen_uuid(gen_hash(M->seed, K_INSTANCE, ((uint64_t)cell << 40) | (uint64_t)id), out);
}

int64_t gen_cell_instances(const gen_model *M, unsigned cell) {
  int64_t base = M->n_instances / M->cells, rest = M->n_instances % M->cells;
  return base + ((int64_t)cell <= rest ? 1 : 0);
}

unsigned gen_node_cell(const gen_model *M, int64_t g) { return (unsigned)(g % M->cells) + 1; }

int64_t gen_pick_project(const gen_model *M, gen_rng *r) {
  double x = rng_unit(r) * M->proj_cdf[M->n_projects - 1];
  int64_t lo = 0, hi = M->n_projects - 1;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (M->proj_cdf[mid] > x)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

time_t gen_created_time(const gen_model *M, gen_rng *r) {
  const double span = 10.0 * 365.25 * 86400;
  double u = rng_unit(r);
  return M->now - 3600 - (time_t)(span * u * sqrt(u));
}

const char *gen_name(gen_rng *r, char *buf, size_t cap, const char *stem, int64_t n) {
  static const char *const words[] = {"test", "web", "db", "jupyter", "galaxy", "worker",
                                      "gpu", "analysis", "build", "mirror"};
  static const char *const intl[] = {"caf\xc3\xa9", "\xe6\x9d\xb1\xe4\xba\xac",
                                     "M\xc4\x81ori", "\xd0\xbc\xd0\xbe\xd0\xb4\xd0\xb5\xd0\xbb\xd1\x8c",
                                     "na\xc3\xafve", "\xe2\x98\x83snow"};
  unsigned k = (unsigned)rng_below(r, 100);
  if (k < 3)
    return NULL;
  if (k < 5) {
    buf[0] = '\0';
    return buf;
  }
  if (k < 12) {
    snprintf(buf, cap, "%s-%s-%lld", stem, intl[rng_below(r, 6)], (long long)n);
    return buf;
  }
  if (k < 15) {
    /* Longer than any 64-character reporting column, with multi-byte
     * characters around the cut so a byte-wise cut would split one. */
    size_t len = 0, want = 70 + rng_below(r, 170);
    while (len + 8 < want && len + 8 < cap) {
      const char *piece = (len / 8) % 3 == 0 ? "\xc3\xa9t\xc3\xa9-" : "volume-";
      size_t pl = strlen(piece);
      memcpy(buf + len, piece, pl);
      len += pl;
    }
    buf[len] = '\0';
    return buf;
  }
  if (k < 17) {
    snprintf(buf, cap, "%s's \"quoted\" \\ name %lld", stem, (long long)n);
    return buf;
  }
  snprintf(buf, cap, "%s-%s-%lld", stem, words[rng_below(r, 10)], (long long)n);
  return buf;
}

/* The allocation plan: live requests and their history copies (a copy gets
 * a later id and parent_request_id = the live id, like the dashboard's
 * copy_allocation), some projects named by several live requests. */
static void plan_allocations(gen_model *M) {
  static const char live_status[] = "AAAAAAAAAAAXXJJEENRRLMMODD";
  gen_rng r;
  rng_init(&r, M->seed, K_PLAN, 0);
  int64_t n = M->n_allocs;
  int64_t n_live = 0;
  int64_t *live = malloc(sizeof *live * (size_t)n);
  /* Projects eligible for allocations: the non-personal ones. */
  int64_t n_np = M->n_projects - (M->n_projects + 2) / 3;
  for (int64_t i = 0; i < n; i++) {
    gen_alloc *a = &M->allocs[i];
    a->id = (int32_t)(i + 1);
    bool copy = n_live > 0 && rng_chance(&r, 0.3);
    if (copy) {
      const gen_alloc *p = &M->allocs[live[rng_below(&r, (uint64_t)n_live)]];
      a->parent = p->id;
      a->project = p->project;
      a->status = "EAAXN"[rng_below(&r, 5)];
      a->modified_us = p->modified_us - (int64_t)rng_below(&r, 400) * 86400000000LL - 1;
    } else {
      a->parent = 0;
      a->status = live_status[rng_below(&r, sizeof live_status - 1)];
      unsigned k = (unsigned)rng_below(&r, 100);
      if (k < 3)
        a->project = -1; /* '' */
      else if (k < 6 || (a->status == 'N' && k < 50))
        a->project = -2; /* NULL */
      else if (k < 15 && n_live > 0)
        /* Another request for a project that already has one. */
        a->project = M->allocs[live[rng_below(&r, (uint64_t)n_live)]].project;
      else {
        int64_t q = (int64_t)rng_below(&r, (uint64_t)n_np);
        a->project = (int32_t)(q + q / 2 + 1); /* map onto the indices with p % 3 != 0 */
      }
      if (i > 0 && rng_chance(&r, 0.05) && M->allocs[i - 1].parent == 0)
        a->modified_us = M->allocs[i - 1].modified_us; /* a tie */
      else
        a->modified_us = ((int64_t)gen_created_time(M, &r) * 1000000LL) +
                         (int64_t)rng_below(&r, 1000000);
      live[n_live++] = i;
    }
  }
  /* keystone's allocation_id: for most projects with live requests, the id
   * of one of them (not always the latest); sometimes an id that is not
   * theirs. */
  for (int64_t j = 0; j < n_live; j++) {
    const gen_alloc *a = &M->allocs[live[j]];
    if (a->project < 0 || a->project >= M->n_projects)
      continue;
    uint64_t h = gen_hash(M->seed, K_ALLOC, (uint64_t)a->id);
    if (M->proj_alloc[a->project] == 0 || h % 3 == 0)
      M->proj_alloc[a->project] = a->id;
    if (h % 50 == 1)
      M->proj_alloc[a->project] = (int32_t)(n + 100000 + (int64_t)(h % 1000));
  }
  free(live);
}

ps_status gen_model_init(gen_model *M, uint64_t seed, double scale, unsigned cells,
                         bool legacy_glance, ps_error *err) {
  memset(M, 0, sizeof *M);
  M->seed = seed;
  M->scale = scale;
  M->cells = cells ? cells : 1;
  M->legacy_glance = legacy_glance;
  struct tm ref = {.tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 1};
  M->now = timegm(&ref);
  M->n_projects = scaled(scale, 50000, 30);
  M->n_domains = 3;
  M->n_users = scaled(scale, 60000, 40);
  M->n_assign = scaled(scale, 150000, 100);
  M->n_nodes = scaled(scale, 2000, 4 * (int64_t)M->cells);
  M->n_flavors = scaled(scale, 200, 8);
  M->n_aggs = scaled(scale, 100, 6);
  M->n_instances = scaled(scale, 1000000, 100);
  M->n_volumes = scaled(scale, 200000, 40);
  M->n_images = scaled(scale, 50000, 20);
  M->n_allocs = scaled(scale, 20000, 30);

  M->proj_cdf = malloc(sizeof *M->proj_cdf * (size_t)M->n_projects);
  M->proj_alloc = calloc((size_t)M->n_projects, sizeof *M->proj_alloc);
  M->allocs = calloc((size_t)M->n_allocs, sizeof *M->allocs);
  if (!M->proj_cdf || !M->proj_alloc || !M->allocs) {
    gen_model_free(M);
    return ERROR_SET(err, PS_ENOMEM, "model for scale %g", scale);
  }
  /* Zipf-like owners: weight 1/rank^1.1 with a hashed rank, so a few
   * projects own most resources; one in five owns nothing at all. */
  double acc = 0;
  for (int64_t p = 0; p < M->n_projects; p++) {
    uint64_t h = gen_hash(seed, K_PROJECT, (uint64_t)p);
    double w = 0;
    if (h % 5 != 0) {
      double rank = (double)((h >> 8) % (uint64_t)M->n_projects) + 1;
      w = 1.0 / pow(rank, 1.1);
      if (p % 3 == 0)
        w *= 0.3; /* personal trial projects are small */
    }
    acc += w;
    M->proj_cdf[p] = acc;
  }
  plan_allocations(M);
  return PS_OK;
}

void gen_model_free(gen_model *M) {
  if (!M)
    return;
  free(M->proj_cdf);
  free(M->proj_alloc);
  free(M->allocs);
  M->proj_cdf = NULL;
  M->proj_alloc = NULL;
  M->allocs = NULL;
}
