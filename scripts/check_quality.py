#!/usr/bin/python3
"""Independent quality checker for `sonnet generate --json` output (issue 8).

Reads JSON objects, one per line, on stdin (other lines are ignored); for each sonnet (its
"lines", else its "text" split on newlines) counts
  * verse lines: lines of 9..13 syllables;
  * rhyme pairs: pairs of Shakespeare's scheme ABAB CDCD EFEF GG, i.e. lines (1,3) (2,4) (5,7)
    (6,8) (9,11) (10,12) (13,14), whose end words rhyme;
prints a per-sonnet table and the means, and with --json a last line with the summary.

Written on its own, sharing no code with the C++ analysis (text/pronouncing, text/prosody):

Dictionary: the CMU pronouncing dictionary 0.4 as Debian's festlex-cmu ships it
(/usr/share/festival/dicts/cmu/cmudict-0.4.out, or --dict PATH), in Festival's syntax
  ("summer" nil (((s ah) 1) ((m er) 0)))
i.e. a word, a part of speech, then syllables as ((phones) stress). A word may have several
entries (one per part of speech); all are kept.
  * syllables of a word = the syllable count of its first entry;
  * rhyme part of a pronunciation = its phones from the vowel of the last syllable with
    stress 1 (primary) to the end; if no syllable has stress 1, from the last syllable with
    stress 2, else from the last vowel. Schwa `ax` is folded into `ah`, as CMUdict writes it.
    Vowel phones are those starting with a, e, i, o, u.

Words: lower-cased; curly quotes become '; everything but letters and apostrophes separates
words; apostrophes at the edges are dropped (quotes). Lookup order: the word; the word without
apostrophes; X's / Xs' -> X plus a final z (possessive); X'd -> Xed, then X + d (elided -ed:
"dimm'd" = "dimmed"); X'st -> X plus "st"; th' -> the.

Unknown words (not in the dictionary after those rules) get this checker's own estimate, which
differs from the C++ fallback (plain vowel groups):
  * syllables = groups of vowel letters (a e i o u, and y when not word-initial), minus a silent
    final e (word ends in e, not "le" after a consonant, not "ee"/"ye", word has another vowel
    group), minus a silent -es/-ed ending (ends in "es" not after s, x, z, ch, sh, g, c; ends in
    "ed" not after t or d), at least 1;
  * rhyme: two end words rhyme if both are known and share a rhyme part (any pronunciation
    pair); otherwise if their last three letters (the whole word when shorter) are equal after
    dropping a final s. A word never rhymes with itself.

The bar (issue 8), checked by scripts/quality_bar.sh: with --candidates 8, >= 85 % of the lines
at 9..13 syllables and >= 1.5 more rhyme pairs on average than with --candidates 1.

usage: check_quality.py [--dict PATH] [--label NAME] [--json] < generate.jsonl
"""

import json
import re
import sys

DEFAULT_DICT = "/usr/share/festival/dicts/cmu/cmudict-0.4.out"
SCHEME = [(0, 2), (1, 3), (4, 6), (5, 7), (8, 10), (9, 11), (12, 13)]
VERSE_MIN, VERSE_MAX = 9, 13

_entry_re = re.compile(r'^\("((?:[^"\\]|\\.)*)"\s+\S+\s+\((.*)\)\)\s*$')
_syll_re = re.compile(r"\(\(([a-z0-9 ]*)\)\s*([0-9])\)")


def load_dict(path):
    """word -> list of pronunciations; a pronunciation is a list of (phones, stress)."""
    words = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            if not line.startswith("("):
                continue
            m = _entry_re.match(line.strip())
            if not m:
                continue
            word = m.group(1).lower()
            sylls = [(ph.split(), int(st)) for ph, st in _syll_re.findall(m.group(2))]
            if not sylls:
                continue
            words.setdefault(word, []).append(sylls)
    return words


def is_vowel_phone(ph):
    return ph[0] in "aeiou"


def rhyme_part(pron):
    stresses = [st for _, st in pron]
    if 1 in stresses:
        k = len(stresses) - 1 - stresses[::-1].index(1)
    elif 2 in stresses:
        k = len(stresses) - 1 - stresses[::-1].index(2)
    else:
        k = len(stresses) - 1
    phones = []
    for i in range(k, len(pron)):
        phones.extend("ah" if p == "ax" else p for p in pron[i][0])
    # drop the onset consonants of the stressed syllable
    j = 0
    while j < len(phones) and not is_vowel_phone(phones[j]):
        j += 1
    return " ".join(phones[j:])


def words_of(line):
    line = line.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'").lower()
    out = []
    for w in re.split(r"[^a-z']+", line):
        w = w.strip("'")
        if w:
            out.append(w)
    return out


