#!/usr/bin/env bash
# One training step of our trainer against PyTorch's autograd on the same weights and batch: the
# loss, every gradient (float64 on both sides) and the weights after one AdamW step.
# Outside ctest (it needs python3-torch, ~500 MB): run it once after changing train/.
#   scripts/torch_check.sh [WEIGHTS.npz]     default: models/default.npz
# Builds build/ first if needed; installs python3-torch and python3-numpy when missing (root).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
weights="${1:-$root/models/default.npz}"
for p in python3-torch python3-numpy; do
  [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == *"install ok installed"* ]] \
    || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p"; }
done
[[ -x "$root/build/bench/train/train_step_dump" ]] || "$root/scripts/build.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$root/build/bench/train/train_step_dump" --weights "$weights" --corpus "$root/data/tinyshakespeare.txt" \
  --batch 4 --batch-out "$tmp/batch.npz" --out "$tmp/ours.npz"
/usr/bin/python3 "$root/scripts/torch_step_check.py" --weights "$weights" --batch "$tmp/batch.npz" \
  --out "$tmp/torch.npz" --compare "$tmp/ours.npz"
