# Two pollster daemons on one reporting database: no job ever overlaps
# itself (job_run intervals), both do work; after a SIGKILL the survivor
# takes the dead daemon's jobs over once their leases expired.
BUILD_DIR=${1:?build dir}
. "$(dirname "$0")/lib/daemon.bash"

load_sources
slow_projects 200   # project runs take a second or so
CFG="$WORK/pollster.yaml"
jobs="jobs:"
for j in aggregate hypervisor instance historical_usage project user role flavour volume image allocation; do
  jobs+=$'\n'"  $j: { period: 2s }"
done
write_config "$CFG" "engine: { workers: 2, lease_ttl: 3s, shutdown_deadline: 5s }
$jobs"
ST="\`${PREFIX}_reporting_pollster\`.job_run"
LT="\`${PREFIX}_reporting_pollster\`.job_lease"

start_daemon a -c "$CFG" --id A; A=$DPID
start_daemon b -c "$CFG" --id B; B=$DPID
sleep 20
kill -0 "$A" && kill -0 "$B" || fail "a daemon died"
ov=$(q "SELECT COUNT(*) FROM $ST x JOIN $ST y ON x.job = y.job AND x.id < y.id AND y.started < x.finished AND x.started < y.finished")
[ "$ov" = 0 ] || fail "$ov overlapping runs: $(q "SELECT x.job, x.daemon, x.started, x.finished, y.daemon, y.started, y.finished FROM $ST x JOIN $ST y ON x.job = y.job AND x.id < y.id AND y.started < x.finished AND x.started < y.finished LIMIT 5")"
na=$(runs "daemon = 'A' AND status = 'ok'"); nb=$(runs "daemon = 'B' AND status = 'ok'")
[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || fail "both daemons must work: A $na, B $nb"
[ "$(runs "status <> 'ok'")" = 0 ] || fail "failed runs: $(q "SELECT job, daemon, error FROM $ST WHERE status <> 'ok' LIMIT 5")"
check_only_contract

# Kill A while it holds leases (wait until it does), note them.
holds() { [ "$(q "SELECT COUNT(*) FROM $LT WHERE owner = 'A' AND expires > NOW(6)")" -gt 0 ]; }
wait_for 10 holds || fail "A never holds a lease"
kill -KILL "$A"
held=$(q "SELECT GROUP_CONCAT(CONCAT(job, '@', UNIX_TIMESTAMP(expires))) FROM $LT WHERE owner = 'A' AND expires > NOW(6)")
t_kill=$(q "SELECT NOW(6)")
echo "A killed holding: $held"
took_over() { [ "$(runs "job = '$1' AND daemon = 'B' AND started > '$t_kill'")" -ge 1 ]; }
for item in ${held//,/ }; do
  job=${item%@*}; exp=${item#*@}
  # ttl 3 s + a period 2 s + runs queued before it on a loaded machine
  wait_for 25 took_over "$job" || fail "B did not take over $job"
  early=$(runs "job = '$job' AND daemon = 'B' AND started > '$t_kill' AND UNIX_TIMESTAMP(started) < $exp")
  [ "$early" = 0 ] || fail "B ran $job before A's lease expired ($exp)"
done
# Every job keeps running in B alone.
all_b() { [ "$(q "SELECT COUNT(DISTINCT job) FROM $ST WHERE daemon = 'B' AND started > '$t_kill' + INTERVAL 3 SECOND")" -ge 11 ]; }
wait_for 25 all_b || fail "B does not run every job after the takeover"
ov=$(q "SELECT COUNT(*) FROM $ST x JOIN $ST y ON x.job = y.job AND x.id < y.id AND y.started < x.finished AND x.started < y.finished")
[ "$ov" = 0 ] || fail "$ov overlapping runs"
kill -TERM "$B"; wait "$B" || fail "B exit status $?"
check_only_contract
check_sanitizers
echo "daemon_ha: OK (A $na runs, B $nb runs before the kill)"
