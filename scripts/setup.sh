#!/usr/bin/env bash
# Installs the Debian packages the build and tests need (run as root). Skips apt entirely when
# everything is already there, so repeated runs cost nothing.
set -euo pipefail
packages=(cmake g++ make ccache libcaf-dev libeigen3-dev libsqlite3-dev sqlite3 zlib1g-dev
          libdeflate-dev nlohmann-json3-dev libboost-test-dev festlex-cmu pocketsphinx-en-us)
# Header-only Boost.Beast/Asio for sonnetd's HTTP API (already pulled in by libboost-test-dev).
packages+=(libboost1.74-dev)
# The cluster tests over real links (tests/cluster/real_links.cpp): network namespaces, a
# streaming HTTP client, throwaway TLS certificates.
packages+=(iproute2 curl openssl)
for arg in "$@"; do
  case "$arg" in
    # The benchmarks time the Python prototype too (numpy on OpenBLAS, as numpy's wheels ship
    # it) and PyTorch's training loop (bench_train, scripts/torch_check.sh).
    --bench) packages+=(python3-numpy libopenblas0-pthread python3-torch) ;;
    # The web page's browser test (tests/browser: selenium driving chromium through
    # chromedriver); skipped without them. `apt-get install -y chromium chromium-driver
    # python3-selenium` took 27 s here (apt-get update 1 s more), 137 MB of packages:
    # scripts/test.sh asks for them, so CI runs the browser test.
    --browser) packages+=(chromium chromium-driver python3-selenium) ;;
    # scripts/build_caf_tsan.sh builds CAF's libcaf_openssl, which sonnet_actors links.
    --tsan) packages+=(libssl-dev) ;;
    # scripts/package.sh and its check: dpkg-shlibdeps, lintian, man (man page warnings).
    --package) packages+=(dpkg-dev lintian man-db) ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == *"install ok installed"* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to run apt-get (missing: ${missing[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi
