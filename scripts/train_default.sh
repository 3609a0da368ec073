#!/usr/bin/env bash
# Rebuilds models/default.npz, the model the project ships, from the corpora in data/:
#   1. the prototype's recipe on the plays (data/tinyshakespeare.txt, first 90%): 4 layers,
#      4 heads, width 128, block 64, batch 16, dropout 0.1, AdamW 1e-3, 9,000 steps, seed 1337
#      -> build/models/plays.npz
#   2. fine-tuned on the sonnets' verse (data/sonnets_verse.txt, which scripts/prepare_sonnets.sh
#      makes from data/shakespeare_sonnets.txt; its first 90%, the last ~14 sonnets held out):
#      600 steps, AdamW 3e-4, dropout 0.1 -> models/default.npz
# Both stages run with 2 threads: the same seed and thread count give the same bytes on the same
# kind of CPU (build/ is -march=native; another SIMD width rounds sums differently). The script
# prints the SHA-256 it wrote next to the committed one.
#   scripts/train_default.sh [--out PATH]     (default: models/default.npz)
# About 7 minutes on 2 cores (stage 1 ~6 min, stage 2 ~30 s).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/models/default.npz"
case "${1:-}" in
  --out) out="$2" ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  "") ;;
  *) echo "train_default.sh: unknown argument '$1'" >&2; exit 2 ;;
esac
before="$(sha256sum "$root/models/default.npz" 2>/dev/null | cut -d' ' -f1 || true)"
[[ -x "$root/build/apps/sonnet" ]] || "$root/scripts/build.sh"
sonnet="$root/build/apps/sonnet"
mkdir -p "$root/build/models"
plays="$root/build/models/plays.npz"

echo "== stage 1: the prototype's recipe on the plays"
"$sonnet" train --corpus "$root/data/tinyshakespeare.txt" --out "$plays" --threads 2 --seed 1337 \
  --layers 4 --heads 4 --embd 128 --block 64 --batch 16 --dropout 0.1 --lr 1e-3 --steps 9000 \
  --init-scheme torch --json
echo "== stage 2: fine-tuned on the sonnets' verse"
"$root/scripts/prepare_sonnets.sh"
"$sonnet" train --init "$plays" --corpus "$root/data/sonnets_verse.txt" --out "$out" \
  --threads 2 --seed 1337 --batch 16 --dropout 0.1 --lr 3e-4 --steps 600 --json
rm -f "$out.state"
after="$(sha256sum "$out" | cut -d' ' -f1)"
echo "wrote $out"
echo "  sha256 $after"
[[ -n "$before" ]] && echo "  committed models/default.npz: $before$([[ $before == "$after" ]] && echo " (identical)")"
