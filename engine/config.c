/* config: YAML -> validated structs (see config.h).
 *
 * The whole file is loaded into a libyaml document first (yaml_parser_load),
 * then walked; every node keeps its start mark, so each error can name the
 * exact line and column of the offending node.  Sections are processed in a
 * fixed order (servers, sources, target, engine, jobs) whatever their order
 * in the file, so that references (a source's `server:`) resolve.  Nothing
 * here is shared between threads: a config is built by one thread and then
 * only read. */
#include "engine/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "engine/log.h"

static const char *const source_names[SRC__COUNT] = {
    "keystone", "nova_api", "nova", "cinder", "glance", "rcshibboleth", "dashboard",
};

const char *config_source_name(cfg_source_id id) {
  return (unsigned)id < SRC__COUNT ? source_names[id] : "?";
}

/* ---------------------------------------------------------------- scalars */

static bool parse_u64(const char **p, uint64_t *out) {
  const char *s = *p;
  if (*s < '0' || *s > '9')
    return false;
  uint64_t v = 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    unsigned d = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *p = s;
  *out = v;
  return true;
}

typedef struct unit {
  const char *name;
  uint64_t mult;
} unit;

static bool parse_with_units(const char *s, const unit *units, uint64_t bare, uint64_t *out) {
  if (!s)
    return false;
  uint64_t v;
  if (!parse_u64(&s, &v))
    return false;
  if (*s == ' ')
    s++;
  uint64_t mult = 0;
  if (*s == '\0')
    mult = bare;
  for (const unit *u = units; !mult && u->name; u++)
    if (strcmp(s, u->name) == 0)
      mult = u->mult;
  if (!mult || (v && v > UINT64_MAX / mult))
    return false;
  *out = v * mult;
  return true;
}

bool config_parse_duration_ms(const char *s, uint64_t *ms) {
  static const unit units[] = {{"ms", 1},          {"s", 1000},       {"m", 60000},
                               {"h", 3600000},     {"d", 86400000},   {NULL, 0}};
  return parse_with_units(s, units, 1000, ms);
}

bool config_parse_size(const char *s, uint64_t *bytes) {
  static const unit units[] = {{"B", 1},
                               {"KiB", 1024},
                               {"MiB", 1024 * 1024},
                               {"GiB", 1024 * 1024 * 1024},
                               {"KB", 1000},
                               {"MB", 1000 * 1000},
                               {"GB", 1000 * 1000 * 1000},
                               {NULL, 0}};
  return parse_with_units(s, units, 1, bytes);
}

