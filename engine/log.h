/* log: leveled, timestamped (UTC, ISO 8601) lines on stderr, tagged with the
 * calling thread's name and the job it is working on.
 *
 * DESIGN: any thread may log.  The level and the output stream are process
 * settings held in log.c (an _Atomic level, a mutex around the write so lines
 * never interleave); the thread and job tags are thread-local.  Nothing here
 * allocates.  Passwords must never be passed in: callers log names, not
 * secrets (config masks them; connection errors name server, host and user). */
#ifndef POLLSTER_LOG_H
#define POLLSTER_LOG_H

#include <stdio.h>

typedef enum log_level {
  LOG_LEVEL_ERROR = 0,
  LOG_LEVEL_WARN,
  LOG_LEVEL_INFO,
  LOG_LEVEL_DEBUG,
} log_level;

void log_set_level(log_level level);
log_level log_get_level(void);
/* Redirect output (tests capture it).  NULL restores stderr.  The stream is
 * borrowed: the caller keeps it open while logging may happen. */
void log_set_stream(FILE *stream);
/* Thread-local tags; the strings are copied. NULL clears. */
void log_set_thread_name(const char *name);
void log_set_job(const char *job);

void log_write(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
