#pragma once
// A sonnet's quality in [0, 1], replacing the prototype's fixed 0.8 / 0.5.
//
//   quality = 0.4 * structure + 0.3 * meter + 0.3 * rhyme
//
//   structure = line_shape * syllable_share
//     line_shape     = 1 for exactly 14 lines, else max(0, 1 - |lines - 14| / 14)
//     syllable_share = share of the lines with 9..13 syllables (dictionary syllable counts;
//                      the prototype's validate() bounds, applied per line instead of on average)
//   meter = mean iambic fit of the lines (text/prosody.hpp: stresses of polysyllables on the
//           da-DUM x5 template, times a length factor peaking at 10 syllables)
//   rhyme = rhyme pairs of ABAB CDCD EFEF GG that rhyme / 7
//
// Each term is in [0, 1] and the score is a weighted sum with positive weights, so it is
// monotone: a better structure, meter or rhyme never lowers the quality, and the breakdown
// explains any score. Structure weighs most because a sonnet that is not 14 verse-length lines
// is not one whatever its sound; meter and rhyme weigh alike. Shakespeare's Sonnet 18 scores
// about 0.9; 0 needs no line of verse length, no metrical line and no rhyme.

#include "text/prosody.hpp"

#include <string>
#include <vector>

namespace sonnet::text {

/// Weights of the quality formula (they sum to 1).
inline constexpr double quality_weight_structure = 0.4;
inline constexpr double quality_weight_meter = 0.3;
inline constexpr double quality_weight_rhyme = 0.3;

/// Lines of 9..13 syllables count as verse length.
inline constexpr int verse_min_syllables = 9;
inline constexpr int verse_max_syllables = 13;

/// The quality and its terms.
struct quality_breakdown {
  double line_shape = 0;
  double syllable_share = 0;
  double structure = 0;
  double meter = 0;
  double rhyme = 0;
  int rhyme_pairs = 0;
  double score = 0;
};

/// The formula above, from an analysis.
quality_breakdown score(const sonnet_prosody& p);

/// Analysis and quality of lines in one go.
struct assessment {
  sonnet_prosody prosody;
  quality_breakdown quality;
};
assessment assess(const dictionary& dict, const std::vector<std::string>& lines);

} // namespace sonnet::text