bool config_is_identifier(const char *s) {
  if (!s)
    return false;
  size_t n = 0;
  bool digits_only = true;
  for (; s[n]; n++) {
    char c = s[n];
    bool digit = c >= '0' && c <= '9';
    if (!(digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$'))
      return false;
    digits_only &= digit;
  }
  return n >= 1 && n <= 64 && !digits_only;
}

/* ---------------------------------------------------------------- parsing */

typedef struct parser {
  const char *name; /* file name for messages */
  yaml_document_t doc;
  config *cfg;
  ps_error *err;
  const config_job_spec *specs;
  size_t n_specs;
} parser;

static ps_status fail_at(parser *p, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ps_status fail_at(parser *p, yaml_mark_t m, const char *fmt, ...) {
  char what[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return ERROR_SET(p->err, PS_ECONFIG, "%s:%zu:%zu: %s", p->name, m.line + 1, m.column + 1,
                   what);
}
#define FAIL(p, node, ...) fail_at((p), (node)->start_mark, __VA_ARGS__)

static cfg_loc loc_of(const yaml_node_t *n) {
  return (cfg_loc){(unsigned)n->start_mark.line + 1, (unsigned)n->start_mark.column + 1};
}

static const char *kind_name(const yaml_node_t *n) {
  switch (n->type) {
  case YAML_SCALAR_NODE:
    return "a scalar";
  case YAML_SEQUENCE_NODE:
    return "a list";
  case YAML_MAPPING_NODE:
    return "a mapping";
  default:
    return "nothing";
  }
}

static yaml_node_t *node(parser *p, int id) { return yaml_document_get_node(&p->doc, id); }

static const char *sval(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

/* An unquoted empty scalar, `~` or `null` is YAML's null: for us a missing value. */
static bool is_null(const yaml_node_t *n) {
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return false;
  const char *v = sval(n);
  return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
         !strcmp(v, "NULL");
}

static ps_status want_map(parser *p, const yaml_node_t *n, const char *what) {
  if (n->type != YAML_MAPPING_NODE)
    return FAIL(p, n, "%s must be a mapping, not %s", what, kind_name(n));
  return PS_OK;
}

static ps_status want_str(parser *p, const yaml_node_t *n, const char *key, const char **out) {
  if (n->type != YAML_SCALAR_NODE)
    return FAIL(p, n, "'%s' must be a scalar, not %s", key, kind_name(n));
  if (is_null(n))
    return FAIL(p, n, "'%s' has no value", key);
  *out = sval(n);
  return PS_OK;
}

static ps_status want_ident(parser *p, const yaml_node_t *n, const char *key, const char **out) {
  ps_status s = want_str(p, n, key, out);
  if (s == PS_OK && !config_is_identifier(*out))
    return FAIL(p, n,
                "'%s' must be a plain identifier (1-64 characters of A-Z a-z 0-9 _ $), "
                "not '%.80s'",
                key, *out);
  return s;
}

static ps_status want_uint(parser *p, const yaml_node_t *n, const char *key, uint64_t min,
                           uint64_t max, uint64_t *out) {
  const char *v = NULL;
  ps_status s = want_str(p, n, key, &v);
  if (s != PS_OK)
    return s;
  const char *e = v;
  uint64_t x;
  if (*v == '-')
    return FAIL(p, n, "'%s' must not be negative (got '%.40s')", key, v);
  if (!parse_u64(&e, &x) || *e)
    return FAIL(p, n, "'%s' must be a non-negative integer, not '%.40s'", key, v);
  if (x < min || x > max)
    return FAIL(p, n, "'%s' must be between %llu and %llu (got %llu)", key,
                (unsigned long long)min, (unsigned long long)max, (unsigned long long)x);
  *out = x;
  return PS_OK;
}

/* A duration into `unit_ms` units (1 or 1000); min/max are in those units. */
static ps_status want_duration(parser *p, const yaml_node_t *n, const char *key,
                               uint64_t unit_ms, uint64_t min, unsigned *out) {
  const char *v = NULL;
  ps_status s = want_str(p, n, key, &v);
  if (s != PS_OK)
    return s;
  uint64_t ms;
  if (*v == '-')
    return FAIL(p, n, "'%s' must not be negative (got '%.40s')", key, v);
  if (!config_parse_duration_ms(v, &ms))
    return FAIL(p, n, "'%s': bad duration '%.40s' (a number with ms, s, m, h or d)", key, v);
  if (ms % unit_ms)
    return FAIL(p, n, "'%s' must be a whole number of seconds (got '%.40s')", key, v);
  uint64_t x = ms / unit_ms;
  if (x < min || x > UINT_MAX)
    return FAIL(p, n, "'%s' out of range (got '%.40s', minimum %llu%s)", key, v,
                (unsigned long long)min, unit_ms == 1 ? "ms" : "s");
  *out = (unsigned)x;
  return PS_OK;
}

static ps_status want_bool(parser *p, const yaml_node_t *n, const char *key, bool *out) {
  const char *v = NULL;
  ps_status s = want_str(p, n, key, &v);
  if (s != PS_OK)
    return s;
  if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "yes"))
    *out = true;
  else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "no"))
    *out = false;
  else
    return FAIL(p, n, "'%s' must be true or false, not '%.40s'", key, v);
  return PS_OK;
}

static ps_status dup_into(parser *p, char **dst, const char *s) {
  free(*dst);
  *dst = strdup(s);
  return *dst ? PS_OK : ERROR_SET(p->err, PS_ENOMEM, "%s: out of memory", p->name);
}

/* Walks a mapping: checks each key is a scalar and not repeated, then calls
 * `fn` for it.  `fn` reports unknown keys itself (it knows the section). */
typedef ps_status (*pair_fn)(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                             void *ctx);

static ps_status each_pair(parser *p, yaml_node_t *map, pair_fn fn, void *ctx) {
  yaml_node_pair_t *beg = map->data.mapping.pairs.start, *end = map->data.mapping.pairs.top;
  for (yaml_node_pair_t *it = beg; it < end; it++) {
    yaml_node_t *k = node(p, it->key), *v = node(p, it->value);
    if (k->type != YAML_SCALAR_NODE)
      return FAIL(p, k, "a key must be a scalar, not %s", kind_name(k));
    for (yaml_node_pair_t *prev = beg; prev < it; prev++) {
      yaml_node_t *pk = node(p, prev->key);
      if (pk->type == YAML_SCALAR_NODE && !strcmp(sval(pk), sval(k)))
        return FAIL(p, k, "duplicate key '%.80s' (first at line %zu)", sval(k),
                    pk->start_mark.line + 1);
    }
    ps_status s = fn(p, sval(k), k, v, ctx);
    if (s != PS_OK)
      return s;
  }
  return PS_OK;
}

static ps_status unknown_key(parser *p, yaml_node_t *k, const char *where) {
  return FAIL(p, k, "unknown key '%.80s' in %s", sval(k), where);
}

/* Key or value node of `key` in a mapping, or NULL. */
static yaml_node_t *lookup_pair(parser *p, yaml_node_t *map, const char *key, bool want_key) {
  for (yaml_node_pair_t *it = map->data.mapping.pairs.start; it < map->data.mapping.pairs.top;
       it++) {
    yaml_node_t *k = node(p, it->key);
    if (k->type == YAML_SCALAR_NODE && !strcmp(sval(k), key))
      return want_key ? k : node(p, it->value);
  }
  return NULL;
}

static yaml_node_t *lookup(parser *p, yaml_node_t *map, const char *key) {
  return lookup_pair(p, map, key, false);
}

/* ---------------------------------------------------------------- servers */

typedef struct server_ctx {
  cfg_server *srv;
  yaml_node_t *addr_key;     /* first of host/socket/hosts seen */
  yaml_node_t *pw_key;       /* first password source seen */
  yaml_node_t *pw_val;
  yaml_node_t *hosts;
  bool has_user;
} server_ctx;

static ps_status address_once(parser *p, server_ctx *c, yaml_node_t *k) {
  if (c->addr_key)
    return FAIL(p, k, "server '%s': '%s' and '%s' are exclusive", c->srv->name,
                sval(c->addr_key), sval(k));
  c->addr_key = k;
  return PS_OK;
}

static ps_status server_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                             void *ctx) {
  server_ctx *c = ctx;
  cfg_server *srv = c->srv;
  const char *str;
  uint64_t u;
  ps_status s;
  if (!strcmp(key, "host") || !strcmp(key, "socket")) {
    if ((s = address_once(p, c, k)) != PS_OK || (s = want_str(p, v, key, &str)) != PS_OK)
      return s;
    return dup_into(p, key[0] == 'h' ? &srv->host : &srv->socket, str);
  }
  if (!strcmp(key, "hosts")) {
    if ((s = address_once(p, c, k)) != PS_OK)
      return s;
    if (v->type != YAML_SEQUENCE_NODE)
      return FAIL(p, v, "'hosts' must be a list of HOST:PORT, not %s", kind_name(v));
    if (v->data.sequence.items.top == v->data.sequence.items.start)
      return FAIL(p, v, "'hosts' is empty");
    c->hosts = v; /* parsed once `port` (the default port of the nodes) is known */
    return PS_OK;
  }
  if (!strcmp(key, "port")) {
    if ((s = want_uint(p, v, key, 1, 65535, &u)) != PS_OK)
      return s;
    srv->port = (unsigned)u;
    return PS_OK;
  }
  if (!strcmp(key, "user")) {
    if ((s = want_str(p, v, key, &str)) != PS_OK)
      return s;
    c->has_user = true;
    return dup_into(p, &srv->user, str);
  }
  if (!strcmp(key, "password") || !strcmp(key, "password_file") ||
      !strcmp(key, "password_env")) {
    if (c->pw_key)
      return FAIL(p, k, "server '%s': two password sources ('%s' and '%s'); give exactly one",
                  srv->name, sval(c->pw_key), key);
    /* The inline password's value is never echoed, whatever is wrong with it. */
    if (v->type != YAML_SCALAR_NODE)
      return FAIL(p, v, "'%s' must be a scalar, not %s", key, kind_name(v));
    /* `password:` with nothing after it is more likely a forgotten value
     * than a wish for no password, which is spelled password: "". */
    if (is_null(v))
      return FAIL(p, v, "'%s' has no value%s", key,
                  strcmp(key, "password") ? "" : " (write password: \"\" for none)");
    c->pw_key = k;
    c->pw_val = v;
    return PS_OK;
  }
  if (!strcmp(key, "pool_size")) {
    if ((s = want_uint(p, v, key, 1, 1024, &u)) != PS_OK)
      return s;
    srv->pool_size = (unsigned)u;
    return PS_OK;
  }
  if (!strcmp(key, "ssl_mode")) {
    static const char *const modes[] = {"disabled", "preferred", "required", "verify_ca",
                                        "verify_identity"};
    if ((s = want_str(p, v, key, &str)) != PS_OK)
      return s;
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
      if (!strcmp(str, modes[i])) {
        srv->ssl_mode = (cfg_ssl_mode)i;
        return PS_OK;
      }
    return FAIL(p, v,
                "'ssl_mode' must be disabled, preferred, required, verify_ca or "
                "verify_identity, not '%.40s'",
                str);
  }
  if (!strcmp(key, "ssl_ca")) {
    if ((s = want_str(p, v, key, &str)) != PS_OK)
      return s;
    return dup_into(p, &srv->ssl_ca, str);
  }
  if (!strcmp(key, "connect_timeout"))
    return want_duration(p, v, key, 1000, 1, &srv->connect_timeout_s);
  if (!strcmp(key, "read_timeout"))
    return want_duration(p, v, key, 1000, 1, &srv->read_timeout_s);
  if (!strcmp(key, "write_timeout"))
    return want_duration(p, v, key, 1000, 1, &srv->write_timeout_s);
  char where[96];
  snprintf(where, sizeof where, "server '%s'", srv->name);
  return unknown_key(p, k, where);
}

