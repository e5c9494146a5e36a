/* gen_identity: keystone (projects, users, roles, assignments) and
 * rcshibboleth (users with pickled Shibboleth attributes).
 *
 * Project p is personal ("pt-") when p % 3 == 0 and then belongs to user
 * p / 3.  Edge cases written on purpose: projects with several TenantManagers,
 * with only Members, with neither; GroupProject / UserDomain / inherited rows;
 * assignments naming users or projects keystone does not have; project.extra
 * with and without allocation_id; pickles in protocol 0 and 2, unicode and
 * byte strings, every organisation key variant, malformed and NULL ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen.h"

static const char *const role_names[] = {"TenantManager",    "Member", "admin",
                                         "_member_",         "reader", "heat_stack_owner",
                                         "ObjectStoreOperator", "SwiftOperator"};
enum { R_TM, R_MEMBER, R_OTHER, N_ROLES = 8 };

static void role_id(const gen_model *M, int r, char out[33]) {
  uint64_t h = gen_hash(M->seed, K_ASSIGN, 1000000 + (uint64_t)r);
  snprintf(out, 33, "%016llx%016llx", (unsigned long long)h, (unsigned long long)gen_mix(h));
}

static ps_status write_projects(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  gen_ins w;
  if (ins_open(M, &w, m, "keystone.project",
               "INSERT INTO project (id,name,extra,description,enabled,domain_id,parent_id,"
               "is_domain) VALUES ",
               err) != PS_OK)
    return w.st;
  static const char root[] = "<<keystone.domain.root>>";
  ins_row(&w);
  ins_str(&w, root), ins_str(&w, root), ins_str(&w, "{}"), ins_null(&w), ins_int(&w, 0);
  ins_str(&w, root), ins_null(&w), ins_int(&w, 1);
  ins_end_row(&w);
  static const char *const domains[][2] = {
      {"default", "Default"}, {"b1a7c6f0e2d34b8f9a1c2d3e4f5a6b7c", "AAF"}, {"heat", "heat"}};
  for (int d = 0; d < 3; d++) {
    ins_row(&w);
    ins_str(&w, domains[d][0]), ins_str(&w, domains[d][1]), ins_str(&w, "{}");
    ins_str(&w, "Owns users and projects"), ins_int(&w, 1), ins_str(&w, root), ins_null(&w);
    ins_int(&w, 1);
    ins_end_row(&w);
  }
  static const char *const words[] = {"genomics", "climate", "astro", "ecology", "hpc",
                                      "imaging", "linguistics", "\xc3\xa9tudes",
                                      "\xe6\xb5\xb7\xe6\xb4\x8b", "neuro"};
  for (int64_t p = 0; p < M->n_projects && w.st == PS_OK; p++) {
    gen_rng r;
    rng_init(&r, M->seed, K_PROJECT, (uint64_t)p + (1ULL << 40));
    char id[33], name[80], extra[96], desc[128];
    gen_project_id(M, p, id);
    if (p % 3 == 0)
      snprintf(name, sizeof name, "pt-%lld", (long long)(p / 3 + 1000));
    else if (rng_chance(&r, 0.01)) /* exactly the column width */
      snprintf(name, sizeof name, "%-58.58s-%05lld", "a-very-long-project-name-that-fills-the-column",
               (long long)p);
    else
      snprintf(name, sizeof name, "%s-%s-%lld", words[rng_below(&r, 10)],
               rng_chance(&r, 0.5) ? "lab" : "\xe2\x82\xacproject", (long long)p);
    for (char *s = name; *s; s++)
      if (*s == ' ')
        *s = '_';
    const char *ex = extra;
    unsigned k = (unsigned)rng_below(&r, 10);
    if (M->proj_alloc[p] && k < 8)
      snprintf(extra, sizeof extra, "{\"allocation_id\": %d}", M->proj_alloc[p]);
    else if (M->proj_alloc[p])
      snprintf(extra, sizeof extra, "{\"expires\": \"2027-05-01\", \"allocation_id\": %d}",
               M->proj_alloc[p]);
    else if (k < 6)
      ex = "{}";
    else if (k < 8)
      ex = NULL;
    else
      ex = "{\"expires\": \"2021-06-30\", \"notes\": \"allocation pending\"}";
    unsigned dk = (unsigned)rng_below(&r, 20);
    snprintf(desc, sizeof desc, "Research project %lld: %s", (long long)p,
             words[rng_below(&r, 10)]);
    ins_row(&w);
    ins_str(&w, id), ins_str(&w, name), ins_str(&w, ex);
    ins_str(&w, dk == 0 ? NULL : dk == 1 ? "" : desc);
    unsigned ek = (unsigned)rng_below(&r, 100);
    if (ek == 0)
      ins_null(&w);
    else
      ins_int(&w, ek < 6 ? 0 : 1);
    ins_str(&w, "default"), ins_str(&w, "default"), ins_int(&w, 0);
    ins_end_row(&w);
  }
  ps_status s = ins_close(&w);
  gen_count(c, "keystone", "project", w.rows);
  return s;
}

