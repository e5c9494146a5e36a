#include "extractors/json.h"

#include <string.h>

#include "extractors/text.h"

typedef struct jp {
  const unsigned char *p;
  size_t len;
  size_t i;
  ps_error *err;
} jp;

/* Where a decoded string goes: compared with a wanted name and/or copied into
 * a small buffer (for an integer held in a string). */
typedef struct jsink {
  const char *cmp;
  size_t cmp_len;
  size_t cmp_pos;
  bool cmp_ok;
  char *buf;
  size_t cap;
  size_t blen; /* > cap once overflowed */
} jsink;

static ps_status jfail(jp *j, const char *what) {
  return ERROR_SET(j->err, PS_EDATA, "malformed JSON at byte %zu: %s", j->i, what);
}

static void jws(jp *j) {
  while (j->i < j->len) {
    unsigned char c = j->p[j->i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      break;
    j->i++;
  }
}

static void sink_put(jsink *s, const unsigned char *b, size_t n) {
  if (!s)
    return;
  if (s->cmp) {
    if (s->cmp_ok && s->cmp_len - s->cmp_pos >= n && memcmp(s->cmp + s->cmp_pos, b, n) == 0)
      s->cmp_pos += n;
    else
      s->cmp_ok = false;
  }
  if (s->buf) {
    if (s->blen <= s->cap && s->cap - s->blen >= n)
      memcpy(s->buf + s->blen, b, n), s->blen += n;
    else
      s->blen = s->cap + 1;
  }
}

/* Reads "\uXXXX" at j->i (the backslash). */
static bool hex4(jp *j, unsigned *out) {
  if (j->len - j->i < 6 || j->p[j->i] != '\\' || j->p[j->i + 1] != 'u')
    return false;
  unsigned v = 0;
  for (int k = 2; k < 6; k++) {
    int h = text_hex_value(j->p[j->i + k]);
    if (h < 0)
      return false;
    v = v << 4 | (unsigned)h;
  }
  j->i += 6;
  *out = v;
  return true;
}

/* A string starting at the opening quote at j->i. */
static ps_status jstring(jp *j, jsink *s) {
  j->i++;
  for (;;) {
    if (j->i >= j->len)
      return jfail(j, "unterminated string");
    unsigned char c = j->p[j->i];
    if (c == '"') {
      j->i++;
      return PS_OK;
    }
    if (c < 0x20)
      return jfail(j, "control character in string");
    if (c == '\\') {
      if (j->len - j->i < 2)
        return jfail(j, "unterminated escape");
      unsigned char e = j->p[j->i + 1], out[4];
      switch (e) {
      case '"': case '\\': case '/': out[0] = e; break;
      case 'b': out[0] = '\b'; break;
      case 'f': out[0] = '\f'; break;
      case 'n': out[0] = '\n'; break;
      case 'r': out[0] = '\r'; break;
      case 't': out[0] = '\t'; break;
      case 'u': {
        unsigned cp, lo;
        if (!hex4(j, &cp))
          return jfail(j, "bad \\u escape");
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return jfail(j, "lone low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (!hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return jfail(j, "lone high surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        sink_put(s, out, text_utf8_put(cp, (char *)out));
        continue;
      }
      default:
        return jfail(j, "bad escape");
      }
      sink_put(s, out, 1);
      j->i += 2;
      continue;
    }
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (j->len - j->i < n || !text_utf8_valid((const char *)j->p + j->i, n))
      return jfail(j, "invalid UTF-8 in string");
    sink_put(s, j->p + j->i, n);
    j->i += n;
  }
}

/* Accumulate decimal digits into an int64 magnitude check; negative values
 * reach INT64_MIN. */
static bool digits_to_i64(const unsigned char *d, size_t n, bool neg, int64_t *out) {
  if (n == 0)
    return false;
  uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
  for (size_t k = 0; k < n; k++) {
    if (d[k] < '0' || d[k] > '9')
      return false;
    unsigned dig = d[k] - '0';
    if (v > (limit - dig) / 10)
      return false;
    v = v * 10 + dig;
  }
  *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
  return true;
}

static ps_status jnumber(jp *j, bool *is_int, int64_t *val) {
  bool neg = false;
  if (j->p[j->i] == '-')
    neg = true, j->i++;
  size_t ds = j->i;
  if (j->i >= j->len || j->p[j->i] < '0' || j->p[j->i] > '9')
    return jfail(j, "bad number");
  if (j->p[j->i] == '0')
    j->i++;
  else
    while (j->i < j->len && j->p[j->i] >= '0' && j->p[j->i] <= '9')
      j->i++;
  size_t de = j->i;
  bool integral = true;
  if (j->i < j->len && j->p[j->i] == '.') {
    integral = false;
    j->i++;
    if (j->i >= j->len || j->p[j->i] < '0' || j->p[j->i] > '9')
      return jfail(j, "bad fraction");
    while (j->i < j->len && j->p[j->i] >= '0' && j->p[j->i] <= '9')
      j->i++;
  }
  if (j->i < j->len && (j->p[j->i] == 'e' || j->p[j->i] == 'E')) {
    integral = false;
    j->i++;
    if (j->i < j->len && (j->p[j->i] == '+' || j->p[j->i] == '-'))
      j->i++;
    if (j->i >= j->len || j->p[j->i] < '0' || j->p[j->i] > '9')
      return jfail(j, "bad exponent");
    while (j->i < j->len && j->p[j->i] >= '0' && j->p[j->i] <= '9')
      j->i++;
  }
  *is_int = integral && digits_to_i64(j->p + ds, de - ds, neg, val);
  return PS_OK;
}

static ps_status jliteral(jp *j, const char *word) {
  size_t n = strlen(word);
  if (j->len - j->i < n || memcmp(j->p + j->i, word, n) != 0)
    return jfail(j, "unexpected character");
  j->i += n;
  return PS_OK;
}

ps_status json_object_get_int(const char *text, size_t len, const char *member,
                              int64_t *out, bool *found, ps_error *err) {
  jp j = {(const unsigned char *)text, len, 0, err};
  /* 'o' object, 'a' array: the open containers, innermost last. */
  char stack[JSON_MAX_DEPTH];
  size_t depth = 0;
  bool have = false, want_next = false;
  int64_t val = 0;
  size_t mlen = strlen(member);
  ps_status st = PS_OK;
  *found = false;

  jws(&j);
  for (;;) {
    /* A value starts here. */
    bool captured = want_next;
    want_next = false;
    if (captured)
      have = false;
    if (j.i >= j.len) {
      st = jfail(&j, "value expected");
      goto out;
    }
    unsigned char c = j.p[j.i];
    if (c == '{' || c == '[') {
      if (depth == JSON_MAX_DEPTH) {
        st = jfail(&j, "nesting too deep");
        goto out;
      }
      stack[depth++] = c == '{' ? 'o' : 'a';
      j.i++;
      jws(&j);
      if (j.i < j.len && j.p[j.i] == (c == '{' ? '}' : ']')) {
        j.i++;
        depth--;
      } else if (c == '{') {
        goto key;
      } else {
        continue;
      }
    } else if (c == '"') {
      char buf[24];
      jsink s = {.buf = captured ? buf : NULL, .cap = sizeof buf};
      if ((st = jstring(&j, captured ? &s : NULL)) != PS_OK)
        goto out;
      if (captured && s.blen <= s.cap) {
        bool neg = s.blen > 0 && buf[0] == '-';
        have = digits_to_i64((unsigned char *)buf + neg, s.blen - neg, neg, &val);
      }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      bool is_int = false;
      int64_t v = 0;
      if ((st = jnumber(&j, &is_int, &v)) != PS_OK)
        goto out;
      if (captured && is_int)
        have = true, val = v;
    } else if (c == 't' || c == 'f' || c == 'n') {
      if ((st = jliteral(&j, c == 't' ? "true" : c == 'f' ? "false" : "null")) != PS_OK)
        goto out;
    } else {
      st = jfail(&j, "value expected");
      goto out;
    }

    /* A value ended: close containers or move to the next element. */
    for (;;) {
      jws(&j);
      if (depth == 0) {
        if (j.i != j.len) {
          st = jfail(&j, "trailing data after document");
          goto out;
        }
        goto done;
      }
      if (j.i >= j.len) {
        st = jfail(&j, "unterminated container");
        goto out;
      }
      c = j.p[j.i++];
      if (c == ',') {
        jws(&j);
        if (stack[depth - 1] == 'o')
          goto key;
        break;
      }
      if (c != (stack[depth - 1] == 'o' ? '}' : ']')) {
        j.i--;
        st = jfail(&j, "',' or end of container expected");
        goto out;
      }
      depth--;
    }
    continue;

  key:
    if (j.i >= j.len || j.p[j.i] != '"') {
      st = jfail(&j, "member name expected");
      goto out;
    }
    {
      bool top = depth == 1;
      jsink s = {.cmp = member, .cmp_len = mlen, .cmp_ok = true};
      if ((st = jstring(&j, top ? &s : NULL)) != PS_OK)
        goto out;
      want_next = top && s.cmp_ok && s.cmp_pos == mlen;
    }
    jws(&j);
    if (j.i >= j.len || j.p[j.i] != ':') {
      st = jfail(&j, "':' expected");
      goto out;
    }
    j.i++;
    jws(&j);
  }

done:
  *found = have;
  if (have && out)
    *out = val;
out:
  return st;
}
