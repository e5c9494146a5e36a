/* The pickle reader against hand-written Python 2 pickles (protocol 0 and
 * 2, as CPython 2.7's pickle/cPickle wrote them: S/U/T byte strings, V/X
 * unicode), Python 3 pickles (generated once with python3 and pasted here),
 * and hostile input.  Every test runs under ASan/UBSan in the sanitizer
 * build, which is what makes the truncation and garbage cases meaningful. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extractors/pickle.h"

#define P(lit) (const unsigned char *)(lit), sizeof(lit) - 1

static pickle_dict *read_ok(const unsigned char *b, size_t n) {
  pickle_dict *d = NULL;
  ps_error err;
  error_clear(&err);
  ps_status st = pickle_read_dict(b, n, &d, &err);
  cr_assert_eq(st, PS_OK, "pickle_read_dict: %s", err.msg);
  cr_assert_not_null(d);
  return d;
}

static void read_bad(const unsigned char *b, size_t n) {
  pickle_dict *d = (pickle_dict *)1;
  ps_error err;
  error_clear(&err);
  cr_assert_eq(pickle_read_dict(b, n, &d, &err), PS_EDATA);
  cr_assert_null(d);
  cr_assert_eq(err.status, PS_EDATA);
  cr_assert(err.msg[0]);
}

/* Python 2.7: pickle.dumps({'mail': 'x@y', 'o': 'Uni'}, 0) */
static const char PY2_P0[] = "(dp0\nS'mail'\np1\nS'x@y'\np2\nsS'o'\np3\nS'Uni'\np4\ns.";
/* Python 2.7: pickle.dumps({'mail': 'x@y', 'o': u'caf\xe9', 'cn': 'A'*300}, 2):
 * SETITEMS batch, U (short) and T (long) byte strings, X unicode. */
static unsigned char py2_p2[600];
static size_t py2_p2_len;

static void build_py2_p2(void) {
  unsigned char *w = py2_p2;
  memcpy(w, "\x80\x02}q\x00(U\x04mailq\x01U\x03x@yq\x02U\x01oq\x03X\x05\x00\x00\x00" "caf\xc3\xa9q\x04U\x02" "cnq\x05T\x2c\x01\x00\x00", 49);
  w += 49;
  memset(w, 'A', 300);
  w += 300;
  memcpy(w, "q\x06u.", 4);
  w += 4;
  py2_p2_len = (size_t)(w - py2_p2);
}

static const char PY3_P0[] =
    "(dp0\n"
    "Vmail\n"
    "p1\n"
    "Va@b\n"
    "p2\n"
    "sVgroups\n"
    "p3\n"
    "(lp4\n"
    "Vx\n"
    "p5\n"
    "aVy\n"
    "p6\n"
    "asVn\n"
    "p7\n"
    "NsVd\n"
    "p8\n"
    "(dp9\n"
    "Vk\n"
    "p10\n"
    "Vv\n"
    "p11\n"
    "ssI1\n"
    "Vintkey\n"
    "p12\n"
    "sVo\n"
    "p13\n"
    "Vcaf\351\\U0001f600\n"
    "p14\n"
    "s.";
static const char PY3_P2[] =
    "\200\002}q\000(X\004\000\000\000mailq\001X\003\000\000\000a@bq\002X\006\000\000\000groupsq\003]q\004(X\001\000\000\000xq\005X\001\000\000\000yq\006eX\001\000\000\000nq\007NX\001\000\000\000dq\010}q\011X\001\000\000\000kq\n"
    "X\001\000\000\000vq\013sK\001X\006\000\000\000intkeyq\014X\001\000\000\000oq\015X\011\000\000\000caf\303\251\360\237\230\200q\016u.";
static const char PY3_P4[] =
    "\200\004\225V\000\000\000\000\000\000\000}\224(\214\004mail\224\214\003a@b\224\214\006groups\224]\224(\214\001x\224\214\001y\224e\214\001n\224N\214\001d\224}\224\214\001k\224\214\001v\224sK\001\214\006intkey\224\214\001o\224\214\011caf\303\251\360\237\230\200\224u.";

