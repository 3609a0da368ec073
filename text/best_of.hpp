#pragma once
// Best-of-N (issue 8): the model writes N candidate texts; keep the best sonnet among them.
//
// Whole-candidate selection (what best_of() does): every candidate goes through text::format()
// (its first 14 clean lines among at most 20), so each chosen sonnet is one continuous piece of
// the model's own text, with the lines in the order the model wrote them. Candidates without 14
// clean lines are out. Among the rest, those passing the prototype's validate() come first; then
// the higher quality (text/quality.hpp) wins; ties go to the lower index, so the result is
// deterministic for given texts.
//
// Why not line-by-line assembly from the pool of all clean lines: it would raise the rhyme score
// (pick 7 rhyming pairs from N*14 lines) but stitch lines of unrelated passages together, losing
// the sense that only a continuous passage has; the score would then reward collage over poems.
// best_lines() below implements it as an option for experiments, not for the service.

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
std::optional<candidate_choice> best_of(const dictionary& dict, const std::vector<std::string>& raws);

/// Line-by-line assembly (experimental, see above): from the clean lines of all `raws`, keeps
/// those of 9..13 syllables, groups them by end-rhyme, and fills the 7 pairs of ABAB CDCD EFEF GG
/// greedily with the best-fitting pairs of distinct rhyme sounds (by iambic fit). Every line is
/// one of the model's clean lines, unchanged, used at most once. nullopt when fewer than 7 pairs
/// can be formed.
std::optional<std::vector<std::string>> best_lines(const dictionary& dict,
                                                   const std::vector<std::string>& raws);

} // namespace sonnet::text
