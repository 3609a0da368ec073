#!/usr/bin/env bash
# data/sonnets_verse.txt from data/shakespeare_sonnets.txt: the verse alone, for fine-tuning.
# Drops each sonnet's Roman-numeral heading ("XLVII.") and CXXVI's two empty bracket lines
# ("(   )"): a model trained on them writes them, and the formatter keeps them as lines.
# Sonnets stay separated by one blank line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sed -E -e '/^[IVXLC]+\.$/d' -e '/^[[:space:]]*\([[:space:]]*\)[[:space:]]*$/d' \
  "$root/data/shakespeare_sonnets.txt" | cat -s | sed '1{/^$/d}' > "$root/data/sonnets_verse.txt"
echo "wrote data/sonnets_verse.txt ($(wc -c < "$root/data/sonnets_verse.txt") bytes)"
