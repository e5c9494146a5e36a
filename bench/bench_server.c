/* bench_server: private or existing MariaDB server (see bench_server.h).
 * The private recipe follows tests/harness/mariadb (an installed
 * pollster-bench cannot rely on the source tree's script), with the options
 * of the performance notes: 1 GiB buffer pool, no binary log. */
#include "bench/bench_server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/db.h"

static const char *find_prog(const char *name, char *buf, size_t cap) {
  static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/usr/local/sbin",
                                     "/usr/local/bin", "/sbin", "/bin"};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    snprintf(buf, cap, "%s/%s", dirs[i], name);
    if (access(buf, X_OK) == 0)
      return buf;
  }
  return NULL;
}

/* fork + exec argv with stdout/stderr appended to log; returns the pid. */
static pid_t spawn(char *const argv[], const char *log) {
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  int nul = open("/dev/null", O_RDONLY);
  if (nul >= 0) {
    dup2(nul, STDIN_FILENO);
    close(nul);
  }
  execv(argv[0], argv);
  _exit(127);
}

static void free_server(bench_server *s) {
  if (!s)
    return;
  free(s->host);
  free(s->socket);
  free(s->user);
  free(s->password);
  free(s->dir);
  free(s->files);
  free(s);
}

MYSQL *bench_server_connect(const bench_server *s, ps_error *err) {
  return db_connect_raw(s->host, s->port, s->socket, s->user, s->password, DB_ROLE_TARGET,
                        err);
}

/* Version, and secure_file_priv when not yet known. */
static ps_status probe(bench_server *s, ps_error *err) {
  MYSQL *m = bench_server_connect(s, err);
  if (!m)
    return err->status;
  ps_status st = db_query_str(m, "SELECT VERSION()", s->version, sizeof s->version, NULL, err);
  char buf[512];
  bool found = false;
  if (st == PS_OK && !s->files) {
    bool is_null = true;
    int64_t dummy;
    /* NULL means LOAD DATA INFILE / INTO OUTFILE are disabled. */
    st = db_query_i64(m, "SELECT @@secure_file_priv IS NULL", &dummy, &is_null, err);
    if (st == PS_OK && dummy == 0)
      st = db_query_str(m, "SELECT @@secure_file_priv", buf, sizeof buf, &found, err);
    if (st == PS_OK && found) {
      size_t n = strlen(buf);
      while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
      s->files = strdup(n ? buf : "/tmp");
    }
  }
  if (st == PS_OK && !s->pid && s->socket) {
    found = false;
    st = db_query_str(m, "SELECT @@pid_file", buf, sizeof buf, &found, err);
    FILE *f = st == PS_OK && found ? fopen(buf, "r") : NULL;
    long pid = 0;
    if (f && fscanf(f, "%ld", &pid) == 1 && pid > 0 && kill((pid_t)pid, 0) == 0)
      s->pid = (pid_t)pid;
    if (f)
      fclose(f);
  }
  db_close(m);
  return st;
}

ps_status bench_server_attach(const char *host, unsigned port, const char *socket,
                              const char *user, const char *password, bench_server **out,
                              ps_error *err) {
  *out = NULL;
  bench_server *s = calloc(1, sizeof *s);
  if (!s)
    return ERROR_SET(err, PS_ENOMEM, "server");
  s->host = host ? strdup(host) : NULL;
  s->port = port ? port : 3306;
  s->socket = socket ? strdup(socket) : NULL;
  s->user = strdup(user ? user : "root");
  s->password = strdup(password ? password : "");
  ps_status st = probe(s, err);
  if (st != PS_OK) {
    free_server(s);
    return st;
  }
  *out = s;
  return PS_OK;
}

