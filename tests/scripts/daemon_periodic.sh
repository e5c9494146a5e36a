# pollster daemon, one process: jobs run repeatedly and in dependency order,
# job_run records every run, the reporting schema holds only the contract's
# tables throughout, the metrics file is valid Prometheus text, `status`
# reports, SIGHUP with an invalid then a valid config, SIGTERM exits 0.
BUILD_DIR=${1:?build dir}
. "$(dirname "$0")/lib/daemon.bash"

load_sources
CFG="$WORK/pollster.yaml"
METRICS="$WORK/pollster.prom"
write_config "$CFG" "engine: { workers: 2, lease_ttl: 3s, shutdown_deadline: 5s, metrics_file: $METRICS }
jobs:
  project: { period: 2s }
  instance: { period: 2s, mode: incremental, full_every: 4s }
  aggregate: { period: 3s }
  hypervisor: { period: 3s }
  historical_usage: { period: 3s }
  user: { period: 3s }
  role: { period: 3s }
  flavour: { period: 3s }
  volume: { period: 3s }
  image: { period: 3s }
  allocation: { period: 3s }"

# A stand-in for systemd's notification socket: every datagram, one a line.
NOTIFY="$WORK/notify.sock"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w") as out:
    while True:
        out.write(s.recv(4096).decode() + "\n"); out.flush()