static ps_status parse_hosts(parser *p, cfg_server *srv, yaml_node_t *seq) {
  size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
  srv->hosts = calloc(n, sizeof *srv->hosts);
  if (!srv->hosts)
    return ERROR_SET(p->err, PS_ENOMEM, "%s: out of memory", p->name);
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *item = node(p, seq->data.sequence.items.start[i]);
    const char *str;
    ps_status s = want_str(p, item, "hosts", &str);
    if (s != PS_OK)
      return s;
    /* HOST, HOST:PORT, [V6]:PORT */
    const char *h = str, *colon;
    size_t hlen;
    if (*str == '[') {
      const char *close = strchr(str, ']');
      if (!close || (close[1] && close[1] != ':'))
        return FAIL(p, item, "bad host '%.80s' (HOST:PORT or [IPV6]:PORT)", str);
      h = str + 1;
      hlen = (size_t)(close - h);
      colon = close[1] ? close + 1 : NULL;
    } else {
      colon = strrchr(str, ':');
      if (colon && strchr(str, ':') != colon)
        return FAIL(p, item, "bad host '%.80s' (write IPv6 as [ADDR]:PORT)", str);
      hlen = colon ? (size_t)(colon - str) : strlen(str);
    }
    uint64_t port = srv->port;
    if (colon) {
      const char *e = colon + 1;
      if (!parse_u64(&e, &port) || *e || port < 1 || port > 65535)
        return FAIL(p, item, "bad port in host '%.80s'", str);
    }
    if (!hlen)
      return FAIL(p, item, "empty host name in '%.80s'", str);
    srv->hosts[i].host = strndup(h, hlen);
    if (!srv->hosts[i].host)
      return ERROR_SET(p->err, PS_ENOMEM, "%s: out of memory", p->name);
    srv->hosts[i].port = (unsigned)port;
    srv->n_hosts = i + 1;
  }
  return PS_OK;
}

