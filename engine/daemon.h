/* daemon: `pollster daemon` -- the scheduler in periodic mode, forever.
 *
 * DESIGN
 *   Threads: main runs daemon_run: it builds a "generation" (config, pools,
 *   run context, scheduler in periodic mode), then sleeps on a condition
 *   variable until the signal thread asks for a stop or hands it a new
 *   config.  The signal thread (pollster-sig) takes SIGTERM/SIGINT/SIGHUP
 *   with sigwait (every thread blocks them: main.c sets the mask first) and
 *   parses a reloaded config itself, so an invalid file is reported at once
 *   with its FILE:LINE:COLUMN and nothing else changes.  The scheduler
 *   thread runs the hooks: lease acquire before a run, job_run row + lease
 *   release + metrics after it, lease renewal and the systemd watchdog ping
 *   every tick (min(lease_ttl/3, WatchdogSec/2)); the hooks' one connection
 *   and per-job bookkeeping belong to that thread alone.
 *   Reload (SIGHUP, valid file): the new generation is built first (pools,
 *   servers answer, schema synced); if that fails the old one keeps
 *   running.  Then the old scheduler is drained (running jobs finish, no new
 *   ones start), destroyed, and the new one starts; a job's next run stays
 *   one (new) period after its last start.  So the new config takes effect
 *   at the next dispatch after the running jobs ended.
 *   Stop (SIGTERM/SIGINT): no new runs; running jobs get
 *   engine.shutdown_deadline to finish, then are canceled (their abort drops
 *   the staging tables; live tables are never touched by an abort); exit 0.
 *   A second signal cancels at once.
 *   Several daemons: each run holds the job's lease (loaders/history.h),
 *   renewed every tick; a lost renewal cancels that run.  A daemon whose
 *   lease request is refused skips that period (another daemon runs it).
 *   Pidfile: opened, flock'ed (LOCK_EX|LOCK_NB) and then written, so a live
 *   daemon's lock refuses a second one while a file left by a killed one
 *   (no lock) is simply taken over; removed on exit.
 *   systemd: READY=1 once the first generation runs, RELOADING=1/READY=1
 *   around a reload, STOPPING=1, WATCHDOG=1 -- datagrams to $NOTIFY_SOCKET. */
#ifndef POLLSTER_DAEMON_H
#define POLLSTER_DAEMON_H

#include <stdbool.h>

#include "engine/config.h"
#include "engine/status.h"

typedef struct daemon_opts {
  const char *config_path;       /* borrowed */
  const char *pidfile;           /* overrides engine.pidfile; NULL = the config's */
  const char *schema_path;       /* NULL = default search */
  const char *id;                /* daemon id; NULL = "hostname:pid" */
  const config_job_spec *specs;  /* the job catalogue, for reloads; borrowed */
  size_t n_specs;
  int ready_fd;                  /* >= 0: write one byte there when ready, then close it
                                  * (the parent of a detached daemon waits on it) */
} daemon_opts;

/* Run until SIGTERM/SIGINT.  `cfg` (takes ownership) is the loaded config.
 * PS_OK after a graceful stop; otherwise the start-up failure (pidfile
 * locked: PS_EBUSY; servers unreachable; ...) with err set.  Call from the
 * main thread, with SIGTERM/SIGINT/SIGHUP/SIGUSR1 blocked in every thread. */
ps_status daemon_run(const daemon_opts *o, config *cfg, ps_error *err);

/* Fork into the background (setsid, stdin from /dev/null; stderr stays for
 * logs).  In the parent: waits until the child is ready (returns through
 * exit(0)) or exits 1 when the child died first.  In the child: returns the
 * fd to pass as ready_fd.  Call before any thread starts. */
int daemon_detach(void);

#endif
