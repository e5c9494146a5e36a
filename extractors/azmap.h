/* azmap: the host -> availability-zone mapping that hypervisor and instance
 * use, read from the live aggregate_host table (active rows) that the
 * aggregate job has just published.  Hosts are matched on the short name
 * (up to the first '.'), ASCII case-insensitively like the reporting
 * tables' collation.  A host in several AZ aggregates maps to the AZ of the
 * aggregate with the smallest id.  Built in prepare, read-only afterwards. */
#ifndef POLLSTER_AZMAP_H
#define POLLSTER_AZMAP_H

#include "extractors/entity.h"
#include "extractors/strmap.h"

/* Load the map (a new strmap the caller frees with strmap_free). */
ps_status ex__azmap_load(ex_job *j, strmap **out, ps_error *err);
/* AZ of a host name (full or short), or NULL. */
const char *ex__azmap_find(const strmap *m, const char *host, size_t len, size_t *az_len);

#endif
