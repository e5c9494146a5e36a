/* signals: the one thread that takes the process's signals.
 *
 * DESIGN: main calls signals_block() before any other thread exists, so every
 * thread inherits a mask blocking SIGINT, SIGTERM, SIGHUP and SIGUSR1; the
 * signal thread (pollster-sig) takes them with sigwait and calls the
 * handler on its own stack, where anything (locks, logging) is allowed.
 * signals_stop() wakes it with SIGUSR1, which is in its wait set and never
 * passed to the handler, and joins it. */
#ifndef POLLSTER_SIGNALS_H
#define POLLSTER_SIGNALS_H

#include <pthread.h>
#include <stdbool.h>

#include "engine/status.h"

void signals_block(void);

/* Called on the signal thread for SIGINT, SIGTERM and SIGHUP. */
typedef void (*signals_fn)(int sig, void *ud);

typedef struct signals {
  pthread_t thread;
  bool running;
  signals_fn fn;
  void *ud; /* borrowed; must outlive the thread */
} signals;

/* Start the signal thread; s is the caller's and must stay put until stop. */
ps_status signals_start(signals *s, signals_fn fn, void *ud, ps_error *err);
/* Stop and join (no-op when not running). */
void signals_stop(signals *s);

#endif
