#include "extractors/azmap.h"

#include <stdio.h>

typedef struct az_entry {
  const char *az;
  size_t len;
} az_entry;

typedef struct azload {
  strmap *m;
} azload;

/* Short, lower-cased key in buf (hosts are at most 255 bytes). */
static size_t host_key(const char *host, size_t len, char *buf, size_t cap) {
  len = ex__short_host_len(host, len);
  if (len > cap)
    len = cap;
  for (size_t i = 0; i < len; i++) {
    char c = host[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  return len;
}

static ps_status az_row(void *ud, MYSQL_ROW row, const unsigned long *len, ps_error *err) {
  azload *l = ud;
  if (!row[0] || !row[1])
    return PS_OK;
  char key[256];
  size_t klen = host_key(row[0], len[0], key, sizeof key);
  bool created;
  az_entry *e = strmap_put(l->m, key, klen, &created);
  if (!e)
    return ERROR_SET(err, PS_ENOMEM, "host -> AZ map");
  if (created) { /* rows come in aggregate id order: the first wins */
    e->az = strmap_strdup(l->m, row[1], len[1]);
    e->len = len[1];
    if (!e->az)
      return ERROR_SET(err, PS_ENOMEM, "host -> AZ map");
  }
  return PS_OK;
}

ps_status ex__azmap_load(ex_job *j, strmap **out, ps_error *err) {
  azload l = {.m = strmap_create(sizeof(az_entry))};
  *out = NULL;
  if (!l.m)
    return ERROR_SET(err, PS_ENOMEM, "host -> AZ map");
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT host, availability_zone FROM `%s`.aggregate_host WHERE active = 1 "
           "AND availability_zone <> '' ORDER BY id, availability_zone",
           ex__target_schema(j));
  ps_status s = ex__query_target(j, "host -> availability zone (aggregate_host)", sql, az_row,
                                 &l, err);
  if (s != PS_OK) {
    strmap_free(l.m);
    return s;
  }
  *out = l.m;
  return PS_OK;
}

const char *ex__azmap_find(const strmap *m, const char *host, size_t len, size_t *az_len) {
  char key[256];
  size_t klen = host_key(host, len, key, sizeof key);
  const az_entry *e = strmap_get(m, key, klen);
  if (!e)
    return NULL;
  *az_len = e->len;
  return e->az;
}
