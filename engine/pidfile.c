#include "engine/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Open, lock, and only then write: the lock (held until exit) is what
 * refuses a second daemon, so a file left by a killed one is harmless.  The
 * inode check catches a file unlinked by its exiting owner between our
 * open and our lock. */
int pidfile_take(const char *path, ps_error *err) {
  for (int attempt = 0; attempt < 5; attempt++) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      ERROR_SET(err, PS_EIO, "pidfile %s: %s", path, strerror(errno));
      return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      char pid[32] = "?";
      ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
      pid[n > 0 ? n : 0] = '\0';
      pid[strcspn(pid, "\n")] = '\0';
      close(fd);
      if (e == EWOULDBLOCK)
        ERROR_SET(err, PS_EBUSY, "pidfile %s is locked: pollster is already running (pid %s)",
                  path, pid);
      else
        ERROR_SET(err, PS_EIO, "pidfile %s: lock: %s", path, strerror(e));
      return -1;
    }
    struct stat a, b;
    if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
      char pid[32];
      int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
      if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        ERROR_SET(err, PS_EIO, "pidfile %s: write: %s", path, strerror(errno));
        close(fd);
        return -1;
      }
      return fd;
    }
    close(fd); /* replaced or removed meanwhile: try the new one */
  }
  ERROR_SET(err, PS_EBUSY, "pidfile %s keeps changing under us", path);
  return -1;
}

/* Unlink while still holding the lock, so no one takes over a file that is
 * about to disappear. */
void pidfile_drop(const char *path, int fd) {
  if (fd < 0)
    return;
  unlink(path);
  close(fd);
}
