/* libFuzzer target: the batch builder (loaders/encode.c).  The input is cut
 * into a row of values; each row is encoded both ways and decoded again by an
 * independent reader of the two formats, which must give back the values
 * byte for byte (NULLs included), within encode_row_bound.  Built by
 * tests/fuzz/run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loaders/encode.h"

#define MAXC 8

/* What mysql_real_escape_string does for a single-byte-safe charset (the
 * client library's needs a connection for its charset). */
static unsigned long escape(void *ctx, char *to, const char *from, unsigned long len) {
  (void)ctx;
  unsigned long n = 0;
  for (unsigned long i = 0; i < len; i++) {
    char c = from[i], e = c == '\0' ? '0' : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\032' ? 'Z'
                        : (c == '\\' || c == '\'' || c == '"') ? c : 0;
    if (e)
      to[n++] = '\\', to[n++] = e;
    else
      to[n++] = c;
  }
  to[n] = '\0';
  return n;
}

/* Reader of one "(v,v,...)" tuple as the server would read it. */
static size_t sql_value(const char *p, size_t n, size_t i, char *out, size_t *olen, int *null) {
  *null = 0;
  *olen = 0;
  if (n - i >= 4 && memcmp(p + i, "NULL", 4) == 0) {
    *null = 1;
    return i + 4;
  }
  if (p[i] != '\'') { /* integer */
    while (i < n && p[i] != ',' && p[i] != ')')
      out[(*olen)++] = p[i++];
    return i;
  }
  for (i++; i < n && p[i] != '\''; i++) {
    char c = p[i];
    if (c == '\\') {
      c = p[++i];
      c = c == '0' ? '\0' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'Z' ? '\032' : c;
    }
    out[(*olen)++] = c;
  }
  return i + 1;
}

static size_t tsv_value(const char *p, size_t n, size_t i, char *out, size_t *olen, int *null) {
  *null = 0;
  *olen = 0;
  if (n - i >= 2 && p[i] == '\\' && p[i + 1] == 'N' && (i + 2 == n || p[i + 2] == '\t' || p[i + 2] == '\n')) {
    *null = 1;
    return i + 2;
  }
  for (; i < n && p[i] != '\t' && p[i] != '\n'; i++) {
    char c = p[i];
    if (c == '\\') {
      c = p[++i];
      c = c == '0' ? '\0' : c == 'n' ? '\n' : c == 't' ? '\t' : c;
    }
    out[(*olen)++] = c;
  }
  return i;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  size_t nc = 1 + data[0] % MAXC;
  loader_column cols[MAXC];
  loader_value vals[MAXC];
  const char *text = (const char *)data + 1;
  size_t left = size - 1, pos = 0;
  for (size_t c = 0; c < nc; c++) {
    /* Values are separated by 0xFE; a value starting with 0xFD is NULL;
     * odd columns are integers. */
    size_t start = pos;
    while (pos < left && (unsigned char)text[pos] != 0xFE)
      pos++;
    cols[c] = (loader_column){"c", (c & 1) ? LOADER_INT : LOADER_STR, c == 0};
    vals[c].str = text + start;
    vals[c].len = pos - start;
    if (vals[c].len && (unsigned char)text[start] == 0xFD)
      vals[c].str = NULL, vals[c].len = 0;
    if (pos < left)
      pos++;
  }
  size_t bound = encode_row_bound(vals, nc);
  char *buf = malloc(bound), *tmp = malloc(size + 1);
  for (int fmt = 0; fmt < 2; fmt++) {
    size_t len = 0, bad = MAXC;
    bool ok = fmt ? encode_tsv_row(buf, &len, cols, nc, vals, &bad)
                  : encode_sql_row(buf, &len, cols, nc, vals, escape, NULL, &bad);
    bool want_ok = true;
    for (size_t c = 0; c < nc && want_ok; c++)
      if (vals[c].str && cols[c].kind == LOADER_INT && !encode_valid_int(vals[c].str, vals[c].len))
        want_ok = false;
    if (ok != want_ok)
      abort();
    if (!ok)
      continue;
    if (len > bound)
      abort();
    size_t i = fmt ? 0 : 1;
    for (size_t c = 0; c < nc; c++) {
      size_t olen;
      int null;
      i = fmt ? tsv_value(buf, len, i, tmp, &olen, &null) : sql_value(buf, len, i, tmp, &olen, &null);
      if (null != (vals[c].str == NULL))
        abort();
      if (!null && (olen != vals[c].len || memcmp(tmp, vals[c].str, olen) != 0))
        abort();
      if (i >= len || buf[i] != (c + 1 < nc ? (fmt ? '\t' : ',') : (fmt ? '\n' : ')')))
        abort();
      i++;
    }
    if (i != len)
      abort();
  }
  free(buf);
  free(tmp);
  return 0;
}
