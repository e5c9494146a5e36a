/* loader: see loader.h.
 *
 * DESIGN (threads): the producer thread (the one calling loader_add_row)
 * encodes into `fill`, one of the two batch slots; the sender thread
 * (`pollster-ld`, started by loader_open) sends `queued`.  Handing over
 * waits until the sender is idle (nothing queued, nothing on the wire), so
 * at most one batch is being sent while the other is being filled: memory
 * is two batches.  Everything the two threads share (queued, sending, stop,
 * failed/err) is under `mu`; the sender signals `cv` when it becomes idle,
 * the producer when it queues a batch or stops.  Shutdown: loader_finish
 * queues the last batch, sets `stop` and joins; loader_free sets `stop`
 * without queueing and joins (the batch on the wire, if any, completes).
 * The borrowed connection is only touched by the sender between
 * loader_open and the join (loader_open itself reads max_allowed_packet
 * before starting it), so it needs no lock of its own.
 *
 * Transactions: the loader never commits; with autocommit on each batch
 * commits by itself, and a caller that ran START TRANSACTION on the same
 * connection before loader_open gets every batch inside its transaction
 * (COMMIT after loader_finish). */
#include "loaders/loader.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "engine/log.h"
#include "loaders/encode.h"

/* Bytes kept free in a packet beyond the statement's head and tail: the
 * command byte and some slack for the server's own accounting. */
#define PACKET_SLACK 1024

typedef struct batch {
  char *buf;   /* statement head already in place for INSERT */
  size_t len, cap;
  size_t rows;
} batch;

struct loader {
  MYSQL *conn;            /* borrowed; used by the sender only after open */
  const loader_column *cols;
  size_t n_cols;
  loader_opts opts;
  bool load_data;         /* LOAD DATA LOCAL INFILE (never with upsert) */
  char *head;             /* INSERT ... VALUES / LOAD DATA statement */
  size_t head_len;
  char *tail;             /* ON DUPLICATE KEY UPDATE ... or "" */
  size_t tail_len;
  char where[200];        /* `schema`.`table` for messages */
  size_t hard_limit;      /* largest batch payload max_allowed_packet allows */
  size_t soft_limit;      /* min(batch_bytes, hard_limit) */

  batch slots[2];
  batch *fill;            /* producer's slot */

  pthread_t thread;
  bool started;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  batch *queued;          /* mu */
  bool sending;           /* mu */
  bool stop;              /* mu */
  bool failed;            /* mu */
  ps_error err;           /* mu: the sender's first error */

  /* LOAD DATA: what the infile callbacks are serving (sender thread only). */
  const char *infile_pos;
  size_t infile_left;

  _Atomic uint64_t rows_written;
  _Atomic uint64_t bytes_sent;
  _Atomic uint64_t batches_sent;
};

/* ---- encoding --------------------------------------------------------- */

static bool reserve(batch *b, size_t more) {
  if (b->cap - b->len >= more)
    return true;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap - b->len < more)
    cap *= 2;
  char *nb = realloc(b->buf, cap);
  if (!nb)
    return false;
  b->buf = nb;
  b->cap = cap;
  return true;
}

static ps_status bad_int(loader *l, size_t col, ps_error *err) {
  return ERROR_SET(err, PS_EDATA, "%s: column %s: not an integer", l->where, l->cols[col].name);
}

static unsigned long escape_conn(void *ctx, char *to, const char *from, unsigned long len) {
  return mysql_real_escape_string(ctx, to, from, len);
}

/* One row into the batch (capacity reserved by the caller). */
static ps_status encode_row(loader *l, batch *b, const loader_value *vals, ps_error *err) {
  size_t bad = 0;
  bool ok = l->load_data
                ? encode_tsv_row(b->buf, &b->len, l->cols, l->n_cols, vals, &bad)
                : encode_sql_row(b->buf, &b->len, l->cols, l->n_cols, vals, escape_conn,
                                 l->conn, &bad);
  return ok ? PS_OK : bad_int(l, bad, err);
}

/* ---- sending (sender thread) ------------------------------------------ */

static int infile_init(void **ptr, const char *filename, void *userdata) {
  (void)filename;
  *ptr = userdata;
  return 0;
}

static int infile_read(void *ptr, char *buf, unsigned int buf_len) {
  loader *l = ptr;
  size_t n = l->infile_left < buf_len ? l->infile_left : buf_len;
  memcpy(buf, l->infile_pos, n);
  l->infile_pos += n;
  l->infile_left -= n;
  return (int)n;
}

static void infile_end(void *ptr) { (void)ptr; }

static int infile_error(void *ptr, char *msg, unsigned int msg_len) {
  (void)ptr;
  snprintf(msg, msg_len, "pollster batch buffer");
  return 1;
}

