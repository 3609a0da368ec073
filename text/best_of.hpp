#pragma once
// Best-of-N: the model writes N candidate texts; make the best sonnet out of them.
//
// select_sonnet() is what the service uses (through actors/candidates.hpp):
//  * one candidate (N = 1): exactly the prototype's behaviour, text::format() of the text (its
//    first 14 clean lines among at most 20), chosen = 0;
//  * N >= 2: line assembly (assemble(), below) from the pool of all the candidates' clean lines;
//    if the assembly cannot fill 14 lines (fewer than 14 distinct clean lines in the pool), or if
//    the best whole candidate (best_of()) scores at least as high, the whole candidate is kept
//    (a continuous passage of the model's text is preferred at equal quality).
//
// Whole-candidate selection (best_of()): every candidate goes through text::format(); those
// without 14 clean lines are out. Among the rest, those passing the prototype's validate() come
// first; then the higher quality (text/quality.hpp) wins; ties go to the lower index.
//
// Line assembly (assemble()): 14 lines chosen and ordered from the pool of clean lines the
// candidates produced; every line stays the model's own text:
//  1. Pool: the clean lines (text::extract_lines, no limit) of every candidate, in candidate
//     order then line order; a text that occurs again (in any candidate) is dropped, so every
//     line of the result is one pool line, byte for byte, used at most once.
//  2. Each line is analysed (text::analyze_line). Verse lines have 9..13 syllables (dictionary
//     count, text/quality.hpp). A line's worth is its iambic fit + 0.25 if every word was found
//     in the dictionary (its syllable count and rhyme are then certain, not guessed).
//  3. Rhyme pairs: verse lines are grouped by the rhyme key of their end word (text::rhyme_key);
//     inside a group, the best line is paired with the best remaining line it rhymes with
//     (text::rhymes: never the same end word), and so on. A pair's worth is the sum of its
//     lines' worths + 0.5 when both end words are in the dictionary.
//  4. Up to 7 pairs are taken by worth, first with distinct rhyme sounds (a sonnet's 7 rhymes
//     differ), then, if fewer than 7, again among the pairs left (repeating a sound).
//  5. Missing pairs are filled with unused verse lines by worth, two at a time (they do not
//     rhyme), then with the other clean lines by length fit and iambic fit. So the assembly only
//     fails when the pool holds fewer than 14 distinct clean lines.
//  6. Order: every pair sits where its earlier line was in the pool (so lines of one passage
//     keep their order); the rhyming pairs fill the quatrains ABAB CDCD EFEF in that order, then
//     the non-rhyming pairs, and the last rhyming pair becomes the couplet GG. Within a pair the
//     earlier pool line comes first.
// Limits: rhyme and meter are only what the dictionary says (words it lacks get the spelling
// fallback of text/pronouncing.hpp); the sense is not judged at all: the lines come from
// unrelated passages, so the result is a collage of the model's lines that scans and rhymes,
// not a continuous poem; grouping uses the first pronunciation's rhyme key, so a pair that only
// rhymes through a second pronunciation (wind/mind) is missed unless its keys agree; the greedy
// pairing maximises the number of rhyme pairs per sound but is not a global optimum of worth.

#include "text/quality.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sonnet::text {

/// The chosen candidate.
struct candidate_choice {
  /// Index of the chosen raw text in the input.
  int index = -1;
  /// Its 14 clean lines.
  std::vector<std::string> lines;
  /// validate() of the joined lines.
  bool valid = false;
  std::string reason;
  /// Analysis and quality of `lines`.
  assessment a;
  /// How many candidates had 14 clean lines.
  int formatted_candidates = 0;
};

/// Whole-candidate best-of-N over `raws` (see the header comment). nullopt when no candidate has
/// 14 clean lines.
std::optional<candidate_choice> best_of(const dictionary& dict,
                                        const std::vector<std::string>& raws);

/// Where an assembled line came from.
struct line_source {
  int candidate = 0; ///< index into raws
  int line = 0;      ///< index among that candidate's clean lines
};

/// A sonnet assembled from the pool (see the header comment).
struct assembly {
  std::vector<std::string> lines;   ///< 14 pool lines
  std::vector<line_source> sources; ///< one per line
  int rhyming_pairs = 0;            ///< pairs of step 3-4 placed (the others are fillers)
  int pool = 0;                     ///< distinct clean lines in the pool
};

/// Line assembly from the clean lines of all `raws` (steps 1-6 above). nullopt when the pool
/// holds fewer than 14 distinct clean lines.
std::optional<assembly> assemble(const dictionary& dict, const std::vector<std::string>& raws);

/// The service's selection (see the header comment).
struct sonnet_choice {
  std::vector<std::string> lines;
  /// Index of the whole candidate kept, or -1 when the lines were assembled from the pool.
  int chosen = 0;
  assessment a;
};

/// N = 1: format() of the text; N >= 2: assembly, or the best whole candidate when the assembly
/// fails or is not better. nullopt when neither gives 14 lines.
std::optional<sonnet_choice> select_sonnet(const dictionary& dict,
                                           const std::vector<std::string>& raws);

} // namespace sonnet::text
