/* The JSON member reader: a table of valid and invalid documents, every
 * prefix of valid ones, and nesting at and past the depth limit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extractors/json.h"

enum { NOTFOUND, FOUND, MALFORMED };

static const struct {
  const char *doc;
  int want;
  int64_t value;
} cases[] = {
    {"{\"allocation_id\": 1234}", FOUND, 1234},
    {"{\"allocation_id\":\"1234\"}", FOUND, 1234},
    {" \t\r\n{ \"a\" : [1, {\"allocation_id\": 5}], \"allocation_id\" : -7 } \n", FOUND, -7},
    {"{\"allocation_id\": 0}", FOUND, 0},
    {"{\"allocation_id\": \"007\"}", FOUND, 7},
    {"{\"allocation_id\": \"-12\"}", FOUND, -12},
    {"{\"allocation_id\": 9223372036854775807}", FOUND, INT64_MAX},
    {"{\"allocation_id\": -9223372036854775808}", FOUND, INT64_MIN},
    {"{\"alloc\\u0061tion_id\": 42}", FOUND, 42},          /* escaped name */
    {"{\"allocation_id\": 1, \"allocation_id\": 2}", FOUND, 2},   /* last wins */
    {"{\"allocation_id\": 1, \"allocation_id\": null}", NOTFOUND, 0},
    {"{\"allocation_id\": null, \"allocation_id\": \"3\"}", FOUND, 3},
    {"{\"x\": \"\\\"allocation_id\\\": 5\", \"allocation_id\\u0000\": 6}", NOTFOUND, 0},
    {"{\"note\": \"allocation_id\", \"v\": \"allocation_id\"}", NOTFOUND, 0},
    {"{\"nested\": {\"allocation_id\": 99}}", NOTFOUND, 0},
    {"[{\"allocation_id\": 99}]", NOTFOUND, 0},
    {"{\"a\": [[{\"allocation_id\": 99}]], \"b\": {}}", NOTFOUND, 0},
    {"{}", NOTFOUND, 0},
    {"null", NOTFOUND, 0},
    {"\"allocation_id\"", NOTFOUND, 0},
    {"{\"allocation_id\": 9223372036854775808}", NOTFOUND, 0},
    {"{\"allocation_id\": -9223372036854775809}", NOTFOUND, 0},
    {"{\"allocation_id\": 123456789012345678901234567890}", NOTFOUND, 0},
    {"{\"allocation_id\": 1.0}", NOTFOUND, 0},
    {"{\"allocation_id\": 1e3}", NOTFOUND, 0},
    {"{\"allocation_id\": -0.5E-2}", NOTFOUND, 0},
    {"{\"allocation_id\": true}", NOTFOUND, 0},
    {"{\"allocation_id\": [1]}", NOTFOUND, 0},
    {"{\"allocation_id\": {\"allocation_id\": 1}}", NOTFOUND, 0},
    {"{\"allocation_id\": \"\"}", NOTFOUND, 0},
    {"{\"allocation_id\": \"12a\"}", NOTFOUND, 0},
    {"{\"allocation_id\": \" 12\"}", NOTFOUND, 0},
    {"{\"allocation_id\": \"-\"}", NOTFOUND, 0},
    {"{\"allocation_id\": \"99999999999999999999999999\"}", NOTFOUND, 0},
    {"{\"allocation_id\": \"1\\u0032\"}", FOUND, 12},
    {"{\"s\": \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 \xc3\xa9 \xf0\x9f\x98\x80\", "
     "\"allocation_id\": 8}", FOUND, 8},
    {"{\"\xc3\xa9\": false, \"allocation_id\": 8}", FOUND, 8},
    /* malformed */
    {"", MALFORMED, 0},
    {"   ", MALFORMED, 0},
    {"{", MALFORMED, 0},
    {"{\"allocation_id\": 1", MALFORMED, 0},
    {"{\"allocation_id\": 1,}", MALFORMED, 0},
    {"{\"allocation_id\" 1}", MALFORMED, 0},
    {"{allocation_id: 1}", MALFORMED, 0},
    {"{'allocation_id': 1}", MALFORMED, 0},
    {"{\"allocation_id\": 01}", MALFORMED, 0},
    {"{\"allocation_id\": +1}", MALFORMED, 0},
    {"{\"allocation_id\": 1.}", MALFORMED, 0},
    {"{\"allocation_id\": .5}", MALFORMED, 0},
    {"{\"allocation_id\": 1e}", MALFORMED, 0},
    {"{\"allocation_id\": -}", MALFORMED, 0},
    {"{\"allocation_id\": NaN}", MALFORMED, 0},
    {"{\"allocation_id\": tru}", MALFORMED, 0},
    {"{\"allocation_id\": nul}", MALFORMED, 0},
    {"{\"allocation_id\": 1} x", MALFORMED, 0},
    {"{\"allocation_id\": 1}{}", MALFORMED, 0},
    {"{\"a\": [1, 2,]}", MALFORMED, 0},
    {"{\"a\": [1 2]}", MALFORMED, 0},
    {"{\"a\": [1}", MALFORMED, 0},
    {"{\"a\": {]}", MALFORMED, 0},
    {"{\"a\": \"\\x41\"}", MALFORMED, 0},
    {"{\"a\": \"\\u12\"}", MALFORMED, 0},
    {"{\"a\": \"\\ud83d\"}", MALFORMED, 0},
    {"{\"a\": \"\\ude00\"}", MALFORMED, 0},
    {"{\"a\": \"\\ud83d\\u0041\"}", MALFORMED, 0},
    {"{\"a\": \"tab\there\"}", MALFORMED, 0},
    {"{\"a\": \"\xe9\"}", MALFORMED, 0},
    {"{\"a\": \"\xc0\x80\"}", MALFORMED, 0},
    {"{\"a\": \"\xed\xa0\x80\"}", MALFORMED, 0},
    {"{\"a\": \"unterminated}", MALFORMED, 0},
    {"\xef\xbb\xbf{}", MALFORMED, 0}, /* a BOM is not JSON */
};