' "$NOTIFY" "$WORK/notify.txt" &
PIDS+=($!)
wait_for 5 test -S "$NOTIFY" || fail "notify listener"
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=1000000 start_daemon d1 -c "$CFG" --id d1
D1=$DPID
# Every enabled job (all 11) runs at least twice; check the schema meanwhile.
for _ in $(seq 1 150); do
  kill -0 "$D1" 2>/dev/null || fail "daemon exited"
  [ -n "$(q "SHOW DATABASES LIKE '${PREFIX}_reporting'")" ] && check_only_contract
  [ "$(runs "1" )" -ge 1 ] && [ "$(q "SELECT COUNT(*) FROM (SELECT job FROM \`${PREFIX}_reporting_pollster\`.job_run
        WHERE status = 'ok' GROUP BY job HAVING COUNT(*) >= 2) x" 2>/dev/null)" -ge 11 ] && break
  sleep 0.2
done
ST="\`${PREFIX}_reporting_pollster\`.job_run"
[ "$(q "SELECT COUNT(*) FROM (SELECT job FROM $ST WHERE status = 'ok' GROUP BY job HAVING COUNT(*) >= 2) x")" -ge 11 ] || fail "not every job ran twice: $(q "SELECT job, COUNT(*) FROM $ST GROUP BY job")"
[ "$(q "SELECT COUNT(*) FROM $ST WHERE status <> 'ok'")" = 0 ] || fail "failed runs: $(q "SELECT job, error FROM $ST WHERE status <> 'ok'")"
project3() { [ "$(runs "job = 'project'")" -ge 3 ]; }
wait_for 10 project3 || fail "project (2 s) did not repeat"
# The period is kept: due every 2 s (a start may lag its due time while
# dependencies run, so two starts may be a little closer).
gap=$(q "SELECT MIN(TIMESTAMPDIFF(MICROSECOND, a.started, b.started)) FROM $ST a JOIN $ST b ON a.job = b.job AND b.id = (SELECT MIN(id) FROM $ST c WHERE c.job = a.job AND c.id > a.id) WHERE a.job = 'project'")
[ "$gap" -ge 1000000 ] || fail "project runs only $gap us apart with period 2s"

# Dependency order: every instance run started after an aggregate run that
# ended before it... the first instance run follows the first aggregate run.
first_agg_end=$(q "SELECT MIN(finished) FROM $ST WHERE job = 'aggregate'")
first_inst_start=$(q "SELECT MIN(started) FROM $ST WHERE job = 'instance'")
[[ "$first_inst_start" > "$first_agg_end" ]] || fail "instance started ($first_inst_start) before aggregate ended ($first_agg_end)"
# No job ever overlaps itself.
ov=$(q "SELECT COUNT(*) FROM $ST a JOIN $ST b ON a.job = b.job AND a.id < b.id AND b.started < a.finished AND a.started < b.finished")
[ "$ov" = 0 ] || fail "$ov overlapping runs"
# full_every: instance runs both incremental and full.
[ "$(q "SELECT COUNT(DISTINCT mode) FROM $ST WHERE job = 'instance'")" = 2 ] ||
  echo "note: instance modes: $(q "SELECT mode, COUNT(*) FROM $ST WHERE job = 'instance' GROUP BY mode")"
[ "$(q "SELECT COUNT(*) FROM $ST WHERE job = 'instance' AND mode = 'full'")" -ge 1 ] || fail "instance never ran full"
[ "$(q "SELECT COUNT(DISTINCT daemon) FROM $ST")" = 1 ] || fail "daemon id"
check_only_contract
[ "$(q "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${PREFIX}_reporting_pollster' AND TABLE_NAME IN ('job_run','job_lease')")" = 2 ] || fail "state tables missing"

# Metrics file: Prometheus text format (HELP/TYPE before samples, one TYPE
# per family, samples `name{job="..."} number`), every job present.
[ -f "$METRICS" ] || fail "no metrics file"
awk '
  /^# HELP [a-z_]+ .+$/ { help[$3] = 1; next }
  /^# TYPE [a-z_]+ (gauge|counter)$/ { if ($3 in type) { print "dup TYPE " $3; bad = 1 } type[$3] = 1; next }
  /^[a-z_]+\{job="[a-z_]+"\} [0-9.eE+-]+$/ {
    name = $0; sub(/\{.*/, "", name)
    if (!(name in type) || !(name in help)) { print "sample before HELP/TYPE: " $0; bad = 1 }
    if (name == "pollster_job_runs_total") jobs++
    next }
  { print "bad line: " $0; bad = 1 }
  END { if (jobs < 11) { print "jobs in metrics: " jobs; bad = 1 } exit bad }' "$METRICS" || fail "metrics file does not parse"

# status
"$POLLSTER" status -c "$CFG" > "$WORK/status.out" || fail "status failed"
grep -q '^project ' "$WORK/status.out" || fail "status lacks project: $(cat "$WORK/status.out")"

# SIGHUP, invalid config: logged with FILE:LINE:COLUMN, old config stays.
cp "$CFG" "$WORK/good.yaml"
printf 'engine: { workers: zero }\n' >> "$CFG"
kill -HUP "$D1"
wait_for 5 grep -q "reload refused.*pollster.yaml:[0-9]*:[0-9]*:" "$WORK/d1.log" || fail "invalid reload not reported"
kill -0 "$D1" || fail "daemon died on an invalid reload"
# SIGHUP, valid config: project every 1 s, aggregate disabled.
write_config "$CFG" "engine: { workers: 2, lease_ttl: 3s, shutdown_deadline: 5s, metrics_file: $METRICS }
jobs:
  project: { period: 1s }"
kill -HUP "$D1"
wait_for 15 grep -q "config reloaded" "$WORK/d1.log" || fail "valid reload not applied"
t0=$(q "SELECT NOW(6)")
sleep 4
n=$(runs "job = 'project' AND started > '$t0'")
[ "$n" -ge 3 ] || fail "project ran $n times in 4 s after the reload to period 1s"
check_only_contract

# SIGTERM: exit 0, no staging left.
kill -TERM "$D1"
wait "$D1"; rc=$?
[ $rc = 0 ] || fail "daemon exit status $rc"
[ "$(q "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME LIKE '%\_\_staging' AND TABLE_SCHEMA LIKE '${PREFIX}%'")" = 0 ] || fail "staging left"
check_only_contract
# sd_notify: READY, watchdog pings (every 0.5 s here), RELOADING, STOPPING.
for m in READY=1 WATCHDOG=1 RELOADING=1 STOPPING=1; do
  grep -qx "$m" "$WORK/notify.txt" || fail "no $m notification: $(sort "$WORK/notify.txt" | uniq -c)"
done
[ "$(grep -cx WATCHDOG=1 "$WORK/notify.txt")" -ge 10 ] || fail "too few watchdog pings"
check_sanitizers
echo "daemon_periodic: OK ($(runs) runs)"
