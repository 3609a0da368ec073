#!/usr/bin/env bash
# The main job on a fresh machine: install, build, and write one sonnet with the default model
# into ./sonnets.db. Arguments go to `sonnet generate` (e.g. --prompt "the sea" --count 4).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
exec "$root/build/apps/sonnet" generate "$@"
