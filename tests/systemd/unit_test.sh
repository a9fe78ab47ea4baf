#!/usr/bin/env bash
# Checks systemd/: the unit verifies cleanly, its exposure (systemd-analyze security) is at most 2.0, and the
# sysusers.d and tmpfiles.d files create the user and directories they should in a scratch root.
# Usage: unit_test.sh /path/to/built/incidentd
# A missing tool is a failure, not a skip: these checks are the only guard on the hardening.
set -uo pipefail

binary=${1:?usage: unit_test.sh /path/to/incidentd}
systemd_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../systemd" && pwd)
failures=0
passes=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; passes=$((passes + 1)); }

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (apt-get install systemd)"; exit 1; }
done
[[ -x $binary ]] || { echo "FAIL: $binary is not an executable"; exit 1; }
binary=$(realpath "$binary")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The packaged command line, which the docs and the default config assume.
expected='ExecStart=/usr/bin/incidentd --config /etc/incidentd/incidentd.yaml'
if grep -qxF "$expected" "$systemd_dir/incidentd.service"; then pass "ExecStart"; else fail "the unit lacks '$expected'"; fi

# verify resolves ExecStart=, so a copy of the unit runs the built binary. Any output (a warning) is a failure.
mkdir -p "$tmp/unit"
sed "s#^ExecStart=/usr/bin/incidentd #ExecStart=$binary #" "$systemd_dir/incidentd.service" >"$tmp/unit/incidentd.service"
if out=$(systemd-analyze verify "$tmp/unit/incidentd.service" 2>&1) && [[ -z $out ]]; then
  pass "systemd-analyze verify"
else
  fail "systemd-analyze verify: ${out:-exit status $?}"
fi

# --threshold is on the 0..100 scale of the exposure times ten: 20 means 2.0.
out=$(systemd-analyze security --offline=true --threshold=20 --no-pager "$tmp/unit/incidentd.service" 2>&1)
status=$?
figure=$(grep -o 'Overall exposure level for incidentd.service: [0-9.]*' <<<"$out" | awk '{print $NF}')
if [[ $status -eq 0 && -n $figure ]]; then
  pass "exposure $figure <= 2.0"
else
  grep '✗' <<<"$out"
  fail "exposure ${figure:-unknown} (want <= 2.0; systemd-analyze exit status $status)"
fi

# sysusers then tmpfiles in a scratch root: the user exists, and the directories get its uid and the right modes.
root=$tmp/root
mkdir -p "$root/etc"
if out=$(systemd-sysusers --root="$root" "$systemd_dir/incidentd.sysusers" 2>&1); then
  pass "systemd-sysusers"
else
  fail "systemd-sysusers: $out"
fi
entry=$(grep '^incidentd:' "$root/etc/passwd" 2>/dev/null)
IFS=: read -r _ _ uid gid gecos home shell <<<"$entry"
if [[ -n $entry && $home == /var/lib/incidentd && $gecos == "incidentd alert daemon" && $shell == */nologin ]]; then
  pass "user incidentd ($uid:$gid)"
else
  fail "passwd entry: '$entry'"
fi
if out=$(systemd-tmpfiles --root="$root" --create "$systemd_dir/incidentd.tmpfiles" 2>&1); then
  pass "systemd-tmpfiles --create"
else
  fail "systemd-tmpfiles: $out"
fi
check_dir() {  # path mode uid gid
  local got
  got=$(stat -c '%a %u %g' "$root$1" 2>/dev/null)
  if [[ $got == "$2 $3 $4" ]]; then pass "$1 $got"; else fail "$1: '$got', want '$2 $3 $4'"; fi
}
check_dir /var/lib/incidentd 750 "$uid" "$gid"
check_dir /etc/incidentd/secrets 750 0 "$gid"

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
