# pollster daemon: SIGTERM during a long job exits 0 within the deadline,
# leaves no __staging and the live tables intact; the pidfile refuses a
# second daemon, a stale one (SIGKILL) does not block a restart, and it is
# removed on exit.
BUILD_DIR=${1:?build dir}
. "$(dirname "$0")/lib/daemon.bash"

load_sources
CFG="$WORK/pollster.yaml"
PIDF="$WORK/pollster.pid"
write_config "$CFG" "engine: { workers: 2, shutdown_deadline: 2s, pidfile: $PIDF }
jobs:
  project: { period: 1h }"

# A first run builds the live tables (fast), then the project job is made
# slow for the next daemon.
start_daemon d1 -c "$CFG" --id d1
D1=$DPID
wait_for 20 test -s "$PIDF" || fail "no pidfile"
[ "$(cat "$PIDF")" = "$D1" ] || fail "pidfile holds $(cat "$PIDF"), not $D1"
# Second daemon on the same pidfile: refused at once, exit 1, first unharmed.
"$POLLSTER" daemon --foreground -c "$CFG" > "$WORK/second.log" 2>&1 && fail "second daemon started"
grep -q "already running (pid $D1)" "$WORK/second.log" || fail "second daemon: $(cat "$WORK/second.log")"
[ "$(cat "$PIDF")" = "$D1" ] || fail "the refused daemon touched the pidfile"
done_all() { [ "$(runs "status = 'ok'")" -ge 11 ]; }
wait_for 30 done_all || fail "first runs did not complete"
# Stale pidfile: SIGKILL leaves it behind; a restart takes it over.
kill -KILL "$D1"; wait "$D1" 2>/dev/null || true
[ -f "$PIDF" ] || fail "pidfile vanished on SIGKILL?"
live_before=$(q "SELECT COUNT(*) FROM \`${PREFIX}_reporting\`.project")
[ "$live_before" -gt 0 ] || fail "no live project rows"

slow_projects 3000   # ~12 x 3000 rows at 0.5 ms: far longer than the deadline
start_daemon d2 -c "$CFG" --id d2
D2=$DPID
wait_for 20 grep -q "daemon d2 running" "$WORK/d2.log" || fail "restart over a stale pidfile failed"
[ "$(cat "$PIDF")" = "$D2" ] || fail "pidfile not rewritten"
# Wait until the project job is streaming into its staging table.
staging() { [ "$(q "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${PREFIX}_reporting_pollster' AND TABLE_NAME = 'project__staging'")" = 1 ]; }
wait_for 20 staging || fail "project never started"
sleep 1
t0=$SECONDS
kill -TERM "$D2"
wait "$D2"; rc=$?
took=$((SECONDS - t0))
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
# deadline 2 s + the cancel reaching the running query + the abort.
[ $took -le 6 ] || fail "took $took s to stop with a 2 s deadline"
grep -q "deadline (2 s) passed" "$WORK/d2.log" || fail "the deadline did not cancel the job"
[ "$(q "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME LIKE '%\_\_staging' AND TABLE_SCHEMA LIKE '${PREFIX}%'")" = 0 ] || fail "staging left"
[ "$(q "SELECT COUNT(*) FROM \`${PREFIX}_reporting\`.project")" = "$live_before" ] || fail "live project table changed"
check_only_contract
[ ! -e "$PIDF" ] || fail "pidfile not removed on exit"
[ "$(runs "job = 'project' AND status = 'PS_ECANCELED' AND daemon = 'd2'")" = 1 ] || fail "canceled run not recorded"

# Without --foreground: the command returns 0 once the detached daemon is
# ready; the pidfile names it; SIGTERM stops it and removes the pidfile.
q "DROP VIEW \`${PREFIX}_keystone\`.project; RENAME TABLE \`${PREFIX}_keystone\`.project_real TO \`${PREFIX}_keystone\`.project"
"$POLLSTER" daemon -c "$CFG" --id d3 > "$WORK/d3.log" 2>&1 || fail "detached start failed"
[ -s "$PIDF" ] || fail "no pidfile after a detached start"
D3=$(cat "$PIDF")
PIDS+=("$D3")
kill -0 "$D3" || fail "detached daemon not running"
[ "$(ps -o sid= -p "$D3" | tr -d ' ')" = "$D3" ] || fail "detached daemon is not a session leader"
kill -TERM "$D3"
gone() { ! kill -0 "$D3" 2>/dev/null; }
wait_for 15 gone || fail "detached daemon did not stop"
[ ! -e "$PIDF" ] || fail "pidfile left by the detached daemon"
check_sanitizers
echo "daemon_shutdown: OK (stopped in $took s)"
