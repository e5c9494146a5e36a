/* gen_dashboard: rcallocation allocation requests (live records and their
 * history copies, as planned in gen_model.c) and chief investigators. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen.h"

const char gen_alloc_cols[] =
    "INSERT INTO rcallocation_allocationrequest (id,status,status_explanation,created_by,"
    "submit_date,modified_time,project_name,project_description,contact_email,start_date,"
    "end_date,estimated_project_duration,convert_trial_project,approver_email,use_case,"
    "usage_patterns,allocation_home,geographic_requirements,project_id,estimated_number_users,"
    "field_of_research_1,for_percentage_1,field_of_research_2,for_percentage_2,"
    "field_of_research_3,for_percentage_3,nectar_support,ncris_support,"
    "funding_national_percent,funding_node,parent_request_id,provisioned,notes,"
    "notifications) VALUES ";

static const char ci_cols[] =
    "INSERT INTO rcallocation_chiefinvestigator (title,given_name,surname,email,institution,"
    "additional_researchers,allocation_id) VALUES ";

void gen_alloc_row(const gen_model *M, gen_ins *w, const gen_alloc *a) {
  static const char *const homes[] = {"national", "uom", "monash", "qcif", "tpac", "intersect"};
  static const char *const fors[] = {"0801", "0604", "1117", "0299", "0502", "2003"};
  gen_rng r;
  rng_init(&r, M->seed, K_ALLOC, (uint64_t)a->id + (1ULL << 40));
  char pid[33], pname[80], email[160], desc[128];
  int64_t proj = a->project;
  if (proj >= 0)
    gen_project_id(M, proj, pid);
  if (proj >= 0 && proj % 3 != 0)
    snprintf(pname, sizeof pname, "alloc-%lld", (long long)proj);
  else
    snprintf(pname, sizeof pname, "request-%d", a->id);
  if (rng_chance(&r, 0.05)) /* longer than the 75-character reporting column */
    snprintf(email, sizeof email,
             "a.very.long.contact.address.for.request.%d@research-support.example-university.edu.au",
             a->id);
  else
    snprintf(email, sizeof email, "contact%d@uni%d.edu.au", a->id, a->id % 30);
  snprintf(desc, sizeof desc, "Allocation request %d for %s", a->id,
           rng_chance(&r, 0.1) ? "\xc3\xa9tudes \xe6\xb5\xb7\xe6\xb4\x8b" : "research");
  time_t mod = (time_t)(a->modified_us / 1000000);
  ins_row(w);
  ins_int(w, a->id);
  char st[2] = {a->status, 0};
  ins_str(w, st), ins_str(w, rng_chance(&r, 0.7) ? "" : "Reviewed"), ins_str(w, email);
  ins_date(w, mod - 86400 * 30), ins_dt6(w, a->modified_us), ins_str(w, pname);
  ins_str(w, desc), ins_str(w, email), ins_date(w, mod - 86400 * 20);
  ins_date(w, mod + 86400 * 365), ins_int(w, 12), ins_int(w, rng_chance(&r, 0.2));
  ins_str(w, rng_chance(&r, 0.1) ? "" : "approver@nectar.org.au");
  ins_str(w, "Use case text"), ins_str(w, "Usage patterns"), ins_str(w, homes[rng_below(&r, 6)]);
  ins_str(w, "");
  if (a->project == -1)
    ins_str(w, "");
  else if (a->project == -2)
    ins_null(w);
  else
    ins_str(w, pid);
  ins_int(w, 1 + (int64_t)rng_below(&r, 20));
  unsigned nf = (unsigned)rng_below(&r, 4);
  for (unsigned f = 0; f < 3; f++) {
    if (f < nf)
      ins_str(w, fors[rng_below(&r, 6)]), ins_int(w, f == 0 ? 100 - 20 * (int)(nf - 1) : 20);
    else
      ins_null(w), ins_int(w, 0);
  }
  ins_str(w, ""), ins_str(w, ""), ins_int(w, (int64_t)rng_below(&r, 5) * 25);
  ins_str(w, rng_chance(&r, 0.2) ? NULL : homes[rng_below(&r, 6)]);
  if (a->parent)
    ins_int(w, a->parent);
  else
    ins_null(w);
  ins_int(w, a->status == 'A' ? 1 : 0), ins_null(w), ins_int(w, 1);
  ins_end_row(w);
}

ps_status gen_dashboard(const gen_model *M, MYSQL *m, gen_counts *c, ps_error *err) {
  gen_ins w;
  if (ins_open(M, &w, m, "dashboard.rcallocation_allocationrequest", gen_alloc_cols, err) != PS_OK)
    return w.st;
  for (int64_t i = 0; i < M->n_allocs && w.st == PS_OK; i++)
    gen_alloc_row(M, &w, &M->allocs[i]);
  ps_status s = ins_close(&w);
  gen_count(c, "dashboard", "rcallocation_allocationrequest", w.rows);
  if (s != PS_OK)
    return s;
  if (ins_open(M, &w, m, "dashboard.rcallocation_chiefinvestigator", ci_cols, err) != PS_OK)
    return w.st;
  static const char *const given[] = {"Alice", "Bo", "Ch\xc3\xa9rie", "Dmitri", "\xe7\x8e\x8b"};
  for (int64_t i = 0; i < M->n_allocs && w.st == PS_OK; i++) {
    const gen_alloc *a = &M->allocs[i];
    gen_rng r;
    rng_init(&r, M->seed, K_ALLOC, (uint64_t)a->id + (2ULL << 40));
    unsigned k = (unsigned)rng_below(&r, 100);
    int n = k < 4 ? 0 : k < 90 ? 1 : 2 + (int)rng_below(&r, 2);
    for (int j = 0; j < n; j++) {
      char email[160];
      /* Several CIs: the later ones sometimes sort first by email. */
      if (j > 0 && rng_chance(&r, 0.5))
        snprintf(email, sizeof email, "a-ci%d-%d@uni.edu.au", a->id, j);
      else if (rng_chance(&r, 0.04))
        snprintf(email, sizeof email,
                 "chief.investigator.with.a.remarkably.long.name.%d@faculty.example-university.edu.au",
                 a->id);
      else
        snprintf(email, sizeof email, "ci%d-%d@uni%d.edu.au", a->id, j, a->id % 30);
      ins_row(&w);
      ins_str(&w, j ? "Dr" : "Prof"), ins_str(&w, given[rng_below(&r, 5)]);
      ins_str(&w, "Investigator"), ins_str(&w, email), ins_str(&w, "University");
      ins_str(&w, ""), ins_int(&w, a->id);
      ins_end_row(&w);
    }
  }
  s = ins_close(&w);
  gen_count(c, "dashboard", "rcallocation_chiefinvestigator", w.rows);
  return s;
}
