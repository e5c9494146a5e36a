# Shared by tests/scripts/daemon_*.sh: sources from the edge fixture in
# uniquely named schemas on the private server, a config, and helpers to
# start and watch `pollster daemon` processes.  Source with BUILD_DIR set.
set -euo pipefail
: "${POLLSTER_TEST_SOCKET:?run under tests/harness/mariadb}"
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
POLLSTER="$BUILD_DIR/pollster"
PREFIX="d$(date +%s%N | tail -c 7)_$$"
WORK=$(mktemp -d /tmp/pollster-daemon-test.XXXXXX)
PIDS=()

q() { mariadb -S "$POLLSTER_TEST_SOCKET" -uroot -N -B -e "$1"; }

fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 40 "$f"; } >&2; done; exit 1; }

cleanup() {
  for p in "${PIDS[@]}"; do { kill -KILL "$p" && wait "$p"; } 2>/dev/null || true; done
  for s in keystone nova_api nova_cell1 nova_cell2 cinder glance rcshibboleth dashboard reporting reporting_pollster; do
    q "DROP DATABASE IF EXISTS \`${PREFIX}_$s\`" || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

load_sources() {
  local s ddl
  for s in keystone nova_api nova_cell1 nova_cell2 cinder glance rcshibboleth dashboard; do
    ddl=$s; [[ $s == nova_cell* ]] && ddl=nova
    q "CREATE DATABASE \`${PREFIX}_$s\` CHARACTER SET utf8"
    mariadb -S "$POLLSTER_TEST_SOCKET" -uroot "${PREFIX}_$s" < "$SRC_DIR/tests/fixtures/sources/$ddl.sql"
    [ -f "$SRC_DIR/tests/fixtures/edge/$s.sql" ] &&
      mariadb -S "$POLLSTER_TEST_SOCKET" -uroot "${PREFIX}_$s" < "$SRC_DIR/tests/fixtures/edge/$s.sql"
  done
}

# Make keystone's project job slow: `rows` x the fixture's projects in a
# real table (so the server streams them), each row costing a little server
# time through a view, so a run lasts many seconds yet notices a cancel.
slow_projects() {
  local rows=$1 k="${PREFIX}_keystone"
  q "RENAME TABLE \`$k\`.project TO \`$k\`.project_real;
     CREATE TABLE \`$k\`.project_big AS SELECT CONCAT(p.id, '-', s.seq) AS id, p.name, p.extra,
       p.description, p.enabled, p.domain_id, p.parent_id, p.is_domain
       FROM \`$k\`.project_real p JOIN \`$k\`.seq_1_to_${rows} s;
     CREATE VIEW \`$k\`.project AS SELECT * FROM \`$k\`.project_big WHERE SLEEP(0.0005) = 0"
}

# write_config FILE EXTRA_YAML
write_config() {
  local f=$1
  {
    echo "servers:"
    echo "  local: { socket: $POLLSTER_TEST_SOCKET, user: root, password: \"\", pool_size: 8 }"
    echo "sources:"
    for s in keystone nova_api cinder glance rcshibboleth dashboard; do
      echo "  $s: { server: local, schema: ${PREFIX}_$s }"
    done
    echo "  nova:"
    echo "    - { cell: cell1, server: local, schema: ${PREFIX}_nova_cell1 }"
    echo "    - { cell: cell2, server: local, schema: ${PREFIX}_nova_cell2 }"
    echo "target: { server: local, schema: ${PREFIX}_reporting }"
    printf '%s\n' "$2"
  } > "$f"
}

# start_daemon NAME ARGS... -> pid in $DPID, log in $WORK/NAME.log
start_daemon() {
  local name=$1; shift
  "$POLLSTER" daemon --foreground "$@" > "$WORK/$name.log" 2>&1 &
  DPID=$!
  PIDS+=("$DPID")
}

# wait_for SECONDS COMMAND...: poll (10 Hz) until COMMAND succeeds.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# The reporting schema must hold only the contract's tables.
check_only_contract() {
  local extra
  extra=$(q "SELECT GROUP_CONCAT(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${PREFIX}_reporting'
    AND TABLE_NAME NOT IN ('metadata','project','user','role','flavour','hypervisor','instance',
    'historical_usage','volume','image','allocation','aggregate','aggregate_host')")
  [ "$extra" = "NULL" ] || fail "reporting schema holds non-contract tables: $extra"
}

# No sanitizer report in any daemon log (ASan/TSan builds).
check_sanitizers() {
  ! grep -l "Sanitizer" "$WORK"/*.log || fail "sanitizer report in a daemon log"
}

runs() { q "SELECT COUNT(*) FROM \`${PREFIX}_reporting_pollster\`.job_run WHERE ${1:-1}" 2>/dev/null || echo 0; }
