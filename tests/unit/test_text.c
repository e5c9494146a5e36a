#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "extractors/text.h"

#define V(lit) text_utf8_valid(lit, sizeof(lit) - 1)

Test(text, valid_utf8) {
  cr_assert(text_utf8_valid(NULL, 0));
  cr_assert(V(""));
  cr_assert(V("plain ascii, long enough to take the 8-byte fast path"));
  cr_assert(V("a\0b"));
  cr_assert(V("\x7f"));
  cr_assert(V("\xc2\x80"));             /* U+0080 */
  cr_assert(V("\xdf\xbf"));             /* U+07FF */
  cr_assert(V("\xe0\xa0\x80"));         /* U+0800 */
  cr_assert(V("\xed\x9f\xbf"));         /* U+D7FF */
  cr_assert(V("\xee\x80\x80"));         /* U+E000 */
  cr_assert(V("\xef\xbf\xbf"));         /* U+FFFF */
  cr_assert(V("\xf0\x90\x80\x80"));     /* U+10000 */
  cr_assert(V("\xf4\x8f\xbf\xbf"));     /* U+10FFFF */
  cr_assert(V("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 12345678 more ascii after"));
}

Test(text, invalid_utf8) {
  cr_assert(!V("\x80"));                /* stray continuation */
  cr_assert(!V("\xbf"));
  cr_assert(!V("\xc0\x80"));            /* overlong NUL */
  cr_assert(!V("\xc1\xbf"));            /* overlong */
  cr_assert(!V("\xe0\x9f\xbf"));        /* overlong 3-byte */
  cr_assert(!V("\xf0\x8f\xbf\xbf"));    /* overlong 4-byte */
  cr_assert(!V("\xed\xa0\x80"));        /* U+D800 */
  cr_assert(!V("\xed\xbf\xbf"));        /* U+DFFF */
  cr_assert(!V("\xf4\x90\x80\x80"));    /* U+110000 */
  cr_assert(!V("\xf5\x80\x80\x80"));
  cr_assert(!V("\xff"));
  cr_assert(!V("\xfe"));
  cr_assert(!V("\xc3"));                /* truncated */
  cr_assert(!V("\xe2\x82"));
  cr_assert(!V("\xf0\x9f\x98"));
  cr_assert(!V("\xc3("));               /* bad continuation */
  cr_assert(!V("\xe2(\xac"));
  cr_assert(!V("\xf0\x9f(\x80"));
  cr_assert(!V("0123456789abcdef\xe9"));  /* after the fast path */
  cr_assert(!V("\xe9 0123456789abcdef"));
}

/* The valid/invalid verdict for every 1-4 byte sequence whose first byte is
 * non-ASCII, against a direct decoding. */
static bool reference(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i], need, cp;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xC0 && c < 0xE0) need = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c < 0xF0) need = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c < 0xF8) need = 3, cp = c & 0x07;
    else return false;
    if (n - i - 1 < need) return false;
    for (unsigned k = 1; k <= need; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    unsigned min = need == 1 ? 0x80 : need == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += need + 1;
  }
  return true;
}

Test(text, exhaustive_short_sequences_match_reference) {
  unsigned char s[4];
  const unsigned char conts[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
  for (unsigned a = 0x80; a < 0x100; a++) {
    s[0] = (unsigned char)a;
    cr_assert_eq(text_utf8_valid((char *)s, 1), reference(s, 1));
    for (size_t b = 0; b < sizeof conts; b++)
      for (size_t c = 0; c < sizeof conts; c++)
        for (size_t d = 0; d < sizeof conts; d++) {
          s[1] = conts[b], s[2] = conts[c], s[3] = conts[d];
          for (size_t n = 2; n <= 4; n++)
            cr_assert_eq(text_utf8_valid((char *)s, n), reference(s, n), "%02x %02x %02x %02x n=%zu",
                         s[0], s[1], s[2], s[3], n);
        }
  }
}

#define T(lit, max) text_utf8_truncate(lit, sizeof(lit) - 1, max)

Test(text, truncate_by_characters) {
  cr_assert_eq(T("", 0), 0);
  cr_assert_eq(T("", 5), 0);
  cr_assert_eq(T("abc", 0), 0);
  cr_assert_eq(T("abc", 2), 2);
  cr_assert_eq(T("abc", 3), 3);
  cr_assert_eq(T("abc", 300), 3);
  cr_assert_eq(T("0123456789abcdefghij", 16), 16);
  /* é = 2 bytes, € = 3, 😀 = 4 */
  cr_assert_eq(T("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 0), 0);
  cr_assert_eq(T("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 1), 2);
  cr_assert_eq(T("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 2), 5);
  cr_assert_eq(T("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 3), 9);
  cr_assert_eq(T("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 4), 9);
  cr_assert_eq(T("abcdefgh\xc3\xa9xyz", 8), 8);
  cr_assert_eq(T("abcdefgh\xc3\xa9xyz", 9), 10);
  cr_assert_eq(T("abcdefgh\xc3\xa9xyz", 10), 11);
  /* Invalid input: a stray continuation byte stays with its character. */
  cr_assert_eq(T("ab\x80\x80" "cd", 2), 4);
  cr_assert_eq(T("abcdefgh\x80z", 8), 9);
  cr_assert_eq(T("\x80\x80", 0), 0);
}

Test(text, truncate_never_cuts_a_sequence) {
  const char *s = "x\xc3\xa9y\xe2\x82\xac\xf0\x9f\x98\x80z\xc3\xa9";
  size_t len = strlen(s);
  size_t prev = 0;
  for (size_t m = 0; m < 12; m++) {
    size_t cut = text_utf8_truncate(s, len, m);
    cr_assert(text_utf8_valid(s, cut), "max %zu cut %zu", m, cut);
    cr_assert(cut == len || ((unsigned char)s[cut] & 0xC0) != 0x80);
    cr_assert_geq(cut, prev);
    prev = cut;
  }
  cr_assert_eq(text_utf8_truncate(s, len, 7), len);
  cr_assert_eq(text_utf8_truncate(s, len, 6), len - 2);
}
