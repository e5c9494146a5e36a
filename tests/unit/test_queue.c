/* The job queue: no item lost or duplicated under 4x4 contention, sleeping
 * consumers are woken by a push, poison-after-data shutdown, and an idle
 * consumer burns no CPU. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "engine/queue.h"
#include "tsan_criterion.h"

typedef struct item {
  queue_item qi;
  size_t id;
  bool poison;
} item;

static double now_s(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- 4 producers, 4 consumers, 1,000,000 items ---- */

#define N_ITEMS 1000000u
#define N_PROD 4u
#define N_CONS 4u

typedef struct mpmc {
  queue q;
  item *items;
  _Atomic unsigned char *seen;
  _Atomic size_t dupes, consumed;
  unsigned next_prod;
  _Atomic unsigned prod_id;
} mpmc;

static void *producer(void *arg) {
  mpmc *m = arg;
  unsigned p = atomic_fetch_add(&m->prod_id, 1);
  for (size_t i = p; i < N_ITEMS; i += N_PROD)
    queue_push(&m->q, &m->items[i].qi);
  return NULL;
}

static void *consumer(void *arg) {
  mpmc *m = arg;
  size_t mine = 0;
  for (;;) {
    item *it = caa_container_of(queue_pop(&m->q), item, qi);
    if (it->poison)
      break;
    if (atomic_fetch_add(&m->seen[it->id], 1) != 0)
      atomic_fetch_add(&m->dupes, 1);
    mine++;
  }
  atomic_fetch_add(&m->consumed, mine);
  return NULL;
}

Test(queue, four_by_four_million_items_none_lost_or_duplicated, .timeout = 300) {
  static mpmc m;
  cr_assert_eq(queue_init(&m.q, NULL), PS_OK);
  m.items = calloc(N_ITEMS, sizeof *m.items);
  m.seen = calloc(N_ITEMS, sizeof *m.seen);
  cr_assert(m.items && m.seen);
  for (size_t i = 0; i < N_ITEMS; i++)
    m.items[i].id = i;
  item poison[N_CONS] = {0};
  pthread_t prod[N_PROD], cons[N_CONS];
  for (unsigned i = 0; i < N_CONS; i++)
    cr_assert_eq(pthread_create(&cons[i], NULL, consumer, &m), 0);
  for (unsigned i = 0; i < N_PROD; i++)
    cr_assert_eq(pthread_create(&prod[i], NULL, producer, &m), 0);
  for (unsigned i = 0; i < N_PROD; i++)
    pthread_join(prod[i], NULL);
  /* Poison after all data: each consumer stops only once the data is gone. */
  for (unsigned i = 0; i < N_CONS; i++) {
    poison[i].poison = true;
    queue_push(&m.q, &poison[i].qi);
  }
  for (unsigned i = 0; i < N_CONS; i++)
    pthread_join(cons[i], NULL);
  cr_assert_eq(atomic_load(&m.dupes), 0);
  cr_assert_eq(atomic_load(&m.consumed), N_ITEMS);
  size_t missing = 0;
  for (size_t i = 0; i < N_ITEMS; i++)
    missing += atomic_load(&m.seen[i]) != 1;
  cr_assert_eq(missing, 0, "%zu items not seen exactly once", missing);
  cr_assert_null(queue_trypop(&m.q), "queue not empty after shutdown");
  queue_destroy(&m.q);
  free(m.items);
  free((void *)m.seen);
}

/* ---- FIFO, trypop, timed pop ---- */

Test(queue, fifo_from_one_producer_and_timeouts) {
  queue q;
  cr_assert_eq(queue_init(&q, NULL), PS_OK);
  cr_assert_null(queue_trypop(&q));
  double t0 = now_s(CLOCK_MONOTONIC);
  cr_assert_null(queue_pop_timed(&q, 50));
  double waited = now_s(CLOCK_MONOTONIC) - t0;
  cr_assert(waited >= 0.045 && waited < 1.0, "timed pop waited %.3f s", waited);
  item it[5];
  for (size_t i = 0; i < 5; i++) {
    it[i].id = i;
    queue_push(&q, &it[i].qi);
  }
  for (size_t i = 0; i < 5; i++) {
    queue_item *qi = i % 2 ? queue_trypop(&q) : queue_pop_timed(&q, 1000);
    cr_assert_not_null(qi);
    cr_assert_eq(caa_container_of(qi, item, qi)->id, i);
  }
  cr_assert_null(queue_trypop(&q));
  queue_destroy(&q);
}

/* ---- sleeping consumers are woken by a push ---- */

typedef struct wake {
  queue q;
  _Atomic int woken;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} wake;

