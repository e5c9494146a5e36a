/* gen_pickle: a writer for the one pickle shape rcshibboleth stores, a dict
 * of strings, byte for byte as CPython 2.7's pickle.py (wide-unicode build)
 * writes it, so the extractor's reader is tested against the real format:
 *
 *   protocol 0: MARK DICT PUT0, then per item key PUT value PUT SETITEM, STOP:
 *     (dp0\nVkey\np1\nVvalue\np2\ns.      unicode (raw-unicode-escape)
 *     (dp0\nS'key'\np1\nS'value'\np2\ns.  str (Python repr quoting)
 *   protocol 2: PROTO 2, EMPTY_DICT, BINPUT 0, then MARK items SETITEMS (or
 *     one item and SETITEM), STOP; strings are BINUNICODE X (UTF-8) or
 *     SHORT_BINSTRING U / BINSTRING T, each followed by BINPUT q / LONG_BINPUT r. */
#include <stdio.h>
#include <string.h>

#include "bench/gen.h"

/* Decode one UTF-8 sequence (input is generator-made, hence valid). */
static uint32_t utf8_next(const unsigned char **p) {
  const unsigned char *s = *p;
  uint32_t c;
  if (s[0] < 0x80) {
    c = s[0];
    *p += 1;
  } else if (s[0] < 0xe0) {
    c = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
    *p += 2;
  } else if (s[0] < 0xf0) {
    c = ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
    *p += 3;
  } else {
    c = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
        ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
    *p += 4;
  }
  return c;
}

/* save_unicode, protocol 0: backslash and newline become \u005c / \u000a,
 * then raw-unicode-escape (code points < 256 as one raw byte). */
static size_t put_unicode0(const char *s, char *o) {
  size_t n = 0;
  o[n++] = 'V';
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    uint32_t c = utf8_next(&p);
    if (c == '\\' || c == '\n' || (c >= 0x100 && c < 0x10000))
      n += (size_t)sprintf(o + n, "\\u%04x", c);
    else if (c >= 0x10000)
      n += (size_t)sprintf(o + n, "\\U%08x", c);
    else
      o[n++] = (char)c;
  }
  o[n++] = '\n';
  return n;
}

/* save_string, protocol 0: 'S' + repr(str) + '\n'. */
static size_t put_string0(const char *s, char *o) {
  size_t n = 0;
  char q = (strchr(s, '\'') && !strchr(s, '"')) ? '"' : '\'';
  o[n++] = 'S';
  o[n++] = q;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    if (c == (unsigned char)q || c == '\\') {
      o[n++] = '\\';
      o[n++] = (char)c;
    } else if (c == '\t') {
      memcpy(o + n, "\\t", 2), n += 2;
    } else if (c == '\n') {
      memcpy(o + n, "\\n", 2), n += 2;
    } else if (c == '\r') {
      memcpy(o + n, "\\r", 2), n += 2;
    } else if (c < 0x20 || c >= 0x7f) {
      n += (size_t)sprintf(o + n, "\\x%02x", c);
    } else {
      o[n++] = (char)c;
    }
  }
  o[n++] = q;
  o[n++] = '\n';
  return n;
}

static size_t put_le32(uint32_t v, char *o) {
  for (int i = 0; i < 4; i++)
    o[i] = (char)((v >> (8 * i)) & 0xff);
  return 4;
}

static size_t put_bin(const char *s, bool unicode, char *o) {
  size_t len = strlen(s), n = 0;
  if (unicode) {
    o[n++] = 'X';
    n += put_le32((uint32_t)len, o + n);
  } else if (len < 256) {
    o[n++] = 'U';
    o[n++] = (char)len;
  } else {
    o[n++] = 'T';
    n += put_le32((uint32_t)len, o + n);
  }
  memcpy(o + n, s, len);
  return n + len;
}

static size_t put_memo(int protocol, unsigned idx, char *o) {
  if (protocol == 0)
    return (size_t)sprintf(o, "p%u\n", idx);
  if (idx < 256) {
    o[0] = 'q';
    o[1] = (char)idx;
    return 2;
  }
  o[0] = 'r';
  return 1 + put_le32(idx, o + 1);
}

size_t gen_pickle_bound(const gen_kv *items, size_t n) {
  size_t b = 16;
  for (size_t i = 0; i < n; i++)
    b += 10 * (strlen(items[i].key) + strlen(items[i].value)) + 40;
  return b;
}

size_t gen_pickle(const gen_kv *items, size_t n, int protocol, bool unicode, char *out) {
  size_t o = 0;
  unsigned memo = 0;
  if (protocol == 0) {
    out[o++] = '(';
    out[o++] = 'd';
  } else {
    out[o++] = (char)0x80;
    out[o++] = 2;
    out[o++] = '}';
  }
  o += put_memo(protocol, memo++, out + o);
  if (protocol != 0 && n > 1)
    out[o++] = '(';
  for (size_t i = 0; i < n; i++) {
    const char *kv[2] = {items[i].key, items[i].value};
    for (int j = 0; j < 2; j++) {
      if (protocol == 0)
        o += unicode ? put_unicode0(kv[j], out + o) : put_string0(kv[j], out + o);
      else
        o += put_bin(kv[j], unicode, out + o);
      o += put_memo(protocol, memo++, out + o);
    }
    if (protocol == 0)
      out[o++] = 's';
  }
  if (protocol != 0 && n > 1)
    out[o++] = 'u';
  else if (protocol != 0 && n == 1)
    out[o++] = 's';
  out[o++] = '.';
  return o;
}
