#pragma once
// Overthinkng: the prototype's cloud expansion rings (EMERGENT-SPEC §5), as pure logic.
//
// After each turn the prototype took the 5 newest sonnets it had not written itself and ran
// three "rings" of string manipulation over them — echo (swap lines), drift (swap words for
// synonyms), meta (fill templates with the sources' long words) — storing at most one new
// sonnet per ring with added_by 'overthinkng_<ring>'. No language model is involved.
// expand() takes those sources and returns what would be stored; the caller owns the cloud.
//
// Fixed (spec §14 numbers):
//  * #19 unseeded `random`: every choice comes from a caller's std::mt19937_64 through the fixed
//    mappings below (draw_unit, draw_index, draw_int, draw_shuffle), so a seed replays anywhere.
//  * #20 ring `temp` never used: dropped (no ring calls the model). The meta ring's `semantic`
//    (0.5) stays in its config and stays unused, as in the prototype.
//  * #21 text of the first variation stored with the coherence of all: each variation is a
//    14-line candidate with its OWN coherence; the ring proposes the best candidate whose
//    coherence passes coherence_threshold, with that coherence as its quality.
//  * #23 echo stored verbatim duplicates: a candidate equal to its source's first 14 lines (an
//    echo without swap, a drift that found no synonym), to any source text, to a text the
//    caller says exists, or to an earlier proposal of the same call is never proposed.
//  * #24 drift missed "Love," and lost the case: the word's lower-cased letters are matched with
//    surrounding punctuation peeled off; the punctuation is kept and a capital first letter
//    stays capital ("Love," → "Heart,"). A drifted line is re-joined with single spaces only
//    if a word changed (otherwise the line is kept as it was, spacing included).
// Kept: ring configs, probabilities and draw order of §5.3; sources with fewer than 14 lines
// are skipped when picked (not filtered out first); meta reads all the source's lines; the
// synonym map and the five templates verbatim; compute_coherence exactly as §5.4.
// Not decided here (#22, raw INSERT bypassing sonnet_lines/trigrams): how a proposal is stored
// is the caller's choice; stored_dissonance/stored_temperature are the prototype's values.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace sonnet::emergent {

// --- seeded choices (defect 19) ---------------------------------------------
// Fixed mappings from the engine's 64-bit outputs, never std::uniform_*_distribution (whose
// mapping is the library's choice): the same seed gives the same choices on every platform.

/// Uniform in [0, 1): (u >> 11)·2⁻⁵³, the mapping of seeded_draw (phases.hpp).
double draw_unit(std::mt19937_64& rng);

/// Uniform in [0, n), n > 0: draws u until u >= 2⁶⁴ mod n (rejection: unbiased), returns u mod n.
std::size_t draw_index(std::mt19937_64& rng, std::size_t n);

/// Python's randint(a, b), a <= b, both inclusive: a + draw_index(b − a + 1).
std::int64_t draw_int(std::mt19937_64& rng, std::int64_t a, std::int64_t b);

/// Fisher–Yates from the back: for i = n−1 … 1, swap item i with item draw_index(i + 1).
void draw_shuffle(std::mt19937_64& rng, std::vector<std::string>& items);

// --- rings (§5.1) -------------------------------------------------------------

using line_list = std::vector<std::string>;

/// A sonnet has this many lines; shorter sources are skipped, variations have exactly this many.
inline constexpr std::size_t sonnet_line_count = 14;

/// A candidate is proposed only with coherence >= this.
inline constexpr double coherence_threshold = 0.4;

/// What the prototype's INSERT wrote besides text and quality (kept for the caller).
inline constexpr double stored_dissonance = 0.5;
inline constexpr double stored_temperature = 0.8;

enum class ring_kind : std::uint8_t { echo = 0, drift = 1, meta = 2 };

struct ring_config {
  ring_kind kind;
  std::string_view name; ///< "echo", "drift", "meta"
  double semantic;       ///< echo: chance of swapping; drift: chance per line; meta: unused
  int max_variations;    ///< candidates tried per expansion
};

/// The prototype's three rings, in the order expand() runs them.
inline constexpr std::array<ring_config, 3> rings = {{
    {ring_kind::echo, "echo", 0.3, 2},
    {ring_kind::drift, "drift", 0.6, 3},
    {ring_kind::meta, "meta", 0.5, 1},
}};

/// "overthinkng_" + ring name (the prototype's spelling: the shipped cloud's rows carry it).
std::string overthink_added_by(std::string_view ring_name);

/// True for the three added_by values Overthinkng writes (the caller excludes them from sources).
bool is_overthink_added_by(std::string_view added_by);

// --- variations (§5.3) --------------------------------------------------------

/// §5.4: 0 for no lines; else clamp(0.6·(1 − |avg_tokens − 12|/12) + 0.4·distinct/max(1, tokens),
/// 0, 1) over whitespace tokens (case-sensitive, punctuation attached).
double compute_coherence(const line_list& lines);

/// Echo: a copy of the first 14 lines; with probability `semantic`, two swaps of two distinct
/// positions each (needs >= 14 lines for a full variation).
line_list echo_variation(const line_list& source, double semantic, std::mt19937_64& rng);

/// The drift synonyms of `word`'s letters (lower-cased, punctuation peeled off), or nullptr.
const std::array<std::string_view, 3>* drift_synonyms(std::string_view word);

/// One word drifted: a random synonym with the word's surrounding punctuation and first-letter
/// capital kept ("Love," → "Heart,"); a word outside the map comes back unchanged (no draw).
std::string drift_word(std::string_view word, std::mt19937_64& rng);

/// Drift: each of the first 14 lines, with probability `semantic`, if it has more than 2 words,
/// gets randint(1, 2) words (random indices, repeats possible) drifted.
line_list drift_variation(const line_list& source, double semantic, std::mt19937_64& rng);

/// The five templates, verbatim; "{k}" marks the keyword.
inline constexpr std::array<std::string_view, 5> meta_templates = {{
    "When {k} doth call upon the night",
    "The {k} of time shall never fade",
    "And {k} remains when all is done",
    "To {k} is to know the heart's desire",
    "Where {k} dwells, there beauty lies",
}};

/// Meta keywords: per line, the first two whitespace tokens longer than 4 code points.
line_list meta_keywords(const line_list& source);

/// Meta: keywords shuffled; line i is a random template filled with keyword i while keywords
/// last, then a random line of the whole source. No lines for an empty source.
line_list meta_variation(const line_list& source, std::mt19937_64& rng);

// --- expansion (§5.2, §5.5) ---------------------------------------------------

struct overthink_source {
  std::int64_t id = 0;
  std::string text;
};

/// What one ring would store.
struct overthink_proposal {
  std::string ring;     ///< "echo", "drift" or "meta"
  std::string added_by; ///< overthink_added_by(ring)
  std::string text;     ///< 14 lines joined by '\n'
  double coherence = 0; ///< compute_coherence of exactly these lines: the quality to store
  std::int64_t source_id = 0;
};

/// True if the cloud already holds exactly `text` (the caller's cloud; may be empty).
using text_exists = std::function<bool(std::string_view text)>;

/// Runs the first min(num_rings, 3) rings over `sources` (the caller's 5 newest sonnets not
/// written by Overthinkng) and returns at most one proposal per ring, in ring order; none for
/// no sources. `exists` (optional) names texts already stored.
std::vector<overthink_proposal> expand(const std::vector<overthink_source>& sources,
                                       std::size_t num_rings, std::mt19937_64& rng,
                                       const text_exists& exists = {});

} // namespace sonnet::emergent