/* LOAD DATA LOCAL turns data errors into warnings (the server cannot stop
 * the client mid-file): any warning or skipped row is an error here, so that
 * a bad value never goes in silently truncated or dropped. */
static ps_status check_load_info(loader *l, const batch *b, ps_error *err) {
  const char *info = mysql_info(l->conn);
  unsigned long long records = 0, deleted = 0, skipped = 0, warnings = 0;
  if (info)
    sscanf(info, "Records: %llu Deleted: %llu Skipped: %llu Warnings: %llu", &records,
           &deleted, &skipped, &warnings);
  if (records == b->rows && skipped == 0 && warnings == 0)
    return PS_OK;
  char first[512] = "";
  if (mysql_query(l->conn, "SHOW WARNINGS LIMIT 1") == 0) {
    MYSQL_RES *res = mysql_store_result(l->conn);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    if (row && row[2])
      snprintf(first, sizeof first, ": %s", row[2]);
    if (res)
      mysql_free_result(res);
  }
  return ERROR_SET(err, PS_EDATA, "%s: LOAD DATA of %zu rows: %s%s", l->where, b->rows,
                   info ? info : "no info", first);
}

static ps_status send_batch(loader *l, batch *b, ps_error *err) {
  if (l->opts.cancel && atomic_load(l->opts.cancel))
    return ERROR_SET(err, PS_ECANCELED, "%s: load canceled", l->where);
  int rc;
  if (l->load_data) {
    l->infile_pos = b->buf;
    l->infile_left = b->len;
    mysql_set_local_infile_handler(l->conn, infile_init, infile_read, infile_end, infile_error,
                                   l);
    rc = mysql_real_query(l->conn, l->head, (unsigned long)l->head_len);
    /* The handler's userdata is this loader: never leave it on a pooled
     * connection that outlives us. */
    mysql_set_local_infile_default(l->conn);
  } else {
    memcpy(b->buf + b->len, l->tail, l->tail_len); /* room reserved by the producer */
    rc = mysql_real_query(l->conn, b->buf, (unsigned long)(b->len + l->tail_len));
  }
  if (rc != 0)
    return ERROR_MYSQL(err, l->conn, "%s: batch of %zu rows (%zu bytes)", l->where, b->rows,
                       b->len);
  if (l->load_data) {
    ps_status s = check_load_info(l, b, err);
    if (s != PS_OK)
      return s;
  }
  atomic_fetch_add(&l->rows_written, b->rows);
  atomic_fetch_add(&l->bytes_sent, b->len + (l->load_data ? l->head_len : l->tail_len));
  atomic_fetch_add(&l->batches_sent, 1);
  return PS_OK;
}

static void *sender_main(void *arg) {
  loader *l = arg;
  pthread_setname_np(pthread_self(), "pollster-ld");
  log_set_thread_name("pollster-ld");
  mysql_thread_init();
  pthread_mutex_lock(&l->mu);
  for (;;) {
    while (!l->queued && !l->stop)
      pthread_cond_wait(&l->cv, &l->mu);
    if (!l->queued)
      break;
    batch *b = l->queued;
    l->queued = NULL;
    l->sending = true;
    bool skip = l->failed; /* after an error nothing more goes out */
    pthread_mutex_unlock(&l->mu);
    ps_error e;
    error_clear(&e);
    ps_status s = skip ? PS_OK : send_batch(l, b, &e);
    pthread_mutex_lock(&l->mu);
    if (s != PS_OK && !l->failed) {
      l->failed = true;
      l->err = e;
    }
    l->sending = false;
    pthread_cond_broadcast(&l->cv);
  }
  pthread_mutex_unlock(&l->mu);
  mysql_thread_end();
  return NULL;
}

/* ---- producer side ---------------------------------------------------- */

/* The sender's first error, if any (mu). */
static ps_status sender_status(loader *l, ps_error *err) {
  pthread_mutex_lock(&l->mu);
  ps_status s = l->failed ? l->err.status : PS_OK;
  if (s != PS_OK && err)
    *err = l->err;
  pthread_mutex_unlock(&l->mu);
  return s;
}

static void batch_reset(loader *l, batch *b) {
  b->rows = 0;
  b->len = 0;
  if (!l->load_data) {
    memcpy(b->buf, l->head, l->head_len);
    b->len = l->head_len;
  }
}

/* Queue the fill slot once the sender is idle.  When keep_from < len, the
 * bytes [keep_from, len) (a row that did not fit) start the next batch and
 * the queued one ends at cut_at (before that row's separator).  Waits on
 * cv under mu. */
