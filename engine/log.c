#include "engine/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

static _Atomic int log_level_now = LOG_LEVEL_INFO;
/* log_mutex guards log_stream and the write of one line. */
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_stream;
static _Thread_local char log_thread[24];
static _Thread_local char log_job[48];

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_set_level(log_level level) { atomic_store(&log_level_now, (int)level); }
log_level log_get_level(void) { return (log_level)atomic_load(&log_level_now); }

void log_set_stream(FILE *stream) {
  pthread_mutex_lock(&log_mutex);
  log_stream = stream;
  pthread_mutex_unlock(&log_mutex);
}

void log_set_thread_name(const char *name) {
  snprintf(log_thread, sizeof log_thread, "%s", name ? name : "");
}

void log_set_job(const char *job) {
  snprintf(log_job, sizeof log_job, "%s", job ? job : "");
}

void log_write(log_level level, const char *fmt, ...) {
  if ((int)level > atomic_load(&log_level_now))
    return;
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char line[2048];
  int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s [%s]%s%s%s ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                   tm.tm_sec, ts.tv_nsec / 1000000L, level_names[level],
                   log_thread[0] ? log_thread : "main", log_job[0] ? " [" : "", log_job,
                   log_job[0] ? "]" : "");
  if (n < 0 || (size_t)n >= sizeof line)
    n = 0;
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
  if (len > sizeof line - 2)
    len = sizeof line - 2;
  line[len++] = '\n';
  pthread_mutex_lock(&log_mutex);
  FILE *out = log_stream ? log_stream : stderr;
  fwrite(line, 1, len, out);
  fflush(out);
  pthread_mutex_unlock(&log_mutex);
}
