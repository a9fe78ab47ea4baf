#!/usr/bin/env bash
# Checks `cmake --install`: with prefix /usr and a DESTDIR, every file lands where the unit, the packaging and
# docs/systemd.md say, the example rules stay out of /etc, and the installed config passes check-config.
# Usage: install_test.sh /path/to/build-dir
set -uo pipefail

build=${1:?usage: install_test.sh /path/to/build-dir}
command -v cmake >/dev/null || { echo "FAIL: cmake is missing"; exit 1; }
failures=0
passes=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; passes=$((passes + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

if out=$(DESTDIR=$dest cmake --install "$build" --prefix /usr 2>&1); then
  pass "cmake --install"
else
  echo "$out"
  fail "cmake --install"
fi

for f in usr/bin/incidentd usr/lib/systemd/system/incidentd.service usr/lib/sysusers.d/incidentd.conf \
  usr/lib/tmpfiles.d/incidentd.conf etc/incidentd/incidentd.yaml etc/incidentd/rules/99-default.yaml \
  usr/share/doc/incidentd/README.md usr/share/doc/incidentd/systemd.md \
  usr/share/doc/incidentd/examples/10-examples.yaml; do
  if [[ -f $dest/$f ]]; then pass "/$f"; else fail "/$f is missing"; fi
done
if [[ -x $dest/usr/bin/incidentd ]]; then pass "incidentd is executable"; else fail "incidentd is not executable"; fi
if [[ -e $dest/etc/incidentd/rules/10-examples.yaml ]]; then fail "10-examples.yaml is active in /etc"; else pass "no example rules in /etc"; fi
# Nothing outside /usr and /etc (a stray absolute path, or the prefix ignored).
stray=$(cd "$dest" && find . -mindepth 1 -maxdepth 1 ! -name usr ! -name etc)
if [[ -z $stray ]]; then pass "only /usr and /etc"; else fail "unexpected: $stray"; fi

# The installed config with its rules, moved under the scratch root, must be valid.
sed -e "s#/etc/incidentd#$dest/etc/incidentd#g" -e "s#/var/lib/incidentd#$tmp/state#g" \
  "$dest/etc/incidentd/incidentd.yaml" >"$dest/etc/incidentd/check.yaml"
if out=$("$dest/usr/bin/incidentd" check-config --config "$dest/etc/incidentd/check.yaml" 2>&1); then
  pass "check-config"
else
  fail "check-config: $out"
fi

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