static ps_status hand_over(loader *l, size_t keep_from, size_t cut_at, ps_error *err) {
  if (l->opts.cancel && atomic_load(l->opts.cancel))
    return ERROR_SET(err, PS_ECANCELED, "%s: load canceled", l->where);
  batch *full = l->fill;
  batch *next = full == &l->slots[0] ? &l->slots[1] : &l->slots[0];
  pthread_mutex_lock(&l->mu);
  while ((l->queued || l->sending) && !l->failed)
    pthread_cond_wait(&l->cv, &l->mu);
  bool failed = l->failed;
  pthread_mutex_unlock(&l->mu);
  if (failed)
    return sender_status(l, err);
  /* The sender is idle, so `next` is free to touch. */
  batch_reset(l, next);
  size_t keep = full->len - keep_from;
  if (keep) {
    if (!reserve(next, keep + l->tail_len + 1))
      return ERROR_SET(err, PS_ENOMEM, "%s: batch buffer", l->where);
    memcpy(next->buf + next->len, full->buf + keep_from, keep);
    next->len += keep;
    next->rows = 1;
    full->len = cut_at;
    full->rows--;
  }
  pthread_mutex_lock(&l->mu);
  l->queued = full;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
  l->fill = next;
  return PS_OK;
}

static void describe_key(const loader *l, const loader_value *vals, char *buf, size_t cap) {
  size_t pos = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < l->n_cols && pos < cap; i++) {
    if (!l->cols[i].key)
      continue;
    int n = vals[i].str ? snprintf(buf + pos, cap - pos, "%s%s='%.*s'", pos ? ", " : "",
                                   l->cols[i].name, (int)(vals[i].len > 64 ? 64 : vals[i].len),
                                   vals[i].str)
                        : snprintf(buf + pos, cap - pos, "%s%s=NULL", pos ? ", " : "",
                                   l->cols[i].name);
    if (n > 0)
      pos += (size_t)n;
  }
  if (!buf[0])
    snprintf(buf, cap, "(no key column)");
}

ps_status loader_add_row(loader *l, const loader_value *vals, ps_error *err) {
  ps_status s = sender_status(l, err);
  if (s != PS_OK)
    return s;
  batch *b = l->fill;
  size_t start = b->len;
  bool sep = !l->load_data && b->rows > 0;
  if (!reserve(b, encode_row_bound(vals, l->n_cols) + l->tail_len + 1))
    return ERROR_SET(err, PS_ENOMEM, "%s: batch buffer", l->where);
  if (sep)
    b->buf[b->len++] = ',';
  size_t row_start = b->len;
  s = encode_row(l, b, vals, err);
  if (s != PS_OK) {
    b->len = start;
    return s;
  }
  size_t row_len = b->len - row_start;
  if (row_len > l->hard_limit) {
    b->len = start;
    char key[512];
    describe_key(l, vals, key, sizeof key);
    return ERROR_SET(err, PS_ETOOBIG,
                     "%s: row with key %s is %zu bytes, more than the server's "
                     "max_allowed_packet allows (%zu bytes of row data per statement)",
                     l->where, key, row_len, l->hard_limit);
  }
  b->rows++;
  size_t payload = b->len - (l->load_data ? 0 : l->head_len);
  if (b->rows > 1 && payload > l->soft_limit) {
    /* The row does not fit: send the rows before it, it starts the next. */
    return hand_over(l, row_start, start, err);
  }
  if (b->rows >= l->opts.batch_rows || payload >= l->soft_limit)
    return hand_over(l, b->len, b->len, err);
  return PS_OK;
}

ps_status loader_finish(loader *l, ps_error *err) {
  ps_status s = PS_OK;
  if (l->fill->rows > 0)
    s = hand_over(l, l->fill->len, l->fill->len, err);
  pthread_mutex_lock(&l->mu);
  l->stop = true;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
  if (l->started) {
    pthread_join(l->thread, NULL);
    l->started = false;
  }
  if (s == PS_OK)
    s = sender_status(l, err);
  return s;
}

uint64_t loader_rows_written(const loader *l) { return atomic_load(&l->rows_written); }
uint64_t loader_bytes_sent(const loader *l) { return atomic_load(&l->bytes_sent); }
uint64_t loader_batches_sent(const loader *l) { return atomic_load(&l->batches_sent); }

void loader_free(loader *l) {
  if (!l)
    return;
  if (l->started) {
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    l->queued = NULL; /* not sent: free means abandon */
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
  }
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
  free(l->slots[0].buf);
  free(l->slots[1].buf);
  free(l->head);
  free(l->tail);
  free(l);
}

/* ---- open ------------------------------------------------------------- */

