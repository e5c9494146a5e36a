#!/usr/bin/env bash
# pollster-bench --quick: the harness runs end to end (dataset, warm-up,
# baselines, a 2x2 grid) and its output files are complete and well formed.
# Uses the private server of tests/harness/mariadb when POLLSTER_TEST_SOCKET
# is set, else lets pollster-bench start its own.
#   bash tests/scripts/bench_quick.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: bench_quick.sh BUILD_DIR}
bench="$build/pollster-bench"
[ -x "$bench" ] || { echo "FAIL: $bench not built" >&2; exit 1; }
out=$(mktemp -d "${TMPDIR:-/tmp}/bench-quick.XXXXXX")
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Bad command lines are refused with status 2.
set +e
"$bench" --scale nope >/dev/null 2>&1; [ $? -eq 2 ] || fail "--scale nope: expected status 2"
"$bench" --workers 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--workers 0: expected status 2"
"$bench" --socket /x -c /y >/dev/null 2>&1; [ $? -eq 2 ] || fail "--socket with -c: expected status 2"
set -e

server=()
if [ -n "${POLLSTER_TEST_SOCKET:-}" ]; then
  server=(--socket "$POLLSTER_TEST_SOCKET" --user "${POLLSTER_TEST_USER:-root}")
fi
prefix="bq$$"
rc=0
"$bench" --quick "${server[@]}" --prefix "$prefix" --out "$out" >"$out/stdout" 2>"$out/stderr" || rc=$?
[ "$rc" -eq 0 ] || { cat "$out/stderr" "$out/stdout" >&2; fail "pollster-bench --quick exited with $rc"; }

for f in results.csv results.json plot.svg recommended.yaml; do
  [ -s "$out/$f" ] || fail "$f missing or empty"
done

# CSV: header, 3 baselines, 4 points (insert/load_data x 100/5000 rows), 19
# fields each, every row measured on the same rows: the instances of the
# scale 0.01 dataset (10,000 from the built-in generator; pollster-gen's
# model decides its own count).
csv="$out/results.csv"
[ "$(head -1 "$csv" | tr ',' '\n' | wc -l)" -eq 19 ] || fail "CSV header is not 19 fields"
[ "$(grep -c '^baseline,' "$csv")" -eq 3 ] || fail "CSV: expected 3 baseline rows"
[ "$(grep -c '^pollster,' "$csv")" -eq 4 ] || fail "CSV: expected 4 pollster rows"
awk -F, 'NR > 1 {
  if (NF != 19) { print "bad field count on line " NR; bad = 1 }
  if ($9 != 1) { print "repeats_ok != 1 on line " NR; bad = 1 }
  if (NR == 2) rows = $10
  if ($10 != rows || !($10 > 0)) { print "rows " $10 " != " rows " on line " NR; bad = 1 }
  if (!($12 > 0) || !($13 > 0) || !($14 > 0)) { print "non-positive figure on line " NR; bad = 1 }
  if ($1 == "pollster" && !($17 > 0)) { print "no peak RSS on line " NR; bad = 1 }
  if ($1 == "pollster" && !($18 > 0)) { print "no ratio on line " NR; bad = 1 }
} END { exit bad }' "$csv" || fail "CSV rows malformed"
for combo in "insert,2,100," "insert,2,5000," "load_data,2,100," "load_data,2,5000,"; do
  grep -q "^pollster,instance,0.01,$combo" "$csv" || fail "CSV: point $combo missing"
done

# JSON parses, and holds the same points.
if command -v python3 >/dev/null; then
  python3 - "$out/results.json" <<'PY' || fail "results.json malformed"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["table"] == "instance" and d["scale"] == 0.01 and d["repeat"] == 1
assert len(d["baselines"]) == 3 and all(b["ok"] and b["wall_s"] > 0 for b in d["baselines"])
assert len(d["points"]) == 4
for p in d["points"]:
    assert p["rows"] == d["baselines"][0]["rows"] > 0, p
    assert p["rows_per_s"] > 0 and p["peak_rss_mib"] > 0, p
    assert p["workers"] == 2 and p["deferred_indexes"] is True, p
PY
else
  grep -q '"points": \[' "$out/results.json" || fail "results.json has no points"
fi

# The plot: an SVG with one line per workers x load_method and the baselines.
grep -q '</svg>' "$out/plot.svg" || fail "plot.svg truncated"
for t in "insert, 2 workers" "load_data, 2 workers" "INSERT ... SELECT (all keys)" "LOAD DATA INFILE"; do
  grep -qF "$t" "$out/plot.svg" || fail "plot.svg lacks '$t'"
done

# The recommendation is an engine: section with every tuned key.
for k in "engine:" "  workers: 2" "  batch_rows: " "  batch_bytes: " "  load_method: " \
         "  deferred_indexes: true"; do
  grep -qF "$k" "$out/recommended.yaml" || fail "recommended.yaml lacks '$k'"
  grep -qF "$k" "$out/stdout" || fail "stdout lacks '$k'"
done
grep -q '^targets' "$out/stdout" || fail "no target checks printed"
grep -q 'baseline insert_select' "$out/stderr" || fail "no progress lines"

# A second run reuses the dataset instead of generating it again.
"$bench" --quick "${server[@]}" --prefix "$prefix" --methods insert --batch-rows 1000 \
  --out "$out/again" >"$out/stdout2" 2>"$out/stderr2" || { cat "$out/stderr2" >&2; fail "second run"; }
grep -q 'dataset ready (reused' "$out/stderr2" || fail "second run did not reuse the dataset"
[ "$(grep -c '^pollster,' "$out/again/results.csv")" -eq 1 ] || fail "second run: expected 1 point"
echo "bench_quick: ok"
