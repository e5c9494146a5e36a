#include "extractors/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Arena of bump-allocated chunks; entries point into it. */
typedef struct chunk {
  struct chunk *next;
  size_t used, cap;
  _Alignas(16) char data[]; /* every allocation is 16-aligned */
} chunk;

typedef struct slot {
  const char *key; /* NULL = empty */
  size_t len;
  uint64_t hash;
  void *value;
} slot;

struct strmap {
  size_t value_size;
  slot *slots;
  size_t cap, count; /* cap is a power of two */
  chunk *arena;
};

static uint64_t strmap_hash(const char *s, size_t len) {
  /* FNV-1a: short keys, good enough spread, no dependency. */
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h ^ (h >> 29);
}

static void *arena_alloc(strmap *m, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!m->arena || m->arena->cap - m->arena->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    chunk *c = malloc(sizeof *c + cap);
    if (!c)
      return NULL;
    c->next = m->arena;
    c->used = 0;
    c->cap = cap;
    m->arena = c;
  }
  void *p = m->arena->data + m->arena->used;
  m->arena->used += n;
  return p;
}

strmap *strmap_create(size_t value_size) {
  strmap *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->value_size = value_size;
  m->cap = 64;
  m->slots = calloc(m->cap, sizeof *m->slots);
  if (!m->slots) {
    free(m);
    return NULL;
  }
  return m;
}

void strmap_free(strmap *m) {
  if (!m)
    return;
  for (chunk *c = m->arena, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(m->slots);
  free(m);
}

static slot *strmap_find(const slot *slots, size_t cap, const char *key, size_t len,
                         uint64_t h) {
  size_t i = (size_t)h & (cap - 1);
  for (;;) {
    const slot *s = &slots[i];
    if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
      return (slot *)s;
    i = (i + 1) & (cap - 1);
  }
}

static bool strmap_grow(strmap *m) {
  size_t cap = m->cap * 2;
  slot *slots = calloc(cap, sizeof *slots);
  if (!slots)
    return false;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key)
      *strmap_find(slots, cap, m->slots[i].key, m->slots[i].len, m->slots[i].hash) =
          m->slots[i];
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
  return true;
}

void *strmap_put(strmap *m, const char *key, size_t len, bool *created) {
  if (created)
    *created = false;
  if ((m->count + 1) * 4 > m->cap * 3 && !strmap_grow(m))
    return NULL;
  uint64_t h = strmap_hash(key, len);
  slot *s = strmap_find(m->slots, m->cap, key, len, h);
  if (s->key)
    return s->value;
  /* Key first, then the value at the next 16-byte boundary. */
  size_t koff = (len + 1 + 15) & ~(size_t)15;
  char *k = arena_alloc(m, koff + m->value_size);
  if (!k)
    return NULL;
  memcpy(k, key, len);
  k[len] = '\0';
  void *v = k + koff;
  memset(v, 0, m->value_size);
  s->key = k;
  s->len = len;
  s->hash = h;
  s->value = v;
  m->count++;
  if (created)
    *created = true;
  return v;
}

void *strmap_get(const strmap *m, const char *key, size_t len) {
  slot *s = strmap_find(m->slots, m->cap, key, len, strmap_hash(key, len));
  return s->key ? s->value : NULL;
}

size_t strmap_count(const strmap *m) { return m->count; }

char *strmap_strdup(strmap *m, const char *s, size_t len) {
  char *p = arena_alloc(m, len + 1);
  if (p) {
    memcpy(p, s, len);
    p[len] = '\0';
  }
  return p;
}