Test(pickle, protocol0_python2_byte_strings) {
  pickle_dict *d = read_ok(P(PY2_P0));
  cr_assert_eq(pickle_dict_count(d), 2);
  cr_assert_str_eq(pickle_dict_key(d, 0), "mail");
  cr_assert_str_eq(pickle_dict_value(d, 0), "x@y");
  cr_assert_str_eq(pickle_dict_get(d, "o"), "Uni");
  cr_assert_null(pickle_dict_get(d, "O"));
  pickle_dict_free(d);
}

Test(pickle, protocol2_python2_setitems_short_and_long_strings) {
  build_py2_p2();
  cr_assert_eq(py2_p2_len, 353);
  pickle_dict *d = read_ok(py2_p2, py2_p2_len);
  cr_assert_eq(pickle_dict_count(d), 3);
  cr_assert_str_eq(pickle_dict_get(d, "mail"), "x@y");
  cr_assert_str_eq(pickle_dict_get(d, "o"), "caf\xc3\xa9");
  const char *cn = pickle_dict_get(d, "cn");
  cr_assert_eq(strlen(cn), 300);
  cr_assert_eq(strspn(cn, "A"), 300);
  pickle_dict_free(d);
}

/* The same dict through python3 at protocols 0, 2 and 4: lists, None, a
 * nested dict and an int key are skipped, the strings survive. */
Test(pickle, python3_pickles_with_non_string_entries) {
  struct { const char *b; size_t n; } cases[] = {
      {PY3_P0, sizeof PY3_P0 - 1}, {PY3_P2, sizeof PY3_P2 - 1}, {PY3_P4, sizeof PY3_P4 - 1}};
  for (size_t c = 0; c < 3; c++) {
    pickle_dict *d = read_ok((const unsigned char *)cases[c].b, cases[c].n);
    cr_assert_eq(pickle_dict_count(d), 2, "case %zu", c);
    cr_assert_str_eq(pickle_dict_key(d, 0), "mail");
    cr_assert_str_eq(pickle_dict_value(d, 0), "a@b");
    cr_assert_str_eq(pickle_dict_key(d, 1), "o");
    cr_assert_str_eq(pickle_dict_value(d, 1), "caf\xc3\xa9\xf0\x9f\x98\x80");
    cr_assert_null(pickle_dict_get(d, "k"), "inner dict must not leak");
    cr_assert_null(pickle_dict_get(d, "groups"));
    pickle_dict_free(d);
  }
}

Test(pickle, unicode_raw_escape) {
  /* Latin-1 byte, \u, \U, a surrogate pair (narrow Python 2), escaped
   * backslash and newline the way Python 2 writes them, an even backslash
   * run that is not an escape. */
  pickle_dict *d = read_ok(P("(dp0\nVk\np1\nV\xe9\\u20ac\\U0001F600\\ud83d\\ude00\\u005c\\u000a\\\\u0041\np2\ns."));
  cr_assert_str_eq(pickle_dict_get(d, "k"),
                   "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf0\x9f\x98\x80\\\n\\\\u0041");
  pickle_dict_free(d);
  read_bad(P("(dp0\nVk\nV\\ud83d\ns."));        /* lone high surrogate */
  read_bad(P("(dp0\nVk\nV\\ude00x\ns."));       /* lone low surrogate */
  read_bad(P("(dp0\nVk\nV\\ud83dx\ns."));       /* high then not a low */
  read_bad(P("(dp0\nVk\nV\\U00110000\ns."));    /* above U+10FFFF */
  read_bad(P("(dp0\nVk\nV\\u12\ns."));          /* truncated escape */
  read_bad(P("(dp0\nVk\nV\\u12g4\ns."));        /* not hex */
}

