#pragma once
// Meter and rhyme of a sonnet, from the pronunciations of text/pronouncing.hpp.
//
// Iambic fit of a line, in [0, 1]:  iambic_fit = stress_fit * length_fit, where
//  * the template is iambic pentameter, da-DUM x5: syllable positions 0, 2, 4, 6, 8 weak and
//    1, 3, 5, 7, 9 strong (continued alternately beyond 10);
//  * only syllables of words with 2+ syllables and a known stress constrain the meter: stress
//    1 must sit on a strong position, stress 0 on a weak one. Monosyllables are free (they take
//    either beat), and so are secondary stress (2) and unknown stress ('?', fallback words);
//  * stress_fit = share of the constrained syllables that sit where the template wants them;
//    1 for a line without constrained syllables;
//  * length_fit = 1 for 10 syllables, and for 11 when the 11th is not a stressed syllable
//    (feminine ending); otherwise max(0, 1 - |syllables - 10| / 4): 9 or 11 -> 0.75, 8 or 12
//    -> 0.5, <= 6 or >= 14 -> 0.
// The sonnet's meter score is the mean iambic fit of its lines (0 for no lines).
//
// Rhyme: the end word of each line (its last word) is compared pairwise along the Shakespearean
// scheme ABAB CDCD EFEF GG: lines (1,3) (2,4) (5,7) (6,8) (9,11) (10,12) (13,14) (1-based).
// rhyme_pairs counts the pairs that rhyme (text::rhymes), rhyme = rhyme_pairs / 7. Pairs whose
// lines are missing (fewer than 14 lines) do not rhyme.

#include "text/pronouncing.hpp"

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sonnet::text {

/// The 7 rhyme pairs of ABAB CDCD EFEF GG, as 0-based line indexes.
inline constexpr std::array<std::pair<int, int>, 7> sonnet_rhyme_pairs = {
  {{0, 2}, {1, 3}, {4, 6}, {5, 7}, {8, 10}, {9, 11}, {12, 13}}};

/// Analysis of one line.
struct line_prosody {
  int syllables = 0;
  /// Stress of every syllable, words concatenated ('0' '1' '2' '?'), size() == syllables.
  std::string stress;
  /// Meter of the line in [0, 1] (see the header comment).
  double iambic_fit = 0;
  double stress_fit = 1;
  double length_fit = 0;
  /// The end word as looked up (empty when the line has no word).
  word_info end;
  /// Words of the line and how many the dictionary knew.
  int words = 0;
  int known_words = 0;
};

/// Analysis of a sonnet.
struct sonnet_prosody {
  std::vector<line_prosody> lines;
  /// Mean iambic fit of the lines, in [0, 1].
  double meter = 0;
  /// For each of sonnet_rhyme_pairs: do its end words rhyme?
  std::array<bool, 7> pair_rhymes{};
  /// Pairs that rhyme, 0..7, and rhyme_pairs / 7.
  int rhyme_pairs = 0;
  double rhyme = 0;
  /// Share of all words found in the dictionary (1 for no words).
  double known_share = 1;
};

/// A printable rhyme key of a word: its first dictionary key ("EY"), or "~" + its spelling key
/// ("~ade") when it is not in the dictionary.
std::string rhyme_key(const word_info& w);

/// Meter of a line's syllables as defined above: `stress[i]` is the stress of syllable i and
/// `free_syllable[i]` is true when it belongs to a one-syllable word. Exposed for tests.
double iambic_fit(const std::string& stress, const std::vector<bool>& free_syllable,
                  double* stress_fit = nullptr, double* length_fit = nullptr);

line_prosody analyze_line(const dictionary& dict, std::string_view line);
sonnet_prosody analyze(const dictionary& dict, const std::vector<std::string>& lines);

} // namespace sonnet::text
