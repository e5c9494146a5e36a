/* queue: the lock-free MPMC job queue between the scheduler and the workers
 * (and, as the scheduler's inbox, between the workers and the scheduler).
 *
 * DESIGN
 *   Built on liburcu's wfcqueue (wait-free concurrent queue).  Why wfcqueue
 *   and not rculfqueue: rculfqueue dequeues inside an RCU read-side critical
 *   section and a dequeued node may not be reused or freed before a grace
 *   period (call_rcu), so every thread must be RCU-registered and items could
 *   not be handed straight on; our items are embedded in caller-owned structs
 *   that are re-enqueued at once (a work item goes from the job queue back to
 *   the scheduler's inbox).  wfcqueue has a wait-free enqueue (one xchg and a
 *   store, never blocks, safe from any thread) and a dequeue that needs
 *   mutual exclusion between consumers: cds_wfcq_dequeue_blocking() holds the
 *   queue's own dequeue mutex for an O(1) pointer swing, never while sleeping.
 *
 *   Wake-up: a POSIX semaphore counts the items that are fully enqueued.  A
 *   producer enqueues, then sem_post()s; a consumer sem_wait()s, then
 *   dequeues, so a consumer that got past the semaphore always finds an item.
 *   glibc's semaphore is a futex with a waiter count: post and wait are a
 *   single atomic operation when nobody sleeps and a futex syscall only when
 *   somebody must sleep or be woken.  An idle consumer sleeps in the kernel
 *   (no spinning: ~0% CPU) and a push wakes exactly one sleeper.
 *
 *   Producers: any thread.  Consumers: any thread.  Ordering: FIFO (pushes
 *   from one thread are popped in that order; pushes from different threads
 *   are linearized by the enqueue xchg).  Shutdown: the owner pushes one
 *   poison item per consumer after the data; FIFO means every data item
 *   pushed before the poisons is popped before any poison is.  The queue
 *   itself has no "closed" flag to race on.
 *
 *   Items embed a queue_item and are recovered with caa_container_of().  An
 *   item may be in at most one queue at a time; the queue never owns, copies
 *   or frees items. */
#ifndef POLLSTER_QUEUE_H
#define POLLSTER_QUEUE_H

#include <semaphore.h>
#include <stdbool.h>
#include <time.h>
#include <urcu/compiler.h> /* caa_container_of */
#include <urcu/wfcqueue.h>

#include "engine/status.h"

typedef struct queue_item {
  struct cds_wfcq_node node;
} queue_item;

typedef struct queue {
  struct cds_wfcq_head head;
  struct cds_wfcq_tail tail;
  sem_t items; /* number of items enqueued and not yet claimed by a consumer */
} queue;

/* Initialize an empty queue in caller-owned storage. */
ps_status queue_init(queue *q, ps_error *err);
/* Release the queue's resources.  No thread may use it any more; items still
 * in it are simply forgotten (they belong to their owners).  NULL is fine. */
void queue_destroy(queue *q);

/* Append `item` (borrowed: the caller keeps ownership, and the item must stay
 * alive and untouched until a consumer pops it).  Wait-free apart from the
 * futex wake when a consumer sleeps; async-signal-safe in practice. */
void queue_push(queue *q, queue_item *item);

/* Pop the oldest item, sleeping while the queue is empty. */
queue_item *queue_pop(queue *q);
/* Pop without sleeping; NULL when empty. */
queue_item *queue_trypop(queue *q);
/* Pop, sleeping at most until `deadline` (CLOCK_MONOTONIC, absolute; NULL =
 * no limit).  NULL when the deadline passed with the queue still empty. */
queue_item *queue_pop_until(queue *q, const struct timespec *deadline);
/* Same with a relative timeout in milliseconds. */
queue_item *queue_pop_timed(queue *q, unsigned timeout_ms);

#endif