static int run(const char *doc, size_t len, int64_t *v) {
  bool found = true;
  ps_error err;
  error_clear(&err);
  ps_status st = json_object_get_int(doc, len, "allocation_id", v, &found, &err);
  if (st == PS_EDATA) {
    cr_assert(!found);
    cr_assert(err.msg[0]);
    return MALFORMED;
  }
  cr_assert_eq(st, PS_OK);
  return found ? FOUND : NOTFOUND;
}

Test(json, table) {
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int64_t v = -424242;
    int got = run(cases[i].doc, strlen(cases[i].doc), &v);
    cr_assert_eq(got, cases[i].want, "case %zu <%s>: got %d want %d", i, cases[i].doc, got,
                 cases[i].want);
    if (got == FOUND)
      cr_assert_eq(v, cases[i].value, "case %zu: value %lld", i, (long long)v);
  }
}

Test(json, embedded_nul_is_malformed_and_length_is_respected) {
  int64_t v;
  cr_assert_eq(run("{\"allocation_id\": 5}\0", 21, &v), MALFORMED);
  cr_assert_eq(run("{\"a\": \"x\0y\"}", 12, &v), MALFORMED);
  /* Only len bytes are read, even if more follow. */
  cr_assert_eq(run("{\"allocation_id\": 5}garbage", 20, &v), FOUND);
  cr_assert_eq(v, 5);
}

/* Every strict prefix of a valid object is malformed (except those that
 * happen to be a complete number); copied to exact-size heap blocks so ASan
 * catches any overread. */
Test(json, truncated_at_every_offset) {
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    if (cases[i].want == MALFORMED || cases[i].doc[0] != '{')
      continue;
    size_t n = strlen(cases[i].doc);
    /* trailing whitespace may go without harm */
    while (n > 0 && strchr(" \t\r\n", cases[i].doc[n - 1]))
      n--;
    for (size_t k = 0; k < n; k++) {
      char *c = malloc(k ? k : 1);
      memcpy(c, cases[i].doc, k);
      int64_t v;
      cr_assert_eq(run(c, k, &v), MALFORMED, "case %zu prefix %zu", i, k);
      free(c);
    }
  }
}

static char *nested(size_t depth, bool object) {
  size_t n = depth * (object ? 6 : 2) + 32, w = 0;
  char *b = malloc(n);
  w += (size_t)sprintf(b, "{\"allocation_id\": 3, \"x\": ");
  for (size_t d = 1; d < depth; d++)
    w += (size_t)sprintf(b + w, object ? "{\"a\":" : "[");
  b[w++] = '1';
  for (size_t d = 1; d < depth; d++)
    b[w++] = object ? '}' : ']';
  b[w++] = '}';
  b[w] = '\0';
  return b;
}

Test(json, nesting_depth_is_bounded) {
  int64_t v = 0;
  char *ok = nested(JSON_MAX_DEPTH, false), *deep = nested(JSON_MAX_DEPTH + 1, false);
  cr_assert_eq(run(ok, strlen(ok), &v), FOUND);
  cr_assert_eq(v, 3);
  cr_assert_eq(run(deep, strlen(deep), &v), MALFORMED);
  free(ok);
  free(deep);
  ok = nested(JSON_MAX_DEPTH, true);
  deep = nested(JSON_MAX_DEPTH + 1, true);
  cr_assert_eq(run(ok, strlen(ok), &v), FOUND);
  cr_assert_eq(run(deep, strlen(deep), &v), MALFORMED);
  free(ok);
  free(deep);
  /* A million open brackets: rejected quickly, no recursion. */
  size_t n = 1000000;
  char *b = malloc(n);
  memset(b, '[', n);
  cr_assert_eq(run(b, n, &v), MALFORMED);
  free(b);
}

Test(json, other_member_names) {
  bool found;
  int64_t v;
  const char *doc = "{\"a\": 1, \"ab\": 2, \"\xc3\xa9\": 3}";
  cr_assert_eq(json_object_get_int(doc, strlen(doc), "ab", &v, &found, NULL), PS_OK);
  cr_assert(found && v == 2);
  cr_assert_eq(json_object_get_int(doc, strlen(doc), "\xc3\xa9", &v, &found, NULL), PS_OK);
  cr_assert(found && v == 3);
  cr_assert_eq(json_object_get_int(doc, strlen(doc), "", &v, &found, NULL), PS_OK);
  cr_assert(!found);
  doc = "{\"\": 4}";
  cr_assert_eq(json_object_get_int(doc, strlen(doc), "", &v, &found, NULL), PS_OK);
  cr_assert(found && v == 4);
}
