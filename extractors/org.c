#include "extractors/org.h"

#include <string.h>

static const char *copy_out(const char *s, size_t n, char *buf, size_t cap) {
  if (n >= cap) {
    /* Never end inside a UTF-8 sequence: back off over continuation bytes. */
    n = cap - 1;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(buf, s, n);
  buf[n] = '\0';
  return buf;
}

const char *org_from_attributes(const pickle_dict *d, char *buf, size_t cap) {
  if (cap > 0)
    buf[0] = '\0';
  if (!d || cap == 0)
    return NULL;
  const char *org = NULL;
  for (size_t i = 0; i < pickle_dict_count(d); i++) {
    size_t at = pickle_dict_sorted(d, i);
    const char *key = pickle_dict_key(d, at);
    if ((strstr(key, "organi") || strstr(key, "orgini")) && !strstr(key, "type"))
      org = pickle_dict_value(d, at);
  }
  if (org)
    return copy_out(org, strlen(org), buf, cap);
  const char *mail = pickle_dict_get(d, "mail");
  const char *at = mail ? strchr(mail, '@') : NULL;
  if (!at)
    return NULL;
  const char *dom = at + 1, *end = strchr(dom, '@');
  return copy_out(dom, end ? (size_t)(end - dom) : strlen(dom), buf, cap);
}
