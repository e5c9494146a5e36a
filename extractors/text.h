/* text: the UTF-8 checks behind the "Bad source data" rules of the reporting
 * contract: a value that is not valid UTF-8 becomes NULL, and a string longer
 * than its column is cut at the column's length in characters, never inside a
 * multi-byte sequence.  Pure functions, no allocation, thread-safe. */
#ifndef POLLSTER_TEXT_H
#define POLLSTER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether s[0..len) (borrowed; may hold NUL bytes, which are valid UTF-8) is
 * strict UTF-8 (RFC 3629): shortest form only, no surrogates (U+D800..DFFF),
 * nothing above U+10FFFF.  This is what MariaDB's utf8mb4 accepts, so a value
 * that passes can be stored without the server rejecting or mangling it.
 * s may be NULL when len is 0. */
bool text_utf8_valid(const char *s, size_t len);

/* Byte length of the longest prefix of s[0..len) that holds at most
 * max_chars characters.  A character starts at every byte that is not a
 * continuation byte (10xxxxxx), and at byte 0, so the cut never lands
 * inside a sequence; on invalid input stray continuation bytes stay with the
 * character before them (validate first if that matters).  Returns len when the whole string fits. */
size_t text_utf8_truncate(const char *s, size_t len, size_t max_chars);

/* Value of a hexadecimal digit, or -1. */
int text_hex_value(unsigned char c);

/* Write code point cp (<= 0x10FFFF, the caller checked) as UTF-8 at out
 * (room for 4 bytes); returns the bytes written. */
size_t text_utf8_put(uint32_t cp, char *out);

#endif
