#include <boost/test/unit_test.hpp>

#include "emergent/overthink.hpp"
#include "emergent/phases.hpp"
#include "text/formatter.hpp"
#include "text/unicode.hpp"
#include "tests/emergent/emergent_test.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace sonnet;
using namespace sonnet::emergent;
namespace tt = boost::test_tools;

namespace {

using sonnet::test::sonnet_18;

// sonnet_18 (emergent_test.hpp): "day?", "Death", "time", "eyes", "life" drift.


// 15 lines with surrounding blank space: the first 14 are a variation's material.
const std::string fifteen_lines = R"(
  My love is as a fever, longing still
For that which longer nurseth the disease,
Feeding on that which doth preserve the ill,
The uncertain sickly appetite to please.
My reason, the physician to my love,
Angry that his prescriptions are not kept,
Hath left me, and I desperate now approve
Desire is death, which physic did except.
Past cure I am, now reason is past care,
And frantic-mad with evermore unrest;
My thoughts and my discourse as madmen's are,
At random from the truth vainly expressed;
For I have sworn thee fair, and thought thee bright,
Who art as black as hell, as dark as night.
Love is my sin, and thy dear virtue hate.
)";

const std::string short_source = "Love and death\nday and night\ntime";

std::string numbered_lines(const std::string& word, int n) {
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i)
    lines.push_back(word + " " + std::to_string(i));
  return text::join_lines(lines);
}

std::vector<overthink_source> cloud_sources() {
  return {{1, sonnet_18}, {2, fifteen_lines}, {3, short_source}};
}

std::vector<overthink_proposal> expand_seed(const std::vector<overthink_source>& sources,
                                            std::uint64_t seed, const text_exists& exists = {},
                                            std::size_t num_rings = 3) {
  std::mt19937_64 rng(seed);
  return expand(sources, num_rings, rng, exists);
}

line_list lines_of(const std::string& text) {
  return text::split_lf(text::strip(text));
}

bool same(const std::vector<overthink_proposal>& a, const std::vector<overthink_proposal>& b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].ring != b[i].ring || a[i].text != b[i].text || a[i].coherence != b[i].coherence ||
        a[i].source_id != b[i].source_id)
      return false;
  return true;
}

// The keyword `line` was made from, if it is one of the five templates filled in.
std::optional<std::string> template_keyword(const std::string& line) {
  for (auto pattern : meta_templates) {
    const auto at = pattern.find("{k}");
    const auto before = pattern.substr(0, at), after = pattern.substr(at + 3);
    if (line.size() > before.size() + after.size() && line.compare(0, before.size(), before) == 0 &&
        line.compare(line.size() - after.size(), after.size(), after) == 0)
      return line.substr(before.size(), line.size() - before.size() - after.size());
  }
  return std::nullopt;
}

} // namespace

BOOST_AUTO_TEST_SUITE(overthink)

// --- seeded choices ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(unit_draws_are_the_phases_mapping) {
  std::mt19937_64 rng(42);
  const unit_draw reference = seeded_draw(42);
  for (int i = 0; i < 100; ++i)
    BOOST_TEST(draw_unit(rng) == reference());
}

BOOST_AUTO_TEST_CASE(index_draws_are_uniform_and_replay) {
  std::mt19937_64 rng(7), again(7);
  std::array<int, 3> counts{};
  for (int i = 0; i < 30000; ++i) {
    const std::size_t k = draw_index(rng, 3);
    BOOST_TEST_REQUIRE(k < 3u);
    BOOST_TEST(k == draw_index(again, 3));
    ++counts[k];
  }
  for (int c : counts)
    BOOST_TEST(std::abs(c - 10000) < 400); // ~4.9 standard deviations
  BOOST_TEST(draw_index(rng, 1) == 0u);
}