ps_status bench_server_start(const char *tmp_parent, bench_server **out, ps_error *err) {
  *out = NULL;
  char mariadbd[256], install_db[256];
  if (!find_prog("mariadbd", mariadbd, sizeof mariadbd) &&
      !find_prog("mysqld", mariadbd, sizeof mariadbd))
    return ERROR_SET(err, PS_EIO, "mariadbd not found (install mariadb-server or use --socket/-c)");
  if (!find_prog("mariadb-install-db", install_db, sizeof install_db) &&
      !find_prog("mysql_install_db", install_db, sizeof install_db))
    return ERROR_SET(err, PS_EIO, "mariadb-install-db not found");
  bench_server *s = calloc(1, sizeof *s);
  if (!s)
    return ERROR_SET(err, PS_ENOMEM, "server");
  s->owned = true;
  s->user = strdup("root");
  s->password = strdup("");
  char tmpl[512];
  snprintf(tmpl, sizeof tmpl, "%s/pollster-bench.XXXXXX", tmp_parent);
  ps_status st = PS_OK;
  if (!mkdtemp(tmpl)) {
    st = ERROR_SET(err, PS_EIO, "mkdtemp %s: %s", tmpl, strerror(errno));
    goto out;
  }
  s->dir = strdup(tmpl);
  chmod(s->dir, 0755);
  char data[600], files[600], tmp[600], sock[600], pidf[600], log[600];
  snprintf(data, sizeof data, "%s/data", s->dir);
  snprintf(files, sizeof files, "%s/files", s->dir);
  snprintf(tmp, sizeof tmp, "%s/tmp", s->dir);
  snprintf(sock, sizeof sock, "%s/sock", s->dir);
  snprintf(pidf, sizeof pidf, "%s/pid", s->dir);
  snprintf(log, sizeof log, "%s/server.log", s->dir);
  if (mkdir(data, 0755) || mkdir(files, 0755) || mkdir(tmp, 0755)) {
    st = ERROR_SET(err, PS_EIO, "mkdir under %s: %s", s->dir, strerror(errno));
    goto out;
  }
  s->files = strdup(files);
  s->socket = strdup(sock);
  char a_datadir[640], a_sock[640], a_pid[640], a_tmp[640], a_files[640], a_log[640];
  snprintf(a_datadir, sizeof a_datadir, "--datadir=%s", data);
  char *inst[] = {install_db, "--no-defaults", a_datadir, "--user=root",
                  "--auth-root-authentication-method=normal", "--skip-test-db", NULL};
  pid_t ip = spawn(inst, log);
  int ws = 0;
  if (ip < 0 || waitpid(ip, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
    st = ERROR_SET(err, PS_EIO, "mariadb-install-db failed (see %s)", log);
    goto out;
  }
  snprintf(a_sock, sizeof a_sock, "--socket=%s", sock);
  snprintf(a_pid, sizeof a_pid, "--pid-file=%s", pidf);
  snprintf(a_tmp, sizeof a_tmp, "--tmpdir=%s", tmp);
  snprintf(a_files, sizeof a_files, "--secure-file-priv=%s", files);
  snprintf(a_log, sizeof a_log, "--log-error=%s", log);
  char *srv[] = {mariadbd, "--no-defaults", a_datadir, a_sock, "--skip-networking",
                 "--user=root", "--skip-log-bin", a_pid, a_tmp, a_files, a_log,
                 "--local-infile=1", "--max-connections=500",
                 "--innodb-flush-log-at-trx-commit=2", "--innodb-buffer-pool-size=1G",
                 "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
                 "--skip-name-resolve", NULL};
  s->pid = spawn(srv, log);
  if (s->pid < 0) {
    s->pid = 0;
    st = ERROR_SET(err, PS_EIO, "fork: %s", strerror(errno));
    goto out;
  }
  /* Wait up to 60 s for the socket to answer. */
  for (int i = 0; i < 600; i++) {
    if (waitpid(s->pid, &ws, WNOHANG) == s->pid) {
      s->pid = 0;
      st = ERROR_SET(err, PS_EIO, "mariadbd exited during startup (see %s)", log);
      goto out;
    }
    ps_error e;
    error_clear(&e);
    MYSQL *m = access(sock, F_OK) == 0 ? bench_server_connect(s, &e) : NULL;
    if (m) {
      db_close(m);
      st = probe(s, err);
      goto out;
    }
    nanosleep(&(struct timespec){0, 100000000}, NULL);
  }
  st = ERROR_SET(err, PS_ETIMEOUT, "mariadbd did not answer within 60 s (see %s)", log);
out:
  if (st != PS_OK) {
    bench_server_stop(s);
    return st;
  }
  *out = s;
  return PS_OK;
}

static void remove_tree(const char *dir) {
  pid_t p = fork();
  if (p == 0) {
    execl("/bin/rm", "rm", "-rf", "--", dir, (char *)NULL);
    _exit(127);
  }
  if (p > 0)
    waitpid(p, NULL, 0);
}

void bench_server_stop(bench_server *s) {
  if (!s)
    return;
  if (s->owned && s->pid > 0) {
    kill(s->pid, SIGTERM);
    int ws;
    bool gone = false;
    for (int i = 0; i < 600 && !gone; i++) {
      if (waitpid(s->pid, &ws, WNOHANG) == s->pid)
        gone = true;
      else
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    if (!gone) {
      kill(s->pid, SIGKILL);
      waitpid(s->pid, &ws, 0);
    }
  }
  if (s->owned && s->dir)
    remove_tree(s->dir);
  free_server(s);
}

double bench_server_cpu(const bench_server *s) {
  if (!s->pid)
    return -1;
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)s->pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* Fields after the parenthesised command name, which may hold spaces:
   * state is field 3, utime 14, stime 15. */
  char *p = strrchr(buf, ')');
  if (!p)
    return -1;
  unsigned long long ut = 0, st = 0;
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
