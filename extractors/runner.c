/* runner: the one job runner every entity shares (see extractor.h DESIGN). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/db.h"
#include "engine/log.h"
#include "extractors/catalog.h"
#include "extractors/entity.h"
#include "extractors/text.h"
#include "loaders/staging.h"

/* Row-level problems are logged one by one up to this many per job attempt
 * (at WARN), the rest at DEBUG; all are counted. */
#define EX_LOG_ROWS 10

typedef struct ex_jobrun {
  ex_job pub; /* first: entity code sees only this */
  job_desc *desc;
  const char *deps[8];
  staging_table st[EX_MAX_TABLES];
  size_t n_tables;
  _Atomic int mode; /* ex_mode of the last attempt */
  _Atomic bool force_full; /* the daemon's full_every: this run is full */
} ex_jobrun;

enum ex_mode { MODE_NOT_RUN, MODE_FULL, MODE_INCREMENTAL, MODE_HISTORY };

struct ex_run {
  const config *cfg;
  pools *pl;
  const schema_def *schema;
  ex_options opts;
  const _Atomic bool *cancel;
  /* pair_mu: held while a unit takes its two connections (see ex__unit_begin). */
  pthread_mutex_t pair_mu;
  ex_jobrun *jobs;
  job_desc *descs;
  size_t n;
};

static const _Atomic bool ex_never_cancel = false;

/* ---- small helpers ------------------------------------------------------ */

static void utc_format(int64_t t, char out[20]) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

static unsigned acquire_ms(const ex_job *j) {
  return j->cfg->engine.acquire_timeout_s * 1000u;
}

static pool *target_pool(const ex_job *j) {
  return pools_get(j->run->pl, j->cfg->target.server);
}

static pool *source_pool(const ex_job *j, cfg_source_id src, size_t idx) {
  return pools_get(j->run->pl, j->cfg->sources[src][idx].server);
}

const char *ex__schema(const ex_job *j, cfg_source_id src, size_t idx) {
  return j->cfg->sources[src][idx].schema;
}

size_t ex__cells(const ex_job *j) { return j->cfg->n_sources[SRC_NOVA]; }

const char *ex__cell_name(const ex_job *j, size_t idx) {
  return j->cfg->sources[SRC_NOVA][idx].cell;
}

const char *ex__target_schema(const ex_job *j) { return j->cfg->target.schema; }

static bool is_broken(ps_status s) {
  return s != PS_OK && (status_is_transient(s) || s == PS_ECANCELED || s == PS_EINTERNAL);
}

void ex__warn_row(ex_job *j, const char *what, const char *key) {
  atomic_fetch_add(&j->warnings, 1);
  if (atomic_fetch_add(&j->logged, 1) < EX_LOG_ROWS)
    log_warn("%s (row %s)", what, key);
  else
    log_debug("%s (row %s)", what, key);
}

/* ---- source reads --------------------------------------------------------- */

ps_status ex__stream(ex_job *j, MYSQL *m, const char *label, const char *sql, ex_row_fn fn,
                     void *ud, ps_error *err) {
  if (j->dry_run) {
    fprintf(j->run->opts.plan_out, "-- %s: %s\n%s;\n", j->ex->name, label, sql);
    return PS_OK;
  }
  if (mysql_real_query(m, sql, strlen(sql)) != 0)
    return ERROR_MYSQL(err, m, "%s: %s", j->ex->name, label);
  MYSQL_RES *res = mysql_use_result(m);
  if (!res)
    return ERROR_MYSQL(err, m, "%s: %s: reading result", j->ex->name, label);
  ps_status s = PS_OK;
  MYSQL_ROW row;
  uint64_t n = 0;
  while ((row = mysql_fetch_row(res)) != NULL) {
    if ((++n & 255) == 0 && atomic_load(j->cancel)) {
      s = ERROR_SET(err, PS_ECANCELED, "%s: canceled", j->ex->name);
      break;
    }
    s = fn(ud, row, mysql_fetch_lengths(res), err);
    if (s != PS_OK)
      break;
  }
  atomic_fetch_add(&j->rows_read, n);
  if (s == PS_OK && mysql_errno(m))
    s = ERROR_MYSQL(err, m, "%s: %s: streaming rows", j->ex->name, label);
  /* On an early stop mysql_free_result would read the rest of the
   * unbuffered result, i.e. wait for the server to finish the query (a
   * cancel would then wait for it too): shut the socket first (callers mark
   * the connection broken, so the pool closes it). */
  if (s != PS_OK)
    mariadb_cancel(m);
  mysql_free_result(res);
  return s;
}

