#include "loaders/history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"

static const char lease_ddl[] =
    "CREATE TABLE IF NOT EXISTS `%s`.job_lease ("
    " job VARCHAR(64) NOT NULL PRIMARY KEY,"
    " owner VARCHAR(255) NOT NULL,"
    " expires DATETIME(6) NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='pollster: which daemon runs a job'";

static const char run_ddl[] =
    "CREATE TABLE IF NOT EXISTS `%s`.job_run ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " job VARCHAR(64) NOT NULL,"
    " mode VARCHAR(16) NOT NULL,"
    " started DATETIME(6) NOT NULL,"
    " finished DATETIME(6) NOT NULL,"
    " status VARCHAR(32) NOT NULL COMMENT 'ok or the failure status',"
    " `rows` BIGINT UNSIGNED NOT NULL,"
    " warnings BIGINT UNSIGNED NOT NULL,"
    " error TEXT NULL,"
    " daemon VARCHAR(255) NOT NULL,"
    " KEY job_started (job, started)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='pollster: one row per daemon job run'";

ps_status history_init(MYSQL *m, const char *state_schema, ps_error *err) {
  ps_status st = db_execf(m, err, lease_ddl, state_schema);
  if (st == PS_OK)
    st = db_execf(m, err, run_ddl, state_schema);
  return st;
}

/* 'text' quoted for m into buf (cap >= 2 * strlen + 3). */
static void quote(MYSQL *m, char *buf, const char *text) {
  size_t pos = 0;
  db_quote_into(m, buf, &pos, text, strlen(text));
  buf[pos] = '\0';
}

/* UPDATE ... and the affected-row count; a lost race (deadlock, Galera
 * certification failure, lock wait) counts as 0 rows. */
static ps_status update_rows(MYSQL *m, const char *sql, uint64_t *rows, ps_error *err) {
  *rows = 0;
  if (mysql_real_query(m, sql, strlen(sql)) != 0) {
    unsigned e = mysql_errno(m);
    if (e == 1213 || e == 1205)
      return PS_OK;
    return ERROR_MYSQL(err, m, "job_lease");
  }
  my_ulonglong n = mysql_affected_rows(m);
  *rows = n == (my_ulonglong)-1 ? 0 : (uint64_t)n;
  return PS_OK;
}

ps_status lease_acquire(MYSQL *m, const char *state_schema, const char *job, const char *owner,
                        unsigned ttl_s, bool *won, ps_error *err) {
  char qj[200], qo[600], sql[1600];
  *won = false;
  quote(m, qj, job);
  quote(m, qo, owner);
  ps_status st = db_execf(m, err,
                          "INSERT IGNORE INTO `%s`.job_lease (job, owner, expires) "
                          "VALUES (%s, '', '1970-01-02 00:00:00')",
                          state_schema, qj);
  if (st != PS_OK)
    return st == PS_ELOCK ? PS_OK : st;
  snprintf(sql, sizeof sql,
           "UPDATE `%s`.job_lease SET owner = %s, expires = NOW(6) + INTERVAL %u SECOND "
           "WHERE job = %s AND (owner = %s OR expires < NOW(6))",
           state_schema, qo, ttl_s, qj, qo);
  uint64_t rows;
  st = update_rows(m, sql, &rows, err);
  *won = st == PS_OK && rows == 1;
  return st;
}

ps_status lease_renew(MYSQL *m, const char *state_schema, const char *job, const char *owner,
                      unsigned ttl_s, bool *held, ps_error *err) {
  char qj[200], qo[600], sql[1600];
  quote(m, qj, job);
  quote(m, qo, owner);
  /* Only while unexpired: once it lapsed another daemon may have run the
   * job, so ours must stop even if nobody took the row yet. */
  snprintf(sql, sizeof sql,
           "UPDATE `%s`.job_lease SET expires = NOW(6) + INTERVAL %u SECOND "
           "WHERE job = %s AND owner = %s AND expires >= NOW(6)",
           state_schema, ttl_s, qj, qo);
  uint64_t rows;
  ps_status st = update_rows(m, sql, &rows, err);
  *held = st == PS_OK && rows == 1;
  return st;
}

ps_status lease_release(MYSQL *m, const char *state_schema, const char *job, const char *owner,
                        ps_error *err) {
  char qj[200], qo[600];
  quote(m, qj, job);
  quote(m, qo, owner);
  return db_execf(m, err,
                  "UPDATE `%s`.job_lease SET expires = NOW(6) - INTERVAL 1 SECOND "
                  "WHERE job = %s AND owner = %s",
                  state_schema, qj, qo);
}

static void fmt_ts(const struct timespec *t, char out[32]) {
  struct tm tm;
  time_t s = t->tv_sec;
  gmtime_r(&s, &tm);
  size_t n = strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
  snprintf(out + n, 32 - n, ".%06ld", t->tv_nsec / 1000);
}