static void *sleeper(void *arg) {
  wake *w = arg;
  queue_item *qi = queue_pop(&w->q);
  (void)qi;
  pthread_mutex_lock(&w->mu);
  atomic_fetch_add(&w->woken, 1);
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

Test(queue, blocked_consumers_are_woken_by_push, .timeout = 30) {
  static wake w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  cr_assert_eq(queue_init(&w.q, NULL), PS_OK);
  pthread_t t[N_CONS];
  for (unsigned i = 0; i < N_CONS; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, sleeper, &w), 0);
  struct timespec nap = {0, 100 * 1000000L};
  nanosleep(&nap, NULL); /* let them all fall asleep on the empty queue */
  cr_assert_eq(atomic_load(&w.woken), 0);
  item it[N_CONS];
  double t0 = now_s(CLOCK_MONOTONIC);
  for (unsigned i = 0; i < N_CONS; i++)
    queue_push(&w.q, &it[i].qi);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 5;
  pthread_mutex_lock(&w.mu);
  while (atomic_load(&w.woken) < (int)N_CONS)
    if (pthread_cond_timedwait(&w.cv, &w.mu, &deadline) != 0)
      break;
  pthread_mutex_unlock(&w.mu);
  double latency = now_s(CLOCK_MONOTONIC) - t0;
  cr_assert_eq(atomic_load(&w.woken), (int)N_CONS, "only %d of %u sleepers woke",
               atomic_load(&w.woken), N_CONS);
  cr_assert(latency < 1.0, "wake-up took %.3f s", latency);
  for (unsigned i = 0; i < N_CONS; i++)
    pthread_join(t[i], NULL);
  queue_destroy(&w.q);
}

/* ---- an idle consumer does not spin ---- */

typedef struct idle {
  queue q;
  _Atomic double cpu_s;
} idle;

static void *idle_consumer(void *arg) {
  idle *d = arg;
  double c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
  queue_item *qi = queue_pop(&d->q); /* the only item comes after ~300 ms */
  atomic_store(&d->cpu_s, now_s(CLOCK_THREAD_CPUTIME_ID) - c0);
  (void)qi;
  return NULL;
}

Test(queue, idle_consumer_uses_no_cpu) {
  static idle d;
  cr_assert_eq(queue_init(&d.q, NULL), PS_OK);
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, idle_consumer, &d), 0);
  struct timespec nap = {0, 300 * 1000000L};
  nanosleep(&nap, NULL);
  item it;
  queue_push(&d.q, &it.qi);
  pthread_join(t, NULL);
  double cpu = atomic_load(&d.cpu_s);
  /* A spinning consumer would burn ~0.3 s; a sleeping one well under 10 ms. */
  cr_assert(cpu < 0.02, "idle consumer used %.4f s of CPU in 300 ms", cpu);
  queue_destroy(&d.q);
}

/* ---- shutdown with items in flight ---- */

typedef struct drain {
  queue q;
  item *items;
  _Atomic size_t popped;
  _Atomic size_t data_after_poison; /* data popped by anyone after some poison */
  _Atomic bool poison_seen;
} drain;

static void *drainer(void *arg) {
  drain *d = arg;
  for (;;) {
    item *it = caa_container_of(queue_pop(&d->q), item, qi);
    if (it->poison) {
      atomic_store(&d->poison_seen, true);
      break;
    }
    if (atomic_load(&d->poison_seen))
      atomic_fetch_add(&d->data_after_poison, 1);
    atomic_fetch_add(&d->popped, 1);
  }
  return NULL;
}

Test(queue, poison_after_data_lets_consumers_drain_everything, .timeout = 60) {
  enum { N = 200000 };
  static drain d;
  cr_assert_eq(queue_init(&d.q, NULL), PS_OK);
  d.items = calloc(N, sizeof *d.items);
  item poison[N_CONS] = {0};
  pthread_t t[N_CONS];
  for (unsigned i = 0; i < N_CONS; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, drainer, &d), 0);
  /* Data and poison pushed back to back while consumers are busy. */
  for (size_t i = 0; i < N; i++)
    queue_push(&d.q, &d.items[i].qi);
  for (unsigned i = 0; i < N_CONS; i++) {
    poison[i].poison = true;
    queue_push(&d.q, &poison[i].qi);
  }
  for (unsigned i = 0; i < N_CONS; i++)
    pthread_join(t[i], NULL);
  cr_assert_eq(atomic_load(&d.popped), (size_t)N);
  /* FIFO: once a poison was popped no data was left to pop.  A consumer may
   * still have been between its pop and its check of poison_seen, so allow
   * at most one straggler per other consumer. */
  cr_assert(atomic_load(&d.data_after_poison) < N_CONS);
  cr_assert_null(queue_trypop(&d.q));
  queue_destroy(&d.q);
  free(d.items);
}