BOOST_AUTO_TEST_CASE(randint_is_inclusive_and_shuffle_permutes) {
  std::mt19937_64 rng(3);
  std::set<std::int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    const auto k = draw_int(rng, 1, 2);
    BOOST_TEST_REQUIRE((k == 1 || k == 2));
    seen.insert(k);
  }
  BOOST_TEST(seen.size() == 2u);
  std::vector<std::string> items{"a", "b", "c", "d", "e", "f"}, copy = items;
  std::mt19937_64 r1(11), r2(11);
  draw_shuffle(r1, items);
  draw_shuffle(r2, copy);
  BOOST_TEST(items == copy);
  std::sort(copy.begin(), copy.end());
  BOOST_TEST(copy == (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
}

// --- coherence --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(coherence_hand_computed) {
  BOOST_TEST(compute_coherence({}) == 0.0);
  // 12 distinct tokens per line: length score 1, diversity 1.
  BOOST_TEST(compute_coherence({"a b c d e f g h i j k l"}) == 1.0);
  // avg 4.5 tokens: 1 − 7.5/12 = 0.375; 6 distinct of 9: 0.6·0.375 + 0.4·2/3.
  BOOST_TEST(compute_coherence({"a b c", "a b c d e f"}) == 0.225 + 0.4 * (6.0 / 9.0),
             tt::tolerance(1e-15));
  // Case-sensitive, punctuation attached: "The the the," are three tokens; avg 3.
  BOOST_TEST(compute_coherence({"The the the,"}) == 0.6 * 0.25 + 0.4 * 1.0, tt::tolerance(1e-15));
  // One long token: avg 1, diversity 1.
  BOOST_TEST(compute_coherence({std::string(95, 'x')}) == 0.6 * (1.0 - 11.0 / 12.0) + 0.4,
             tt::tolerance(1e-15));
  // 48 equal tokens: length score −2, clamped at 0.
  std::string many;
  for (int i = 0; i < 48; ++i)
    many += "x ";
  BOOST_TEST(compute_coherence({many}) == 0.0);
  // A blank line counts as a line with no tokens: avg 6, 12 distinct of 12.
  BOOST_TEST(compute_coherence({"a b c d e f g h i j k l", ""}) == 0.6 * 0.5 + 0.4,
             tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(line_i_sonnet_is_below_the_threshold) {
  // 2 tokens a line: 1 − 10/12; "Line" plus 14 numbers distinct of 28 tokens.
  const double expected = 0.6 * (1.0 - 10.0 / 12.0) + 0.4 * (15.0 / 28.0);
  BOOST_TEST(compute_coherence(lines_of(numbered_lines("Line", 14))) == expected,
             tt::tolerance(1e-15));
  BOOST_TEST(expected < coherence_threshold);
}

// --- the three variations ---------------------------------------------------

BOOST_AUTO_TEST_CASE(echo_permutes_the_first_fourteen_lines) {
  const line_list source = lines_of(fifteen_lines);
  const line_list first(source.begin(), source.begin() + 14);
  int changed = 0;
  for (std::uint64_t seed = 0; seed < 1000; ++seed) {
    std::mt19937_64 rng(seed);
    line_list v = echo_variation(source, 0.3, rng);
    BOOST_TEST_REQUIRE(v.size() == 14u);
    changed += v != first;
    std::sort(v.begin(), v.end());
    line_list sorted = first;
    std::sort(sorted.begin(), sorted.end());
    BOOST_TEST_REQUIRE(v == sorted);
  }
  // Swaps happen 30 % of the time; two swaps undo each other with probability 1/91.
  BOOST_TEST(changed > 240);
  BOOST_TEST(changed < 350);
}

BOOST_AUTO_TEST_CASE(drift_keeps_punctuation_and_first_letter_case) {
  std::set<std::string> seen;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    const std::string w = drift_word("Love,", rng);
    BOOST_TEST_REQUIRE((w == "Heart," || w == "Passion," || w == "Desire,"), w);
    seen.insert(w);
    const std::string n = drift_word("(night).", rng);
    BOOST_TEST_REQUIRE((n == "(darkness)." || n == "(evening)." || n == "(dusk)."), n);
    const std::string d = drift_word("DEATH!", rng);
    BOOST_TEST_REQUIRE((d == "Sleep!" || d == "End!" || d == "Darkness!"), d);
    const std::string e = drift_word("\xe2\x80\x9c" "eyes\xe2\x80\x9d", rng); // “eyes”
    BOOST_TEST_REQUIRE((e == "\xe2\x80\x9cgaze\xe2\x80\x9d" || e == "\xe2\x80\x9csight\xe2\x80\x9d" ||
                        e == "\xe2\x80\x9cvision\xe2\x80\x9d"), e);
  }
  BOOST_TEST(seen.size() == 3u);
}

BOOST_AUTO_TEST_CASE(words_outside_the_map_do_not_drift_or_draw) {
  for (std::string w : {"lovely", "love's", "heart-ache", "", "...", "daylight", "Time-bent"}) {
    std::mt19937_64 rng(5), untouched(5);
    BOOST_TEST(drift_word(w, rng) == w);
    BOOST_TEST(rng() == untouched()); // a miss takes no draw
  }
  BOOST_TEST(drift_synonyms("Life;") != nullptr);
  BOOST_TEST(drift_synonyms("lives") == nullptr);
}

BOOST_AUTO_TEST_CASE(drift_changes_only_mapped_words) {
  const line_list source = lines_of(sonnet_18);
  int drifted = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    std::mt19937_64 rng(seed);
    const line_list v = drift_variation(source, 0.6, rng);
    BOOST_TEST_REQUIRE(v.size() == 14u);
    for (std::size_t i = 0; i < 14; ++i) {
      if (v[i] == source[i])
        continue;
      ++drifted;
      const auto before = text::split_ws(source[i]), after = text::split_ws(v[i]);
      BOOST_TEST_REQUIRE(before.size() == after.size());
      for (std::size_t k = 0; k < before.size(); ++k)
        if (before[k] != after[k])
          BOOST_TEST_REQUIRE(drift_synonyms(before[k]) != nullptr, before[k]);
    }
  }
  BOOST_TEST(drifted > 0);
}