static ps_status read_password_file(parser *p, cfg_server *srv, yaml_node_t *v) {
  const char *path = sval(v);
  ps_status s = PS_OK;
  char *buf = NULL;
  FILE *f = fopen(path, "r");
  if (!f)
    return FAIL(p, v, "server '%s': cannot read password_file %s: %s", srv->name, path,
                strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    s = FAIL(p, v, "server '%s': password_file %s is not a regular file", srv->name, path);
    goto out;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    log_warn("%s: server '%s': password_file %s is accessible by group or others (mode %03o); "
             "chmod 600 it",
             p->name, srv->name, path, (unsigned)(st.st_mode & 0777));
  if (st.st_size > 4096) {
    s = FAIL(p, v, "server '%s': password_file %s is larger than 4 KiB", srv->name, path);
    goto out;
  }
  buf = calloc(1, (size_t)st.st_size + 1);
  if (!buf) {
    s = ERROR_SET(p->err, PS_ENOMEM, "%s: out of memory", p->name);
    goto out;
  }
  size_t n = fread(buf, 1, (size_t)st.st_size, f);
  if (ferror(f)) {
    s = FAIL(p, v, "server '%s': cannot read password_file %s", srv->name, path);
    goto out;
  }
  buf[n] = '\0';
  if (n && buf[n - 1] == '\n')
    buf[n - 1] = '\0';
  free(srv->password);
  srv->password = buf;
  buf = NULL;
out:
  free(buf);
  fclose(f);
  return s;
}

static ps_status resolve_password(parser *p, server_ctx *c, yaml_node_t *name) {
  cfg_server *srv = c->srv;
  if (!c->pw_key)
    return FAIL(p, name,
                "server '%s': missing password source (password_file, password_env or "
                "password; password: \"\" for none)",
                srv->name);
  const char *key = sval(c->pw_key), *val = sval(c->pw_val);
  char origin[1200];
  ps_status s = PS_OK;
  if (!strcmp(key, "password")) {
    snprintf(origin, sizeof origin, "password");
    s = dup_into(p, &srv->password, val);
  } else if (!strcmp(key, "password_env")) {
    const char *env = getenv(val);
    if (!env)
      return FAIL(p, c->pw_val, "server '%s': environment variable %.80s is not set",
                  srv->name, val);
    snprintf(origin, sizeof origin, "password_env %s", val);
    s = dup_into(p, &srv->password, env);
  } else {
    snprintf(origin, sizeof origin, "password_file %s", val);
    s = read_password_file(p, srv, c->pw_val);
  }
  if (s == PS_OK)
    s = dup_into(p, &srv->password_origin, origin);
  return s;
}

static ps_status parse_servers(parser *p, yaml_node_t *map) {
  ps_status s = want_map(p, map, "'servers'");
  if (s != PS_OK)
    return s;
  size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
  if (!n)
    return FAIL(p, map, "'servers' is empty");
  config *cfg = p->cfg;
  cfg->servers = calloc(n, sizeof *cfg->servers);
  if (!cfg->servers)
    return ERROR_SET(p->err, PS_ENOMEM, "%s: out of memory", p->name);
  for (size_t i = 0; i < n; i++) {
    yaml_node_pair_t *pair = &map->data.mapping.pairs.start[i];
    yaml_node_t *k = node(p, pair->key), *v = node(p, pair->value);
    const char *name;
    if ((s = want_ident(p, k, "server name", &name)) != PS_OK)
      return s;
    for (size_t j = 0; j < i; j++)
      if (!strcmp(cfg->servers[j].name, name))
        return FAIL(p, k, "duplicate key '%s' (first at line %u)", name,
                    cfg->servers[j].loc.line);
    cfg_server *srv = &cfg->servers[i];
    cfg->n_servers = i + 1;
    *srv = (cfg_server){.port = 3306,
                        .pool_size = 4,
                        .ssl_mode = CFG_SSL_PREFERRED,
                        .connect_timeout_s = 10,
                        .read_timeout_s = 600,
                        .write_timeout_s = 600,
                        .loc = loc_of(k)};
    if ((s = dup_into(p, &srv->name, name)) != PS_OK)
      return s;
    char what[96];
    snprintf(what, sizeof what, "server '%s'", name);
    if ((s = want_map(p, v, what)) != PS_OK)
      return s;
    server_ctx c = {.srv = srv};
    if ((s = each_pair(p, v, server_pair, &c)) != PS_OK)
      return s;
    /* A missing key is reported at the server's name: a block mapping's own
     * mark would point at whichever key happens to come first. */
    if (!c.addr_key)
      return FAIL(p, k, "server '%s': missing 'host', 'socket' or 'hosts'", name);
    if (!c.has_user)
      return FAIL(p, k, "server '%s': missing required key 'user'", name);
    if (c.hosts && (s = parse_hosts(p, srv, c.hosts)) != PS_OK)
      return s;
    if ((s = resolve_password(p, &c, k)) != PS_OK)
      return s;
  }
  return PS_OK;
}

static ps_status server_ref(parser *p, yaml_node_t *v, size_t *idx) {
  const char *name;
  ps_status s = want_ident(p, v, "server", &name);
  if (s != PS_OK)
    return s;
  for (size_t i = 0; i < p->cfg->n_servers; i++)
    if (!strcmp(p->cfg->servers[i].name, name)) {
      *idx = i;
      return PS_OK;
    }
  return FAIL(p, v, "unknown server '%s' (not under 'servers')", name);
}

/* ---------------------------------------------------------------- sources */

typedef struct source_ctx {
  cfg_source *src;
  bool nova;
  bool has_server, has_schema;
  const char *where;
} source_ctx;

static ps_status source_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                             void *ctx) {
  source_ctx *c = ctx;
  const char *str;
  ps_status s;
  if (!strcmp(key, "server")) {
    c->has_server = true;
    return server_ref(p, v, &c->src->server);
  }
  if (!strcmp(key, "schema")) {
    c->has_schema = true;
    if ((s = want_ident(p, v, key, &str)) != PS_OK)
      return s;
    return dup_into(p, &c->src->schema, str);
  }
  if (c->nova && !strcmp(key, "cell")) {
    if ((s = want_ident(p, v, key, &str)) != PS_OK)
      return s;
    return dup_into(p, &c->src->cell, str);
  }
  return unknown_key(p, k, c->where);
}

static ps_status parse_source(parser *p, cfg_source *src, yaml_node_t *map, bool nova,
                              bool cell_required, const char *where) {
  ps_status s = want_map(p, map, where);
  if (s != PS_OK)
    return s;
  src->loc = loc_of(map);
  source_ctx c = {.src = src, .nova = nova, .where = where};
  if ((s = each_pair(p, map, source_pair, &c)) != PS_OK)
    return s;
  if (!c.has_server)
    return FAIL(p, map, "%s: missing required key 'server'", where);
  if (!c.has_schema)
    return FAIL(p, map, "%s: missing required key 'schema'", where);
  if (nova && !src->cell) {
    if (cell_required)
      return FAIL(p, map, "%s: missing required key 'cell'", where);
    return dup_into(p, &src->cell, src->schema);
  }
  return PS_OK;
}

static ps_status sources_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                              void *ctx) {
  (void)ctx;
  config *cfg = p->cfg;
  int id = -1;
  for (int i = 0; i < SRC__COUNT; i++)
    if (!strcmp(key, source_names[i]))
      id = i;
  if (id < 0)
    return FAIL(p, k,
                "unknown key '%.80s' in sources (keystone, nova_api, nova, cinder, glance, "
                "rcshibboleth, dashboard)",
                key);
  char where[64];
  snprintf(where, sizeof where, "source '%s'", key);
  bool nova = id == SRC_NOVA;
  if (nova && v->type == YAML_SEQUENCE_NODE) {
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (!n)
      return FAIL(p, v, "source 'nova' needs at least one cell");
    cfg->sources[id] = calloc(n, sizeof(cfg_source));
    if (!cfg->sources[id])
      return ERROR_SET(p->err, PS_ENOMEM, "%s: out of memory", p->name);
    for (size_t i = 0; i < n; i++) {
      yaml_node_t *item = node(p, v->data.sequence.items.start[i]);
      cfg->n_sources[id] = i + 1;
      ps_status s = parse_source(p, &cfg->sources[id][i], item, true, true, where);
      if (s != PS_OK)
        return s;
      for (size_t j = 0; j < i; j++)
        if (!strcmp(cfg->sources[id][j].cell, cfg->sources[id][i].cell)) {
          yaml_node_t *cell = lookup(p, item, "cell");
          return FAIL(p, cell ? cell : item, "duplicate nova cell '%s' (first at line %u)",
                      cfg->sources[id][i].cell, cfg->sources[id][j].loc.line);
        }
    }
    return PS_OK;
  }
  if (v->type != YAML_MAPPING_NODE)
    return FAIL(p, v, "%s must be a mapping%s, not %s", where, nova ? " or a list of cells" : "",
                kind_name(v));
  cfg->sources[id] = calloc(1, sizeof(cfg_source));
  if (!cfg->sources[id])
    return ERROR_SET(p->err, PS_ENOMEM, "%s: out of memory", p->name);
  cfg->n_sources[id] = 1;
  return parse_source(p, cfg->sources[id], v, nova, false, where);
}