class Checker:
    def __init__(self, words):
        self.words = words

    def prons(self, w):
        """Pronunciations of a word after the contraction rules, or None; each pronunciation is
        (syllable count, rhyme part)."""
        d = self.words

        def get(x, extra_phone=None):
            ps = d.get(x)
            if not ps:
                return None
            out = []
            for p in ps:
                r = rhyme_part(p)
                if extra_phone:
                    r = r + " " + extra_phone
                out.append((len(p), r))
            return out

        for cand in (w, w.replace("'", "")):
            r = get(cand)
            if r:
                return r
        if w in ("th", "th'"):
            return get("the")
        if w.endswith("'s") or w.endswith("s'"):
            return get(w[:-2], "z")
        if w.endswith("'d"):
            stem = w[:-2]
            return get(stem + "ed") or get(stem + "d") or get(stem, "d")
        if w.endswith("'st"):
            return get(w[:-3], "s t")
        return None

    @staticmethod
    def guess_syllables(w):
        w = w.replace("'", "")
        # groups of vowel letters; y is a vowel except at the start of the word
        n = 0
        prev = False
        for i, ch in enumerate(w):
            v = ch in "aeiou" or (ch == "y" and i > 0)
            if v and not prev:
                n += 1
            prev = v
        if n > 1:
            if w.endswith("e") and not w.endswith("ee") and not w.endswith("ye") and not (
                    w.endswith("le") and len(w) > 2 and w[-3] not in "aeiouy"):
                n -= 1
            elif w.endswith("es") and not re.search(r"(s|x|z|ch|sh|g|c)es$", w):
                n -= 1
            elif w.endswith("ed") and not re.search(r"[td]ed$", w):
                n -= 1
        return max(1, n)

    def syllables(self, w):
        p = self.prons(w)
        return p[0][0] if p else self.guess_syllables(w)

    def line_syllables(self, line):
        return sum(self.syllables(w) for w in words_of(line))

    def end_word(self, line):
        ws = words_of(line)
        return ws[-1] if ws else ""

    def rhymes(self, a, b):
        if not a or not b or a.replace("'", "") == b.replace("'", ""):
            return False
        pa, pb = self.prons(a), self.prons(b)
        if pa and pb:
            ra = {r for _, r in pa if r}
            return any(r in ra for _, r in pb if r)

        def tail(w):
            w = w.replace("'", "")
            if w.endswith("s") and len(w) > 3:
                w = w[:-1]
            return w[-3:]

        return tail(a) == tail(b) and tail(a) != ""

    def check(self, lines):
        counts = [self.line_syllables(l) for l in lines]
        verse = sum(VERSE_MIN <= c <= VERSE_MAX for c in counts)
        ends = [self.end_word(l) for l in lines]
        pairs = 0
        for a, b in SCHEME:
            if b < len(lines) and self.rhymes(ends[a], ends[b]):
                pairs += 1
        return {"lines": len(lines), "verse": verse, "pairs": pairs, "syllables": counts}


def main(argv):
    path, label, want_json = DEFAULT_DICT, "", False
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--dict" and i + 1 < len(argv):
            path = argv[i + 1]
            i += 2
            continue
        if a == "--label" and i + 1 < len(argv):
            label = argv[i + 1]
            i += 2
            continue
        if a == "--json":
            want_json = True
            i += 1
            continue
        print(__doc__, file=sys.stderr)
        return 2
    try:
        checker = Checker(load_dict(path))
    except OSError as e:
        print("check_quality: cannot read the dictionary %s: %s" % (path, e), file=sys.stderr)
        return 2
    if not checker.words:
        print("check_quality: no entries in %s" % path, file=sys.stderr)
        return 2
    rows = []
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw.startswith("{"):
            continue
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        lines = obj.get("lines")
        if not isinstance(lines, list):
            text = obj.get("text")
            if not isinstance(text, str):
                continue
            lines = text.split("\n")
        r = checker.check([str(l) for l in lines])
        r["seed"] = obj.get("seed")
        r["chosen"] = obj.get("chosen")
        r["candidates"] = obj.get("candidates")
        rows.append(r)
    title = ("== " + label + " ") if label else ""
    print("%s(%d sonnets, dictionary %s, %d words)" % (title, len(rows), path, len(checker.words)))
    print("| # | seed | candidates | chosen | lines | lines 9-13 syll. | rhyme pairs /7 | syllables |")
    print("|---|---|---|---|---|---|---|---|")
    for k, r in enumerate(rows):
        print("| %d | %s | %s | %s | %d | %d | %d | %s |" % (
            k + 1, r["seed"], r["candidates"], r["chosen"], r["lines"], r["verse"], r["pairs"],
            " ".join(str(c) for c in r["syllables"])))
    total_lines = sum(r["lines"] for r in rows)
    total_verse = sum(r["verse"] for r in rows)
    share = total_verse / total_lines if total_lines else 0.0
    mean_pairs = sum(r["pairs"] for r in rows) / len(rows) if rows else 0.0
    print("mean: %.1f%% of %d lines at 9-13 syllables, %.2f rhyme pairs per sonnet"
          % (100.0 * share, total_lines, mean_pairs))
    if want_json:
        print(json.dumps({"label": label, "sonnets": len(rows), "lines": total_lines,
                          "verse_share": share, "mean_pairs": mean_pairs}))
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