ps_status history_record(MYSQL *m, const char *state_schema, const history_run *run,
                         ps_error *err) {
  char started[32], finished[32], qj[200], qm[64], qs[100], qd[600];
  fmt_ts(&run->started, started);
  fmt_ts(&run->finished, finished);
  quote(m, qj, run->job);
  quote(m, qm, run->mode);
  quote(m, qs, run->status);
  quote(m, qd, run->daemon);
  char *qe = NULL;
  if (run->error) {
    size_t len = strlen(run->error);
    qe = malloc(2 * len + 3);
    if (!qe)
      return ERROR_SET(err, PS_ENOMEM, "job_run");
    quote(m, qe, run->error);
  }
  ps_status st = db_execf(m, err,
                          "INSERT INTO `%s`.job_run (job, mode, started, finished, status, "
                          "`rows`, warnings, error, daemon) VALUES (%s, %s, '%s', '%s', %s, "
                          "%llu, %llu, %s, %s)",
                          state_schema, qj, qm, started, finished, qs,
                          (unsigned long long)run->rows, (unsigned long long)run->warnings,
                          qe ? qe : "NULL", qd);
  free(qe);
  return st;
}

ps_status history_last_full(MYSQL *m, const char *state_schema, const char *job, int64_t *epoch,
                            ps_error *err) {
  char qj[200], sql[700];
  bool null = true;
  quote(m, qj, job);
  snprintf(sql, sizeof sql,
           "SELECT UNIX_TIMESTAMP(MAX(started)) FROM `%s`.job_run WHERE job = %s AND "
           "status = 'ok' AND mode <> 'incremental'",
           state_schema, qj);
  ps_status st = db_query_i64(m, sql, epoch, &null, err);
  if (st == PS_OK && null)
    *epoch = 0;
  return st;
}

ps_status history_report(MYSQL *m, const config *cfg, FILE *out, ps_error *err) {
  const char *ss = cfg->target.state_schema;
  fprintf(out, "%-18s %-20s %-20s %-20s %8s %6s  %s\n", "JOB", "LAST SUCCESS", "LAST FAILURE",
          "NEXT DUE", "AVG S", "RUNS", "LAST ERROR");
  for (size_t i = 0; i < cfg->n_jobs; i++) {
    const cfg_job *jc = &cfg->jobs[i];
    if (!jc->enabled)
      continue;
    char qj[200], sql[2048], ok[32] = "", bad[32] = "", due[32] = "", avg[32] = "", runs[32] = "";
    char errtext[512] = "";
    bool found;
    quote(m, qj, jc->name);
    /* One row: last success, last failure, next due, average, count. */
    snprintf(sql, sizeof sql,
             "SELECT CONCAT_WS('|', IFNULL(DATE_FORMAT(MAX(IF(status = 'ok', finished, NULL)), "
             "'%%Y-%%m-%%d %%H:%%i:%%s'), '-'), IFNULL(DATE_FORMAT(MAX(IF(status <> 'ok', "
             "finished, NULL)), '%%Y-%%m-%%d %%H:%%i:%%s'), '-'), IFNULL(DATE_FORMAT(MAX(started) "
             "+ INTERVAL %u SECOND, '%%Y-%%m-%%d %%H:%%i:%%s'), 'now'), IFNULL(ROUND(AVG(IF("
             "status = 'ok', TIMESTAMPDIFF(MICROSECOND, started, finished), NULL)) / 1e6, 3), "
             "'-'), COUNT(*)) FROM `%s`.job_run WHERE job = %s",
             jc->period_s, ss, qj);
    char line[256];
    ps_status st = db_query_str(m, sql, line, sizeof line, &found, err);
    if (st != PS_OK)
      return st;
    if (sscanf(line, "%31[^|]|%31[^|]|%31[^|]|%31[^|]|%31s", ok, bad, due, avg, runs) != 5)
      return ERROR_SET(err, PS_EINTERNAL, "status: unexpected row '%s'", line);
    snprintf(sql, sizeof sql,
             "SELECT CONCAT(status, ': ', IFNULL(error, '')) FROM `%s`.job_run WHERE job = %s "
             "AND status <> 'ok' ORDER BY finished DESC LIMIT 1",
             ss, qj);
    st = db_query_str(m, sql, errtext, sizeof errtext, &found, err);
    if (st != PS_OK)
      return st;
    fprintf(out, "%-18s %-20s %-20s %-20s %8s %6s  %s\n", jc->name, ok, bad, due, avg, runs,
            found ? errtext : "");
  }
  fprintf(out, "(times UTC; NEXT DUE = last start + period, 'now' when never run)\n");
  return PS_OK;
}