Test(pickle, string_repr_escapes) {
  pickle_dict *d = read_ok(P("(dp0\nS'a'\nS'it\\'s \\x41\\101\\n\\\\ \\q\\0\\1777'\nsS\"b\"\nS\"it's\"\ns."));
  /* \0 is a NUL: that value is not a C string, so the entry is skipped. */
  cr_assert_null(pickle_dict_get(d, "a"));
  cr_assert_str_eq(pickle_dict_get(d, "b"), "it's");
  pickle_dict_free(d);
  d = read_ok(P("(dp0\nS'a'\nS'it\\'s \\x41\\101\\n\\\\ \\q\\1777\\t'\ns."));
  cr_assert_str_eq(pickle_dict_get(d, "a"), "it's AA\n\\ \\q\x7f" "7\t");
  pickle_dict_free(d);
  read_bad(P("(dp0\nS'a'\nS'abc\ns."));       /* unbalanced quote */
  read_bad(P("(dp0\nS'a'\nS'abc\"\ns."));     /* mismatched quotes */
  read_bad(P("(dp0\nS'a'\nSabc\ns."));        /* not quoted */
  read_bad(P("(dp0\nS'a'\nS'\\x4'\ns."));     /* short \x */
  read_bad(P("(dp0\nS'a'\nS'ab\\'\ns."));     /* trailing backslash */
  read_bad(P("(dp0\nS'a'\nS'\n'\ns."));       /* a line is only one quote */
}

Test(pickle, byte_strings_utf8_or_latin1) {
  pickle_dict *d = read_ok(P("(dp0\nS'u'\nS'caf\xc3\xa9'\nsS'l'\nS'caf\xe9'\nsS'x'\nS'caf\\xe9'\nsS'y'\nS'\\xc3\\xa9'\ns."));
  cr_assert_str_eq(pickle_dict_get(d, "u"), "caf\xc3\xa9");
  cr_assert_str_eq(pickle_dict_get(d, "l"), "caf\xc3\xa9");
  cr_assert_str_eq(pickle_dict_get(d, "x"), "caf\xc3\xa9");
  cr_assert_str_eq(pickle_dict_get(d, "y"), "\xc3\xa9");
  pickle_dict_free(d);
  /* U, T, B, C in protocol 2+ framing: Latin-1 fallback too. */
  d = read_ok(P("\x80\x02}(U\x01" "aU\x02\xff\xfeU\x01" "bT\x01\x00\x00\x00zU\x01" "cC\x01yU\x01" "dB\x02\x00\x00\x00\xc2\xb5u."));
  cr_assert_str_eq(pickle_dict_get(d, "a"), "\xc3\xbf\xc3\xbe");
  cr_assert_str_eq(pickle_dict_get(d, "b"), "z");
  cr_assert_str_eq(pickle_dict_get(d, "c"), "y");
  cr_assert_str_eq(pickle_dict_get(d, "d"), "\xc2\xb5");
  pickle_dict_free(d);
}

Test(pickle, unicode_opcodes_require_utf8) {
  pickle_dict *d = read_ok(P("\x80\x02}(X\x01\x00\x00\x00kX\x04\x00\x00\x00\xf0\x9f\x98\x80\x8c\x01m\x8d\x01\x00\x00\x00\x00\x00\x00\x00nu."));
  cr_assert_str_eq(pickle_dict_get(d, "k"), "\xf0\x9f\x98\x80");
  cr_assert_str_eq(pickle_dict_get(d, "m"), "n");
  pickle_dict_free(d);
  read_bad(P("\x80\x02}X\x01\x00\x00\x00kX\x01\x00\x00\x00\xe9s."));
  read_bad(P("\x80\x02}X\x01\x00\x00\x00kX\x03\x00\x00\x00\xed\xa0\x80s.")); /* CESU surrogate */
  read_bad(P("\x80\x02}X\x01\x00\x00\x00kX\x02\x00\x00\x00\xc0\x80s."));     /* overlong */
}