static ps_status write_users(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  gen_ins w;
  if (ins_open(M, &w, m, "keystone.user",
               "INSERT INTO user (id,extra,enabled,default_project_id,created_at,"
               "last_active_at,domain_id) VALUES ",
               err) != PS_OK)
    return w.st;
  for (int64_t u = 0; u < M->n_users && w.st == PS_OK; u++) {
    gen_rng r;
    rng_init(&r, M->seed, K_USER, (uint64_t)u + (1ULL << 40));
    char id[65], extra[128], proj[33];
    gen_user_id(M, u, id);
    snprintf(extra, sizeof extra, "{\"email\": \"user%lld@uni%d.edu.au\"}", (long long)u,
             (int)(u % 40));
    ins_row(&w);
    ins_str(&w, id), ins_str(&w, extra), ins_int(&w, rng_chance(&r, 0.95) ? 1 : 0);
    if (3 * u < M->n_projects) {
      gen_project_id(M, 3 * u, proj);
      ins_str(&w, proj);
    } else {
      ins_null(&w);
    }
    time_t created = gen_created_time(M, &r);
    ins_dt(&w, created);
    if (rng_chance(&r, 0.2))
      ins_null(&w);
    else
      ins_date(&w, created + (time_t)rng_below(&r, (uint64_t)(M->now - created)));
    ins_str(&w, "default");
    ins_end_row(&w);
  }
  ps_status s = ins_close(&w);
  gen_count(c, "keystone", "user", w.rows);
  return s;
}

static ps_status write_roles(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  gen_ins w;
  if (ins_open(M, &w, m, "keystone.role", "INSERT INTO role (id,name,extra,domain_id) VALUES ",
               err) != PS_OK)
    return w.st;
  for (int r = 0; r < N_ROLES; r++) {
    char id[33];
    role_id(M, r, id);
    ins_row(&w);
    ins_str(&w, id), ins_str(&w, role_names[r]), ins_str(&w, "{}"), ins_str(&w, "<<null>>");
    ins_end_row(&w);
  }
  ps_status s = ins_close(&w);
  gen_count(c, "keystone", "role", w.rows);
  return s;
}

static void assign(gen_ins *w, const char *type, const char *actor, const char *target,
                   const char *role, int inherited) {
  ins_row(w);
  ins_str(w, type), ins_str(w, actor), ins_str(w, target), ins_str(w, role);
  ins_int(w, inherited);
  ins_end_row(w);
}

