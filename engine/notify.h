/* notify: systemd's readiness protocol (sd_notify) without libsystemd: one
 * datagram per message to $NOTIFY_SOCKET.  A notifier is filled once by the
 * main thread and then only read, so any thread may send through it. */
#ifndef POLLSTER_NOTIFY_H
#define POLLSTER_NOTIFY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

typedef struct notifier {
  struct sockaddr_un addr;
  socklen_t len;          /* 0: not under systemd */
  uint64_t watchdog_usec; /* 0: no watchdog */
} notifier;

/* From NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. */
void notify_init(notifier *n);
/* "READY=1", "WATCHDOG=1", "RELOADING=1", "STOPPING=1", ...  Errors are
 * ignored (systemd may be gone); a no-op when not under systemd. */
void notify_send(const notifier *n, const char *msg);

#endif
