/* user: keystone users that have a Shibboleth registration, with the name and
 * email registered there.  keystone and rcshibboleth may be on different
 * servers: the registrations are looked up in a map built by prepare. */
#include <stdio.h>
#include <stdlib.h>

#include "extractors/catalog.h"
#include "extractors/strmap.h"

static const ex_col user_cols[] = {
    {"id", LOADER_STR, 64, true},
    {"name", LOADER_STR, 255, false},
    {"email", LOADER_STR, 255, false},
    {"default_project", LOADER_STR, 36, false},
    {"enabled", LOADER_INT, 0, false},
};
static const ex_table user_table = {"user", user_cols, 5};

typedef struct shib {
  const char *name, *email; /* NULL = SQL NULL */
  size_t name_len, email_len;
} shib;

/* Rows in id order: for a user registered twice the latest row wins. */
static ps_status shib_row(void *ud, MYSQL_ROW row, const unsigned long *len, ps_error *err) {
  strmap *m = ud;
  shib *s = strmap_put(m, row[0], len[0], NULL);
  if (!s)
    return ERROR_SET(err, PS_ENOMEM, "user lookups");
  s->name = row[1] ? strmap_strdup(m, row[1], len[1]) : NULL;
  s->email = row[2] ? strmap_strdup(m, row[2], len[2]) : NULL;
  s->name_len = len[1];
  s->email_len = len[2];
  if ((row[1] && !s->name) || (row[2] && !s->email))
    return ERROR_SET(err, PS_ENOMEM, "user lookups");
  return PS_OK;
}

static ps_status user_prepare(ex_job *j, size_t *n_units, ps_error *err) {
  strmap *m = strmap_create(sizeof(shib));
  if (!m)
    return ERROR_SET(err, PS_ENOMEM, "user lookups");
  j->state = m;
  *n_units = 1;
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT user_id, displayname, email FROM `%s`.user WHERE user_id IS NOT NULL "
           "ORDER BY id",
           ex__schema(j, SRC_RCSHIBBOLETH, 0));
  return ex__query(j, SRC_RCSHIBBOLETH, 0, "shibboleth registrations", sql, shib_row, m, err);
}

static ps_status user_row(void *ud, MYSQL_ROW row, const unsigned long *len, ps_error *err) {
  ex_copy_ctx *c = ud;
  /* row: id, default_project_id, enabled */
  const shib *s = row[0] ? strmap_get(c->j->state, row[0], len[0]) : NULL;
  if (!s)
    return PS_OK; /* no registration: not reported */
  loader_value v[5] = {
      ex__val(row[0], len[0]), ex__val(s->name, s->name_len), ex__val(s->email, s->email_len),
      ex__val(row[1], len[1]), ex__val(row[2], len[2]),
  };
  return ex__out_row(c->out, v, err);
}

static ps_status user_unit(ex_job *j, size_t unit, ps_error *err) {
  (void)unit;
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT id, default_project_id, enabled FROM `%s`.user",
           ex__schema(j, SRC_KEYSTONE, 0));
  return ex__copy(j, SRC_KEYSTONE, 0, 0, "users", sql, user_row, NULL, err);
}

static void user_cleanup(ex_job *j) {
  strmap_free(j->state);
  j->state = NULL;
}

static const extractor user = {
    .name = "user",
    .tables = {&user_table, NULL},
    .deps = {NULL},
    .needs = {SRC_KEYSTONE, SRC_RCSHIBBOLETH, SRC__COUNT},
    .prepare = user_prepare,
    .unit = user_unit,
    .cleanup = user_cleanup,
};

const extractor *ex__user(void) { return &user; }