BOOST_AUTO_TEST_CASE(meta_keywords_count_code_points) {
  BOOST_TEST(meta_keywords({"Shall I compare thee to a summer's day?",
                            "Thou art more lovely and more temperate:", "a b c", ""}) ==
             (line_list{"Shall", "compare", "lovely", "temperate:"}));
  // "ñoñoñ" is 5 code points (8 bytes): a keyword; "éééé" is 4 (8 bytes): not one.
  BOOST_TEST(meta_keywords({"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 \xc3\xb1o\xc3\xb1o\xc3\xb1"}) ==
             (line_list{"\xc3\xb1o\xc3\xb1o\xc3\xb1"}));
}

BOOST_AUTO_TEST_CASE(meta_uses_only_the_templates_and_source_lines) {
  const line_list source = lines_of(fifteen_lines);
  const line_list keywords = meta_keywords(source);
  const std::set<std::string> source_lines(source.begin(), source.end());
  const std::set<std::string> keyword_set(keywords.begin(), keywords.end());
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    const line_list v = meta_variation(source, rng);
    BOOST_TEST_REQUIRE(v.size() == 14u);
    for (const auto& line : v) {
      const auto k = template_keyword(line);
      BOOST_TEST_REQUIRE((source_lines.count(line) || (k && keyword_set.count(*k))), line);
    }
  }
  // Few keywords: the rest are source lines.
  std::mt19937_64 rng(1);
  const line_list v = meta_variation({"Alone here", "x", "y"}, rng);
  BOOST_TEST(v.size() == 14u);
  BOOST_TEST_REQUIRE(template_keyword(v[0]).has_value()); // the one keyword, "Alone"
  BOOST_TEST(*template_keyword(v[0]) == "Alone");
  for (std::size_t i = 1; i < 14; ++i)
    BOOST_TEST((v[i] == "Alone here" || v[i] == "x" || v[i] == "y"));
}

// --- expansion --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(no_sources_no_proposals) {
  BOOST_TEST(expand_seed({}, 1).empty());
  BOOST_TEST(expand_seed({{1, short_source}}, 1).empty()); // fewer than 14 lines: skipped
}

BOOST_AUTO_TEST_CASE(line_i_source_proposes_nothing) {
  // The prototype's test_overthinkng_expand_doesnt_crash: echo candidates score 0.314 < 0.4,
  // drift finds no word to drift (a copy), meta finds no keyword longer than 4 ("Line").
  const std::vector<overthink_source> sources{{1, numbered_lines("Line", 14)}};
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    BOOST_TEST_REQUIRE(expand_seed(sources, seed, {}, 1).empty());
    BOOST_TEST_REQUIRE(expand_seed(sources, seed).empty());
  }
}