static ps_status query_on(ex_job *j, pool *p, db_role role, const char *label, const char *sql,
                          ex_row_fn fn, void *ud, ps_error *err) {
  if (j->dry_run)
    return ex__stream(j, NULL, label, sql, fn, ud, err);
  MYSQL *m = NULL;
  ps_status s = pool_acquire(p, role, acquire_ms(j), &m, err);
  if (s != PS_OK)
    return s;
  s = ex__stream(j, m, label, sql, fn, ud, err);
  pool_release(p, m, s != PS_OK);
  return s;
}

ps_status ex__query(ex_job *j, cfg_source_id src, size_t idx, const char *label,
                    const char *sql, ex_row_fn fn, void *ud, ps_error *err) {
  return query_on(j, j->dry_run ? NULL : source_pool(j, src, idx), DB_ROLE_SOURCE, label, sql,
                  fn, ud, err);
}

ps_status ex__query_target(ex_job *j, const char *label, const char *sql, ex_row_fn fn,
                           void *ud, ps_error *err) {
  return query_on(j, j->dry_run ? NULL : target_pool(j), DB_ROLE_TARGET, label, sql, fn, ud,
                  err);
}

/* Two connections at once from pools that may be the same: taking them under
 * one mutex means no unit ever holds one while another unit holds the other
 * it needs, so a pool of size >= 2 always makes progress. */
ps_status ex__unit_begin(ex_job *j, cfg_source_id src, size_t idx, MYSQL **source,
                         MYSQL **target, ps_error *err) {
  *source = *target = NULL;
  if (j->dry_run)
    return PS_OK;
  pthread_mutex_lock(&j->run->pair_mu);
  ps_status s = pool_acquire(target_pool(j), DB_ROLE_TARGET, acquire_ms(j), target, err);
  if (s == PS_OK) {
    s = pool_acquire(source_pool(j, src, idx), DB_ROLE_SOURCE, acquire_ms(j), source, err);
    if (s != PS_OK) {
      pool_release(target_pool(j), *target, false);
      *target = NULL;
    }
  }
  pthread_mutex_unlock(&j->run->pair_mu);
  return s;
}

void ex__unit_end(ex_job *j, cfg_source_id src, size_t idx, MYSQL *source, MYSQL *target,
                  bool broken) {
  if (j->dry_run)
    return;
  if (source)
    pool_release(source_pool(j, src, idx), source, broken);
  if (target)
    pool_release(target_pool(j), target, broken);
}

ps_status ex__target_begin(ex_job *j, MYSQL **target, ps_error *err) {
  *target = NULL;
  if (j->dry_run)
    return PS_OK;
  return pool_acquire(target_pool(j), DB_ROLE_TARGET, acquire_ms(j), target, err);
}

void ex__target_end(ex_job *j, MYSQL *target, bool broken) {
  if (target)
    pool_release(target_pool(j), target, broken);
}

/* ---- writers ---------------------------------------------------------------- */

struct ex_out {
  ex_job *j;
  size_t t;
  const ex_table *tab;
  loader *ld;
  loader_column cols[EX_MAX_COLS];
};

