#include "text/quality.hpp"

#include <algorithm>
#include <cstdlib>

namespace sonnet::text {

quality_breakdown score(const sonnet_prosody& p) {
  quality_breakdown q;
  const int n = static_cast<int>(p.lines.size());
  q.line_shape = std::max(0.0, 1.0 - std::abs(n - 14) / 14.0);
  int verse = 0;
  for (const auto& l : p.lines)
    verse += l.syllables >= verse_min_syllables && l.syllables <= verse_max_syllables;
  q.syllable_share = n == 0 ? 0.0 : static_cast<double>(verse) / n;
  q.structure = q.line_shape * q.syllable_share;
  q.meter = p.meter;
  q.rhyme = p.rhyme;
  q.rhyme_pairs = p.rhyme_pairs;
  q.score = quality_weight_structure * q.structure + quality_weight_meter * q.meter
            + quality_weight_rhyme * q.rhyme;
  q.score = std::clamp(q.score, 0.0, 1.0);
  return q;
}

assessment assess(const dictionary& dict, const std::vector<std::string>& lines) {
  assessment a;
  a.prosody = analyze(dict, lines);
  a.quality = score(a.prosody);
  return a;
}

} // namespace sonnet::text
