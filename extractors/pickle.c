#include "extractors/pickle.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extractors/text.h"

/* One stack/memo slot.  Strings live in the arena and are referred to by
 * offset (the arena moves when it grows); dicts, by the id their SETITEMs
 * are recorded under, so a dict fetched again from the memo is the same
 * dict. */
enum { V_UNSET = 0, V_MARK, V_STR, V_DICT, V_LIST, V_SET, V_OTHER };
typedef struct pval {
  uint32_t kind;
  uint32_t a; /* V_STR: arena offset; V_DICT: dict id */
} pval;

typedef struct pentry {
  uint32_t dict;
  uint32_t key; /* arena offset of a string key */
  pval val;
} pentry;

typedef struct rd {
  const unsigned char *p;
  size_t len, i, op_at;
  ps_error *err;
  pval *stack;
  size_t sp, stack_cap;
  pval *memo;
  size_t memo_cap, memo_count;
  char *arena;
  size_t alen, acap;
  pentry *ent;
  size_t nent, ent_cap;
  uint32_t ndicts;
} rd;

struct pickle_dict {
  size_t n;
  const char **keys;
  const char **vals;
  size_t *sorted;
  char *buf;
};

static ps_status bad(rd *r, const char *what) {
  return ERROR_SET(r->err, PS_EDATA, "unreadable pickle: %s (opcode at byte %zu)", what,
                   r->op_at);
}

static ps_status nomem(rd *r) {
  return ERROR_SET(r->err, PS_ENOMEM, "out of memory reading a pickle");
}

/* Grow *arr (elements of size sz) so that it holds at least need. */
static bool grow(void **arr, size_t *cap, size_t need, size_t sz) {
  if (need <= *cap)
    return true;
  size_t nc = *cap ? *cap : 16;
  while (nc < need)
    nc *= 2;
  void *n = realloc(*arr, nc * sz);
  if (!n)
    return false;
  *arr = n;
  *cap = nc;
  return true;
}

static ps_status push(rd *r, uint32_t kind, uint32_t a) {
  if (r->sp == PICKLE_MAX_STACK)
    return bad(r, "stack deeper than PICKLE_MAX_STACK");
  if (!grow((void **)&r->stack, &r->stack_cap, r->sp + 1, sizeof *r->stack))
    return nomem(r);
  r->stack[r->sp++] = (pval){kind, a};
  return PS_OK;
}

/* Pop one value (not a mark). */
static ps_status pop(rd *r, pval *v) {
  if (r->sp == 0 || r->stack[r->sp - 1].kind == V_MARK)
    return bad(r, "stack underflow");
  *v = r->stack[--r->sp];
  return PS_OK;
}

/* Index of the topmost mark; the values above it are stack[m+1 .. sp). */
static ps_status find_mark(rd *r, size_t *m) {
  for (size_t k = r->sp; k-- > 0;)
    if (r->stack[k].kind == V_MARK) {
      *m = k;
      return PS_OK;
    }
  return bad(r, "no MARK on the stack");
}

static ps_status need(rd *r, size_t n) {
  return r->len - r->i < n ? bad(r, "truncated") : PS_OK;
}

static uint64_t le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int k = n - 1; k >= 0; k--)
    v = v << 8 | p[k];
  return v;
}

/* A protocol-0 argument: the bytes up to the next newline. */
static ps_status line(rd *r, const unsigned char **s, size_t *n) {
  const unsigned char *nl = memchr(r->p + r->i, '\n', r->len - r->i);
  if (!nl)
    return bad(r, "truncated line");
  *s = r->p + r->i;
  *n = (size_t)(nl - *s);
  r->i += *n + 1;
  return PS_OK;
}

/* A length field followed by that many bytes. */
static ps_status counted(rd *r, int width, bool is_signed, const unsigned char **s, size_t *n) {
  ps_status st = need(r, (size_t)width);
  if (st != PS_OK)
    return st;
  uint64_t v = le(r->p + r->i, width);
  r->i += (size_t)width;
  if (is_signed && width == 4 && (v & 0x80000000u))
    return bad(r, "negative length");
  if (v > r->len - r->i)
    return bad(r, "length beyond the end of the input");
  *s = r->p + r->i;
  *n = (size_t)v;
  r->i += *n;
  return PS_OK;
}

