/* worker: the pool of threads that run work items popped from a queue.
 *
 * DESIGN
 *   Producers: whoever owns the queue (the scheduler) pushes worker_items.
 *   Consumers: N threads named pollster-w0 .. pollster-w<N-1>.  Each pops an
 *   item and calls item->run(item); what "run" means, and how completion is
 *   reported, belongs to the producer (the scheduler's items post themselves
 *   back to its inbox).  The pool knows nothing of jobs.
 *   Signals: every pool thread is created with all signals blocked, so
 *   SIGTERM/SIGINT/SIGHUP go to the one thread that waits for them.
 *   Shutdown: worker_pool_stop() pushes one poison item (run == NULL) per
 *   worker after whatever is already queued and joins them: FIFO order means
 *   queued work is taken before the poison, and each worker exits on the
 *   first poison it pops, so each poison stops exactly one worker. */
#ifndef POLLSTER_WORKER_H
#define POLLSTER_WORKER_H

#include <pthread.h>

#include "engine/queue.h"
#include "engine/status.h"

typedef struct worker_item {
  queue_item qi;
  /* Runs on a worker thread; the item belongs to its producer, and run()
   * must not touch it after handing it on.  NULL marks a poison item. */
  void (*run)(struct worker_item *self);
} worker_item;

typedef struct worker_pool worker_pool;

/* Start n >= 1 workers consuming `q` (borrowed: must outlive the pool).
 * Returns NULL with *err filled on failure (no thread left running). */
worker_pool *worker_pool_start(queue *q, unsigned n, ps_error *err);
/* Stop (poison per worker, then join) and free.  NULL is fine. */
void worker_pool_stop(worker_pool *p);

/* Internal to engine/: create a thread with every signal blocked (the mask
 * is inherited, so no signal can land in it before it could block them). */
ps_status worker__spawn(pthread_t *t, void *(*fn)(void *), void *arg, ps_error *err);

#endif