ex_out *ex__out_open(ex_job *j, size_t t, MYSQL *target, ps_error *err) {
  ex_out *o = calloc(1, sizeof *o);
  if (!o) {
    ERROR_SET(err, PS_ENOMEM, "%s: writer", j->ex->name);
    return NULL;
  }
  o->j = j;
  o->t = t;
  o->tab = j->ex->tables[t];
  for (size_t i = 0; i < o->tab->n_cols; i++) {
    o->cols[i].name = o->tab->cols[i].name;
    o->cols[i].kind = o->tab->cols[i].kind;
    o->cols[i].key = o->tab->cols[i].key;
  }
  if (!target)
    return o; /* dry-run: count and drop */
  const cfg_engine *e = &j->cfg->engine;
  loader_opts lo = {
      .batch_rows = e->batch_rows,
      .batch_bytes = e->batch_bytes,
      .method = e->load_method,
      /* A staging table may meet a duplicate key when the sources disagree
       * (an instance listed by two cells): the later row wins instead of the
       * job failing. */
      .last_wins = true,
      .cancel = j->cancel,
  };
  char staging[80];
  snprintf(staging, sizeof staging, "%s__staging", o->tab->name);
  o->ld = loader_open(target, j->cfg->target.state_schema, staging, o->cols, o->tab->n_cols,
                      &lo, err);
  if (!o->ld) {
    free(o);
    return NULL;
  }
  return o;
}

static void row_key(const ex_out *o, const loader_value *v, char *buf, size_t cap) {
  size_t pos = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < o->tab->n_cols && pos + 1 < cap; i++) {
    if (!o->tab->cols[i].key)
      continue;
    int n = snprintf(buf + pos, cap - pos, "%s%s=%.*s", pos ? ", " : "", o->tab->cols[i].name,
                     v[i].str ? (int)(v[i].len > 64 ? 64 : v[i].len) : 4,
                     v[i].str ? v[i].str : "NULL");
    if (n < 0)
      break;
    pos += (size_t)n;
  }
}

static bool zero_date(const loader_value *v) {
  return v->len >= 10 && memcmp(v->str, "0000-00-00", 10) == 0;
}

ps_status ex__out_row(ex_out *o, loader_value *v, ps_error *err) {
  ex_job *j = o->j;
  char key[256];
  bool fixed = false;
  for (size_t i = 0; i < o->tab->n_cols; i++) {
    const ex_col *c = &o->tab->cols[i];
    if (!v[i].str) {
      if (c->key) {
        row_key(o, v, key, sizeof key);
        atomic_fetch_add(&j->rows_skipped, 1);
        ex__warn_row(j, "NULL primary-key value, row skipped", key);
        return PS_OK;
      }
      continue;
    }
    if (c->kind == LOADER_STR) {
      if (!text_utf8_valid(v[i].str, v[i].len)) {
        row_key(o, v, key, sizeof key);
        char what[128];
        snprintf(what, sizeof what, "invalid UTF-8 in %s, stored as NULL", c->name);
        v[i] = ex__null();
        fixed = true;
        if (c->key) {
          atomic_fetch_add(&j->rows_skipped, 1);
          ex__warn_row(j, "invalid UTF-8 in a primary-key value, row skipped", key);
          return PS_OK;
        }
        ex__warn_row(j, what, key);
        continue;
      }
      /* Fast path: a string no longer in bytes than the limit in characters fits. */
      if (c->max_chars && v[i].len > c->max_chars) {
        size_t cut = text_utf8_truncate(v[i].str, v[i].len, c->max_chars);
        if (cut < v[i].len) {
          row_key(o, v, key, sizeof key);
          char what[128];
          snprintf(what, sizeof what, "%s longer than %u characters, cut", c->name,
                   c->max_chars);
          v[i].len = cut;
          fixed = true;
          ex__warn_row(j, what, key);
        }
      }
    } else if (c->kind == LOADER_DATETIME) {
      if (zero_date(&v[i])) {
        row_key(o, v, key, sizeof key);
        char what[128];
        snprintf(what, sizeof what, "zero date in %s, stored as NULL", c->name);
        v[i] = ex__null();
        fixed = true;
        ex__warn_row(j, what, key);
      } else if (v[i].len > 19) {
        v[i].len = 19; /* datetime(6) source into a datetime column: MariaDB truncates too */
      }
    }
  }
  if (fixed)
    atomic_fetch_add(&j->rows_fixed, 1);
  atomic_fetch_add(&j->rows_written[o->t], 1);
  if (!o->ld)
    return PS_OK;
  ps_status s = loader_add_row(o->ld, v, err);
  if (s != PS_OK)
    error_prefix(err, "%s: loading %s", j->ex->name, o->tab->name);
  return s;
}

