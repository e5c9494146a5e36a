#!/usr/bin/env bash
# Loader measurements (not part of ctest): builds tests/perf/loader_perf.c
# against BUILD_DIR's libpollster_core.a and runs every mode under a fresh
# private server, with peak RSS from /usr/bin/time -v.
#   tests/perf/run.sh BUILD_DIR [ROWS...]        (default ROWS: 10000 1000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/perf/run.sh BUILD_DIR [ROWS...]}
shift
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(10000 1000000)
modes=${PERF_MODES:-"server-all-keys server-deferred insert-all-keys insert-deferred insert-deferred-nouniq load-data-all-keys load-data-deferred"}
cc -O2 -std=c11 -D_GNU_SOURCE ${PERF_CFLAGS:-} -I. $(pkg-config --cflags libmariadb) \
  tests/perf/loader_perf.c "$build/libpollster_core.a" \
  $(pkg-config --libs libmariadb liburcu yaml-0.1 zlib) -lpthread -lm -o "$build/loader_perf"
export MARIADB_EXTRA_ARGS="${MARIADB_EXTRA_ARGS:---innodb-buffer-pool-size=1G}"
tests/harness/mariadb bash -c '
  for n in '"${rows[*]}"'; do
    for mode in '"$modes"'; do
      /usr/bin/time -f "    peak RSS %M KB" "'"$build"'/loader_perf" "$n" "$mode" 2>&1 | grep -v "source rows"
    done
  done'
