#!/usr/bin/env bash
# Faults that need a MariaDB server of their own (ctest: bash server_faults.sh BUILD_DIR):
# the server stopped and restarted during `pollster run`, and max_allowed_packet
# lowered below a batch.  Runs the `private` suite of test_faults under a
# nested private harness; a server the test restarted is not the harness's own
# process, so it is stopped here by the pid its pid file names.
set -euo pipefail
build=$(cd "${1:?usage: server_faults.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
export POLLSTER_PRIVATE_SERVER=1
# shellcheck disable=SC2016
exec "$root/tests/harness/mariadb" bash -c '
  first=$(cat "$POLLSTER_TEST_PIDFILE")
  rc=0
  "$1" --verbose -j1 --filter "private/*" || rc=$?
  now=$(cat "$POLLSTER_TEST_PIDFILE" 2>/dev/null || true)
  if [ -n "$now" ] && [ "$now" != "$first" ] && kill -0 "$now" 2>/dev/null; then
    kill -TERM "$now" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$now" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$now" 2>/dev/null || true
  fi
  exit "$rc"
' server_faults "$build/test_faults"