static ps_status write_assignments(const gen_model *M, MYSQL *m, gen_counts *c,
                                   ps_error *err) {
  gen_ins w;
  /* IGNORE: a random member drawn twice for one project collides on the PK. */
  if (ins_open(M, &w, m, "keystone.assignment",
               "INSERT IGNORE INTO assignment (type,actor_id,target_id,role_id,inherited) "
               "VALUES ",
               err) != PS_OK)
    return w.st;
  char roles[N_ROLES][33];
  for (int r = 0; r < N_ROLES; r++)
    role_id(M, r, roles[r]);
  int64_t n_personal = (M->n_projects + 2) / 3, n_np = M->n_projects - n_personal;
  double mean = ((double)M->n_assign * 0.92 - (double)n_personal) / (double)(n_np ? n_np : 1);
  if (mean < 1)
    mean = 1;
  char pid[33], uid[65];
  for (int64_t p = 0; p < M->n_projects && w.st == PS_OK; p++) {
    gen_rng r;
    rng_init(&r, M->seed, K_ASSIGN, (uint64_t)p);
    gen_project_id(M, p, pid);
    if (p % 3 == 0) {
      unsigned k = (unsigned)rng_below(&r, 20);
      if (k == 0)
        continue; /* an orphaned trial project */
      gen_user_id(M, p / 3, uid);
      assign(&w, "UserProject", uid, pid, roles[k < 16 ? R_TM : R_MEMBER], 0);
      continue;
    }
    unsigned cat = (unsigned)(gen_hash(M->seed, K_ASSIGN, (uint64_t)p + (1ULL << 40)) % 20);
    if (cat == 0)
      continue; /* nobody */
    int64_t n = 1 + (int64_t)rng_below(&r, (uint64_t)(2 * mean - 1 > 1 ? 2 * mean - 1 : 1));
    for (int64_t j = 0; j < n; j++) {
      int64_t u = (int64_t)rng_below(&r, (uint64_t)M->n_users);
      if (rng_chance(&r, 0.01))
        u = M->n_users + (int64_t)rng_below(&r, 1000); /* not in keystone */
      gen_user_id(M, u, uid);
      int role;
      if (cat == 1)
        role = R_MEMBER; /* only Members */
      else if (cat == 2)
        role = R_OTHER + (int)rng_below(&r, N_ROLES - R_OTHER); /* neither */
      else if (j == 0 || (j <= 2 && rng_chance(&r, 0.25)))
        role = R_TM; /* several TenantManagers on some projects */
      else
        role = rng_chance(&r, 0.85) ? R_MEMBER : R_OTHER + (int)rng_below(&r, N_ROLES - R_OTHER);
      assign(&w, "UserProject", uid, pid, roles[role], 0);
    }
  }
  /* Rows the role and organisation rules must ignore or drop. */
  int64_t extras = M->n_assign / 12 + 8;
  gen_rng r;
  rng_init(&r, M->seed, K_ASSIGN, 1ULL << 50);
  for (int64_t i = 0; i < extras && w.st == PS_OK; i++) {
    int64_t p = (int64_t)rng_below(&r, (uint64_t)M->n_projects);
    gen_project_id(M, p, pid);
    gen_user_id(M, (int64_t)rng_below(&r, (uint64_t)M->n_users), uid);
    switch (i % 5) {
    case 0: { /* a group holding TenantManager */
      char gid[33];
      snprintf(gid, sizeof gid, "%032llx", (unsigned long long)gen_hash(M->seed, K_GROUP, (uint64_t)i));
      assign(&w, "GroupProject", gid, pid, roles[R_TM], 0);
      break;
    }
    case 1:
      assign(&w, "UserDomain", uid, "default", roles[R_TM], 0);
      break;
    case 2: /* inherited TenantManager: not a direct owner */
      assign(&w, "UserProject", uid, pid, roles[R_TM], 1);
      break;
    case 3: /* a project keystone does not have */
      gen_project_id(M, M->n_projects + (int64_t)rng_below(&r, 1000), pid);
      assign(&w, "UserProject", uid, pid, roles[R_MEMBER], 0);
      break;
    default:
      assign(&w, "UserProject", uid, pid, roles[R_MEMBER], 1);
      break;
    }
  }
  ps_status s = ins_close(&w);
  gen_count(c, "keystone", "assignment", w.rows);
  return s;
}

ps_status gen_keystone(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  ps_status s = write_projects(M, m, c, err);
  if (s == PS_OK)
    s = write_users(M, m, c, err);
  if (s == PS_OK)
    s = write_roles(M, m, c, err);
  if (s == PS_OK)
    s = write_assignments(M, m, c, err);
  return s;
}

/* ---- rcshibboleth ---- */

static const char *const orgs[] = {
    "The University of Melbourne",
    "Monash University",
    "Universit\xc3\xa9 de Montr\xc3\xa9" "al",           /* latin-1 range: raw bytes in protocol 0 */
    "M\xc4\x81ori Research Institute",                   /* \u0101 */
    "\xe6\x9d\xb1\xe4\xba\xac\xe5\xa4\xa7\xe5\xad\xa6",   /* 3-byte UTF-8 */
    "Institute of \xf0\x9f\x94\xac Microscopy",           /* 4-byte UTF-8 */
    "O'Reilly \"Data\" Institute",
    "Back\\slash\nNewline University",
    "CSIRO",
    "",
};
enum { N_ORGS = sizeof orgs / sizeof *orgs };

/* The attribute dict of one user, in an order that is not sorted (the
 * reader must sort the keys itself). */
static size_t shib_attrs(gen_rng *r, int64_t u, gen_kv *kv, char *mail, size_t mail_cap,
                         char *name) {
  size_t n = 0;
  const char *org = orgs[rng_below(r, N_ORGS)];
  const char *org2 = orgs[rng_below(r, N_ORGS)];
  snprintf(mail, mail_cap, "user%lld@uni%d.edu.au", (long long)u, (int)(u % 40));
  kv[n++] = (gen_kv){"displayname", name};
  unsigned v = (unsigned)rng_below(r, 12);
  switch (v) {
  case 0: case 1: case 2: case 3:
    kv[n++] = (gen_kv){"organisation", org};
    break;
  case 4:
    kv[n++] = (gen_kv){"homeorganisation", org};
    break;
  case 5: /* both: "organisation" sorts last and wins */
    kv[n++] = (gen_kv){"organisation", org};
    kv[n++] = (gen_kv){"homeorganisation", org2};
    break;
  case 6: /* the misspelt key sorts after "organisation" */
    kv[n++] = (gen_kv){"orginisation", org};
    kv[n++] = (gen_kv){"organisation", org2};
    break;
  case 7: /* a type key must be ignored */
    kv[n++] = (gen_kv){"organisationtype", "urn:mace:terena.org:schac:homeOrganizationType:au:university"};
    kv[n++] = (gen_kv){"homeorganisation", org};
    break;
  case 8:
    kv[n++] = (gen_kv){"homeorganisationtype", "university"};
    break; /* no organisation: mail's domain */
  default:
    break; /* only mail */
  }
  if (v != 10 || rng_chance(r, 0.5))
    kv[n++] = (gen_kv){"mail", mail};
  if (rng_chance(r, 0.5))
    kv[n++] = (gen_kv){"persistent-id", "https://idp.example.edu.au/idp/shibboleth!x"};
  return n;
}

