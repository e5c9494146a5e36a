/* pickle: a reader for the one kind of Python pickle the sources hold, a
 * dict of strings (`rcshibboleth.user.shibboleth_attributes`, written by
 * Python 2 with protocol 0 or 2).  It interprets the opcodes itself and never
 * executes anything: globals, REDUCE, BUILD, persistent ids and the like are
 * rejected.  Pure, thread-safe, hostile input safe:
 *  - every read is bounds-checked; a length field larger than the rest of
 *    the input is rejected before anything is allocated;
 *  - no recursion: the pickle machine's stack is an explicit array of at most
 *    PICKLE_MAX_STACK entries (marks included);
 *  - memory is bounded: decoded strings total at most PICKLE_MAX_OUTPUT bytes,
 *    memo ids are capped at PICKLE_MAX_MEMO, and every other table grows at
 *    most one entry per opcode read.
 *
 * Accepted opcodes (protocols 0-4): MARK ( STOP . POP 0 POP_MARK 1 DUP 2
 * STRING S, UNICODE V, BINSTRING T, SHORT_BINSTRING U, BINUNICODE X,
 * SHORT_BINUNICODE \x8c, BINUNICODE8 \x8d, BINBYTES B, SHORT_BINBYTES C,
 * PUT p, GET g, BINPUT q, BINGET h, LONG_BINPUT r, LONG_BINGET j, MEMOIZE \x94,
 * EMPTY_DICT }, DICT d, SETITEM s, SETITEMS u, PROTO \x80, FRAME \x95, and as
 * opaque non-string values: NONE N, INT I, LONG L, FLOAT F, BININT J/K/M,
 * LONG1 \x8a, LONG4 \x8b, BINFLOAT G, NEWTRUE \x88, NEWFALSE \x89, EMPTY_LIST ],
 * LIST l, APPEND a, APPENDS e, EMPTY_TUPLE ), TUPLE t, TUPLE1-3 \x85-\x87,
 * EMPTY_SET \x8f, ADDITEMS \x90, FROZENSET \x91.  Anything else: PS_EDATA.
 *
 * String decoding (the output is always valid UTF-8):
 *  - unicode opcodes: V is raw-unicode-escape (bytes are Latin-1 code points,
 *    \uXXXX and \UXXXXXXXX escapes after an odd run of backslashes; a
 *    \uD800-\uDBFF + \uDC00-\uDFFF pair is joined, as a Python 2 narrow build
 *    meant it); X/\x8c/\x8d are UTF-8.  A lone surrogate, a code point above
 *    U+10FFFF or invalid UTF-8 makes the pickle unreadable (PS_EDATA).
 *  - Python 2 byte strings (S, T, U, and B/C): kept as they are when they are
 *    valid UTF-8 (what Shibboleth attributes are in practice), otherwise read
 *    as Latin-1 and converted to UTF-8.  S is the repr() form that
 *    `string-escape` undoes: '...' or "...", escapes \\ \' \" \a \b \f \n \r
 *    \t \v \xHH \ooo and backslash-newline; an unknown escape stays as typed.
 *
 * Dict semantics: SETITEM/SETITEMS/DICT on the same key keep the last value,
 * at the position of the key's first insertion.  Entries whose key is not a
 * string are dropped; entries whose (last) value is not a string (int, None,
 * a nested list or dict, ...) are dropped too while the rest of the pickle is
 * still read, because the contract only ever looks at string attributes.  A
 * string holding a NUL byte counts as a non-string (keys and values here are
 * C strings).  A byte string and a unicode string with the same UTF-8 text are
 * the same key (Python 2 agrees for ASCII, which every attribute name is).
 * The object at STOP must be a dict; bytes after STOP are ignored (as
 * pickle.loads does). */
#ifndef POLLSTER_PICKLE_H
#define POLLSTER_PICKLE_H

#include <stddef.h>

#include "engine/status.h"

#define PICKLE_MAX_OUTPUT (1u << 20) /* bytes of decoded strings */
#define PICKLE_MAX_STACK  4096       /* stack entries, marks included */
#define PICKLE_MAX_MEMO   (1u << 16) /* memo ids 0 .. PICKLE_MAX_MEMO-1 */

/* A flat list of (key, value) UTF-8 strings, NUL-terminated, owned by it.
 * Immutable once read: may be shared read-only between threads. */
typedef struct pickle_dict pickle_dict;

/* Read buf[0..len) (borrowed).  On PS_OK *out is a new dict the caller owns
 * (pickle_dict_free).  On failure *out is NULL and the status is PS_EDATA for
 * anything unreadable (err says what and at which byte) or PS_ENOMEM.
 * err may be NULL. */
ps_status pickle_read_dict(const unsigned char *buf, size_t len, pickle_dict **out,
                           ps_error *err);

/* Entries in first-insertion order; i < count.  Strings borrowed from d. */
size_t pickle_dict_count(const pickle_dict *d);
const char *pickle_dict_key(const pickle_dict *d, size_t i);
const char *pickle_dict_value(const pickle_dict *d, size_t i);
/* Index of the i-th key in byte order (strcmp), i < count: the order Python 2's
 * sorted() gives for str keys. */
size_t pickle_dict_sorted(const pickle_dict *d, size_t i);
/* Value for key (borrowed), NULL when absent.  O(log n). */
const char *pickle_dict_get(const pickle_dict *d, const char *key);

void pickle_dict_free(pickle_dict *d); /* accepts NULL */

#endif
