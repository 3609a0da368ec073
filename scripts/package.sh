#!/usr/bin/env bash
# Builds the Debian packages into build-deb/: sonnet-actors_VERSION_amd64.deb and
# libsonnet-actors-dev_VERSION_amd64.deb. A portable build (no -march=native) for /usr, with
# Debian's hardening flags; tests and benchmarks are not built.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-deb"
"$root/scripts/setup.sh" --package
hardening="-D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fcf-protection"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DSONNET_DEB_LAYOUT=ON -DSONNET_NATIVE=OFF -DSONNET_BUILD_TESTS=OFF -DSONNET_BUILD_BENCH=OFF \
  "-DCMAKE_CXX_FLAGS=$hardening" "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-z,relro,-z,now" >/dev/null
cmake --build "$build" -j "$(nproc)"
(cd "$build" && cpack -G DEB >/dev/null)
ls "$build"/*.deb
