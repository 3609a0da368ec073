#!/usr/bin/env bash
# scripts/build_caf_tsan.sh PREFIX
# Builds CAF 0.17.6 (libcaf_core, libcaf_io, libcaf_openssl) with -fsanitize=thread from
# Debian's orig tarball of the actor-framework source package (the upstream release
# libcaf-dev is built from) and installs it into PREFIX, for the TSan stage of
# scripts/test.sh: with the library instrumented, TSan sees every hand-off CAF makes between
# threads. libcaf_openssl is needed because sonnet_actors links it (actors/worker_gateway.cpp).
# Does nothing when PREFIX already holds a build of the same tarball by the same script and
# compiler (PREFIX/.caf-tsan-stamp). Uses ccache when installed. Run as root on a fresh machine: it
# installs libssl-dev (scripts/setup.sh --tsan) and adds a deb-src entry to find the tarball.
# Environment: JOBS (default 2) parallel compile jobs.
set -euo pipefail
if [[ $# -ne 1 || $1 == -* ]]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
prefix="$(cd "$1" && pwd)"
jobs="${JOBS:-2}"
started=$SECONDS

tarball=actor-framework_0.17.6.orig.tar.gz
sha256=e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c
# The Debian 12 archive's URL of the tarball, used when apt has no deb-src entry and we are not
# root to add one; the checksum is checked either way.
fallback_url="http://deb.debian.org/debian/pool/main/a/actor-framework/$tarball"
# -w: CAF 0.17 under C++17 warns thousands of times (std::iterator is deprecated); not ours.
flags="-std=c++17 -fsanitize=thread -fno-omit-frame-pointer -w"
build_flags="-O1 -g1 -DNDEBUG"
cxx_id="$(c++ --version | sed -n 1p)"
# Any change to this script, the tarball or the compiler rebuilds.
stamp_text="$sha256 $(sha256sum "$0" | cut -d ' ' -f 1) $cxx_id"
stamp="$prefix/.caf-tsan-stamp"
work="$prefix/_work"

if [[ -f $stamp && "$(cat "$stamp")" == "$stamp_text" ]]; then
  echo "build_caf_tsan: $prefix is up to date (CAF 0.17.6, TSan)"
  exit 0
fi
# PREFIX is wiped below: refuse a directory this script did not make.
if [[ ! -f $stamp && ! -d $work && -n "$(ls -A "$prefix")" ]]; then
  echo "build_caf_tsan: $prefix is not empty and holds no earlier CAF TSan build; refusing to" \
       "overwrite it" >&2
  exit 1
fi

"$root/scripts/setup.sh" --tsan

mkdir -p "$work"
if [[ -f $work/$tarball ]] && ! echo "$sha256  $work/$tarball" | sha256sum -c --status; then
  rm -f "$work/$tarball"
fi
if [[ ! -f $work/$tarball ]]; then
  # The tarball's URL on the configured Debian mirror; needs a deb-src entry.
  find_url() {
    apt-get source --print-uris actor-framework 2>/dev/null \
      | sed -n "s|^'\([^']*/$tarball\)'.*|\1|p" | sed -n 1p
  }
  url="$(find_url || true)"
  if [[ -z $url && $(id -u) -eq 0 ]]; then
    codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
    echo "build_caf_tsan: adding a deb-src entry for $codename"
    cat >/etc/apt/sources.list.d/sonnet-deb-src.sources <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -q
    url="$(find_url || true)"
  fi
  if [[ -z $url ]]; then
    echo "build_caf_tsan: apt lists no $tarball (no deb-src entry?); using $fallback_url"
    url="$fallback_url"
  fi
  echo "build_caf_tsan: fetching $url"
  if command -v curl >/dev/null; then
    curl -fsSL -o "$work/$tarball.part" "$url"
  elif command -v wget >/dev/null; then
    wget -q -O "$work/$tarball.part" "$url"
  else # a fresh Debian has neither, but always has apt's own helper
    /usr/lib/apt/apt-helper download-file "$url" "$work/$tarball.part"
  fi
  got="$(sha256sum "$work/$tarball.part" | cut -d ' ' -f 1)"
  if [[ $got != "$sha256" ]]; then
    echo "build_caf_tsan: checksum mismatch for $tarball from $url:" >&2
    echo "  expected sha256 $sha256" >&2
    echo "  got      sha256 $got" >&2
    rm -f "$work/$tarball.part"
    exit 1
  fi
  mv "$work/$tarball.part" "$work/$tarball"
fi

rm -rf "$work/src" "$work/build" "$prefix/include" "$prefix/lib" "$prefix/share" "$stamp"
mkdir -p "$work/src"
tar -xzf "$work/$tarball" -C "$work/src" --strip-components=1
# The one place where Debian's installed headers differ from the tarball's: g++ 12's standard
# headers no longer bring in <limits> on their way.
rbuf="$work/src/libcaf_io/caf/io/network/receive_buffer.hpp"
grep -q '^#include <limits>' "$rbuf" || sed -i 's|^#include <memory>$|#include <limits>\n&|' "$rbuf"
grep -q '^#include <limits>' "$rbuf" || { echo "build_caf_tsan: could not patch $rbuf" >&2; exit 1; }
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# Only the libraries: no examples, tools, unit tests, OpenCL or Python. Logging stays QUIET and
# exceptions on, as in Debian's build. $ORIGIN lets libcaf_io/openssl find the instrumented
# libcaf_core beside them whoever loads them.
cmake -S "$work/src" -B "$work/build" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS=$flags" \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$build_flags" \
  -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
  "-DCMAKE_INSTALL_PREFIX=$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
  '-DCMAKE_INSTALL_RPATH=$ORIGIN' \
  -DCAF_NO_EXAMPLES=ON -DCAF_NO_TOOLS=ON -DCAF_NO_UNIT_TESTS=ON -DCAF_NO_OPENCL=ON \
  -DCAF_NO_PYTHON=ON -DCAF_LOG_LEVEL=QUIET >"$work/configure.log" \
  || { cat "$work/configure.log" >&2; echo "build_caf_tsan: configure failed" >&2; exit 1; }
cmake --build "$work/build" -j "$jobs"
cmake --install "$work/build" >/dev/null
for lib in caf_core caf_io caf_openssl; do
  if [[ ! -f $prefix/lib/lib$lib.so ]]; then
    echo "build_caf_tsan: lib$lib.so was not built (see $work/configure.log)" >&2
    exit 1
  fi
done
# Keep only the tarball: ccache makes a rebuild cheap.
rm -rf "$work/src" "$work/build"
echo "$stamp_text" >"$stamp"
echo "build_caf_tsan: CAF 0.17.6 with TSan installed in $prefix in $((SECONDS - started)) s"