ps_status ex__out_close(ex_out *o, bool ok, ps_error *err) {
  if (!o)
    return PS_OK;
  ps_status s = PS_OK;
  if (o->ld && ok) {
    s = loader_finish(o->ld, err);
    if (s != PS_OK)
      error_prefix(err, "%s: loading %s", o->j->ex->name, o->tab->name);
  }
  loader_free(o->ld);
  free(o);
  return s;
}

static ps_status copy_row(void *ud, MYSQL_ROW row, const unsigned long *len, ps_error *err) {
  ex_copy_ctx *c = ud;
  loader_value v[EX_MAX_COLS];
  const ex_table *t = c->out->tab;
  for (size_t i = 0; i < t->n_cols; i++)
    v[i] = ex__val(row[i], len[i]);
  return ex__out_row(c->out, v, err);
}

ps_status ex__copy(ex_job *j, cfg_source_id src, size_t idx, size_t t, const char *label,
                   const char *sql, ex_row_fn fn, void *ud, ps_error *err) {
  MYSQL *source = NULL, *target = NULL;
  ex_copy_ctx c = {.j = j, .idx = idx, .ud = ud};
  ps_status s = ex__unit_begin(j, src, idx, &source, &target, err);
  if (s != PS_OK)
    return s;
  c.out = ex__out_open(j, t, target, err);
  if (!c.out) {
    s = err ? err->status : PS_EINTERNAL;
    goto out;
  }
  s = ex__stream(j, source, label, sql, fn ? fn : copy_row, &c, err);
  if (s == PS_OK && c.at_end)
    s = c.at_end(&c, err);
  ps_status s2 = ex__out_close(c.out, s == PS_OK, err);
  if (s == PS_OK)
    s = s2;
out:
  ex__unit_end(j, src, idx, source, target, s != PS_OK);
  return s;
}

/* ---- job callbacks -------------------------------------------------------- */

static void reset_counters(ex_job *j) {
  atomic_store(&j->rows_read, 0);
  atomic_store(&j->rows_skipped, 0);
  atomic_store(&j->rows_fixed, 0);
  atomic_store(&j->warnings, 0);
  atomic_store(&j->logged, 0);
  for (size_t t = 0; t < EX_MAX_TABLES; t++)
    atomic_store(&j->rows_written[t], 0);
}

