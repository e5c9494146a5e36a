#!/usr/bin/env bash
# The man pages document everything the program accepts.
#
#   bash tests/scripts/man_coverage.sh BUILD_DIR
#
# Subcommands and flags come from `pollster --help`, config keys from
# `pollster check-config` (which prints every key with its default) run on
# the sample config etc/pollster.yaml and on a config that also sets the
# optional keys the sample leaves unset.  Each must appear in bold (a term of
# the page, not a word of prose) in man/pollster.1 or man/pollster.yaml.5, so
# a new subcommand, flag or key without documentation fails here.  The pages
# must also format without groff warnings.
set -euo pipefail

build=${1:?usage: man_coverage.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
pollster=$build/pollster
man1=$src/man/pollster.1
man5=$src/man/pollster.yaml.5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Words set in bold: the .B/.BR/.RB/.BI/.IB macros and \fB...\fR spans, with
# roff's \- turned back into '-'.
bold_words() {
  sed -e 's/\\-/-/g' "$1" | awk '
    /^\.(B|BR|RB|BI|IB) / { sub(/^\.[A-Z]+ /, ""); print }
    { while (match($0, /\\fB[^\\]*\\f[RP]/)) { print substr($0, RSTART + 3, RLENGTH - 6);
                                                $0 = substr($0, RSTART + RLENGTH) } }' |
    tr -s ' \t",|()[]' '\n' | sed -e 's/^\.//' -e 's/[.,:;]*$//' | grep -v '^$' | sort -u
}
bold_words "$man1" >"$tmp/man1.words"
bold_words "$man5" >"$tmp/man5.words"

require() { # WORDFILE PAGE KIND ITEM...
  local words=$1 page=$2 kind=$3
  shift 3
  for item in "$@"; do
    if ! grep -qxF -- "$item" "$words"; then
      echo "FAIL: $kind '$item' is not documented in $page" >&2
      fail=1
    fi
  done
}

# ---- subcommands and flags of pollster(1) -----------------------------------
"$pollster" --help >"$tmp/help"
mapfile -t commands < <(awk '/^commands:/ { on = 1; next } /^$/ { on = 0 }
                             on && /^  [a-z]/ { print $1 }' "$tmp/help")
# daemon and status are documented ahead of their --help lines.
commands+=(daemon status)
mapfile -t flags < <(grep -oE '(^|[ [|,])--?[A-Za-z][A-Za-z-]*' "$tmp/help" |
                     sed 's/^[ [|,]//' | sort -u)
flags+=(--pidfile --foreground)
if [ ${#commands[@]} -lt 6 ] || [ ${#flags[@]} -lt 15 ]; then
  echo "FAIL: could not read the commands/flags from --help (${#commands[@]}, ${#flags[@]})" >&2
  exit 1
fi
require "$tmp/man1.words" pollster.1 command "${commands[@]}"
require "$tmp/man1.words" pollster.1 flag "${flags[@]}"

# ---- config keys of pollster.yaml(5) ----------------------------------------
# The sample names a password file and a password variable: provide both.
printf 'secret\n' >"$tmp/pass"
chmod 600 "$tmp/pass"
sed "s|/etc/pollster/openstack.pass|$tmp/pass|" "$src/etc/pollster.yaml" >"$tmp/sample.yaml"
cat >"$tmp/optional.yaml" <<'EOF'
servers:
  galera:
    hosts: [10.0.0.1:3306, 10.0.0.2:3307]
    user: reporting
    password: ""
    ssl_mode: verify_ca
    ssl_ca: /etc/ssl/certs/ca.pem
sources:
  keystone: { server: galera, schema: keystone }
  nova_api: { server: galera, schema: nova_api }
  nova: { server: galera, schema: nova }
  cinder: { server: galera, schema: cinder }
  glance: { server: galera, schema: glance }
  rcshibboleth: { server: galera, schema: rcshibboleth }
  dashboard: { server: galera, schema: dashboard }
target: { server: galera, schema: reporting }
engine:
  metrics_file: /tmp/pollster.prom
  pidfile: /run/pollster/pollster.pid
EOF
for cfg in sample optional; do
  if ! POLLSTER_PASSWORD=x "$pollster" check-config -c "$tmp/$cfg.yaml" >"$tmp/$cfg.out" \
       2>"$tmp/$cfg.err"; then
    echo "FAIL: pollster check-config rejected the $cfg config:" >&2
    cat "$tmp/$cfg.err" >&2
    exit 1
  fi
done
# Every "key:" of the printed YAML (flow mappings too), but not the server
# names (the user's own, the children of `servers`).
mapfile -t keys < <(cat "$tmp/sample.out" "$tmp/optional.out" | awk '
  /^#/ { next }
  /^[a-z]/ { top = $1 }
  top == "servers:" && /^  [^ ]/ { next }
  { while (match($0, /(^|[ {,])[A-Za-z_][A-Za-z0-9_]*:( |$)/)) {
      k = substr($0, RSTART, RLENGTH); gsub(/[ {,:]/, "", k); print k
      $0 = substr($0, RSTART + RLENGTH) } }' | sort -u)
for k in engine jobs servers sources target workers ssl_ca hosts password metrics_file pidfile \
         nova instance; do
  printf '%s\n' "${keys[@]}" | grep -qxF "$k" ||
    { echo "FAIL: key '$k' missing from the check-config output (extraction broken?)" >&2; exit 1; }
done
require "$tmp/man5.words" pollster.yaml.5 "config key" "${keys[@]}"

# The check itself must be able to fail.
if grep -qxF no_such_key "$tmp/man5.words"; then
  echo "FAIL: bold-word extraction matches anything" >&2
  fail=1
fi

# ---- the pages format cleanly -----------------------------------------------
if command -v groff >/dev/null; then
  for page in "$man1" "$man5"; do
    if ! out=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || [ -n "$out" ]; then
      echo "FAIL: groff warnings in $(basename "$page"): $out" >&2
      fail=1
    fi
  done
fi

echo "man_coverage: ${#commands[@]} commands, ${#flags[@]} flags, ${#keys[@]} config keys checked"
exit $fail