/* Make room for a string decoded from n input bytes (at most 2n+1 output
 * bytes for every decoding below). */
static ps_status reserve(rd *r, size_t n) {
  if (!grow((void **)&r->arena, &r->acap, r->alen + 2 * n + 1, 1))
    return nomem(r);
  return PS_OK;
}

/* The decoded string of m bytes at arena[alen] is complete: push it (or an
 * opaque value if it holds a NUL, which a C string cannot carry). */
static ps_status finish_str(rd *r, size_t m) {
  if (memchr(r->arena + r->alen, '\0', m))
    return push(r, V_OTHER, 0);
  if (r->alen + m + 1 > PICKLE_MAX_OUTPUT)
    return bad(r, "decoded strings exceed PICKLE_MAX_OUTPUT");
  r->arena[r->alen + m] = '\0';
  ps_status st = push(r, V_STR, (uint32_t)r->alen);
  if (st == PS_OK)
    r->alen += m + 1;
  return st;
}

/* Python 2 byte string: UTF-8 if it is, else Latin-1 (expanded in place,
 * back to front). */
static ps_status bytes_done(rd *r, size_t m) {
  char *s = r->arena + r->alen;
  if (!text_utf8_valid(s, m)) {
    size_t high = 0;
    for (size_t k = 0; k < m; k++)
      high += (unsigned char)s[k] >> 7;
    size_t w = m + high;
    for (size_t k = m; k-- > 0;) {
      unsigned char c = (unsigned char)s[k];
      if (c < 0x80) {
        s[--w] = (char)c;
      } else {
        s[--w] = (char)(0x80 | (c & 0x3F));
        s[--w] = (char)(0xC0 | c >> 6);
      }
    }
    m += high;
  }
  return finish_str(r, m);
}

static ps_status raw_bytes(rd *r, const unsigned char *s, size_t n) {
  ps_status st = reserve(r, n);
  if (st != PS_OK)
    return st;
  memcpy(r->arena + r->alen, s, n);
  return bytes_done(r, n);
}

static ps_status utf8_str(rd *r, const unsigned char *s, size_t n) {
  if (!text_utf8_valid((const char *)s, n))
    return bad(r, "invalid UTF-8 in a unicode string");
  ps_status st = reserve(r, n);
  if (st != PS_OK)
    return st;
  memcpy(r->arena + r->alen, s, n);
  return finish_str(r, n);
}

/* STRING: repr() of a byte string, undone the way Python 2's
 * str.decode('string-escape') does. */
static ps_status op_string(rd *r) {
  const unsigned char *s = NULL;
  size_t n = 0;
  ps_status st = line(r, &s, &n);
  if (st != PS_OK)
    return st;
  if (n < 2 || (s[0] != '\'' && s[0] != '"') || s[n - 1] != s[0])
    return bad(r, "STRING argument is not quoted");
  s++, n -= 2;
  if ((st = reserve(r, n)) != PS_OK)
    return st;
  char *o = r->arena + r->alen;
  size_t m = 0;
  for (size_t k = 0; k < n;) {
    unsigned char c = s[k++];
    if (c != '\\') {
      o[m++] = (char)c;
      continue;
    }
    if (k == n)
      return bad(r, "trailing backslash in STRING");
    c = s[k++];
    switch (c) {
    case '\n': break;
    case '\\': case '\'': case '"': o[m++] = (char)c; break;
    case 'a': o[m++] = '\a'; break;
    case 'b': o[m++] = '\b'; break;
    case 'f': o[m++] = '\f'; break;
    case 'n': o[m++] = '\n'; break;
    case 'r': o[m++] = '\r'; break;
    case 't': o[m++] = '\t'; break;
    case 'v': o[m++] = '\v'; break;
    case 'x': {
      int h1 = k < n ? text_hex_value(s[k]) : -1, h2 = k + 1 < n ? text_hex_value(s[k + 1]) : -1;
      if (h1 < 0 || h2 < 0)
        return bad(r, "invalid \\x escape in STRING");
      o[m++] = (char)(h1 << 4 | h2);
      k += 2;
      break;
    }
    default:
      if (c >= '0' && c <= '7') {
        unsigned v = c - '0';
        for (int d = 0; d < 2 && k < n && s[k] >= '0' && s[k] <= '7'; d++)
          v = v << 3 | (unsigned)(s[k++] - '0');
        o[m++] = (char)(v & 0xFF);
      } else {
        /* Unknown escapes stay as typed. */
        o[m++] = '\\';
        k--;
      }
    }
  }
  return bytes_done(r, m);
}

