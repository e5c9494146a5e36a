/* pidfile: the daemon's pid file, created and locked (flock) so that a
 * second daemon with the same file refuses to start while a file left by a
 * killed daemon does not block a restart (its lock died with it). */
#ifndef POLLSTER_PIDFILE_H
#define POLLSTER_PIDFILE_H

#include "engine/status.h"

/* Take `path` (borrowed): returns the locked descriptor (keep it open until
 * exit), or -1 with err set (PS_EBUSY naming the running pid). */
int pidfile_take(const char *path, ps_error *err);
/* Remove the file while still holding the lock, then close.  fd < 0: no-op. */
void pidfile_drop(const char *path, int fd);

#endif
