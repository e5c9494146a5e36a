#include "loaders/encode.h"

#include <string.h>

size_t encode_row_bound(const loader_value *vals, size_t n_cols) {
  size_t n = 4;
  for (size_t i = 0; i < n_cols; i++)
    n += (vals[i].str ? 2 * vals[i].len + 3 : 4) + 1;
  return n;
}

bool encode_valid_int(const char *s, size_t len) {
  size_t i = (len > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == len)
    return false;
  for (; i < len; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

bool encode_sql_row(char *o, size_t *len, const loader_column *cols, size_t n_cols,
                    const loader_value *vals, encode_escape_fn esc, void *ctx,
                    size_t *bad_col) {
  size_t n = *len;
  o[n++] = '(';
  for (size_t i = 0; i < n_cols; i++) {
    if (i)
      o[n++] = ',';
    const loader_value *v = &vals[i];
    if (!v->str) {
      memcpy(o + n, "NULL", 4);
      n += 4;
    } else if (cols[i].kind == LOADER_INT) {
      if (!encode_valid_int(v->str, v->len)) {
        *bad_col = i;
        return false;
      }
      memcpy(o + n, v->str, v->len);
      n += v->len;
    } else {
      o[n++] = '\'';
      n += esc(ctx, o + n, v->str, (unsigned long)v->len);
      o[n++] = '\'';
    }
  }
  o[n++] = ')';
  *len = n;
  return true;
}

bool encode_tsv_row(char *o, size_t *len, const loader_column *cols, size_t n_cols,
                    const loader_value *vals, size_t *bad_col) {
  size_t n = *len;
  for (size_t i = 0; i < n_cols; i++) {
    if (i)
      o[n++] = '\t';
    const loader_value *v = &vals[i];
    if (!v->str) {
      o[n++] = '\\';
      o[n++] = 'N';
      continue;
    }
    if (cols[i].kind == LOADER_INT && !encode_valid_int(v->str, v->len)) {
      *bad_col = i;
      return false;
    }
    for (size_t k = 0; k < v->len; k++) {
      char c = v->str[k];
      switch (c) {
      case '\t': o[n++] = '\\'; o[n++] = 't'; break;
      case '\n': o[n++] = '\\'; o[n++] = 'n'; break;
      case '\\': o[n++] = '\\'; o[n++] = '\\'; break;
      case '\0': o[n++] = '\\'; o[n++] = '0'; break;
      default: o[n++] = c;
      }
    }
  }
  o[n++] = '\n';
  *len = n;
  return true;
}