/* UNICODE: raw-unicode-escape.  Non-escape bytes are Latin-1 code points;
 * \u and \U escape only after an odd run of backslashes. */
static ps_status op_unicode(rd *r) {
  const unsigned char *s = NULL;
  size_t n = 0;
  ps_status st = line(r, &s, &n);
  if (st != PS_OK)
    return st;
  if ((st = reserve(r, n)) != PS_OK)
    return st;
  char *o = r->arena + r->alen;
  size_t m = 0;
  uint32_t high = 0; /* pending high surrogate */
  for (size_t k = 0; k < n;) {
    uint32_t cp;
    if (s[k] != '\\') {
      cp = s[k++];
    } else {
      size_t run = 0;
      while (k + run < n && s[k + run] == '\\')
        run++;
      bool esc = (run & 1) && k + run < n && (s[k + run] == 'u' || s[k + run] == 'U');
      if (!esc || run > 1) {
        /* Literal backslashes (all of them, or all but the escaping one). */
        size_t lit = esc ? run - 1 : run;
        if (high)
          return bad(r, "lone surrogate in UNICODE");
        memset(o + m, '\\', lit);
        m += lit;
        k += lit;
        continue;
      }
      int digits = s[k + 1] == 'u' ? 4 : 8;
      k += 2;
      if (n - k < (size_t)digits)
        return bad(r, "truncated \\u escape in UNICODE");
      cp = 0;
      for (int d = 0; d < digits; d++) {
        int h = text_hex_value(s[k + (size_t)d]);
        if (h < 0)
          return bad(r, "bad \\u escape in UNICODE");
        cp = cp << 4 | (uint32_t)h;
      }
      k += (size_t)digits;
      if (cp > 0x10FFFF)
        return bad(r, "code point above U+10FFFF in UNICODE");
    }
    if (high) {
      if (cp < 0xDC00 || cp > 0xDFFF)
        return bad(r, "lone surrogate in UNICODE");
      cp = 0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00);
      high = 0;
    } else if (cp >= 0xD800 && cp <= 0xDBFF) {
      high = cp;
      continue;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return bad(r, "lone surrogate in UNICODE");
    }
    m += text_utf8_put(cp, o + m);
  }
  if (high)
    return bad(r, "lone surrogate in UNICODE");
  return finish_str(r, m);
}

static ps_status memo_put(rd *r, uint64_t id) {
  if (id >= PICKLE_MAX_MEMO)
    return bad(r, "memo id too large");
  if (r->sp == 0 || r->stack[r->sp - 1].kind == V_MARK)
    return bad(r, "PUT with nothing to store");
  size_t old = r->memo_cap;
  if (!grow((void **)&r->memo, &r->memo_cap, (size_t)id + 1, sizeof *r->memo))
    return nomem(r);
  if (r->memo_cap > old)
    memset(r->memo + old, 0, (r->memo_cap - old) * sizeof *r->memo);
  if (r->memo[id].kind == V_UNSET)
    r->memo_count++;
  r->memo[id] = r->stack[r->sp - 1];
  return PS_OK;
}

static ps_status memo_get(rd *r, uint64_t id) {
  if (id >= r->memo_cap || r->memo[id].kind == V_UNSET)
    return bad(r, "GET of an unknown memo id");
  return push(r, r->memo[id].kind, r->memo[id].a);
}

