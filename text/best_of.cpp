#include "text/best_of.hpp"

#include "text/formatter.hpp"

#include <algorithm>
#include <map>

namespace sonnet::text {

std::optional<candidate_choice> best_of(const dictionary& dict,
                                        const std::vector<std::string>& raws) {
  std::optional<candidate_choice> best;
  int formatted_count = 0;
  for (std::size_t i = 0; i < raws.size(); ++i) {
    auto lines = format(raws[i]);
    if (!lines)
      continue;
    ++formatted_count;
    candidate_choice c;
    c.index = static_cast<int>(i);
    c.lines = std::move(*lines);
    auto verdict = validate(join_lines(c.lines));
    c.valid = verdict.first;
    c.reason = std::move(verdict.second);
    c.a = assess(dict, c.lines);
    const bool better = !best || (c.valid && !best->valid)
                        || (c.valid == best->valid && c.a.quality.score > best->a.quality.score);
    if (better)
      best = std::move(c);
  }
  if (best)
    best->formatted_candidates = formatted_count;
  return best;
}

std::optional<std::vector<std::string>> best_lines(const dictionary& dict,
                                                   const std::vector<std::string>& raws) {
  struct entry {
    std::string text;
    line_prosody p;
  };
  std::vector<entry> pool;
  for (const auto& raw : raws)
    for (auto& l : extract_lines(raw, 1 << 20)) {
      auto p = analyze_line(dict, l);
      if (p.syllables < verse_min_syllables || p.syllables > verse_max_syllables
          || p.end.word.empty())
        continue;
      bool dup = false;
      for (const auto& e : pool)
        dup |= e.text == l;
      if (!dup)
        pool.push_back({std::move(l), std::move(p)});
    }
  // Candidate pairs: two lines whose end words rhyme; a pair's worth is its summed iambic fit.
  struct pair_t {
    double fit;
    std::size_t a, b;
    std::string sound;
  };
  std::vector<pair_t> pairs;
  for (std::size_t i = 0; i < pool.size(); ++i)
    for (std::size_t j = i + 1; j < pool.size(); ++j)
      if (rhymes(pool[i].p.end, pool[j].p.end))
        pairs.push_back({pool[i].p.iambic_fit + pool[j].p.iambic_fit, i, j,
                         rhyme_key(pool[i].p.end)});
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const pair_t& x, const pair_t& y) { return x.fit > y.fit; });
  std::vector<bool> used(pool.size(), false);
  std::vector<std::string> sounds;
  std::vector<const pair_t*> chosen;
  for (const auto& p : pairs) {
    if (chosen.size() == 7)
      break;
    if (used[p.a] || used[p.b]
        || std::find(sounds.begin(), sounds.end(), p.sound) != sounds.end())
      continue;
    used[p.a] = used[p.b] = true;
    sounds.push_back(p.sound);
    chosen.push_back(&p);
  }
  if (chosen.size() < 7)
    return std::nullopt;
  std::vector<std::string> out(14);
  for (std::size_t k = 0; k < 7; ++k) {
    auto [x, y] = sonnet_rhyme_pairs[k];
    out[static_cast<std::size_t>(x)] = pool[chosen[k]->a].text;
    out[static_cast<std::size_t>(y)] = pool[chosen[k]->b].text;
  }
  return out;
}

} // namespace sonnet::text
