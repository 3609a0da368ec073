// Line assembly from the candidates' clean lines (text/best_of.hpp).
#include <boost/test/unit_test.hpp>

#include "text/best_of.hpp"
#include "text/formatter.hpp"
#include "text/pronouncing.hpp"
#include "text/prosody.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

using namespace sonnet::text;
using strings = std::vector<std::string>;

namespace {

// Ten syllables by the spelling fallback (the empty dictionary), ending in `end`.
std::string verse(const std::string& end) {
  return "The gentle river sings beneath the " + end;
}

std::string join(const strings& lines) {
  std::string out;
  for (const auto& l : lines)
    out += l + "\n";
  return out;
}

// Candidate A holds one word of each of 7 rhyme sounds, candidate B the other; neither rhymes
// inside itself along ABAB CDCD EFEF GG.
const strings ends_a = {"moon", "day", "night", "cold", "rain", "tree", "king"};
const strings ends_b = {"soon", "way", "light", "old", "pain", "free", "ring"};

strings lines_of(const strings& ends) {
  strings out;
  for (const auto& e : ends)
    out.push_back(verse(e));
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(best_of_assembly)

BOOST_AUTO_TEST_CASE(assembly_uses_only_pool_lines_each_once) {
  const auto& d = *dictionary::empty();
  auto a = lines_of(ends_a);
  auto b = lines_of(ends_b);
  a.push_back("A short line"); // clean but not verse
  b.push_back(a.front());      // the same text in two candidates: one pool line
  b.push_back("stage direction in lower case is dropped");
  auto as = assemble(d, {join(a), join(b)});
  BOOST_REQUIRE(as);
  BOOST_TEST(as->lines.size() == 14u);
  BOOST_TEST(as->sources.size() == 14u);
  std::set<std::string> distinct(as->lines.begin(), as->lines.end());
  BOOST_TEST(distinct.size() == 14u); // each pool line at most once
  const strings raws = {join(a), join(b)};
  for (std::size_t i = 0; i < as->lines.size(); ++i) {
    // every line is the candidate's clean line, byte for byte, where the source says
    const auto& s = as->sources[i];
    auto clean = extract_lines(raws[static_cast<std::size_t>(s.candidate)], 1000);
    BOOST_REQUIRE(s.line < static_cast<int>(clean.size()));
    BOOST_TEST(clean[static_cast<std::size_t>(s.line)] == as->lines[i]);
  }
  BOOST_TEST(as->pool == 15); // 8 + 8 clean lines, one of them a duplicate
}

BOOST_AUTO_TEST_CASE(rhymes_land_on_the_scheme_positions) {
  const auto& d = *dictionary::empty();
  auto as = assemble(d, {join(lines_of(ends_a)), join(lines_of(ends_b))});
  BOOST_REQUIRE(as);
  BOOST_TEST(as->rhyming_pairs == 7);
  auto p = analyze(d, as->lines);
  BOOST_TEST(p.rhyme_pairs == 7);
  for (auto [x, y] : sonnet_rhyme_pairs)
    BOOST_TEST(
      rhymes(p.lines[static_cast<std::size_t>(x)].end, p.lines[static_cast<std::size_t>(y)].end));
  // 7 distinct sounds: lines of different pairs do not rhyme (A with C, say)
  BOOST_TEST(!rhymes(p.lines[0].end, p.lines[1].end));
  BOOST_TEST(!rhymes(p.lines[0].end, p.lines[4].end));
  // neither candidate alone rhymes; the selection assembles (chosen -1)
  auto c = select_sonnet(d, {join(lines_of(ends_a)), join(lines_of(ends_b))});
  BOOST_REQUIRE(c);
  BOOST_TEST(c->chosen == -1);
  BOOST_TEST(c->a.quality.rhyme_pairs == 7);
}

BOOST_AUTO_TEST_CASE(non_rhyming_lines_fill_missing_pairs) {
  const auto& d = *dictionary::empty();
  // only two rhyme pairs in the pool; the rest of the 14 lines do not rhyme
  strings a = {verse("moon"), verse("day"),  verse("cold"), verse("rain"),
               verse("tree"), verse("king"), verse("light")};
  strings b = {verse("soon"), verse("way"), verse("fish"), verse("hat"),
               verse("cup"),  verse("bed"), verse("pen")};
  auto as = assemble(d, {join(a), join(b)});
  BOOST_REQUIRE(as);
  BOOST_TEST(as->rhyming_pairs == 2);
  auto p = analyze(d, as->lines);
  BOOST_TEST(p.rhyme_pairs == 2);
  BOOST_TEST(p.pair_rhymes[6]); // the last rhyming pair is the couplet
  std::set<std::string> distinct(as->lines.begin(), as->lines.end());
  BOOST_TEST(distinct.size() == 14u);
}

BOOST_AUTO_TEST_CASE(small_pool_falls_back_to_the_whole_candidate) {
  const auto& d = *dictionary::empty();
  // 14 clean lines but only 7 distinct texts: no assembly, the whole candidate is kept
  strings repeated;
  for (int k = 0; k < 2; ++k)
    for (const auto& l : lines_of(ends_a))
      repeated.push_back(l);
  const std::string whole = join(repeated);
  const std::string too_short = "Nothing rhymes in here at all today\n";
  BOOST_TEST(!assemble(d, {too_short, whole}));
  auto c = select_sonnet(d, {too_short, whole});
  BOOST_REQUIRE(c);
  BOOST_TEST(c->chosen == 1);
  BOOST_TEST(c->lines == *format(whole));
  // nothing at all
  BOOST_TEST(!select_sonnet(d, {too_short, too_short}));
  BOOST_TEST(!select_sonnet(d, {}));
}

BOOST_AUTO_TEST_CASE(one_candidate_is_unchanged) {
  const auto& d = *dictionary::empty();
  // 16 clean lines that could be reordered into 7 rhymes: N = 1 keeps the first 14 in order
  strings ls = lines_of(ends_a);
  for (const auto& l : lines_of(ends_b))
    ls.push_back(l);
  ls.push_back(verse("sun"));
  ls.push_back(verse("run"));
  const std::string raw = join(ls);
  auto c = select_sonnet(d, {raw});
  BOOST_REQUIRE(c);
  BOOST_TEST(c->chosen == 0);
  BOOST_TEST(c->lines == *format(raw));
  BOOST_TEST(c->lines == strings(ls.begin(), ls.begin() + 14));
  auto b = best_of(d, {raw});
  BOOST_REQUIRE(b);
  BOOST_TEST(c->a.quality.score == b->a.quality.score);
  // too few lines: nullopt, as before
  BOOST_TEST(!select_sonnet(d, {join(lines_of(ends_a))}));
}

BOOST_AUTO_TEST_CASE(a_better_whole_candidate_wins) {
  const auto& d = *dictionary::empty();
  // candidate 1 already rhymes ABAB CDCD EFEF GG with 14 verse lines: assembling cannot beat it
  strings good;
  for (std::size_t k = 0; k < 3; ++k) {
    good.push_back(verse(ends_a[k * 2]));
    good.push_back(verse(ends_a[k * 2 + 1]));
    good.push_back(verse(ends_b[k * 2]));
    good.push_back(verse(ends_b[k * 2 + 1]));
  }
  good.push_back(verse(ends_a[6]));
  good.push_back(verse(ends_b[6]));
  auto c = select_sonnet(d, {"Too few lines here\n", join(good)});
  BOOST_REQUIRE(c);
  BOOST_TEST(c->chosen == 1);
  BOOST_TEST(c->lines == good);
}

BOOST_AUTO_TEST_SUITE_END()
