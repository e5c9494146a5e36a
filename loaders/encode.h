/* encode: one row as the loader sends it -- a "(v, v, ...)" tuple of a
 * multi-row INSERT, or a line of LOAD DATA's tab-separated format.  Pure
 * functions (the escaping callback aside), so the batch builder can be
 * fuzzed and tested without a server. */
#ifndef POLLSTER_ENCODE_H
#define POLLSTER_ENCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "loaders/loader.h"

/* Escapes `len` bytes of `from` into `to` (room for 2*len+1) for a quoted
 * SQL string literal; returns the bytes written.  mysql_real_escape_string
 * bound to the connection's charset in production. */
typedef unsigned long (*encode_escape_fn)(void *ctx, char *to, const char *from,
                                          unsigned long len);

/* Upper bound of one encoded row in either format. */
size_t encode_row_bound(const loader_value *vals, size_t n_cols);
/* An optional sign and at least one digit. */
bool encode_valid_int(const char *s, size_t len);

/* Append the row at out[*len] (the caller reserved encode_row_bound bytes).
 * Returns false, with *bad_col set, when an LOADER_INT value is not an
 * integer; nothing useful is left in out then. */
bool encode_sql_row(char *out, size_t *len, const loader_column *cols, size_t n_cols,
                    const loader_value *vals, encode_escape_fn esc, void *ctx,
                    size_t *bad_col);
/* \N for NULL, tab between fields, newline after; tab, newline, backslash
 * and NUL escaped with a backslash (LOAD DATA ... ESCAPED BY '\\'). */
bool encode_tsv_row(char *out, size_t *len, const loader_column *cols, size_t n_cols,
                    const loader_value *vals, size_t *bad_col);

#endif