/* ---------------------------------------------------------------- target */

typedef struct target_ctx {
  bool has_server, has_schema;
} target_ctx;

static ps_status target_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                             void *ctx) {
  target_ctx *c = ctx;
  cfg_target *t = &p->cfg->target;
  const char *str;
  ps_status s;
  if (!strcmp(key, "server")) {
    c->has_server = true;
    return server_ref(p, v, &t->server);
  }
  if (!strcmp(key, "schema") || !strcmp(key, "state_schema")) {
    if ((s = want_ident(p, v, key, &str)) != PS_OK)
      return s;
    c->has_schema |= key[1] == 'c';
    return dup_into(p, key[1] == 'c' ? &t->schema : &t->state_schema, str);
  }
  return unknown_key(p, k, "target");
}

static ps_status parse_target(parser *p, yaml_node_t *map) {
  ps_status s = want_map(p, map, "'target'");
  if (s != PS_OK)
    return s;
  cfg_target *t = &p->cfg->target;
  t->loc = loc_of(map);
  target_ctx c = {0};
  if ((s = each_pair(p, map, target_pair, &c)) != PS_OK)
    return s;
  if (!c.has_server)
    return FAIL(p, map, "target: missing required key 'server'");
  if (!c.has_schema)
    return FAIL(p, map, "target: missing required key 'schema'");
  if (!t->state_schema) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s_pollster", t->schema);
    if (!config_is_identifier(buf))
      return FAIL(p, map, "target: default state_schema '%s' is longer than 64 characters; "
                          "set 'state_schema'",
                  buf);
    if ((s = dup_into(p, &t->state_schema, buf)) != PS_OK)
      return s;
  }
  if (!strcmp(t->state_schema, t->schema))
    return FAIL(p, map, "target: state_schema must differ from schema");
  return PS_OK;
}

/* ---------------------------------------------------------------- engine */

static ps_status engine_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                             void *ctx) {
  (void)ctx;
  cfg_engine *e = &p->cfg->engine;
  uint64_t u;
  const char *str;
  ps_status s;
  if (!strcmp(key, "workers")) {
    if ((s = want_uint(p, v, key, 1, 1024, &u)) == PS_OK)
      e->workers = (unsigned)u;
    return s;
  }
  if (!strcmp(key, "batch_rows")) {
    if ((s = want_uint(p, v, key, 1, 100000000, &u)) == PS_OK)
      e->batch_rows = (size_t)u;
    return s;
  }
  if (!strcmp(key, "batch_bytes")) {
    if ((s = want_str(p, v, key, &str)) != PS_OK)
      return s;
    if (*str == '-')
      return FAIL(p, v, "'batch_bytes' must not be negative (got '%.40s')", str);
    if (!config_parse_size(str, &u))
      return FAIL(p, v, "'batch_bytes': bad size '%.40s' (a number with B, KiB, MiB, GiB, KB, "
                        "MB or GB)",
                  str);
    if (u < 1024 || u > (uint64_t)1 << 30)
      return FAIL(p, v, "'batch_bytes' must be between 1KiB and 1GiB (got '%.40s')", str);
    e->batch_bytes = (size_t)u;
    return PS_OK;
  }
  if (!strcmp(key, "load_method")) {
    if ((s = want_str(p, v, key, &str)) != PS_OK)
      return s;
    if (!strcmp(str, "insert"))
      e->load_method = CFG_LOAD_INSERT;
    else if (!strcmp(str, "load_data"))
      e->load_method = CFG_LOAD_DATA;
    else
      return FAIL(p, v, "'load_method' must be insert or load_data, not '%.40s'", str);
    return PS_OK;
  }
  if (!strcmp(key, "retries")) {
    if ((s = want_uint(p, v, key, 0, 100, &u)) == PS_OK)
      e->retries = (unsigned)u;
    return s;
  }
  if (!strcmp(key, "swap_retries")) {
    if ((s = want_uint(p, v, key, 0, 1000, &u)) == PS_OK)
      e->swap_retries = (unsigned)u;
    return s;
  }
  if (!strcmp(key, "retry_backoff"))
    return want_duration(p, v, key, 1, 1, &e->retry_backoff_ms);
  if (!strcmp(key, "deferred_indexes"))
    return want_bool(p, v, key, &e->deferred_indexes);
  if (!strcmp(key, "swap_lock_wait"))
    return want_duration(p, v, key, 1000, 1, &e->swap_lock_wait_s);
  if (!strcmp(key, "acquire_timeout"))
    return want_duration(p, v, key, 1000, 1, &e->acquire_timeout_s);
  if (!strcmp(key, "shutdown_deadline"))
    return want_duration(p, v, key, 1000, 1, &e->shutdown_deadline_s);
  if (!strcmp(key, "lease_ttl"))
    return want_duration(p, v, key, 1000, 1, &e->lease_ttl_s);
  if (!strcmp(key, "metrics_file") || !strcmp(key, "pidfile")) {
    if ((s = want_str(p, v, key, &str)) != PS_OK)
      return s;
    return dup_into(p, key[0] == 'm' ? &e->metrics_file : &e->pidfile, str);
  }
  return unknown_key(p, k, "engine");
}