/* Decimal id of PUT/GET. */
static ps_status line_id(rd *r, uint64_t *id) {
  const unsigned char *s = NULL;
  size_t n = 0;
  ps_status st = line(r, &s, &n);
  if (st != PS_OK)
    return st;
  if (n == 0 || n > 9)
    return bad(r, "bad memo id");
  *id = 0;
  for (size_t k = 0; k < n; k++) {
    if (s[k] < '0' || s[k] > '9')
      return bad(r, "bad memo id");
    *id = *id * 10 + (s[k] - '0');
  }
  return PS_OK;
}

static ps_status set_item(rd *r, uint32_t dict, pval key, pval val) {
  if (key.kind != V_STR)
    return PS_OK;
  if (!grow((void **)&r->ent, &r->ent_cap, r->nent + 1, sizeof *r->ent))
    return nomem(r);
  r->ent[r->nent++] = (pentry){dict, key.a, val};
  return PS_OK;
}

/* Items stack[from .. sp) as key/value pairs into dict. */
static ps_status set_items(rd *r, uint32_t dict, size_t from) {
  if ((r->sp - from) % 2)
    return bad(r, "odd number of items for a dict");
  for (size_t k = from; k < r->sp; k += 2) {
    ps_status st = set_item(r, dict, r->stack[k], r->stack[k + 1]);
    if (st != PS_OK)
      return st;
  }
  return PS_OK;
}

/* Replace stack[m ..] (a mark and what follows) by one value. */
static ps_status collapse(rd *r, size_t m, uint32_t kind, uint32_t a) {
  r->sp = m;
  return push(r, kind, a);
}

/* build() works on these; the arena no longer moves then, so plain
 * pointers are safe and qsort needs no context. */
typedef struct item {
  const char *key;
  const char *val; /* NULL when the value is not a string */
  size_t seq;      /* first insertion of the key */
  size_t rank;     /* position in key order */
} item;

