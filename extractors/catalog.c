#include "extractors/catalog.h"

#include <string.h>

/* In dependency order, which is also the order `list-tables` shows. */
static const extractor *(*const entities[])(void) = {
    ex__aggregate, ex__hypervisor, ex__instance, ex__historical_usage, ex__project,
    ex__user,      ex__role,       ex__flavour,  ex__volume,           ex__image,
    ex__allocation,
};
#define N_ENTITIES (sizeof entities / sizeof *entities)

size_t ex_catalog_count(void) { return N_ENTITIES; }

const extractor *ex_catalog_get(size_t i) { return i < N_ENTITIES ? entities[i]() : NULL; }

const extractor *ex_catalog_find(const char *name) {
  for (size_t i = 0; i < N_ENTITIES; i++)
    if (strcmp(entities[i]()->name, name) == 0)
      return entities[i]();
  return NULL;
}

const extractor *ex_catalog_for_table(const char *table) {
  for (size_t i = 0; i < N_ENTITIES; i++)
    for (size_t t = 0; entities[i]()->tables[t]; t++)
      if (strcmp(entities[i]()->tables[t]->name, table) == 0)
        return entities[i]();
  return NULL;
}

const char *ex_name(const extractor *ex) { return ex->name; }

const char *const *ex_deps(const extractor *ex) { return ex->deps; }

bool ex_incremental_ok(const extractor *ex) { return ex->flags & EX_INCREMENTAL; }

bool ex_history_keeping(const extractor *ex) { return ex->flags & EX_HISTORY; }

size_t ex_table_count(const extractor *ex) {
  size_t n = 0;
  while (n < EX_MAX_TABLES && ex->tables[n])
    n++;
  return n;
}

const char *ex_table_name(const extractor *ex, size_t i) {
  return i < ex_table_count(ex) ? ex->tables[i]->name : NULL;
}

/* Filled on every call with the same values; call from the main thread
 * (config loading), never concurrently. */
const config_job_spec *ex_config_specs(size_t *n) {
  static config_job_spec specs[N_ENTITIES];
  for (size_t i = 0; i < N_ENTITIES; i++) {
    const extractor *ex = entities[i]();
    specs[i] = (config_job_spec){
        .name = ex->name, .incremental_ok = ex->flags & EX_INCREMENTAL, .needs = ex->needs};
  }
  *n = N_ENTITIES;
  return specs;
}
