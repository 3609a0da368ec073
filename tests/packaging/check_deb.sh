#!/usr/bin/env bash
# check_deb.sh BUILD_DEB_DIR HOST_PROJECT_DIR
# The Debian packages scripts/package.sh built: lintian finds no errors; dpkg -i installs them;
# the installed `sonnet generate` works with no flag but --db; the installed sonnetd starts on
# the installed config and drains on SIGTERM; a host project builds against the installed dev
# package; systemd-analyze accepts the unit; dpkg --purge removes every file. Needs root; refuses
# to touch a machine where the packages are already installed.
set -euo pipefail
debs=$(realpath "$1")
host_src=$(realpath "$2")
fail() { echo "check_deb: FAILED: $*" >&2; exit 1; }
runtime=$(ls "$debs"/sonnet-actors_*.deb)
dev=$(ls "$debs"/libsonnet-actors-dev_*.deb)
[[ $(id -u) -eq 0 ]] || fail "needs root (dpkg -i)"
for p in sonnet-actors libsonnet-actors-dev; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == *installed* ]]; then
    fail "$p is already installed here; this check installs and purges it"
  fi
done
work=$(mktemp -d /tmp/sonnet-deb-check.XXXXXX)
cleanup() {
  dpkg --purge libsonnet-actors-dev sonnet-actors >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# lintian: errors fail the check; warnings are printed.
lintian_out=$(lintian "$runtime" "$dev" 2>&1 || true)
echo "$lintian_out" | grep -v "running with root privileges" || true
if grep -q "^E:" <<<"$lintian_out"; then fail "lintian reports errors"; fi

dpkg -i "$runtime" "$dev" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log" >&2; fail "dpkg -i"; }
files=$(dpkg -L sonnet-actors libsonnet-actors-dev)

# The installed CLI finds its own model; nothing of the source tree is needed.
cd "$work"
info=$(env -u SONNET_MODEL -u SONNET_DATA_DIR -u SONNET_CONFIG /usr/bin/sonnet info --json)
[[ $info == *'"found_by":"install"'* && $info == *'"path":"/usr/share/sonnet-actors/models/default.npz"'* ]] \
  || fail "the installed sonnet does not use the installed model: $info"
env -u SONNET_MODEL -u SONNET_DATA_DIR -u SONNET_CONFIG /usr/bin/sonnet generate --db "$work/c.db" \
  >"$work/gen.out" 2>"$work/gen.err" || { cat "$work/gen.err" >&2; fail "installed sonnet generate"; }
[[ $(sqlite3 "$work/c.db" "SELECT COUNT(*) FROM sonnets") -eq 1 ]] || fail "no sonnet stored"

# The installed daemon on the installed config: starts, answers, drains on SIGTERM.
/usr/bin/sonnetd --config=/etc/sonnet-actors/sonnetd.conf --db="$work/d.db" --port=0 \
  >"$work/d.out" 2>&1 &
dpid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/d.out" && break; sleep 0.1; done
grep -q "listening on" "$work/d.out" || { cat "$work/d.out" >&2; fail "sonnetd did not start"; }
port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$work/d.out" | sed -n 1p)
/usr/bin/sonnet --connect="127.0.0.1:$port" stats >"$work/stats.out" || fail "sonnet --connect stats"
kill -TERM "$dpid"
wait "$dpid" || fail "sonnetd exited $? after SIGTERM"

# A host program built against the installed dev package, found in /usr by find_package alone.
cp -r "$host_src" "$work/host"
cmake -S "$work/host" -B "$work/host-build" -DCMAKE_BUILD_TYPE=Release >"$work/host.log" 2>&1 \
  && cmake --build "$work/host-build" >>"$work/host.log" 2>&1 \
  || { cat "$work/host.log" >&2; fail "the host project does not build against the package"; }
env -u SONNET_MODEL -u SONNET_DATA_DIR "$work/host-build/example_host" "$work/h.db" >"$work/h.out" 2>"$work/h.err" \
  || { cat "$work/h.err" >&2; fail "example_host against the package"; }
grep -q "^example_host: model /usr/share/sonnet-actors/models/default.npz$" "$work/h.err" \
  || fail "the host did not use the packaged model: $(cat "$work/h.err")"

# The unit (systemd-analyze needs the binaries and man pages in place, so after dpkg -i).
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /lib/systemd/system/sonnetd.service || fail "systemd-analyze verify"
else
  echo "check_deb: no systemd-analyze here; the unit is not verified"
fi

cd /
dpkg --purge libsonnet-actors-dev sonnet-actors >"$work/purge.log" 2>&1 \
  || { cat "$work/purge.log" >&2; fail "dpkg --purge"; }
left=0
while IFS= read -r f; do
  [[ -z $f || $f == "/." || -d $f ]] && continue
  if [[ -e $f ]]; then echo "left behind: $f" >&2; left=1; fi
done <<<"$files"
((left == 0)) || fail "dpkg --purge left files behind"
echo "check_deb: ok ($(basename "$runtime") $(du -k "$runtime" | cut -f1) KiB, $(basename "$dev") $(du -k "$dev" | cut -f1) KiB)"
