#!/usr/bin/env bash
# Configures and builds into build/ (Release, -march=native). Extra arguments go to cmake's
# configure step, e.g. scripts/build.sh -DSONNET_NATIVE=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j "$(nproc)"
