#!/usr/bin/env bash
# The server stopped and restarted during a daemon's life: the daemon stays
# up while it is gone (its runs fail and are recorded when possible), and
# carries on once it is back: every job succeeds again, the reporting schema
# holds only the contract's tables, SIGTERM still exits 0.  The test needs a
# server of its own, so it runs itself under a nested private harness.
set -euo pipefail
BUILD_DIR=$(cd "${1:?build dir}" && pwd)
if [ "${POLLSTER_RESTART_INNER:-0}" != 1 ]; then
  export POLLSTER_RESTART_INNER=1
  exec "$(dirname "$0")/../harness/mariadb" bash "$0" "$BUILD_DIR"
fi
. "$(dirname "$0")/lib/daemon.bash"

FIRST=$(cat "$POLLSTER_TEST_PIDFILE")
# The restarted server is not the harness's process: stop it ourselves, after
# the schemas are dropped.
stop_restarted() {
  cleanup
  local now
  now=$(cat "$POLLSTER_TEST_PIDFILE" 2>/dev/null || true)
  if [ -n "$now" ] && [ "$now" != "$FIRST" ] && kill -0 "$now" 2>/dev/null; then
    kill -TERM "$now"
    for _ in $(seq 1 300); do kill -0 "$now" 2>/dev/null || break; sleep 0.1; done
  fi
}
trap stop_restarted EXIT

load_sources
CFG="$WORK/pollster.yaml"
write_config "$CFG" "engine: { workers: 2, retries: 1, retry_backoff: 200ms, acquire_timeout: 5s, lease_ttl: 3s, shutdown_deadline: 5s }
jobs:
  aggregate: { period: 2s }
  hypervisor: { period: 2s }
  instance: { period: 2s }
  historical_usage: { period: 2s }
  project: { period: 2s }
  user: { period: 2s }
  role: { period: 2s }
  flavour: { period: 2s }
  volume: { period: 2s }
  image: { period: 2s }
  allocation: { period: 2s }"
sed -i 's/pool_size: 8 }/pool_size: 8, connect_timeout: 2s, read_timeout: 10s }/' "$CFG"

ST="\`${PREFIX}_reporting_pollster\`.job_run"
jobs_ok_since() { # jobs with a successful run started at or after $1
  q "SELECT COUNT(DISTINCT job) FROM $ST WHERE status = 'ok' AND started >= '$1'" 2>/dev/null || echo 0
}
all_ok_since() { [ "$(jobs_ok_since "$1")" -ge 11 ]; }

start_daemon d1 -c "$CFG" --id d1
D1=$DPID
wait_for 60 all_ok_since 1970-01-01 || fail "not every job ran before the restart"

# Stop the server as an operator would, keep it down a few seconds, start it
# again with the same command line.
pid=$(cat "$POLLSTER_TEST_PIDFILE")
mapfile -d '' -t cmd < "/proc/$pid/cmdline"
kill -TERM "$pid"
for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null || fail "the server did not stop"
sleep 4
kill -0 "$D1" 2>/dev/null || fail "the daemon died while the server was down"
setsid "${cmd[@]}" </dev/null >/dev/null 2>&1 &
wait_for 60 q "SELECT 1" >/dev/null 2>&1 || fail "the server did not come back"
BACK=$(q "SELECT UTC_TIMESTAMP()")

# It carries on: every job succeeds again after the restart.
wait_for 90 all_ok_since "$BACK" ||
  fail "after the restart only $(jobs_ok_since "$BACK") jobs succeeded: $(q "SELECT job, status, error FROM $ST WHERE started >= '$BACK' ORDER BY id DESC LIMIT 5")"
kill -0 "$D1" 2>/dev/null || fail "the daemon exited"
check_only_contract
kill -TERM "$D1"
wait "$D1" || fail "daemon exit status $?"
[ "$(q "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${PREFIX}_reporting_pollster' AND TABLE_NAME LIKE '%\\_\\_staging'")" = 0 ] ||
  fail "staging tables left behind"
check_sanitizers
echo "daemon_server_restart: ok (server down ~4 s; every job succeeded again after it came back)"
