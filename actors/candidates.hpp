#pragma once
// Message-level glue of best-of-N (header-only, no CAF runtime): turns 14 clean lines into a
// `formatted` with the quality analysis, and picks the best of N raw model texts. The pure work
// is in text/quality.hpp and text/best_of.hpp; the formatter actor and the service share this.
// With several candidates the lines may be assembled from all of them (text::select_sonnet);
// formatted::chosen is then -1.

#include "messages/types.hpp"
#include "text/best_of.hpp"
#include "text/formatter.hpp"
#include "text/quality.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sonnet {

/// The formatter's verdict on 14 clean lines: the prototype's validate() plus quality and the
/// per-line analysis (text/quality.hpp). All numbers are finite.
inline formatted make_formatted(std::vector<std::string> lines, const text::assessment& a) {
  formatted out;
  out.lines = std::move(lines);
  auto verdict = text::validate(text::join_lines(out.lines));
  out.valid = verdict.first;
  out.reason = std::move(verdict.second);
  out.quality = a.quality.score;
  out.structure = a.quality.structure;
  out.meter = a.quality.meter;
  out.rhyme_pairs = a.quality.rhyme_pairs;
  out.rhyme = a.quality.rhyme;
  out.analysis.reserve(a.prosody.lines.size());
  for (const auto& l : a.prosody.lines)
    out.analysis.push_back(
      line_analysis{l.syllables, l.stress, l.iambic_fit, text::rhyme_key(l.end)});
  return out;
}

inline formatted make_formatted(std::vector<std::string> lines, const text::dictionary& dict) {
  auto a = text::assess(dict, lines);
  return make_formatted(std::move(lines), a);
}

/// Best-of-N over raw model texts (text::select_sonnet): one text -> its first 14 clean lines
/// (the prototype); several -> 14 lines assembled from the pool of all their clean lines
/// (ABAB CDCD EFEF GG, index -1), or the best whole candidate (its index) when the assembly cannot
/// fill 14 lines or is not better. nullopt when no 14 lines can be made; else the verdict and
/// the index of the chosen text (-1 = assembled).
inline std::optional<std::pair<formatted, int>>
best_formatted(const std::vector<std::string>& raws,
               const text::dictionary& dict = *text::shared_dictionary()) {
  auto c = text::select_sonnet(dict, raws);
  if (!c)
    return std::nullopt;
  const int index = c->chosen;
  return std::make_pair(make_formatted(std::move(c->lines), c->a), index);
}

} // namespace sonnet
