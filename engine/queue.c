#include "engine/queue.h"

#include <errno.h>
#include <string.h>

/* liburcu is not built with ThreadSanitizer, so TSan cannot see that a push
 * happens-before the pop of the same item (the enqueue is an inline xchg in
 * an uninstrumented library).  Tell it explicitly, keyed on the item. */
#if defined(__SANITIZE_THREAD__)
#define QUEUE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QUEUE_TSAN 1
#endif
#endif
#ifdef QUEUE_TSAN
#include <sanitizer/tsan_interface.h>
#define TSAN_RELEASE(p) __tsan_release(p)
#define TSAN_ACQUIRE(p) __tsan_acquire(p)
#else
#define TSAN_RELEASE(p) ((void)(p))
#define TSAN_ACQUIRE(p) ((void)(p))
#endif

ps_status queue_init(queue *q, ps_error *err) {
  cds_wfcq_init(&q->head, &q->tail);
  if (sem_init(&q->items, 0, 0) != 0) {
    int e = errno;
    cds_wfcq_destroy(&q->head, &q->tail);
    return ERROR_SET(err, PS_EINTERNAL, "queue: sem_init: %s", strerror(e));
  }
  return PS_OK;
}

void queue_destroy(queue *q) {
  if (!q)
    return;
  sem_destroy(&q->items);
  cds_wfcq_destroy(&q->head, &q->tail);
}

/* Lock-free: wfcq enqueue (wait-free xchg) then the semaphore post. */
void queue_push(queue *q, queue_item *item) {
  cds_wfcq_node_init(&item->node);
  TSAN_RELEASE(item);
  cds_wfcq_enqueue(&q->head, &q->tail, &item->node);
  sem_post(&q->items);
}

/* Called once the semaphore granted us one item: it is enqueued (the post
 * came after the xchg), so the dequeue, serialized by wfcq's dequeue mutex,
 * finds it; "blocking" only waits for a concurrent enqueuer's link store. */
static queue_item *claim(queue *q) {
  struct cds_wfcq_node *n = cds_wfcq_dequeue_blocking(&q->head, &q->tail);
  if (!n)
    return NULL; /* cannot happen while pushes and pops are paired */
  queue_item *item = caa_container_of(n, queue_item, node);
  TSAN_ACQUIRE(item);
  return item;
}

queue_item *queue_pop(queue *q) {
  while (sem_wait(&q->items) != 0) {
    /* EINTR: a signal handler ran in this thread; sleep again. */
  }
  return claim(q);
}

queue_item *queue_trypop(queue *q) {
  while (sem_trywait(&q->items) != 0) {
    if (errno != EINTR)
      return NULL; /* EAGAIN: empty */
  }
  return claim(q);
}

queue_item *queue_pop_until(queue *q, const struct timespec *deadline) {
  if (!deadline)
    return queue_pop(q);
  while (sem_clockwait(&q->items, CLOCK_MONOTONIC, deadline) != 0) {
    if (errno != EINTR)
      return NULL; /* ETIMEDOUT */
  }
  return claim(q);
}

queue_item *queue_pop_timed(queue *q, unsigned timeout_ms) {
  struct timespec d;
  clock_gettime(CLOCK_MONOTONIC, &d);
  d.tv_sec += timeout_ms / 1000;
  d.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (d.tv_nsec >= 1000000000L) {
    d.tv_sec++;
    d.tv_nsec -= 1000000000L;
  }
  return queue_pop_until(q, &d);
}
