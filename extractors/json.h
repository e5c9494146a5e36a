/* json: a small strict JSON reader (RFC 8259) that finds one member of a
 * top-level object without building a tree.  Used for keystone's
 * `project.extra` (the `allocation_id` member).  Pure, no allocation,
 * thread-safe; nesting is followed with a fixed-size explicit stack, never
 * recursion, so hostile input costs at most O(len) time and no memory. */
#ifndef POLLSTER_JSON_H
#define POLLSTER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/status.h"

/* Deeper documents are rejected as malformed (PS_EDATA). */
#define JSON_MAX_DEPTH 512

/* Validate text[0..len) (borrowed) as one JSON document and, if it is an
 * object, look up its top-level member `member` (borrowed, UTF-8, compared
 * after unescaping the document's keys).  Nested objects are never searched.
 *
 * *found is set to true and *out to the value when the member's value is an
 * integer: a JSON number without fraction or exponent ("1234", "-5"), or a
 * string holding an optional '-' and decimal digits only ("1234", "007"),
 * either fitting in int64_t.  Anything else (absent, null, 1.5, 1e3, "x",
 * true, an object, out of range, the document not being an object) leaves
 * *found false and returns PS_OK: "not found" is not an error.
 * When the member occurs several times the last occurrence decides (as in
 * Python's json module, which wrote these documents), so a trailing null
 * hides an earlier integer.
 *
 * Returns PS_EDATA (err filled with the byte offset) when the text is not
 * valid JSON: bad syntax, trailing garbage, invalid UTF-8, raw control
 * characters or lone surrogate escapes in strings, nesting deeper than
 * JSON_MAX_DEPTH.  Then *found is false.  err may be NULL. */
ps_status json_object_get_int(const char *text, size_t len, const char *member,
                              int64_t *out, bool *found, ps_error *err);

#endif