static void shib_row(const gen_model *M, gen_ins *w, int64_t row, const char *user_id,
                     const char *state, int64_t u) {
  gen_rng r;
  rng_init(&r, M->seed, K_SHIB, (uint64_t)row);
  char pid[160], name[96], mail[96];
  snprintf(pid, sizeof pid,
           "https://idp.uni%d.edu.au/idp/shibboleth!https://rc.nectar.org.au/shibboleth!%016llx",
           (int)(u % 40), (unsigned long long)gen_hash(M->seed, K_SHIB, (uint64_t)row + (1ULL << 40)));
  if (rng_chance(&r, 0.05))
    snprintf(name, sizeof name, "Ren\xc3\xa9\x65 \xe7\x8e\x8b %lld", (long long)u);
  else
    snprintf(name, sizeof name, "User %lld", (long long)u);
  gen_kv kv[8];
  size_t n = shib_attrs(&r, u, kv, mail, sizeof mail, name);
  char blob[4096];
  size_t len = 0;
  unsigned k = (unsigned)rng_below(&r, 100);
  bool is_null = k < 4;
  if (k >= 4 && k < 7) {
    /* malformed: a truncated pickle, garbage, or nothing at all */
    len = gen_pickle(kv, n, k == 4 ? 0 : 2, true, blob);
    if (k == 4 || k == 5)
      len = len / 2;
    else
      len = (size_t)snprintf(blob, sizeof blob, "not a pickle \x01\xff%lld", (long long)u);
  } else if (k == 7) {
    len = 0; /* empty blob */
  } else if (!is_null) {
    int protocol = (k & 1) ? 2 : 0;
    bool unicode = rng_chance(&r, 0.6);
    if (gen_pickle_bound(kv, n) <= sizeof blob)
      len = gen_pickle(kv, n, protocol, unicode, blob);
  }
  ins_row(w);
  ins_str(w, pid), ins_str(w, user_id), ins_str(w, name);
  ins_str(w, rng_chance(&r, 0.02) ? NULL : mail);
  ins_str(w, state);
  time_t reg = gen_created_time(M, &r);
  ins_dt(w, reg + (time_t)rng_below(&r, (uint64_t)(M->now - reg)));
  ins_dt(w, reg);
  if (is_null)
    ins_null(w);
  else
    ins_strn(w, blob, len);
  ins_dt(w, reg);
  ins_str(w, rng_chance(&r, 0.5) ? "v1" : "v2");
  ins_end_row(w);
}

ps_status gen_rcshibboleth(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  gen_ins w;
  if (ins_open(M, &w, m, "rcshibboleth.user",
               "INSERT INTO user (persistent_id,user_id,displayname,email,state,last_login,"
               "terms_accepted_at,shibboleth_attributes,registered_at,terms_version) VALUES ",
               err) != PS_OK)
    return w.st;
  int64_t row = 0;
  char uid[65];
  for (int64_t u = 0; u < M->n_users && w.st == PS_OK; u++) {
    if (gen_hash(M->seed, K_SHIB, (uint64_t)u) % 100 >= 92)
      continue; /* a keystone user without a shibboleth row */
    gen_user_id(M, u, uid);
    shib_row(M, &w, row++, uid, "created", u);
  }
  /* Registrations without a keystone account, and stale ones. */
  int64_t extra = M->n_users / 25 + 2;
  for (int64_t i = 0; i < extra && w.st == PS_OK; i++) {
    int64_t u = M->n_users + 1000 + i;
    if (i % 3 == 0) {
      gen_user_id(M, u, uid);
      shib_row(M, &w, row++, uid, "created", u);
    } else {
      shib_row(M, &w, row++, NULL, i % 3 == 1 ? "new" : "registered", u);
    }
  }
  ps_status s = ins_close(&w);
  gen_count(c, "rcshibboleth", "user", w.rows);
  return s;
}