Test(pickle, memo_put_and_get) {
  /* A value shared through the memo, each PUT/GET form, and the dict itself
   * fetched back from the memo and extended. */
  pickle_dict *d = read_ok(P("(dp0\nS'a'\np1\nS'v'\np2\nsS'b'\ng2\nsU\x01" "cr\x05\x00\x00\x00h\x02s0g0\nU\x01" "dj\x05\x00\x00\x00s."));
  cr_assert_eq(pickle_dict_count(d), 4);
  cr_assert_str_eq(pickle_dict_get(d, "a"), "v");
  cr_assert_str_eq(pickle_dict_get(d, "b"), "v");
  cr_assert_str_eq(pickle_dict_get(d, "c"), "v");
  cr_assert_str_eq(pickle_dict_get(d, "d"), "c");
  pickle_dict_free(d);
  read_bad(P("(dp0\nS'a'\ng7\ns."));          /* unknown id */
  read_bad(P("(dp0\nS'a'\ngx\ns."));          /* not a number */
  read_bad(P("(dp0\nS'a'\np99999999\ns."));   /* beyond PICKLE_MAX_MEMO */
  read_bad(P("}S'a'\nr\xff\xff\xff\xff."));   /* LONG_BINPUT beyond the cap */
  read_bad(P("}j\x00\x00\x01\x00."));          /* LONG_BINGET never put */
  read_bad(P("p0\n}."));                       /* PUT on an empty stack */
}

Test(pickle, duplicate_keys_last_value_wins_first_position_kept) {
  pickle_dict *d = read_ok(P("(dp0\nS'a'\nS'1'\nsS'b'\nS'x'\nsS'a'\nS'2'\nsVa\nV3\ns."));
  cr_assert_eq(pickle_dict_count(d), 2);
  cr_assert_str_eq(pickle_dict_key(d, 0), "a");
  cr_assert_str_eq(pickle_dict_value(d, 0), "3");
  pickle_dict_free(d);
  /* A string overwritten by a non-string is gone; the reverse is kept. */
  d = read_ok(P("(dp0\nS'a'\nS'1'\nsS'a'\nNsS'b'\nI5\nsS'b'\nS'y'\ns."));
  cr_assert_eq(pickle_dict_count(d), 1);
  cr_assert_null(pickle_dict_get(d, "a"));
  cr_assert_str_eq(pickle_dict_get(d, "b"), "y");
  pickle_dict_free(d);
}

Test(pickle, empty_dicts_and_dict_opcode) {
  const struct { const char *b; size_t n; } empty[] = {
      {"}.", 2}, {"(d.", 3}, {"(dp0\n.", 6}, {"\x80\x02}q\x00.", 6}, {"\x80\x02}(u.", 6}};
  for (size_t c = 0; c < sizeof empty / sizeof *empty; c++) {
    pickle_dict *d = read_ok((const unsigned char *)empty[c].b, empty[c].n);
    cr_assert_eq(pickle_dict_count(d), 0);
    cr_assert_null(pickle_dict_get(d, "mail"));
    pickle_dict_free(d);
  }
  pickle_dict *d = read_ok(P("(S'a'\nS'b'\nS'c'\nS'd'\nd."));
  cr_assert_eq(pickle_dict_count(d), 2);
  cr_assert_str_eq(pickle_dict_get(d, "c"), "d");
  pickle_dict_free(d);
  read_bad(P("(S'a'\nd."));                   /* odd item count */
}