/* Decide full or incremental, and `since`, for this attempt. */
static ps_status choose_mode(ex_jobrun *jr, MYSQL *m, ps_error *err) {
  ex_job *j = &jr->pub;
  const ex_options *o = &j->run->opts;
  j->incremental = false;
  j->since[0] = '\0';
  if (!(j->ex->flags & EX_INCREMENTAL) || o->since == EX_SINCE_FORCE_FULL ||
      atomic_load(&jr->force_full))
    return PS_OK;
  int64_t since = 0;
  switch (o->since) {
  case EX_SINCE_LAST_DAY:
    since = j->started_epoch - 86400;
    break;
  case EX_SINCE_LAST_WEEK:
    since = j->started_epoch - 7 * 86400;
    break;
  case EX_SINCE_LAST_MONTH:
    since = j->started_epoch - 30 * 86400;
    break;
  case EX_SINCE_DATE:
    j->incremental = true;
    snprintf(j->since, sizeof j->since, "%s", o->since_date);
    return PS_OK;
  default:
    if (j->job_cfg->mode != CFG_MODE_INCREMENTAL)
      return PS_OK;
    if (j->dry_run) {
      j->incremental = true;
      snprintf(j->since, sizeof j->since, "@since");
      fprintf(o->plan_out,
              "-- %s: incremental; @since = metadata.last_update - %u s (a full refresh when "
              "the table has no metadata row yet)\n",
              j->ex->name, j->job_cfg->window_s);
      return PS_OK;
    }
    char sql[512];
    bool null = true;
    snprintf(sql, sizeof sql,
             "SELECT UNIX_TIMESTAMP(last_update) FROM `%s`.metadata WHERE table_name = '%s'",
             j->cfg->target.schema, j->ex->tables[0]->name);
    ps_status s = db_query_i64(m, sql, &since, &null, err);
    if (s != PS_OK)
      return s;
    if (null || since <= 0)
      return PS_OK; /* never refreshed: full */
    since -= (int64_t)j->job_cfg->window_s;
  }
  j->incremental = true;
  utc_format(since, j->since);
  return PS_OK;
}

static ps_status ex_prepare(void *arg, size_t *n_units, ps_error *err) {
  ex_jobrun *jr = arg;
  ex_job *j = &jr->pub;
  log_set_job(j->ex->name);
  reset_counters(j);
  j->started_epoch = (int64_t)time(NULL);
  utc_format(j->started_epoch, j->started);
  *n_units = 1;
  MYSQL *m = NULL;
  ps_status s = PS_OK;
  const cfg_target *tg = &j->cfg->target;
  if (!j->dry_run) {
    s = pool_acquire(target_pool(j), DB_ROLE_TARGET, acquire_ms(j), &m, err);
    if (s != PS_OK)
      goto out;
  }
  s = choose_mode(jr, m, err);
  if (s != PS_OK)
    goto out;
  atomic_store(&jr->mode, j->incremental ? MODE_INCREMENTAL
                          : (j->ex->flags & EX_HISTORY) ? MODE_HISTORY
                                                        : MODE_FULL);
  for (size_t t = 0; t < jr->n_tables; t++) {
    const char *name = j->ex->tables[t]->name;
    if (j->dry_run) {
      fprintf(j->run->opts.plan_out, "-- %s: build `%s`.`%s__staging` (%s)\n", j->ex->name,
              tg->state_schema, name, j->incremental ? "incremental" : "full");
      continue;
    }
    s = staging_cleanup(m, tg, j->run->schema, name, err);
    if (s == PS_OK)
      s = staging_create(m, tg, j->run->schema, name, j->cfg->engine.deferred_indexes,
                         &jr->st[t], err);
    if (s != PS_OK)
      goto out;
  }
  if (j->incremental && !j->dry_run)
    log_info("incremental refresh since %s", j->since);
  if (j->ex->prepare)
    s = j->ex->prepare(j, n_units, err);
out:
  if (m)
    pool_release(target_pool(j), m, is_broken(s));
  if (s != PS_OK)
    error_prefix(err, "%s: prepare", j->ex->name);
  log_set_job(NULL);
  return s;
}

static ps_status ex_unit(void *arg, size_t unit, ps_error *err) {
  ex_jobrun *jr = arg;
  log_set_job(jr->pub.ex->name);
  ps_status s = jr->pub.ex->unit(&jr->pub, unit, err);
  log_set_job(NULL);
  return s;
}

static size_t col_list(const ex_table *t, const char *prefix, char *buf, size_t cap) {
  size_t pos = 0;
  for (size_t i = 0; i < t->n_cols && pos < cap; i++)
    pos += (size_t)snprintf(buf + pos, cap - pos, "%s%s`%s`", i ? ", " : "", prefix,
                            t->cols[i].name);
  return pos;
}

