#include "tests/support/testdb.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/db.h"

const char *testdb_socket(void) {
  const char *s = getenv("POLLSTER_TEST_SOCKET");
  if (!s || !*s)
    cr_assert_fail("POLLSTER_TEST_SOCKET is not set: run the tests through tests/harness/mariadb "
             "(scripts/test does)");
  return s;
}

unsigned testdb_port(void) {
  const char *p = getenv("POLLSTER_TEST_PORT");
  cr_assert(p && *p, "POLLSTER_TEST_PORT is not set");
  return (unsigned)strtoul(p, NULL, 10);
}

MYSQL *testdb_connect(void) {
  ps_error err;
  error_clear(&err);
  MYSQL *m = db_connect_raw(NULL, 0, testdb_socket(), "root", "", DB_ROLE_TARGET, &err);
  cr_assert(m != NULL, "connect to private server: %s", err.msg);
  return m;
}

static char *vformat(const char *fmt, va_list ap) {
  char *sql = NULL;
  cr_assert(vasprintf(&sql, fmt, ap) >= 0);
  return sql;
}

void testdb_exec(MYSQL *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *sql = vformat(fmt, ap);
  va_end(ap);
  ps_error err;
  error_clear(&err);
  cr_assert(db_exec(m, sql, &err) == PS_OK, "%s", err.msg);
  free(sql);
}

int64_t testdb_i64(MYSQL *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *sql = vformat(fmt, ap);
  va_end(ap);
  ps_error err;
  error_clear(&err);
  int64_t v = 0;
  cr_assert(db_query_i64(m, sql, &v, NULL, &err) == PS_OK, "%s", err.msg);
  free(sql);
  return v;
}

char *testdb_str(MYSQL *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *sql = vformat(fmt, ap);
  va_end(ap);
  cr_assert(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
  MYSQL_RES *res = mysql_store_result(m);
  cr_assert(res != NULL, "%s: no result", sql);
  MYSQL_ROW row = mysql_fetch_row(res);
  cr_assert(row != NULL, "%s: no row", sql);
  unsigned long *len = mysql_fetch_lengths(res);
  char *out = NULL;
  if (row[0]) {
    out = malloc(len[0] + 1);
    memcpy(out, row[0], len[0]);
    out[len[0]] = '\0';
  }
  mysql_free_result(res);
  free(sql);
  return out;
}

void testdb_unique(char *buf, size_t cap, const char *prefix) {
  static _Atomic unsigned counter;
  snprintf(buf, cap, "%s_%ld_%u", prefix, (long)getpid(), atomic_fetch_add(&counter, 1));
}

char *testdb_write_config(const char *prefix, unsigned cells, const char *extra) {
  char path[] = "/tmp/pollster-test-config-XXXXXX.yaml";
  int fd = mkstemps(path, 5);
  cr_assert(fd >= 0);
  FILE *f = fdopen(fd, "w");
  cr_assert(f != NULL);
  fprintf(f,
          "servers:\n"
          "  local: { socket: %s, user: root, password: \"\", pool_size: 8 }\n"
          "sources:\n",
          testdb_socket());
  static const char *const names[] = {"keystone", "nova_api", "cinder", "glance",
                                      "rcshibboleth", "dashboard"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    fprintf(f, "  %s: { server: local, schema: %s_%s }\n", names[i], prefix, names[i]);
  fprintf(f, "  nova:\n");
  for (unsigned c = 1; c <= (cells ? cells : 1); c++)
    fprintf(f, "    - { cell: cell%u, server: local, schema: %s_nova_cell%u }\n", c, prefix, c);
  fprintf(f, "target: { server: local, schema: %s_reporting }\n", prefix);
  if (extra)
    fputs(extra, f);
  fclose(f);
  return strdup(path);
}

char *testdb_source_path(const char *rel) {
  char *p = NULL;
  cr_assert(asprintf(&p, "%s/%s", POLLSTER_SOURCE_DIR, rel) >= 0);
  return p;
}

char *testdb_binary_path(const char *rel) {
  char *p = NULL;
  cr_assert(asprintf(&p, "%s/%s", POLLSTER_BINARY_DIR, rel) >= 0);
  return p;
}
