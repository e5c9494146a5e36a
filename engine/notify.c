#include "engine/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/log.h"

void notify_init(notifier *n) {
  memset(n, 0, sizeof *n);
  const char *path = getenv("NOTIFY_SOCKET");
  size_t len = path ? strlen(path) : 0;
  if (len > 0 && len < sizeof n->addr.sun_path && (path[0] == '/' || path[0] == '@')) {
    n->addr.sun_family = AF_UNIX;
    memcpy(n->addr.sun_path, path, len);
    if (path[0] == '@')
      n->addr.sun_path[0] = '\0'; /* abstract namespace */
    n->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  }
  const char *wd = getenv("WATCHDOG_USEC"), *wpid = getenv("WATCHDOG_PID");
  if (wd && (!wpid || atol(wpid) == (long)getpid()))
    n->watchdog_usec = strtoull(wd, NULL, 10);
}

/* One datagram per message; errors are ignored (systemd may be gone). */
void notify_send(const notifier *n, const char *msg) {
  if (!n->len)
    return;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *)&n->addr, n->len) < 0)
    log_debug("sd_notify %s: %s", msg, strerror(errno));
  close(fd);
}