/* History keeping: rows of the live table that this refresh did not see are
 * carried into staging with active = 0 and their old last_seen; an
 * aggregate's `deleted` becomes the refresh time when it first goes missing. */
static ps_status merge_history(ex_job *j, MYSQL *m, const ex_table *t, ps_error *err) {
  const cfg_target *tg = &j->cfg->target;
  bool exists = false;
  ps_status s = db_table_exists(m, tg->schema, t->name, &exists, err);
  if (s != PS_OK || !exists)
    return s;
  char cols[1024], sel[2048], on[1024];
  col_list(t, "", cols, sizeof cols);
  size_t ps = 0, po = 0;
  for (size_t i = 0; i < t->n_cols; i++) {
    const char *c = t->cols[i].name;
    if (strcmp(c, "active") == 0)
      ps += (size_t)snprintf(sel + ps, sizeof sel - ps, "%s0", i ? ", " : "");
    else if (strcmp(c, "deleted") == 0)
      ps += (size_t)snprintf(sel + ps, sizeof sel - ps,
                             "%sCASE WHEN o.`active` THEN '%s' ELSE o.`deleted` END",
                             i ? ", " : "", j->started);
    else
      ps += (size_t)snprintf(sel + ps, sizeof sel - ps, "%so.`%s`", i ? ", " : "", c);
    if (t->cols[i].key)
      po += (size_t)snprintf(on + po, sizeof on - po, "%ss.`%s` = o.`%s`", po ? " AND " : "",
                             c, c);
  }
  return db_execf(m, err,
                  "INSERT INTO `%s`.`%s__staging` (%s) SELECT %s FROM `%s`.`%s` o "
                  "WHERE NOT EXISTS (SELECT 1 FROM `%s`.`%s__staging` s WHERE %s)",
                  tg->state_schema, t->name, cols, sel, tg->schema, t->name, tg->state_schema,
                  t->name, on);
}

/* Incremental: the delta was loaded into staging by the units; publish it and
 * the metadata in one transaction, so a reader sees all of it or none. */
static ps_status publish_delta(ex_jobrun *jr, MYSQL *m, ps_error *err) {
  ex_job *j = &jr->pub;
  const cfg_target *tg = &j->cfg->target;
  ps_status s = db_exec(m, "START TRANSACTION", err);
  if (s == PS_OK && j->ex->before_upsert)
    s = j->ex->before_upsert(j, m, err);
  for (size_t t = 0; s == PS_OK && t < jr->n_tables; t++) {
    const ex_table *tab = j->ex->tables[t];
    char cols[1024], upd[4096];
    col_list(tab, "", cols, sizeof cols);
    size_t pos = 0;
    for (size_t i = 0; i < tab->n_cols; i++)
      if (!tab->cols[i].key)
        pos += (size_t)snprintf(upd + pos, sizeof upd - pos, "%s`%s` = VALUES(`%s`)",
                                pos ? ", " : "", tab->cols[i].name, tab->cols[i].name);
    s = db_execf(m, err,
                 "INSERT INTO `%s`.`%s` (%s) SELECT %s FROM `%s`.`%s__staging` "
                 "ON DUPLICATE KEY UPDATE %s",
                 tg->schema, tab->name, cols, cols, tg->state_schema, tab->name, upd);
    if (s == PS_OK)
      s = staging_write_metadata(m, tg, tab->name, j->started, err);
  }
  if (s == PS_OK)
    s = db_exec(m, "COMMIT", err);
  else
    db_exec(m, "ROLLBACK", NULL);
  for (size_t t = 0; s == PS_OK && t < jr->n_tables; t++)
    s = staging_drop(m, tg, j->ex->tables[t]->name, err);
  return s;
}

