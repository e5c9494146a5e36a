#include "engine/signals.h"

#include <signal.h>
#include <string.h>

#include "engine/log.h"

static void signals_set(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
  sigaddset(set, SIGUSR1);
}

void signals_block(void) {
  sigset_t set;
  signals_set(&set);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *signals_main(void *arg) {
  signals *s = arg;
  pthread_setname_np(pthread_self(), "pollster-sig");
  log_set_thread_name("pollster-sig");
  sigset_t set;
  signals_set(&set);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0 || sig == SIGUSR1)
      return NULL;
    s->fn(sig, s->ud);
  }
}

ps_status signals_start(signals *s, signals_fn fn, void *ud, ps_error *err) {
  s->fn = fn;
  s->ud = ud;
  int rc = pthread_create(&s->thread, NULL, signals_main, s);
  if (rc != 0)
    return ERROR_SET(err, PS_EINTERNAL, "signal thread: %s", strerror(rc));
  s->running = true;
  return PS_OK;
}

void signals_stop(signals *s) {
  if (!s->running)
    return;
  pthread_kill(s->thread, SIGUSR1);
  pthread_join(s->thread, NULL);
  s->running = false;
}