static char *build_head(const loader *l, const char *schema, const char *table) {
  size_t cap = 256 + strlen(schema) + strlen(table);
  for (size_t i = 0; i < l->n_cols; i++)
    cap += strlen(l->cols[i].name) + 4;
  char *h = malloc(cap);
  if (!h)
    return NULL;
  size_t pos = 0;
  if (l->load_data)
    pos += (size_t)snprintf(h, cap,
                            "LOAD DATA LOCAL INFILE 'pollster-batch' %sINTO TABLE `%s`.`%s` "
                            "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY "
                            "'\\\\' LINES TERMINATED BY '\\n' (",
                            l->opts.last_wins ? "REPLACE " : "", schema, table);
  else
    pos += (size_t)snprintf(h, cap, "INSERT INTO `%s`.`%s` (", schema, table);
  for (size_t i = 0; i < l->n_cols; i++)
    pos += (size_t)snprintf(h + pos, cap - pos, "%s`%s`", i ? "," : "", l->cols[i].name);
  snprintf(h + pos, cap - pos, l->load_data ? ")" : ") VALUES ");
  return h;
}

static char *build_tail(const loader *l) {
  size_t cap = 64;
  for (size_t i = 0; i < l->n_cols; i++)
    cap += 2 * strlen(l->cols[i].name) + 16;
  char *t = malloc(cap);
  if (!t)
    return NULL;
  size_t pos = 0;
  t[0] = '\0';
  if (!l->opts.upsert && !l->opts.last_wins)
    return t;
  bool any = false;
  for (size_t i = 0; i < l->n_cols; i++) {
    if (l->cols[i].key)
      continue;
    pos += (size_t)snprintf(t + pos, cap - pos, "%s`%s`=VALUES(`%s`)",
                            any ? "," : " ON DUPLICATE KEY UPDATE ", l->cols[i].name,
                            l->cols[i].name);
    any = true;
  }
  if (!any) /* only key columns: a duplicate is already up to date */
    snprintf(t, cap, " ON DUPLICATE KEY UPDATE `%s`=`%s`", l->cols[0].name, l->cols[0].name);
  return t;
}

loader *loader_open(MYSQL *conn, const char *schema, const char *table,
                    const loader_column *cols, size_t n_cols, const loader_opts *opts,
                    ps_error *err) {
  if (!n_cols || !opts || opts->batch_rows < 1 || opts->batch_bytes < 1) {
    ERROR_SET(err, PS_EINTERNAL, "loader_open `%s`.`%s`: no columns or zero batch limits",
              schema, table);
    return NULL;
  }
  loader *l = calloc(1, sizeof *l);
  if (!l) {
    ERROR_SET(err, PS_ENOMEM, "loader");
    return NULL;
  }
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  l->conn = conn;
  l->cols = cols;
  l->n_cols = n_cols;
  l->opts = *opts;
  /* LOAD DATA has no ON DUPLICATE KEY UPDATE; its REPLACE deletes the old
   * row and inserts a new one, which would reset columns this loader does
   * not write and fire delete semantics.  Upserts therefore always go as
   * INSERT ... ON DUPLICATE KEY UPDATE. */
  l->load_data = opts->method == CFG_LOAD_DATA && !opts->upsert;
  snprintf(l->where, sizeof l->where, "`%s`.`%s`", schema, table);
  l->head = build_head(l, schema, table);
  l->tail = build_tail(l);
  if (!l->head || !l->tail) {
    ERROR_SET(err, PS_ENOMEM, "loader %s", l->where);
    goto fail;
  }
  l->head_len = strlen(l->head);
  l->tail_len = strlen(l->tail);

  int64_t packet = 0;
  if (db_query_i64(conn, "SELECT @@max_allowed_packet", &packet, NULL, err) != PS_OK)
    goto fail;
  size_t overhead = l->head_len + l->tail_len + PACKET_SLACK;
  if ((size_t)packet <= overhead + 64) {
    ERROR_SET(err, PS_ETOOBIG, "%s: max_allowed_packet (%lld bytes) is too small for the "
              "statement head", l->where, (long long)packet);
    goto fail;
  }
  l->hard_limit = (size_t)packet - overhead;
  l->soft_limit = opts->batch_bytes < l->hard_limit ? opts->batch_bytes : l->hard_limit;

  for (int i = 0; i < 2; i++)
    if (!reserve(&l->slots[i], l->head_len + 4096)) {
      ERROR_SET(err, PS_ENOMEM, "loader %s", l->where);
      goto fail;
    }
  l->fill = &l->slots[0];
  batch_reset(l, l->fill);

  int rc = pthread_create(&l->thread, NULL, sender_main, l);
  if (rc != 0) {
    ERROR_SET(err, PS_EINTERNAL, "%s: cannot start sender thread (%s)", l->where,
              strerror(rc));
    goto fail;
  }
  l->started = true;
  return l;
fail:
  loader_free(l);
  return NULL;
}