static ps_status ex_finish(void *arg, ps_error *err) {
  ex_jobrun *jr = arg;
  ex_job *j = &jr->pub;
  log_set_job(j->ex->name);
  const cfg_target *tg = &j->cfg->target;
  const char *names[EX_MAX_TABLES];
  for (size_t t = 0; t < jr->n_tables; t++)
    names[t] = j->ex->tables[t]->name;
  MYSQL *m = NULL;
  ps_status s = PS_OK;
  if (j->dry_run) {
    for (size_t t = 0; t < jr->n_tables; t++)
      fprintf(j->run->opts.plan_out,
              j->incremental ? "-- %s: upsert `%s`.`%s__staging` into `%s`.`%s` + metadata, "
                               "one transaction\n"
                             : "-- %s: RENAME `%s`.`%s__staging` TO `%s`.`%s` + metadata\n",
              j->ex->name, tg->state_schema, names[t], tg->schema, names[t]);
    goto out;
  }
  s = pool_acquire(target_pool(j), DB_ROLE_TARGET, acquire_ms(j), &m, err);
  if (s != PS_OK)
    goto out;
  if (j->incremental) {
    s = publish_delta(jr, m, err);
    goto out;
  }
  for (size_t t = 0; s == PS_OK && t < jr->n_tables; t++) {
    if (j->ex->flags & EX_HISTORY)
      s = merge_history(j, m, j->ex->tables[t], err);
    if (s == PS_OK)
      s = staging_build_keys(m, tg, &jr->st[t], err);
  }
  if (s == PS_OK) {
    const cfg_engine *e = &j->cfg->engine;
    staging_swap_opts so = {
        .lock_wait_s = e->swap_lock_wait_s,
        .retries = e->swap_retries,
        .backoff_ms = e->retry_backoff_ms,
        .refresh_started = j->started,
    };
    s = staging_swap(m, tg, names, jr->n_tables, &so, err);
  }
out:
  if (m)
    pool_release(target_pool(j), m, is_broken(s));
  if (s != PS_OK)
    error_prefix(err, "%s: publish", j->ex->name);
  else if (j->ex->cleanup)
    j->ex->cleanup(j);
  uint64_t warned = atomic_load(&j->warnings);
  if (s == PS_OK && warned > EX_LOG_ROWS)
    log_warn("%llu row problems in all (%llu rows skipped, %llu fixed up); the first %d are "
             "logged above, every one at --verbose",
             (unsigned long long)warned, (unsigned long long)atomic_load(&j->rows_skipped),
             (unsigned long long)atomic_load(&j->rows_fixed), EX_LOG_ROWS);
  log_set_job(NULL);
  return s;
}

static void ex_abort(void *arg) {
  ex_jobrun *jr = arg;
  ex_job *j = &jr->pub;
  log_set_job(j->ex->name);
  if (j->ex->cleanup)
    j->ex->cleanup(j);
  if (!j->dry_run) {
    MYSQL *m = NULL;
    ps_error e;
    error_clear(&e);
    ps_status s = pool_acquire(target_pool(j), DB_ROLE_TARGET, acquire_ms(j), &m, &e);
    for (size_t t = 0; s == PS_OK && t < jr->n_tables; t++)
      s = staging_drop(m, &j->cfg->target, j->ex->tables[t]->name, &e);
    if (s != PS_OK)
      log_warn("could not drop staging tables (the next run removes them): %s", e.msg);
    if (m)
      pool_release(target_pool(j), m, s != PS_OK);
  }
  log_set_job(NULL);
}

static const job_ops ex_ops = {
    .prepare = ex_prepare,
    .run_unit = ex_unit,
    .finish = ex_finish,
    .abort = ex_abort,
};

/* ---- run context --------------------------------------------------------- */

static bool job_enabled(const config *cfg, const extractor *ex) {
  const cfg_job *jc = config_job(cfg, ex->name);
  return jc && jc->enabled;
}

