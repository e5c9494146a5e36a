/* Include once in a Criterion suite that must also run under TSan.
 *
 * Why: Criterion's BoxFort places its inheritable arena with
 * mmap(MAP_SHARED|MAP_FIXED) at a random address in 0x2000_0000_0000 ..
 * 0x7f00_0000_0000 after probing it with mincore().  Under ThreadSanitizer
 * almost all of that range is TSan's shadow (probes say "mapped", three
 * tries, "Could not initialize inheritable arena: Resource temporarily
 * unavailable") and a MAP_FIXED outside application memory is refused
 * (Snaipe/Criterion#274).  These overrides, compiled only under TSan, let
 * the probe pass and move that one shared mapping into TSan's high
 * application range (from 0x7e80_0000_0000), which BoxFort still accepts.
 * Everything else goes to TSan's own interceptors unchanged.  Not
 * instrumented: they run while TSan initializes. */
#ifndef POLLSTER_TSAN_CRITERION_H
#define POLLSTER_TSAN_CRITERION_H

#if defined(__SANITIZE_THREAD__)
#define TSAN_CRITERION 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN_CRITERION 1
#endif
#endif

#ifdef TSAN_CRITERION
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TSAN_APP_HIGH 0x7e8000000000ULL

void *__interceptor_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

static int tsan_criterion_arena_range(uintptr_t a) {
  return a >= 0x200000000000ULL && a < TSAN_APP_HIGH;
}

__attribute__((no_sanitize("thread"))) int mincore(void *addr, size_t len, unsigned char *vec) {
  if (tsan_criterion_arena_range((uintptr_t)addr)) {
    errno = ENOMEM; /* "not mapped": BoxFort may try it */
    return -1;
  }
  return (int)syscall(SYS_mincore, addr, len, vec);
}

__attribute__((no_sanitize("thread"))) void *mmap(void *addr, size_t len, int prot, int flags,
                                                  int fd, off_t off) {
  uintptr_t a = (uintptr_t)addr;
  if ((flags & MAP_FIXED) && (flags & MAP_SHARED) && fd >= 0 && tsan_criterion_arena_range(a)) {
    uintptr_t moved = TSAN_APP_HIGH + (a & 0x3fffff000000ULL) % 0x7000000000ULL;
    return __interceptor_mmap((void *)moved, len, prot, (flags & ~MAP_FIXED) | MAP_FIXED_NOREPLACE,
                              fd, off);
  }
  return __interceptor_mmap(addr, len, prot, flags, fd, off);
}

__attribute__((no_sanitize("thread"))) void *mmap64(void *addr, size_t len, int prot, int flags,
                                                    int fd, off_t off) {
  return mmap(addr, len, prot, flags, fd, off);
}
#endif

#endif
