/* The organisation rule of project.organisation, on dicts read from real
 * (hand-written Python 2 protocol 2) pickles. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "extractors/org.h"

/* Pickle kv[0..2n) as a protocol-2 dict of BINUNICODE strings. */
static pickle_dict *dict_of(const char *const *kv, size_t n) {
  size_t cap = 8, len = 0;
  for (size_t i = 0; i < 2 * n; i++)
    cap += strlen(kv[i]) + 5;
  unsigned char *b = malloc(cap);
  memcpy(b, "\x80\x02}(", 4);
  len = 4;
  for (size_t i = 0; i < 2 * n; i++) {
    size_t l = strlen(kv[i]);
    b[len++] = 'X';
    for (int k = 0; k < 4; k++)
      b[len++] = (unsigned char)(l >> (8 * k));
    memcpy(b + len, kv[i], l);
    len += l;
  }
  b[len++] = 'u';
  b[len++] = '.';
  pickle_dict *d = NULL;
  ps_error err;
  cr_assert_eq(pickle_read_dict(b, len, &d, &err), PS_OK, "%s", err.msg);
  free(b);
  return d;
}

static void check(const char *const *kv, size_t n, const char *want) {
  pickle_dict *d = dict_of(kv, n);
  char buf[1024];
  const char *got = org_from_attributes(d, buf, sizeof buf);
  if (want)
    cr_assert(got && strcmp(got, want) == 0, "want '%s', got '%s'", want, got ? got : "(null)");
  else
    cr_assert_null(got, "want NULL, got '%s'", got);
  pickle_dict_free(d);
}

#define CHECK(want, ...)                                                        \
  do {                                                                          \
    const char *kv[] = {__VA_ARGS__};                                           \
    check(kv, sizeof kv / sizeof *kv / 2, want);                                \
  } while (0)

Test(org, last_matching_key_in_sorted_order_wins) {
  /* homeorganisation < organisation < orginisation (byte order). */
  CHECK("C", "orginisation", "C", "organisation", "A", "homeorganisation", "B", "mail", "u@m.org");
  CHECK("A", "homeorganisation", "B", "organisation", "A");
  CHECK("B", "homeorganisation", "B", "mail", "u@m.org");
  /* Upper case sorts first and does not match "organi" (case-sensitive). */
  CHECK("x", "Organisation", "ignored", "organisationName", "x");
  CHECK("m.org", "Organisation", "ignored", "mail", "u@m.org");
}

Test(org, keys_containing_type_are_ignored) {
  CHECK("uni.edu", "organisationtype", "X", "mail", "me@uni.edu");
  CHECK("B", "homeorganisationtype", "X", "homeorganisation", "B", "zorganisationtype", "Y");
  CHECK(NULL, "organisationtype", "X");
}

Test(org, empty_value_still_sets_it) {
  CHECK("", "organisation", "", "mail", "me@uni.edu");
}

Test(org, mail_domain_fallback) {
  CHECK("uni.edu", "mail", "me@uni.edu", "cn", "Me");
  CHECK("b", "mail", "a@b@c");
  CHECK("", "mail", "a@");
  CHECK(NULL, "mail", "no-at-sign");
  CHECK(NULL, "cn", "Me");
  CHECK(NULL, "Mail", "a@b");
}

Test(org, none_and_null) {
  char buf[8];
  cr_assert_null(org_from_attributes(NULL, buf, sizeof buf));
  pickle_dict *d = dict_of(NULL, 0);
  cr_assert_null(org_from_attributes(d, buf, sizeof buf));
  cr_assert_str_eq(buf, "");
  pickle_dict_free(d);
}

Test(org, cut_at_a_character_boundary) {
  const char *kv[] = {"organisation", "\xc3\xa9\xc3\xa9\xc3\xa9"};
  pickle_dict *d = dict_of(kv, 1);
  char buf[4];
  cr_assert_str_eq(org_from_attributes(d, buf, sizeof buf), "\xc3\xa9");
  cr_assert_str_eq(org_from_attributes(d, buf, 3), "\xc3\xa9");
  cr_assert_str_eq(org_from_attributes(d, buf, 2), "");
  pickle_dict_free(d);
}
