#include "text/best_of.hpp"

#include "text/formatter.hpp"

#include <algorithm>
#include <climits>
#include <map>
#include <unordered_set>

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

namespace {

struct pool_line {
  std::string text;
  line_source src;
  line_prosody p;
  bool verse = false;
  double worth = 0;
};

bool all_known(const line_prosody& p) {
  return p.words > 0 && p.known_words == p.words;
}

struct line_pair {
  std::size_t a = 0, b = 0; // pool indexes, a < b
  double worth = 0;
  std::string sound;
  bool rhymes = false;
};

} // namespace

std::optional<assembly> assemble(const dictionary& dict, const std::vector<std::string>& raws) {
  // 1-2: the pool.
  std::vector<pool_line> pool;
  std::unordered_set<std::string> seen;
  for (std::size_t c = 0; c < raws.size(); ++c) {
    auto lines = extract_lines(raws[c], INT_MAX);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (!seen.insert(lines[i]).second)
        continue;
      pool_line l;
      l.p = analyze_line(dict, lines[i]);
      l.text = std::move(lines[i]);
      l.src = {static_cast<int>(c), static_cast<int>(i)};
      l.verse = l.p.syllables >= verse_min_syllables && l.p.syllables <= verse_max_syllables;
      l.worth = l.p.iambic_fit + (all_known(l.p) ? 0.25 : 0.0);
      pool.push_back(std::move(l));
    }
  }
  if (pool.size() < static_cast<std::size_t>(sonnet_lines))
    return std::nullopt;

  // 3: rhyme pairs inside each sound group, best lines first.
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < pool.size(); ++i)
    if (pool[i].verse && !pool[i].p.end.word.empty()) {
      auto key = rhyme_key(pool[i].p.end);
      if (!key.empty())
        groups[key].push_back(i);
    }
  std::vector<line_pair> pairs;
  for (auto& [sound, members] : groups) {
    std::stable_sort(members.begin(), members.end(),
                     [&](std::size_t x, std::size_t y) { return pool[x].worth > pool[y].worth; });
    std::vector<bool> paired(members.size(), false);
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (paired[i])
        continue;
      for (std::size_t j = i + 1; j < members.size(); ++j) {
        if (paired[j] || !rhymes(pool[members[i]].p.end, pool[members[j]].p.end))
          continue;
        paired[i] = paired[j] = true;
        line_pair p;
        p.a = std::min(members[i], members[j]);
        p.b = std::max(members[i], members[j]);
        p.worth = pool[p.a].worth + pool[p.b].worth
                  + (pool[p.a].p.end.known && pool[p.b].p.end.known ? 0.5 : 0.0);
        p.sound = sound;
        p.rhymes = true;
        pairs.push_back(std::move(p));
        break;
      }
    }
  }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const line_pair& x, const line_pair& y) { return x.worth > y.worth; });

  // 4: up to 7 pairs, distinct sounds first.
  constexpr std::size_t want = sonnet_rhyme_pairs.size();
  std::vector<line_pair> chosen;
  std::vector<bool> taken(pairs.size(), false);
  std::vector<std::string> sounds;
  for (std::size_t k = 0; k < pairs.size() && chosen.size() < want; ++k)
    if (std::find(sounds.begin(), sounds.end(), pairs[k].sound) == sounds.end()) {
      sounds.push_back(pairs[k].sound);
      chosen.push_back(pairs[k]);
      taken[k] = true;
    }
  for (std::size_t k = 0; k < pairs.size() && chosen.size() < want; ++k)
    if (!taken[k])
      chosen.push_back(pairs[k]);
  const int rhyming = static_cast<int>(chosen.size());

  // 5: fillers, verse lines first.
  std::vector<bool> used(pool.size(), false);
  for (const auto& p : chosen)
    used[p.a] = used[p.b] = true;
  std::vector<std::size_t> rest;
  for (std::size_t i = 0; i < pool.size(); ++i)
    if (!used[i])
      rest.push_back(i);
  std::stable_sort(rest.begin(), rest.end(), [&](std::size_t x, std::size_t y) {
    const auto& a = pool[x];
    const auto& b = pool[y];
    if (a.verse != b.verse)
      return a.verse;
    if (a.verse)
      return a.worth > b.worth;
    if (a.p.length_fit != b.p.length_fit)
      return a.p.length_fit > b.p.length_fit;
    return a.p.iambic_fit > b.p.iambic_fit;
  });
  for (std::size_t k = 0; chosen.size() < want; k += 2) {
    line_pair p;
    p.a = std::min(rest[k], rest[k + 1]); // pool >= 14 lines, so rest has enough
    p.b = std::max(rest[k], rest[k + 1]);
    chosen.push_back(p);
  }

  // 6: order.
  auto by_position = [](const line_pair& x, const line_pair& y) { return x.a < y.a; };
  std::stable_sort(chosen.begin(), chosen.begin() + rhyming, by_position);
  std::stable_sort(chosen.begin() + rhyming, chosen.end(), by_position);
  if (rhyming > 0 && rhyming < static_cast<int>(want)) {
    // the last rhyming pair becomes the couplet
    auto last = chosen[static_cast<std::size_t>(rhyming - 1)];
    chosen.erase(chosen.begin() + (rhyming - 1));
    chosen.push_back(std::move(last));
  }
  assembly out;
  out.lines.resize(static_cast<std::size_t>(sonnet_lines));
  out.sources.resize(static_cast<std::size_t>(sonnet_lines));
  for (std::size_t k = 0; k < want; ++k) {
    auto [x, y] = sonnet_rhyme_pairs[k];
    out.lines[static_cast<std::size_t>(x)] = pool[chosen[k].a].text;
    out.sources[static_cast<std::size_t>(x)] = pool[chosen[k].a].src;
    out.lines[static_cast<std::size_t>(y)] = pool[chosen[k].b].text;
    out.sources[static_cast<std::size_t>(y)] = pool[chosen[k].b].src;
  }
  out.rhyming_pairs = rhyming;
  out.pool = static_cast<int>(pool.size());
  return out;
}

std::optional<sonnet_choice> select_sonnet(const dictionary& dict,
                                           const std::vector<std::string>& raws) {
  auto whole = best_of(dict, raws);
  if (raws.size() >= 2) {
    if (auto as = assemble(dict, raws)) {
      auto a = assess(dict, as->lines);
      if (!whole || a.quality.score > whole->a.quality.score)
        return sonnet_choice{std::move(as->lines), -1, std::move(a)};
    }
  }
  if (!whole)
    return std::nullopt;
  return sonnet_choice{std::move(whole->lines), whole->index, std::move(whole->a)};
}

} // namespace sonnet::text
