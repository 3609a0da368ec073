#!/usr/bin/env bash
# install.sh BUILD_DIR HOST_PROJECT_DIR
# Installs BUILD_DIR into a temporary prefix, builds the host project against it (a copy outside
# the tree), runs it, then moves the prefix and runs the installed CLI from its new place.
set -euo pipefail
build=$1
host_src=$2
work=$(mktemp -d /tmp/sonnet-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "install.sh: FAILED: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" || fail "cmake --install"
for f in bin/sonnet bin/sonnetd lib/cmake/SonnetActors/SonnetActorsConfig.cmake \
         lib/cmake/SonnetActors/SonnetActorsConfigVersion.cmake include/sonnet/actors/service.hpp \
         share/sonnet-actors/models/default.npz; do
  [[ -e $work/prefix/$f ]] || fail "$f not installed"
done

# The host project, copied out of the tree so nothing but the package can satisfy it.
cp -r "$host_src" "$work/host"
cmake -S "$work/host" -B "$work/host-build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$work/host-configure.log" 2>&1 \
  || { cat "$work/host-configure.log" >&2; fail "the host project does not configure"; }
cmake --build "$work/host-build" >"$work/host-build.log" 2>&1 \
  || { cat "$work/host-build.log" >&2; fail "the host project does not build"; }
(cd "$work" && env -u SONNET_MODEL -u SONNET_DATA_DIR "$work/host-build/example_host" host.db \
   "the quiet sea" >host.out 2>host.err) || { cat "$work/host.err" >&2; fail "example_host"; }
grep -q "^example_host: model $work/prefix/share/sonnet-actors/models/default.npz$" "$work/host.err" \
  || { cat "$work/host.err" >&2; fail "the host did not use the installed default model"; }
[[ $(wc -l <"$work/host.out") -eq 16 ]] || { cat "$work/host.out" >&2; fail "not 14 lines + 2"; }
grep -q "^cloud 1$" "$work/host.out" || fail "the host's cloud does not hold its sonnet"

# A moved prefix keeps its data: the binaries look beside themselves first.
mv "$work/prefix" "$work/moved"
info=$(cd "$work" && env -u SONNET_MODEL -u SONNET_DATA_DIR "$work/moved/bin/sonnet" info --json)
[[ $info == *"\"found_by\":\"install\""* ]] || fail "sonnet info: $info"
[[ $info == *"\"path\":\"$work/moved/share/sonnet-actors/models/default.npz\""* ]] \
  || fail "sonnet info names another model: $info"
(cd "$work" && env -u SONNET_MODEL -u SONNET_DATA_DIR "$work/moved/bin/sonnet" generate --db moved.db \
   --seed 3 --json >moved.json) || fail "the moved sonnet generate"
grep -q '"id":1' "$work/moved.json" || fail "no sonnet stored: $(cat "$work/moved.json")"
echo "install.sh: ok (prefix $(du -sh "$work/moved" | cut -f1), host project built and ran)"
