/* strmap: a string-keyed hash map for the lookup tables extractors build
 * before streaming (host -> AZ, project -> quotas, user -> attributes).
 * Open addressing with linear probing; keys and the fixed-size values live in
 * one arena the map owns, so a map of 100,000 entries costs two allocations
 * per doubling, not one per entry.  Built by one thread, then read by any
 * number of threads without a lock (no writes after the build). */
#ifndef POLLSTER_STRMAP_H
#define POLLSTER_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strmap strmap;

/* A map whose values are `value_size` bytes each (zero-filled on insert). */
strmap *strmap_create(size_t value_size);
void strmap_free(strmap *m); /* accepts NULL */

/* The value slot for key (len bytes), inserted zero-filled if missing
 * (*created = true then; created may be NULL).  NULL on allocation failure.
 * The pointer is valid until the next insert. */
void *strmap_put(strmap *m, const char *key, size_t len, bool *created);
/* The value slot for key, or NULL. */
void *strmap_get(const strmap *m, const char *key, size_t len);
size_t strmap_count(const strmap *m);

/* Copy a string into the map's arena (for values that hold strings); the
 * copy is NUL-terminated and lives as long as the map.  NULL on failure. */
char *strmap_strdup(strmap *m, const char *s, size_t len);

#endif