BOOST_AUTO_TEST_CASE(same_seed_same_proposals_different_seeds_differ) {
  std::set<std::string> distinct;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const auto a = expand_seed(cloud_sources(), seed), b = expand_seed(cloud_sources(), seed);
    BOOST_TEST_REQUIRE(same(a, b));
    std::string all;
    for (const auto& p : a)
      all += p.ring + ':' + p.text + '\x1f';
    distinct.insert(all);
  }
  BOOST_TEST(distinct.size() > 40u);
}

BOOST_AUTO_TEST_CASE(every_proposal_is_a_fourteen_line_sonnet_with_its_own_coherence) {
  std::map<std::string, int> per_ring;
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    const auto proposals = expand_seed(cloud_sources(), seed);
    BOOST_TEST_REQUIRE(proposals.size() <= 3u);
    std::size_t last_ring = 0;
    for (const auto& p : proposals) {
      const auto ring_at = std::find_if(rings.begin(), rings.end(),
                                        [&](const ring_config& r) { return r.name == p.ring; });
      BOOST_TEST_REQUIRE((ring_at != rings.end()), p.ring);
      const auto r = static_cast<std::size_t>(ring_at - rings.begin());
      BOOST_TEST_REQUIRE((per_ring[p.ring] == 0 || r >= last_ring)); // ring order, one each
      last_ring = r + 1;
      ++per_ring[p.ring];
      const line_list lines = text::split_lf(p.text);
      BOOST_TEST_REQUIRE(lines.size() == 14u);
      BOOST_TEST_REQUIRE(p.coherence >= coherence_threshold);
      BOOST_TEST_REQUIRE(p.coherence == compute_coherence(lines)); // defect 21
      BOOST_TEST_REQUIRE(p.added_by == "overthinkng_" + p.ring);
      BOOST_TEST_REQUIRE((p.source_id == 1 || p.source_id == 2));
    }
  }
  for (auto ring : {"echo", "drift", "meta"})
    BOOST_TEST(per_ring[ring] > 50, ring);
}

BOOST_AUTO_TEST_CASE(never_an_exact_copy_of_a_source_or_a_stored_text) {
  std::set<std::string> sources_seen;
  for (const auto& s : cloud_sources()) {
    sources_seen.insert(s.text);
    sources_seen.insert(text::strip(s.text));
    const line_list l = lines_of(s.text);
    sources_seen.insert(text::join_lines(line_list(l.begin(), l.begin() + std::min<std::size_t>(14, l.size()))));
  }
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    const auto first = expand_seed(cloud_sources(), seed);
    std::set<std::string> stored;
    for (const auto& p : first) {
      BOOST_TEST_REQUIRE(!sources_seen.count(p.text), p.text);
      BOOST_TEST_REQUIRE(stored.insert(p.text).second); // no two equal proposals in one call
    }
    // The same seed with those texts already stored: none of them comes back.
    int asked = 0;
    const text_exists exists = [&](std::string_view t) {
      ++asked;
      return stored.count(std::string(t)) != 0;
    };
    for (const auto& p : expand_seed(cloud_sources(), seed, exists))
      BOOST_TEST_REQUIRE(!stored.count(p.text), p.text);
    BOOST_TEST_REQUIRE((first.empty() || asked > 0));
  }
}

BOOST_AUTO_TEST_CASE(num_rings_limits_the_rings) {
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    for (const auto& p : expand_seed(cloud_sources(), seed, {}, 1))
      BOOST_TEST_REQUIRE(p.ring == "echo");
    BOOST_TEST_REQUIRE(expand_seed(cloud_sources(), seed, {}, 0).empty());
    BOOST_TEST_REQUIRE(same(expand_seed(cloud_sources(), seed, {}, 3),
                            expand_seed(cloud_sources(), seed, {}, 99)));
  }
}

BOOST_AUTO_TEST_CASE(added_by_names) {
  BOOST_TEST(overthink_added_by("drift") == "overthinkng_drift");
  for (auto name : {"overthinkng_echo", "overthinkng_drift", "overthinkng_meta"})
    BOOST_TEST(is_overthink_added_by(name));
  for (auto name : {"metasonnet", "user", "overthinkng_", "overthinking_echo"})
    BOOST_TEST(!is_overthink_added_by(name));
}

BOOST_AUTO_TEST_SUITE_END()