ex_run *ex_run_create(const config *cfg, pools *pl, const schema_def *schema,
                      const ex_options *opts, ps_error *err) {
  ex_run *r = calloc(1, sizeof *r);
  if (!r)
    goto nomem;
  r->cfg = cfg;
  r->pl = pl;
  r->schema = schema;
  r->opts = *opts;
  if (!r->opts.plan_out)
    r->opts.plan_out = stdout;
  r->cancel = &ex_never_cancel;
  pthread_mutex_init(&r->pair_mu, NULL);
  size_t total = ex_catalog_count();
  r->jobs = calloc(total, sizeof *r->jobs);
  r->descs = calloc(total, sizeof *r->descs);
  if (!r->jobs || !r->descs)
    goto nomem;
  for (size_t i = 0; i < total; i++) {
    const extractor *ex = ex_catalog_get(i);
    if (!job_enabled(cfg, ex))
      continue;
    ex_jobrun *jr = &r->jobs[r->n];
    jr->pub.ex = ex;
    jr->pub.run = r;
    jr->pub.cfg = cfg;
    jr->pub.job_cfg = config_job(cfg, ex->name);
    jr->pub.dry_run = opts->dry_run;
    jr->pub.cancel = r->cancel;
    while (jr->n_tables < EX_MAX_TABLES && ex->tables[jr->n_tables])
      jr->n_tables++;
    /* A disabled dependency is not waited for: its table is used as it is. */
    size_t nd = 0;
    for (size_t d = 0; ex->deps[d]; d++) {
      const extractor *dep = ex_catalog_find(ex->deps[d]);
      if (dep && job_enabled(cfg, dep))
        jr->deps[nd++] = ex->deps[d];
    }
    jr->deps[nd] = NULL;
    jr->desc = &r->descs[r->n];
    r->descs[r->n] = (job_desc){.name = ex->name, .deps = jr->deps, .ops = &ex_ops, .arg = jr};
    r->n++;
  }
  return r;
nomem:
  ERROR_SET(err, PS_ENOMEM, "run context");
  ex_run_destroy(r);
  return NULL;
}

void ex_run_destroy(ex_run *r) {
  if (!r)
    return;
  if (r->jobs)
    pthread_mutex_destroy(&r->pair_mu);
  free(r->jobs);
  free(r->descs);
  free(r);
}

const job_desc *ex_run_jobs(ex_run *r, size_t *n) {
  *n = r->n;
  return r->descs;
}

void ex_run_set_cancel(ex_run *r, const _Atomic bool *cancel) {
  r->cancel = cancel ? cancel : &ex_never_cancel;
  for (size_t i = 0; i < r->n; i++)
    r->jobs[i].pub.cancel = r->cancel;
}

void ex_run_set_job_cancel(ex_run *r, size_t i, const _Atomic bool *cancel) {
  if (i < r->n)
    r->jobs[i].pub.cancel = cancel ? cancel : r->cancel;
}

void ex_run_set_force_full(ex_run *r, size_t i, bool full) {
  if (i < r->n)
    atomic_store(&r->jobs[i].force_full, full);
}

void ex_run_stats(ex_run *r, size_t i, ex_job_stats *out) {
  memset(out, 0, sizeof *out);
  if (i >= r->n)
    return;
  ex_jobrun *jr = &r->jobs[i];
  ex_job *j = &jr->pub;
  static const char *const modes[] = {"-", "full", "incremental", "history"};
  int mode = atomic_load(&jr->mode);
  out->job = j->ex->name;
  out->mode = modes[mode >= 0 && mode <= MODE_HISTORY ? mode : 0];
  out->rows_read = atomic_load(&j->rows_read);
  out->rows_skipped = atomic_load(&j->rows_skipped);
  out->rows_fixed = atomic_load(&j->rows_fixed);
  out->warnings = atomic_load(&j->warnings);
  out->n_tables = jr->n_tables;
  for (size_t t = 0; t < jr->n_tables; t++) {
    out->tables[t].table = j->ex->tables[t]->name;
    out->tables[t].rows = atomic_load(&j->rows_written[t]);
    out->rows_written += out->tables[t].rows;
  }
}