/* ---------------------------------------------------------------- jobs */

typedef struct job_ctx {
  cfg_job *job;
  const config_job_spec *spec;
} job_ctx;

static ps_status job_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                          void *ctx) {
  job_ctx *c = ctx;
  cfg_job *j = c->job;
  const char *str;
  ps_status s;
  if (!strcmp(key, "enabled"))
    return want_bool(p, v, key, &j->enabled);
  if (!strcmp(key, "mode")) {
    if ((s = want_str(p, v, key, &str)) != PS_OK)
      return s;
    if (!strcmp(str, "full"))
      j->mode = CFG_MODE_FULL;
    else if (!strcmp(str, "incremental")) {
      if (!c->spec->incremental_ok)
        return FAIL(p, v, "job '%s' does not support mode incremental (only full)", j->name);
      j->mode = CFG_MODE_INCREMENTAL;
    } else
      return FAIL(p, v, "'mode' must be full or incremental, not '%.40s'", str);
    return PS_OK;
  }
  if (!strcmp(key, "period"))
    return want_duration(p, v, key, 1000, 1, &j->period_s);
  if (!strcmp(key, "full_every"))
    return want_duration(p, v, key, 1000, 1, &j->full_every_s);
  if (!strcmp(key, "window"))
    return want_duration(p, v, key, 1000, 1, &j->window_s);
  if (!strcmp(key, "source") && !strcmp(j->name, "flavour")) {
    if ((s = want_str(p, v, key, &str)) != PS_OK)
      return s;
    if (strcmp(str, "nova_api") != 0 && strcmp(str, "nova") != 0)
      return FAIL(p, v, "job 'flavour': 'source' must be nova_api or nova, not '%.40s'", str);
    return dup_into(p, &j->source, str);
  }
  char where[96];
  snprintf(where, sizeof where, "job '%s'", j->name);
  return unknown_key(p, k, where);
}

static ps_status jobs_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                           void *ctx) {
  (void)ctx;
  for (size_t i = 0; i < p->n_specs; i++) {
    if (strcmp(p->specs[i].name, key) != 0)
      continue;
    cfg_job *j = &p->cfg->jobs[i];
    char what[96];
    snprintf(what, sizeof what, "job '%s'", key);
    ps_status s = want_map(p, v, what);
    if (s != PS_OK)
      return s;
    j->loc = loc_of(k);
    job_ctx c = {j, &p->specs[i]};
    return each_pair(p, v, job_pair, &c);
  }
  return FAIL(p, k, "unknown job '%.80s'", key);
}

static ps_status check_needs(parser *p, yaml_node_t *root) {
  config *cfg = p->cfg;
  for (size_t i = 0; i < cfg->n_jobs; i++) {
    const cfg_job *j = &cfg->jobs[i];
    if (!j->enabled)
      continue;
    yaml_mark_t at = root->start_mark;
    if (j->loc.line) {
      at.line = j->loc.line - 1;
      at.column = j->loc.column - 1;
    } else {
      yaml_node_t *sources = lookup_pair(p, root, "sources", true);
      if (sources)
        at = sources->start_mark;
    }
    const cfg_source_id *need = p->specs[i].needs;
    for (; need && *need != SRC__COUNT; need++) {
      cfg_source_id id = *need;
      if (j->source && id == SRC_NOVA_API && !strcmp(j->source, "nova"))
        id = SRC_NOVA;
      if (!cfg->n_sources[id])
        return fail_at(p, at,
                       "job '%s' needs source '%s', which is not under 'sources' "
                       "(configure it or set jobs.%s.enabled: false)",
                       j->name, source_names[id], j->name);
    }
    if (j->source && !strcmp(j->source, "nova") && !cfg->n_sources[SRC_NOVA])
      return fail_at(p, at, "job '%s' needs source 'nova', which is not under 'sources'",
                     j->name);
  }
  return PS_OK;
}

/* ---------------------------------------------------------------- top */

static const char *const top_keys[] = {"servers", "sources", "target", "engine", "jobs"};

static ps_status top_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                          void *ctx) {
  (void)v;
  (void)ctx;
  for (size_t i = 0; i < sizeof top_keys / sizeof *top_keys; i++)
    if (!strcmp(key, top_keys[i]))
      return PS_OK;
  return FAIL(p, k, "unknown key '%.80s' at top level (servers, sources, target, engine, jobs)",
              key);
}

static ps_status parse_root(parser *p, yaml_node_t *root) {
  config *cfg = p->cfg;
  ps_status s;
  if (root->type != YAML_MAPPING_NODE)
    return FAIL(p, root, "the configuration must be a mapping, not %s", kind_name(root));
  if ((s = each_pair(p, root, top_pair, NULL)) != PS_OK)
    return s;
  /* Each required section is checked just before it is parsed, so that a
   * half-written file reports its first problem first. */
  yaml_node_t *servers = lookup(p, root, "servers");
  if (!servers)
    return FAIL(p, root, "missing required key 'servers'");
  if ((s = parse_servers(p, servers)) != PS_OK)
    return s;
  yaml_node_t *sources = lookup(p, root, "sources");
  if (!sources)
    return FAIL(p, root, "missing required key 'sources'");
  if ((s = want_map(p, sources, "'sources'")) != PS_OK ||
      (s = each_pair(p, sources, sources_pair, NULL)) != PS_OK)
    return s;
  yaml_node_t *target = lookup(p, root, "target");
  if (!target)
    return FAIL(p, root, "missing required key 'target'");
  if ((s = parse_target(p, target)) != PS_OK)
    return s;
  cfg->engine = (cfg_engine){.workers = 4,
                             .batch_rows = 5000,
                             .batch_bytes = 4u << 20,
                             .load_method = CFG_LOAD_INSERT,
                             .retries = 5,
                             .retry_backoff_ms = 500,
                             .deferred_indexes = true,
                             .swap_lock_wait_s = 5,
                             .swap_retries = 20,
                             .acquire_timeout_s = 60,
                             .shutdown_deadline_s = 30,
                             .lease_ttl_s = 60};
  yaml_node_t *engine = lookup(p, root, "engine");
  if (engine && ((s = want_map(p, engine, "'engine'")) != PS_OK ||
                 (s = each_pair(p, engine, engine_pair, NULL)) != PS_OK))
    return s;
  if (p->n_specs) {
    cfg->jobs = calloc(p->n_specs, sizeof *cfg->jobs);
    if (!cfg->jobs)
      return ERROR_SET(p->err, PS_ENOMEM, "%s: out of memory", p->name);
  }
  cfg->n_jobs = p->n_specs;
  for (size_t i = 0; i < p->n_specs; i++)
    cfg->jobs[i] = (cfg_job){.name = p->specs[i].name,
                             .enabled = true,
                             .mode = CFG_MODE_FULL,
                             .period_s = 3600,
                             .full_every_s = 86400,
                             .window_s = 86400};
  yaml_node_t *jobs = lookup(p, root, "jobs");
  if (jobs && ((s = want_map(p, jobs, "'jobs'")) != PS_OK ||
               (s = each_pair(p, jobs, jobs_pair, NULL)) != PS_OK))
    return s;
  for (size_t i = 0; i < cfg->n_jobs; i++)
    if (!strcmp(cfg->jobs[i].name, "flavour") && !cfg->jobs[i].source &&
        (s = dup_into(p, &cfg->jobs[i].source, "nova_api")) != PS_OK)
      return s;
  return check_needs(p, root);
}

