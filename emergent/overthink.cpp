#include "emergent/overthink.hpp"
#include "core/random_bits.hpp"

#include "text/formatter.hpp"
#include "text/unicode.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

namespace sonnet::emergent {

// --- seeded choices ---------------------------------------------------------

double draw_unit(std::mt19937_64& rng) {
  return unit_from_bits(rng());
}

std::size_t draw_index(std::mt19937_64& rng, std::size_t n) {
  if (n <= 1)
    return 0;
  const std::uint64_t m = n;
  const std::uint64_t reject_below = (0 - m) % m; // 2⁶⁴ mod n: the incomplete last block
  for (;;) {
    const std::uint64_t u = rng();
    if (u >= reject_below)
      return static_cast<std::size_t>(u % m);
  }
}

std::int64_t draw_int(std::mt19937_64& rng, std::int64_t a, std::int64_t b) {
  const auto span = static_cast<std::size_t>(b - a) + 1;
  return a + static_cast<std::int64_t>(draw_index(rng, span));
}

void draw_shuffle(std::mt19937_64& rng, std::vector<std::string>& items) {
  for (std::size_t i = items.size(); i > 1; --i)
    std::swap(items[i - 1], items[draw_index(rng, i)]);
}

// --- rings ------------------------------------------------------------------

std::string overthink_added_by(std::string_view ring_name) {
  return "overthinkng_" + std::string(ring_name);
}

bool is_overthink_added_by(std::string_view added_by) {
  return std::any_of(rings.begin(), rings.end(), [&](const ring_config& r) {
    return added_by == overthink_added_by(r.name);
  });
}

// --- coherence --------------------------------------------------------------

double compute_coherence(const line_list& lines) {
  if (lines.empty())
    return 0.0;
  std::size_t tokens = 0;
  std::set<std::string> distinct;
  for (const auto& line : lines) {
    const auto words = text::split_ws(line);
    tokens += words.size();
    distinct.insert(words.begin(), words.end());
  }
  // Python: sum(...) / len(lines), one rounding; then the §5.4 formula in its order.
  const double avg_len = static_cast<double>(tokens) / static_cast<double>(lines.size());
  const double length_score = 1.0 - std::fabs(avg_len - 12.0) / 12.0;
  const double diversity =
      static_cast<double>(distinct.size()) / static_cast<double>(std::max<std::size_t>(1, tokens));
  return std::clamp(0.6 * length_score + 0.4 * diversity, 0.0, 1.0);
}

// --- echo -------------------------------------------------------------------

namespace {

line_list first_lines(const line_list& source) {
  const auto n = std::min(source.size(), sonnet_line_count);
  return line_list(source.begin(), source.begin() + static_cast<std::ptrdiff_t>(n));
}

// random.sample(range(n), 2): an ordered pair of distinct positions, uniform.
std::pair<std::size_t, std::size_t> two_distinct(std::mt19937_64& rng, std::size_t n) {
  const std::size_t a = draw_index(rng, n);
  std::size_t b = draw_index(rng, n - 1);
  if (b >= a)
    ++b;
  return {a, b};
}

} // namespace

line_list echo_variation(const line_list& source, double semantic, std::mt19937_64& rng) {
  line_list out = first_lines(source);
  if (out.size() >= 2 && draw_unit(rng) < semantic)
    for (int swap = 0; swap < 2; ++swap) {
      const auto [a, b] = two_distinct(rng, out.size());
      std::swap(out[a], out[b]);
    }
  return out;
}

// --- drift ------------------------------------------------------------------

namespace {

using synonyms = std::array<std::string_view, 3>;

const std::map<std::string, synonyms, std::less<>>& drift_map() {
  static const std::map<std::string, synonyms, std::less<>> map = {
      {"love", {"heart", "passion", "desire"}}, {"death", {"sleep", "end", "darkness"}},
      {"time", {"hour", "moment", "age"}},      {"night", {"darkness", "evening", "dusk"}},
      {"day", {"morn", "light", "sun"}},        {"heart", {"soul", "spirit", "breast"}},
      {"eyes", {"gaze", "sight", "vision"}},    {"life", {"breath", "being", "soul"}},
  };
  return map;
}

bool is_word_char(char32_t c) {
  return text::is_lower(c) || text::is_upper(c) || (c >= U'0' && c <= U'9');
}

// A word split into punctuation before, the letters, punctuation after ("(Love)," → "(",
// "Love", "),"). Letters are cased code points and digits; everything else is peeled.
struct word_parts {
  std::string_view head, core, tail;
};

word_parts peel(std::string_view word) {
  std::size_t begin = word.size(), end = 0;
  for (std::size_t pos = 0; pos < word.size();) {
    const auto cp = text::decode_at(word, pos);
    if (cp.valid && is_word_char(cp.value)) {
      begin = std::min(begin, pos);
      end = pos + cp.size;
    }
    pos += cp.size;
  }
  if (begin >= end)
    return {word, {}, {}};
  return {word.substr(0, begin), word.substr(begin, end - begin), word.substr(end)};
}

} // namespace

const synonyms* drift_synonyms(std::string_view word) {
  const auto core = peel(word).core;
  if (core.empty())
    return nullptr;
  const auto it = drift_map().find(text::lower(core));
  return it == drift_map().end() ? nullptr : &it->second;
}

std::string drift_word(std::string_view word, std::mt19937_64& rng) {
  const synonyms* choices = drift_synonyms(word);
  if (choices == nullptr)
    return std::string(word);
  const auto parts = peel(word);
  std::string chosen((*choices)[draw_index(rng, choices->size())]);
  if (text::is_upper(text::decode_at(parts.core, 0).value))
    chosen[0] = static_cast<char>(chosen[0] - 'a' + 'A'); // synonyms are lower-case ASCII
  return std::string(parts.head) + chosen + std::string(parts.tail);
}

namespace {

std::string drift_line(const std::string& line, std::mt19937_64& rng) {
  auto words = text::split_ws(line);
  if (words.size() <= 2)
    return line;
  const auto k = draw_int(rng, 1, 2);
  bool changed = false;
  for (std::int64_t i = 0; i < k; ++i) {
    auto& word = words[draw_index(rng, words.size())];
    std::string drifted = drift_word(word, rng);
    changed = changed || drifted != word;
    word = std::move(drifted);
  }
  if (!changed) // keep the line's own spacing when nothing drifted
    return line;
  std::string out = words.front();
  for (std::size_t i = 1; i < words.size(); ++i)
    out += ' ' + words[i];
  return out;
}

} // namespace

line_list drift_variation(const line_list& source, double semantic, std::mt19937_64& rng) {
  line_list out = first_lines(source);
  for (auto& line : out)
    if (draw_unit(rng) < semantic)
      line = drift_line(line, rng);
  return out;
}

// --- meta -------------------------------------------------------------------

line_list meta_keywords(const line_list& source) {
  line_list keywords;
  for (const auto& line : source) {
    int taken = 0;
    for (auto& token : text::split_ws(line)) {
      if (taken == 2)
        break;
      if (text::code_points(token) > 4) { // len(word) counts code points, punctuation included
        keywords.push_back(std::move(token));
        ++taken;
      }
    }
  }
  return keywords;
}

namespace {

std::string fill_template(std::string_view pattern, const std::string& keyword) {
  const auto at = pattern.find("{k}");
  return std::string(pattern.substr(0, at)) + keyword + std::string(pattern.substr(at + 3));
}

} // namespace

line_list meta_variation(const line_list& source, std::mt19937_64& rng) {
  if (source.empty())
    return {};
  line_list keywords = meta_keywords(source);
  draw_shuffle(rng, keywords);
  line_list out;
  for (std::size_t i = 0; i < sonnet_line_count; ++i) {
    if (i < keywords.size())
      out.push_back(fill_template(meta_templates[draw_index(rng, meta_templates.size())],
                                  keywords[i]));
    else
      out.push_back(source[draw_index(rng, source.size())]);
  }
  return out;
}

// --- expansion --------------------------------------------------------------

namespace {

struct prepared_source {
  std::int64_t id;
  line_list lines; ///< text.strip().split('\n')
};

// Texts no candidate may equal: every source (as given, stripped, and its first 14 lines),
// earlier proposals of this call, and whatever the caller's cloud holds.
class copy_guard {
public:
  copy_guard(const std::vector<overthink_source>& sources, const text_exists& exists)
      : exists_(exists) {
    for (const auto& s : sources) {
      taken_.insert(s.text);
      taken_.insert(text::strip(s.text));
      taken_.insert(text::join_lines(first_lines(text::split_lf(text::strip(s.text)))));
    }
  }
  bool is_copy(const std::string& text) const {
    return taken_.count(text) != 0 || (exists_ && exists_(text));
  }
  void take(const std::string& text) { taken_.insert(text); }

private:
  std::set<std::string> taken_;
  const text_exists& exists_;
};

line_list make_variation(const ring_config& ring, const line_list& lines, std::mt19937_64& rng) {
  switch (ring.kind) {
  case ring_kind::echo:
    return echo_variation(lines, ring.semantic, rng);
  case ring_kind::drift:
    return drift_variation(lines, ring.semantic, rng);
  case ring_kind::meta:
    return meta_variation(lines, rng); // `semantic` unused, as in the prototype
  }
  return {};
}

// §5.3 + §5.5 with defect 21 fixed: the best passing candidate, scored on its own lines.
std::optional<overthink_proposal> run_ring(const ring_config& ring,
                                           const std::vector<prepared_source>& sources,
                                           std::mt19937_64& rng, const copy_guard& guard) {
  std::optional<overthink_proposal> best;
  for (int v = 0; v < ring.max_variations; ++v) {
    const auto& source = sources[draw_index(rng, sources.size())]; // random.choice
    if (source.lines.size() < sonnet_line_count)
      continue;
    const line_list candidate = make_variation(ring, source.lines, rng);
    std::string text = text::join_lines(candidate);
    if (candidate == first_lines(source.lines) || guard.is_copy(text))
      continue;
    const double coherence = compute_coherence(candidate);
    if (coherence < coherence_threshold || (best && coherence <= best->coherence))
      continue;
    best = overthink_proposal{std::string(ring.name), overthink_added_by(ring.name),
                              std::move(text), coherence, source.id};
  }
  return best;
}

} // namespace

std::vector<overthink_proposal> expand(const std::vector<overthink_source>& sources,
                                       std::size_t num_rings, std::mt19937_64& rng,
                                       const text_exists& exists) {
  std::vector<overthink_proposal> proposals;
  if (sources.empty())
    return proposals;
  std::vector<prepared_source> prepared;
  for (const auto& s : sources)
    prepared.push_back({s.id, text::split_lf(text::strip(s.text))});
  copy_guard guard(sources, exists);
  for (std::size_t r = 0; r < std::min(num_rings, rings.size()); ++r)
    if (auto p = run_ring(rings[r], prepared, rng, guard)) {
      guard.take(p->text);
      proposals.push_back(std::move(*p));
    }
  return proposals;
}

} // namespace sonnet::emergent