Test(pickle, setitems_with_many_items_and_sorted_view) {
  enum { N = 2000 };
  size_t cap = 16 + N * 24, n = 0;
  unsigned char *b = malloc(cap);
  memcpy(b, "\x80\x02}(", 4);
  n = 4;
  /* keys k<i> in descending order so that insertion order != key order */
  for (int i = N - 1; i >= 0; i--) {
    char k[16], v[16];
    int kl = snprintf(k, sizeof k, "k%05d", i), vl = snprintf(v, sizeof v, "v%d", i);
    b[n++] = 'U', b[n++] = (unsigned char)kl;
    memcpy(b + n, k, (size_t)kl), n += (size_t)kl;
    b[n++] = 'U', b[n++] = (unsigned char)vl;
    memcpy(b + n, v, (size_t)vl), n += (size_t)vl;
  }
  b[n++] = 'u', b[n++] = '.';
  cr_assert_lt(n, cap);
  pickle_dict *d = read_ok(b, n);
  cr_assert_eq(pickle_dict_count(d), N);
  cr_assert_str_eq(pickle_dict_key(d, 0), "k01999");
  for (size_t i = 0; i < N; i++) {
    char k[16], v[16];
    snprintf(k, sizeof k, "k%05zu", i);
    snprintf(v, sizeof v, "v%zu", i);
    cr_assert_str_eq(pickle_dict_key(d, pickle_dict_sorted(d, i)), k);
    cr_assert_str_eq(pickle_dict_get(d, k), v);
  }
  pickle_dict_free(d);
  free(b);
}

/* Every strict prefix lacks the final STOP: always PS_EDATA, never a crash
 * or an out-of-bounds read (the prefix is copied to an exact-size heap
 * block so ASan sees any overread). */
static void every_prefix(const unsigned char *b, size_t n) {
  for (size_t k = 0; k < n; k++) {
    unsigned char *c = malloc(k ? k : 1);
    memcpy(c, b, k);
    pickle_dict *d = NULL;
    cr_assert_eq(pickle_read_dict(c, k, &d, NULL), PS_EDATA, "prefix %zu of %zu", k, n);
    cr_assert_null(d);
    free(c);
  }
  pickle_dict *d = NULL;
  cr_assert_eq(pickle_read_dict(b, n, &d, NULL), PS_OK);
  pickle_dict_free(d);
}

Test(pickle, truncated_at_every_offset) {
  build_py2_p2();
  every_prefix(P(PY2_P0));
  every_prefix(py2_p2, py2_p2_len);
  every_prefix(P(PY3_P0));
  every_prefix(P(PY3_P2));
  every_prefix(P(PY3_P4));
  every_prefix(P("(dp0\nVk\np1\nV\xe9\\u20ac\\U0001F600\np2\ns."));
}

Test(pickle, huge_length_fields_rejected_before_allocating) {
  read_bad(P("\x80\x02}X\xff\xff\xff\xff" "abc"));
  read_bad(P("\x80\x02}T\xff\xff\xff\xff" "abc"));        /* negative for BINSTRING */
  read_bad(P("\x80\x02}T\xff\xff\xff\x7f" "abc"));
  read_bad(P("\x80\x02}B\xff\xff\xff\xff" "abc"));
  read_bad(P("\x80\x02}\x8d\xff\xff\xff\xff\xff\xff\xff\xff" "abc"));
  read_bad(P("\x80\x02}U\x05" "abc"));
  read_bad(P("\x80\x02}\x8b\xff\xff\xff\x7f" "abc"));
  read_bad(P("\x80\x02}\x8a\x09" "abc"));
  read_bad(P("\x80\x02}J\x01\x02"));
  read_bad(P("\x80\x02}G\x01\x02\x03"));
}

Test(pickle, total_output_is_capped) {
  size_t big = PICKLE_MAX_OUTPUT + 10;
  unsigned char *b = malloc(big + 32);
  size_t n = 0;
  memcpy(b, "\x80\x02}U\x01kX", 6);
  n = 6;
  b[n++] = (unsigned char)(big & 0xFF), b[n++] = (unsigned char)(big >> 8 & 0xFF);
  b[n++] = (unsigned char)(big >> 16 & 0xFF), b[n++] = (unsigned char)(big >> 24);
  memset(b + n, 'x', big), n += big;
  b[n++] = 's', b[n++] = '.';
  read_bad(b, n);
  free(b);
}