ps_status config_load_string(const char *name, const char *yaml, size_t len,
                             const config_job_spec *specs, size_t n_specs, config **out,
                             ps_error *err) {
  *out = NULL;
  parser p = {.name = name, .err = err, .specs = specs, .n_specs = n_specs};
  yaml_parser_t yp;
  bool have_doc = false;
  ps_status s = PS_OK;
  if (!yaml_parser_initialize(&yp))
    return ERROR_SET(err, PS_ENOMEM, "%s: cannot initialise the YAML parser", name);
  yaml_parser_set_input_string(&yp, (const unsigned char *)yaml, len);
  p.cfg = calloc(1, sizeof *p.cfg);
  if (!p.cfg || !(p.cfg->path = strdup(name))) {
    s = ERROR_SET(err, PS_ENOMEM, "%s: out of memory", name);
    goto out;
  }
  if (!yaml_parser_load(&yp, &p.doc)) {
    yaml_mark_t m = yp.problem_mark;
    s = ERROR_SET(err, PS_ECONFIG, "%s:%zu:%zu: YAML syntax error: %s%s%s", name, m.line + 1,
                  m.column + 1, yp.problem ? yp.problem : "unknown problem",
                  yp.context ? " " : "", yp.context ? yp.context : "");
    goto out;
  }
  have_doc = true;
  yaml_node_t *root = yaml_document_get_root_node(&p.doc);
  if (!root || is_null(root)) {
    s = ERROR_SET(err, PS_ECONFIG, "%s:1:1: the configuration file is empty", name);
    goto out;
  }
  s = parse_root(&p, root);
  if (s == PS_OK) {
    /* A second document would be silently ignored otherwise. */
    yaml_document_t extra;
    if (yaml_parser_load(&yp, &extra)) {
      yaml_node_t *r2 = yaml_document_get_root_node(&extra);
      if (r2)
        s = fail_at(&p, r2->start_mark, "only one YAML document is allowed");
      yaml_document_delete(&extra);
    }
  }
out:
  if (have_doc)
    yaml_document_delete(&p.doc);
  yaml_parser_delete(&yp);
  if (s != PS_OK) {
    config_free(p.cfg);
    return s;
  }
  *out = p.cfg;
  return PS_OK;
}

ps_status config_load(const char *path, const config_job_spec *specs, size_t n_specs,
                      config **out, ps_error *err) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return ERROR_SET(err, PS_EIO, "%s: cannot open: %s", path, strerror(errno));
  char *buf = NULL;
  size_t len = 0, cap = 0;
  ps_status s = PS_OK;
  for (;;) {
    if (cap - len < 4096) {
      cap = cap ? cap * 2 : 8192;
      char *nb = realloc(buf, cap);
      if (!nb) {
        s = ERROR_SET(err, PS_ENOMEM, "%s: out of memory", path);
        goto out;
      }
      buf = nb;
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0)
      break;
  }
  if (ferror(f)) {
    s = ERROR_SET(err, PS_EIO, "%s: read error", path);
    goto out;
  }
  s = config_load_string(path, buf, len, specs, n_specs, out, err);
out:
  free(buf);
  fclose(f);
  return s;
}

void config_free(config *cfg) {
  if (!cfg)
    return;
  for (size_t i = 0; i < cfg->n_servers; i++) {
    cfg_server *s = &cfg->servers[i];
    free(s->name);
    free(s->host);
    free(s->socket);
    for (size_t h = 0; h < s->n_hosts; h++)
      free(s->hosts[h].host);
    free(s->hosts);
    free(s->user);
    if (s->password) /* do not leave the secret lying in freed memory */
      memset(s->password, 0, strlen(s->password));
    free(s->password);
    free(s->password_origin);
    free(s->ssl_ca);
  }
  free(cfg->servers);
  for (int id = 0; id < SRC__COUNT; id++) {
    for (size_t i = 0; i < cfg->n_sources[id]; i++) {
      free(cfg->sources[id][i].cell);
      free(cfg->sources[id][i].schema);
    }
    free(cfg->sources[id]);
  }
  free(cfg->target.schema);
  free(cfg->target.state_schema);
  free(cfg->engine.metrics_file);
  free(cfg->engine.pidfile);
  for (size_t i = 0; i < cfg->n_jobs; i++)
    free(cfg->jobs[i].source);
  free(cfg->jobs);
  free(cfg->path);
  free(cfg);
}

const cfg_job *config_job(const config *cfg, const char *name) {
  for (size_t i = 0; i < cfg->n_jobs; i++)
    if (!strcmp(cfg->jobs[i].name, name))
      return &cfg->jobs[i];
  return NULL;
}

/* ---------------------------------------------------------------- print */

/* A double-quoted YAML scalar: always valid, whatever the string holds. */
static void put_q(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(out, "\\%c", *c);
    else if (*c < 0x20 || *c == 0x7f)
      fprintf(out, "\\x%02x", *c);
    else
      fputc(*c, out);
  }
  fputc('"', out);
}

