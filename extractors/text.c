#include "extractors/text.h"

#include <stdint.h>
#include <string.h>

/* Most source strings are short ASCII names and ids: skip 8 bytes at a time
 * while none has its high bit set. */
static size_t ascii_prefix(const unsigned char *p, size_t len) {
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    if (w & UINT64_C(0x8080808080808080))
      break;
  }
  while (i < len && p[i] < 0x80)
    i++;
  return i;
}

bool text_utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    i += ascii_prefix(p + i, len - i);
    if (i >= len)
      break;
    unsigned char c = p[i];
    size_t n;
    /* The second byte's range carries the overlong/surrogate/max checks
     * (RFC 3629 section 4 table). */
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0)
        lo = 0xA0;
      else if (c == 0xED)
        hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0)
        lo = 0x90;
      else if (c == 0xF4)
        hi = 0x8F;
    } else {
      return false;
    }
    if (len - i < n)
      return false;
    if (p[i + 1] < lo || p[i + 1] > hi)
      return false;
    for (size_t k = 2; k < n; k++)
      if ((p[i + k] & 0xC0) != 0x80)
        return false;
    i += n;
  }
  return true;
}

size_t text_utf8_truncate(const char *s, size_t len, size_t max_chars) {
  /* Every character takes at least one byte. */
  if (len <= max_chars)
    return len;
  const unsigned char *p = (const unsigned char *)s;
  size_t head = ascii_prefix(p, max_chars);
  if (head == max_chars && (p[max_chars] & 0xC0) != 0x80)
    return max_chars;
  size_t chars = 0;
  for (size_t i = 0; i < len; i++) {
    if (i == 0 || (p[i] & 0xC0) != 0x80) {
      if (chars == max_chars)
        return i;
      chars++;
    }
  }
  return len;
}

size_t text_utf8_put(uint32_t cp, char *out) {
  unsigned char *u = (unsigned char *)out;
  if (cp < 0x80) {
    u[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    u[0] = (unsigned char)(0xC0 | cp >> 6);
    u[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    u[0] = (unsigned char)(0xE0 | cp >> 12);
    u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    u[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  u[0] = (unsigned char)(0xF0 | cp >> 18);
  u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
  u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
  u[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

int text_hex_value(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}