static int item_key_cmp(const void *a, const void *b) {
  const item *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c)
    return c;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int item_seq_cmp(const void *a, const void *b) {
  const item *x = a, *y = b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void dict_free_parts(pickle_dict *d) {
  free(d->keys);
  free(d->vals);
  free(d->sorted);
  free(d->buf);
  free(d);
}

/* The dict with id `dict` is the result: apply dict semantics to its
 * recorded SETITEMs (last value wins, first insertion keeps the position)
 * and copy the surviving strings out. */
static ps_status build(rd *r, uint32_t dict, pickle_dict **out) {
  ps_status st = PS_OK;
  item *it = NULL;
  size_t n = 0, ng = 0, bytes = 0;
  pickle_dict *d = calloc(1, sizeof *d);
  if (!d)
    return nomem(r);
  for (size_t k = 0; k < r->nent; k++)
    n += r->ent[k].dict == dict;
  if (!(it = malloc((n ? n : 1) * sizeof *it))) {
    st = nomem(r);
    goto out;
  }
  n = 0;
  for (size_t k = 0; k < r->nent; k++) {
    const pentry *e = &r->ent[k];
    if (e->dict == dict) {
      it[n] = (item){r->arena + e->key, e->val.kind == V_STR ? r->arena + e->val.a : NULL, n, 0};
      n++;
    }
  }
  qsort(it, n, sizeof *it, item_key_cmp);
  /* One item per key (in key order): the first's seq, the last's value;
   * keys whose final value is not a string are dropped. */
  for (size_t k = 0; k < n;) {
    size_t e = k + 1;
    while (e < n && strcmp(it[e].key, it[k].key) == 0)
      e++;
    if (it[e - 1].val) {
      it[ng] = (item){it[k].key, it[e - 1].val, it[k].seq, ng};
      bytes += strlen(it[ng].key) + strlen(it[ng].val) + 2;
      ng++;
    }
    k = e;
  }
  d->n = ng;
  d->keys = malloc((ng ? ng : 1) * sizeof *d->keys);
  d->vals = malloc((ng ? ng : 1) * sizeof *d->vals);
  d->sorted = malloc((ng ? ng : 1) * sizeof *d->sorted);
  d->buf = malloc(bytes ? bytes : 1);
  if (!d->keys || !d->vals || !d->sorted || !d->buf) {
    st = nomem(r);
    goto out;
  }
  qsort(it, ng, sizeof *it, item_seq_cmp);
  char *w = d->buf;
  for (size_t k = 0; k < ng; k++) {
    size_t kl = strlen(it[k].key) + 1, vl = strlen(it[k].val) + 1;
    d->keys[k] = memcpy(w, it[k].key, kl);
    w += kl;
    d->vals[k] = memcpy(w, it[k].val, vl);
    w += vl;
    d->sorted[it[k].rank] = k;
  }
  *out = d;
  d = NULL;
out:
  free(it);
  if (d)
    dict_free_parts(d);
  return st;
}

ps_status pickle_read_dict(const unsigned char *buf, size_t len, pickle_dict **out,
                           ps_error *err) {
  rd r = {.p = buf, .len = len, .err = err};
  ps_status st = PS_OK;
  *out = NULL;
  if (!buf && len)
    return bad(&r, "no input");
  for (;;) {
    pval v = {0}, k = {0};
    size_t m = 0, n = 0;
    const unsigned char *s = NULL;
    uint64_t id;
    r.op_at = r.i;
    if (r.i >= r.len) {
      st = bad(&r, "truncated before STOP");
      goto out;
    }
    unsigned char op = r.p[r.i++];
    switch (op) {
    case '(': st = push(&r, V_MARK, 0); break;
    case '.':
      if (r.sp == 0 || r.stack[r.sp - 1].kind != V_DICT) {
        st = bad(&r, "the pickled object is not a dict");
        goto out;
      }
      st = build(&r, r.stack[r.sp - 1].a, out);
      goto out;
    case '0':
      if (r.sp == 0)
        st = bad(&r, "stack underflow");
      else
        r.sp--;
      break;
    case '1':
      if ((st = find_mark(&r, &m)) == PS_OK)
        r.sp = m;
      break;
    case '2':
      if ((st = pop(&r, &v)) == PS_OK && (st = push(&r, v.kind, v.a)) == PS_OK)
        st = push(&r, v.kind, v.a);
      break;
    case 'S': st = op_string(&r); break;
    case 'V': st = op_unicode(&r); break;
    case 'T':
    case 'B':
    case 'U':
    case 'C':
      if ((st = counted(&r, op == 'T' || op == 'B' ? 4 : 1, op == 'T', &s, &n)) == PS_OK)
        st = raw_bytes(&r, s, n);
      break;
    case 'X':
    case 0x8c:
    case 0x8d:
      if ((st = counted(&r, op == 'X' ? 4 : op == 0x8c ? 1 : 8, false, &s, &n)) == PS_OK)
        st = utf8_str(&r, s, n);
      break;
    case 'p':
      if ((st = line_id(&r, &id)) == PS_OK)
        st = memo_put(&r, id);
      break;
    case 'g':
      if ((st = line_id(&r, &id)) == PS_OK)
        st = memo_get(&r, id);
      break;
    case 'q':
    case 'r':
    case 'h':
    case 'j': {
      int w = op == 'q' || op == 'h' ? 1 : 4;
      if ((st = need(&r, (size_t)w)) != PS_OK)
        break;
      id = le(r.p + r.i, w);
      r.i += (size_t)w;
      st = op == 'q' || op == 'r' ? memo_put(&r, id) : memo_get(&r, id);
      break;
    }
    case 0x94: st = memo_put(&r, r.memo_count); break;
    case '}': st = push(&r, V_DICT, r.ndicts++); break;
    case 'd':
      if ((st = find_mark(&r, &m)) == PS_OK && (st = set_items(&r, r.ndicts, m + 1)) == PS_OK)
        st = collapse(&r, m, V_DICT, r.ndicts++);
      break;
    case 's':
      if ((st = pop(&r, &v)) != PS_OK || (st = pop(&r, &k)) != PS_OK)
        break;
      if (r.sp == 0 || r.stack[r.sp - 1].kind != V_DICT)
        st = bad(&r, "SETITEM on a non-dict");
      else
        st = set_item(&r, r.stack[r.sp - 1].a, k, v);
      break;
    case 'u':
      if ((st = find_mark(&r, &m)) != PS_OK)
        break;
      if (m == 0 || r.stack[m - 1].kind != V_DICT)
        st = bad(&r, "SETITEMS on a non-dict");
      else if ((st = set_items(&r, r.stack[m - 1].a, m + 1)) == PS_OK)
        r.sp = m;
      break;
    case 0x80:
      if ((st = need(&r, 1)) == PS_OK && r.p[r.i++] > 5)
        st = bad(&r, "unsupported protocol");
      break;
    case 0x95: /* FRAME: only a hint for buffering; the opcodes follow inline. */
      if ((st = need(&r, 8)) == PS_OK)
        r.i += 8;
      break;
    case 'N':
    case 0x88:
    case 0x89:
    case ')': st = push(&r, V_OTHER, 0); break;
    case 'I':
    case 'L':
    case 'F':
      /* Numbers are never attributes: their text is not validated. */
      if ((st = line(&r, &s, &n)) == PS_OK)
        st = push(&r, V_OTHER, 0);
      break;
    case 'J':
    case 'K':
    case 'M':
    case 'G':
      if ((st = need(&r, op == 'J' ? 4 : op == 'K' ? 1 : op == 'M' ? 2 : 8)) == PS_OK) {
        r.i += op == 'J' ? 4 : op == 'K' ? 1 : op == 'M' ? 2 : 8;
        st = push(&r, V_OTHER, 0);
      }
      break;
    case 0x8a:
    case 0x8b:
      if ((st = counted(&r, op == 0x8a ? 1 : 4, true, &s, &n)) == PS_OK)
        st = push(&r, V_OTHER, 0);
      break;
    case ']': st = push(&r, V_LIST, 0); break;
    case 0x8f: st = push(&r, V_SET, 0); break;
    case 'l':
    case 't':
    case 0x91:
      if ((st = find_mark(&r, &m)) == PS_OK)
        st = collapse(&r, m, op == 'l' ? V_LIST : V_OTHER, 0);
      break;
    case 0x85:
    case 0x86:
    case 0x87:
      for (int c = 0; c < op - 0x84 && st == PS_OK; c++)
        st = pop(&r, &v);
      if (st == PS_OK)
        st = push(&r, V_OTHER, 0);
      break;
    case 'a':
      if ((st = pop(&r, &v)) == PS_OK && (r.sp == 0 || r.stack[r.sp - 1].kind != V_LIST))
        st = bad(&r, "APPEND to a non-list");
      break;
    case 'e':
    case 0x90:
      if ((st = find_mark(&r, &m)) != PS_OK)
        break;
      if (m == 0 || r.stack[m - 1].kind != (op == 'e' ? V_LIST : V_SET))
        st = bad(&r, op == 'e' ? "APPENDS to a non-list" : "ADDITEMS to a non-set");
      else
        r.sp = m;
      break;
    default: st = bad(&r, "unsupported opcode"); break;
    }
    if (st != PS_OK)
      goto out;
  }
out:
  free(r.stack);
  free(r.memo);
  free(r.arena);
  free(r.ent);
  return st;
}

size_t pickle_dict_count(const pickle_dict *d) { return d ? d->n : 0; }
const char *pickle_dict_key(const pickle_dict *d, size_t i) { return d->keys[i]; }
const char *pickle_dict_value(const pickle_dict *d, size_t i) { return d->vals[i]; }
size_t pickle_dict_sorted(const pickle_dict *d, size_t i) { return d->sorted[i]; }

const char *pickle_dict_get(const pickle_dict *d, const char *key) {
  size_t lo = 0, hi = pickle_dict_count(d);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2, at = d->sorted[mid];
    int c = strcmp(d->keys[at], key);
    if (c == 0)
      return d->vals[at];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

void pickle_dict_free(pickle_dict *d) {
  if (d)
    dict_free_parts(d);
}