static void put_dur_s(FILE *out, const char *key, unsigned s, const char *indent) {
  if (s % 86400 == 0)
    fprintf(out, "%s%s: %ud\n", indent, key, s / 86400);
  else if (s % 3600 == 0)
    fprintf(out, "%s%s: %uh\n", indent, key, s / 3600);
  else if (s % 60 == 0)
    fprintf(out, "%s%s: %um\n", indent, key, s / 60);
  else
    fprintf(out, "%s%s: %us\n", indent, key, s);
}

static void put_size(FILE *out, const char *key, size_t b) {
  if (b % (1u << 20) == 0)
    fprintf(out, "  %s: %zuMiB\n", key, b >> 20);
  else if (b % 1024 == 0)
    fprintf(out, "  %s: %zuKiB\n", key, b >> 10);
  else
    fprintf(out, "  %s: %zu\n", key, b);
}

void config_print(const config *cfg, FILE *out) {
  static const char *const ssl[] = {"disabled", "preferred", "required", "verify_ca",
                                    "verify_identity"};
  fprintf(out, "# effective configuration of %s (passwords masked)\nservers:\n", cfg->path);
  for (size_t i = 0; i < cfg->n_servers; i++) {
    const cfg_server *s = &cfg->servers[i];
    fprintf(out, "  %s:\n", s->name);
    if (s->socket) {
      fputs("    socket: ", out);
      put_q(out, s->socket);
      fputc('\n', out);
    } else if (s->n_hosts) {
      fputs("    hosts: [", out);
      for (size_t h = 0; h < s->n_hosts; h++) {
        char buf[600];
        bool v6 = strchr(s->hosts[h].host, ':') != NULL;
        snprintf(buf, sizeof buf, "%s%s%s:%u", v6 ? "[" : "", s->hosts[h].host, v6 ? "]" : "",
                 s->hosts[h].port);
        fputs(h ? ", " : "", out);
        put_q(out, buf);
      }
      fputs("]\n", out);
    } else {
      fputs("    host: ", out);
      put_q(out, s->host);
      fputc('\n', out);
    }
    fprintf(out, "    port: %u\n    user: ", s->port);
    put_q(out, s->user);
    fputc('\n', out);
    const char *o = s->password_origin ? s->password_origin : "password";
    if (!strncmp(o, "password_file ", 14)) {
      fputs("    password_file: ", out);
      put_q(out, o + 14);
      fputc('\n', out);
    } else if (!strncmp(o, "password_env ", 13)) {
      fputs("    password_env: ", out);
      put_q(out, o + 13);
      fputc('\n', out);
    } else {
      fputs("    password: \"********\"\n", out);
    }
    fprintf(out, "    pool_size: %u\n    ssl_mode: %s\n", s->pool_size, ssl[s->ssl_mode]);
    if (s->ssl_ca) {
      fputs("    ssl_ca: ", out);
      put_q(out, s->ssl_ca);
      fputc('\n', out);
    }
    put_dur_s(out, "connect_timeout", s->connect_timeout_s, "    ");
    put_dur_s(out, "read_timeout", s->read_timeout_s, "    ");
    put_dur_s(out, "write_timeout", s->write_timeout_s, "    ");
  }
  fputs("sources:\n", out);
  for (int id = 0; id < SRC__COUNT; id++) {
    if (!cfg->n_sources[id])
      continue;
    fprintf(out, "  %s:", source_names[id]);
    if (id == SRC_NOVA) {
      fputc('\n', out);
      for (size_t i = 0; i < cfg->n_sources[id]; i++) {
        const cfg_source *s = &cfg->sources[id][i];
        fprintf(out, "    - { cell: %s, server: %s, schema: %s }\n", s->cell,
                cfg->servers[s->server].name, s->schema);
      }
    } else {
      const cfg_source *s = cfg->sources[id];
      fprintf(out, " { server: %s, schema: %s }\n", cfg->servers[s->server].name, s->schema);
    }
  }
  fprintf(out, "target: { server: %s, schema: %s, state_schema: %s }\n",
          cfg->servers[cfg->target.server].name, cfg->target.schema, cfg->target.state_schema);
  const cfg_engine *e = &cfg->engine;
  fprintf(out, "engine:\n  workers: %u\n  batch_rows: %zu\n", e->workers, e->batch_rows);
  put_size(out, "batch_bytes", e->batch_bytes);
  fprintf(out, "  load_method: %s\n  retries: %u\n  retry_backoff: %ums\n",
          e->load_method == CFG_LOAD_DATA ? "load_data" : "insert", e->retries,
          e->retry_backoff_ms);
  fprintf(out, "  deferred_indexes: %s\n", e->deferred_indexes ? "true" : "false");
  put_dur_s(out, "swap_lock_wait", e->swap_lock_wait_s, "  ");
  fprintf(out, "  swap_retries: %u\n", e->swap_retries);
  put_dur_s(out, "acquire_timeout", e->acquire_timeout_s, "  ");
  put_dur_s(out, "shutdown_deadline", e->shutdown_deadline_s, "  ");
  put_dur_s(out, "lease_ttl", e->lease_ttl_s, "  ");
  if (e->metrics_file) {
    fputs("  metrics_file: ", out);
    put_q(out, e->metrics_file);
    fputc('\n', out);
  }
  if (e->pidfile) {
    fputs("  pidfile: ", out);
    put_q(out, e->pidfile);
    fputc('\n', out);
  }
  if (cfg->n_jobs)
    fputs("jobs:\n", out);
  for (size_t i = 0; i < cfg->n_jobs; i++) {
    const cfg_job *j = &cfg->jobs[i];
    fprintf(out, "  %s:\n    enabled: %s\n    mode: %s\n", j->name, j->enabled ? "true" : "false",
            j->mode == CFG_MODE_INCREMENTAL ? "incremental" : "full");
    put_dur_s(out, "period", j->period_s, "    ");
    put_dur_s(out, "full_every", j->full_every_s, "    ");
    put_dur_s(out, "window", j->window_s, "    ");
    if (j->source)
      fprintf(out, "    source: %s\n", j->source);
  }
}
