#!/usr/bin/env bash
# The whole test suite on a fresh machine: install, build, run every test through ctest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "$root"
ctest --test-dir build --output-on-failure -j 2
