#include "engine/worker.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/log.h"

typedef struct worker {
  worker_pool *pool;
  unsigned index;
  pthread_t thread;
} worker;

struct worker_pool {
  queue *q;          /* borrowed */
  unsigned n;        /* threads running */
  worker *w;         /* n entries */
  worker_item *poison; /* n entries, pushed by worker_pool_stop */
};

ps_status worker__spawn(pthread_t *t, void *(*fn)(void *), void *arg, ps_error *err) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(t, NULL, fn, arg);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0)
    return ERROR_SET(err, PS_EINTERNAL, "pthread_create: %s", strerror(rc));
  return PS_OK;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  char name[16];
  snprintf(name, sizeof name, "pollster-w%u", w->index);
  pthread_setname_np(pthread_self(), name);
  log_set_thread_name(name);
  for (;;) {
    worker_item *it = caa_container_of(queue_pop(w->pool->q), worker_item, qi);
    if (!it->run)
      break; /* our poison: nothing after it is ours */
    it->run(it);
  }
  return NULL;
}

worker_pool *worker_pool_start(queue *q, unsigned n, ps_error *err) {
  worker_pool *p = calloc(1, sizeof *p);
  if (!p || n == 0) {
    ERROR_SET(err, n == 0 ? PS_ECONFIG : PS_ENOMEM, "worker pool: %s",
              n == 0 ? "needs at least one worker" : "out of memory");
    goto fail;
  }
  p->q = q;
  p->w = calloc(n, sizeof *p->w);
  p->poison = calloc(n, sizeof *p->poison);
  if (!p->w || !p->poison) {
    ERROR_SET(err, PS_ENOMEM, "worker pool: out of memory for %u workers", n);
    goto fail;
  }
  for (unsigned i = 0; i < n; i++) {
    p->w[i].pool = p;
    p->w[i].index = i;
    if (worker__spawn(&p->w[i].thread, worker_main, &p->w[i], err) != PS_OK)
      goto fail;
    p->n++;
  }
  return p;
fail:
  worker_pool_stop(p);
  return NULL;
}

void worker_pool_stop(worker_pool *p) {
  if (!p)
    return;
  for (unsigned i = 0; i < p->n; i++)
    queue_push(p->q, &p->poison[i].qi);
  for (unsigned i = 0; i < p->n; i++)
    pthread_join(p->w[i].thread, NULL);
  free(p->poison);
  free(p->w);
  free(p);
}