Test(pickle, deep_nesting_is_bounded) {
  size_t n = 200000;
  unsigned char *b = malloc(n + 2);
  memset(b, '(', n);
  b[n] = '}', b[n + 1] = '.';
  read_bad(b, n + 2);
  /* Deep but within the stack limit: nested lists are just skipped. */
  memcpy(b, "\x80\x02}U\x01k", 6);
  size_t w = 6;
  for (int i = 0; i < 1000; i++)
    b[w++] = ']';
  for (int i = 0; i < 999; i++)
    b[w++] = 'a';
  memcpy(b + w, "sU\x01mU\x01vs.", 9), w += 9;
  pickle_dict *d = read_ok(b, w);
  cr_assert_eq(pickle_dict_count(d), 1);
  cr_assert_str_eq(pickle_dict_get(d, "m"), "v");
  pickle_dict_free(d);
  free(b);
}

Test(pickle, code_execution_opcodes_and_garbage_rejected) {
  read_bad(P("cos\nsystem\n(S'ls'\ntR."));
  read_bad(P("\x80\x02}(U\x01" "ac__builtin__\nstr\nu."));
  read_bad(P("}(S'a'\nS'b'\nb."));            /* BUILD */
  read_bad(P("}P0\n."));                       /* PERSID */
  read_bad(P("\x80\x02\x8e"));                 /* BINBYTES8: not supported */
  read_bad(P("\x80\x07}."));                   /* unknown protocol */
  read_bad(P(""));
  read_bad(P("."));                            /* STOP on empty stack */
  read_bad(P("S'x'\n."));                      /* not a dict */
  read_bad(P("]."));
  read_bad(P("}s."));                          /* SETITEM underflow */
  read_bad(P("}(s."));                         /* SETITEM across a mark */
  read_bad(P("S'x'\nS'a'\nS'b'\ns."));        /* SETITEM on a string */
  read_bad(P("S'x'\n(S'a'\nS'b'\nu."));       /* SETITEMS on a string */
  read_bad(P("}S'a'\na."));                    /* APPEND to a dict */
  read_bad(P("}e."));                          /* APPENDS without mark */
  read_bad(P("}(\x90."));                      /* ADDITEMS to a dict */
  read_bad(P("}0."));                          /* popped the dict */
  read_bad(P("\x85."));
  read_bad(P("\xff\xfe\xfd"));
  /* Random garbage must never crash. */
  unsigned char g[64];
  uint32_t x = 12345;
  for (int round = 0; round < 20000; round++) {
    size_t n = (size_t)(x % 64);
    for (size_t k = 0; k < n; k++) {
      x = x * 1103515245u + 12345u;
      g[k] = (unsigned char)(x >> 16);
    }
    pickle_dict *d = NULL;
    ps_status st = pickle_read_dict(g, n, &d, NULL);
    cr_assert(st == PS_OK || st == PS_EDATA);
    cr_assert((st == PS_OK) == (d != NULL));
    pickle_dict_free(d);
  }
}

Test(pickle, other_value_opcodes_are_skipped) {
  pickle_dict *d = read_ok(P("\x80\x02}(U\x01" "aK\x01U\x01" "bM\x01\x02U\x01" "cJ\x01\x02\x03\x04U\x01" "dG\x00\x00\x00\x00\x00\x00\x00\x00"
                             "U\x01" "e\x88U\x01" "f\x89U\x01g)U\x01h(U\x01xt"
                             "U\x01iU\x01xU\x01y\x86U\x01j\x8f(U\x01x\x90U\x01k(\x91U\x01l\x8a\x02\x01\x02"
                             "U\x01m(L12\nF1.5\nI3\nl"
                             "U\x01zU\x01Zu."));
  cr_assert_eq(pickle_dict_count(d), 1);
  cr_assert_str_eq(pickle_dict_get(d, "z"), "Z");
  pickle_dict_free(d);
  /* POP, POP_MARK, DUP and bytes after STOP. */
  d = read_ok(P("}S'junk'\n0(S'x'\nS'y'\n1S'a'\n2s.trailing garbage"));
  cr_assert_str_eq(pickle_dict_get(d, "a"), "a");
  pickle_dict_free(d);
}
