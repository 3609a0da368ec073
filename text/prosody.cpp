#include "text/prosody.hpp"

#include <cmath>
#include <cstdlib>

namespace sonnet::text {

std::string rhyme_key(const word_info& w) {
  if (w.known && !w.rhymes.empty())
    return w.rhymes.front();
  return w.spelling_rhyme.empty() ? std::string() : "~" + w.spelling_rhyme;
}

double iambic_fit(const std::string& stress, const std::vector<bool>& free_syllable,
                  double* stress_fit_out, double* length_fit_out) {
  const int n = static_cast<int>(stress.size());
  int constrained = 0;
  int good = 0;
  for (int i = 0; i < n; ++i) {
    const bool is_free = i < static_cast<int>(free_syllable.size()) && free_syllable[i];
    const char s = stress[static_cast<std::size_t>(i)];
    if (is_free || (s != '0' && s != '1'))
      continue;
    ++constrained;
    const bool strong_position = i % 2 == 1;
    good += (s == '1') == strong_position;
  }
  const double stress_fit = constrained == 0 ? 1.0 : static_cast<double>(good) / constrained;
  double length_fit = 0;
  if (n == 10) {
    length_fit = 1;
  } else if (n == 11) {
    // feminine ending: an 11th syllable without primary stress (lexical stress, even for a
    // monosyllable: "the" is 0, "day" is 1)
    length_fit = stress[10] != '1' ? 1.0 : 0.75;
  } else {
    length_fit = std::max(0.0, 1.0 - std::abs(n - 10) / 4.0);
  }
  if (stress_fit_out)
    *stress_fit_out = stress_fit;
  if (length_fit_out)
    *length_fit_out = length_fit;
  return stress_fit * length_fit;
}

line_prosody analyze_line(const dictionary& dict, std::string_view line) {
  line_prosody out;
  std::vector<bool> free_syllable;
  for (const auto& w : split_words(line)) {
    auto info = lookup(dict, w);
    if (info.syllables <= 0)
      continue;
    out.words += 1;
    out.known_words += info.known;
    out.syllables += info.syllables;
    out.stress += info.stress;
    for (int i = 0; i < info.syllables; ++i)
      free_syllable.push_back(info.syllables == 1);
    out.end = std::move(info);
  }
  out.iambic_fit = iambic_fit(out.stress, free_syllable, &out.stress_fit, &out.length_fit);
  return out;
}

sonnet_prosody analyze(const dictionary& dict, const std::vector<std::string>& lines) {
  sonnet_prosody out;
  out.lines.reserve(lines.size());
  double sum = 0;
  int words = 0;
  int known = 0;
  for (const auto& l : lines) {
    out.lines.push_back(analyze_line(dict, l));
    sum += out.lines.back().iambic_fit;
    words += out.lines.back().words;
    known += out.lines.back().known_words;
  }
  out.meter = lines.empty() ? 0.0 : sum / static_cast<double>(lines.size());
  out.known_share = words == 0 ? 1.0 : static_cast<double>(known) / words;
  for (std::size_t p = 0; p < sonnet_rhyme_pairs.size(); ++p) {
    auto [a, b] = sonnet_rhyme_pairs[p];
    const bool ok = b < static_cast<int>(out.lines.size())
                    && rhymes(out.lines[static_cast<std::size_t>(a)].end,
                              out.lines[static_cast<std::size_t>(b)].end);
    out.pair_rhymes[p] = ok;
    out.rhyme_pairs += ok;
  }
  out.rhyme = out.rhyme_pairs / 7.0;
  return out;
}

} // namespace sonnet::text
