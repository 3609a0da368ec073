#include <boost/test/unit_test.hpp>

#include "text/dissonance.hpp"

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

using namespace sonnet::text;
using strings = std::vector<std::string>;

namespace {

vocabulary cloud_of(std::initializer_list<const char*> prior_sonnets) {
  vocabulary v;
  for (const char* s : prior_sonnets)
    add_to_vocabulary(v, trigrams(s));
  return v;
}

const char* const nine_words = "Shall I compare thee to a summer's day thus";

std::string repeat_lines(const std::string& line, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += line + "\n";
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dissonance)

// The four rows of PROTOTYPE-SPEC §2.4; values compared exactly (the prototype's doubles).
BOOST_AUTO_TEST_CASE(table_empty_cloud_disjoint_words) {
  const judgement j = compute_dissonance("tell me about love", nine_words, {});
  BOOST_TEST(j.dissonance == 1.0);
  BOOST_TEST(j.p.novelty == 1.0);
  BOOST_TEST(j.p.arousal == 1.25);
  BOOST_TEST(j.p.entropy == 0.26);
}

BOOST_AUTO_TEST_CASE(table_the_against_fourteen_the_lines) {
  const judgement j = compute_dissonance("the", repeat_lines("the", 14), {});
  BOOST_TEST(j.dissonance == 0.7);
  BOOST_TEST(j.p.novelty == 1.0);
  BOOST_TEST(j.p.arousal == 13.0); // not normalised
  BOOST_TEST(j.p.entropy == 0.02);
}

BOOST_AUTO_TEST_CASE(table_prior_two_words_adds_nothing_to_the_cloud) {
  const vocabulary cloud = cloud_of({"two words"});
  BOOST_TEST(cloud.empty());
  const judgement j = compute_dissonance("two words", "two words", cloud);
  BOOST_TEST(j.dissonance == 0.7);
  BOOST_TEST(j.p.novelty == 1.0);
  BOOST_TEST(j.p.arousal == 0.0);
  BOOST_TEST(j.p.entropy == 0.04);
}

BOOST_AUTO_TEST_CASE(table_known_words_in_another_order) {
  const judgement j =
    compute_dissonance("alpha beta gamma", "gamma beta alpha", cloud_of({"alpha beta gamma"}));
  BOOST_TEST(j.dissonance == 0.0);
  BOOST_TEST(j.p.novelty == 0.0);
  BOOST_TEST(j.p.arousal == 0.0);
  BOOST_TEST(j.p.entropy == 0.06);
}

BOOST_AUTO_TEST_CASE(empty_input_or_sonnet_gives_half_and_zero_pulse) {
  for (auto [u, s] : {std::pair<const char*, const char*>{"", "a sonnet"},
                      {"a prompt", ""},
                      {" \n\t", "a sonnet"},
                      {"", ""}}) {
    const judgement j = compute_dissonance(u, s, cloud_of({"a sonnet here"}));
    BOOST_TEST(j.dissonance == 0.5);
    BOOST_TEST(j.p.novelty == 0.0);
    BOOST_TEST(j.p.arousal == 0.0);
    BOOST_TEST(j.p.entropy == 0.0);
  }
}

BOOST_AUTO_TEST_CASE(identical_texts_with_empty_cloud) {
  const judgement j = compute_dissonance(nine_words, nine_words, {});
  BOOST_TEST(j.dissonance == 0.7); // 1.0*0.7 + 0.0*0.3
  BOOST_TEST(j.p.arousal == 0.0);
  BOOST_TEST(j.p.entropy == 9.0 / 50.0);
  // Case and whitespace do not matter; punctuation does.
  BOOST_TEST(compute_dissonance("THE  Rose", "the rose", {}).dissonance == 0.7);
  BOOST_TEST(compute_dissonance("the rose,", "the rose", {}).dissonance
             == 0.7 + 0.3 * (1.0 - 1.0 / 3.0));
}

BOOST_AUTO_TEST_CASE(bit_exact_with_python_where_fma_would_differ) {
  // novelty 1/3, similarity 1/9: Python gives exactly 0.5; a fused multiply-add would give
  // 0.49999999999999994.
  const judgement j = compute_dissonance("bloom one two three four five six", "rose thorn bloom",
                                         vocabulary{"rose", "thorn"});
  BOOST_TEST(j.p.novelty == 1.0 / 3.0);
  BOOST_TEST(j.dissonance == 0.5);
  BOOST_TEST(j.p.arousal == 4.0 / 7.0);
  BOOST_TEST(j.p.entropy == 0.18);
  // Two more values printed by CPython 3.11 (repr): 0.6625 and 0.6638888888888889.
  BOOST_TEST(compute_dissonance("a x", "a b c d e f g", vocabulary{"a", "b", "c"}).dissonance
             == 0.6625);
  BOOST_TEST(compute_dissonance("love me tender, love me true",
                                "Love is not love which alters when it alteration finds",
                                vocabulary{"love", "is", "not", "which"})
               .dissonance
             == 0.6638888888888889);
}

BOOST_AUTO_TEST_CASE(user_words_never_change_novelty_and_entropy_caps_at_one) {
  const vocabulary cloud{"rose", "thorn"};
  const double n1 = compute_dissonance("x", "rose thorn bloom", cloud).p.novelty;
  const double n2 =
    compute_dissonance("rose thorn bloom lily", "rose thorn bloom", cloud).p.novelty;
  BOOST_TEST(n1 == n2);
  std::string many;
  for (int i = 0; i < 60; ++i)
    many += "w" + std::to_string(i) + " ";
  BOOST_TEST(compute_dissonance(many, "rose", cloud).p.entropy == 1.0);
}

BOOST_AUTO_TEST_CASE(adjust_temperature_bands_and_boundaries) {
  BOOST_TEST(adjust_temperature(0.0).sonnet == 0.6);
  BOOST_TEST(adjust_temperature(0.29999).sonnet == 0.6);
  BOOST_TEST(adjust_temperature(0.3).sonnet == 0.8); // boundary goes up
  BOOST_TEST(adjust_temperature(0.69999).sonnet == 0.8);
  BOOST_TEST(adjust_temperature(0.7).sonnet == 1.0); // boundary goes up
  BOOST_TEST(adjust_temperature(1.0).sonnet == 1.0);
  BOOST_TEST(adjust_temperature(0.0).harmonix == 0.5);
  BOOST_TEST(adjust_temperature(1.0).harmonix == 1.0);
  BOOST_TEST(adjust_temperature(0.3).harmonix == 0.5 + 0.3 * 0.5);
}

BOOST_AUTO_TEST_CASE(adjust_temperature_is_not_clamped) {
  BOOST_TEST(adjust_temperature(2.0).harmonix == 1.5);
  BOOST_TEST(adjust_temperature(2.0).sonnet == 1.0);
  BOOST_TEST(adjust_temperature(-0.5).harmonix == 0.25);
  BOOST_TEST(adjust_temperature(-0.5).sonnet == 0.6);
  const temperatures t = adjust_temperature(std::numeric_limits<double>::quiet_NaN());
  BOOST_TEST(t.sonnet == 1.0);
  BOOST_TEST(std::isnan(t.harmonix));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(words_and_trigrams)

BOOST_AUTO_TEST_CASE(words_lower_and_split_on_python_whitespace) {
  BOOST_TEST(words("alpha\x1c"
                   "beta")
               .size()
             == 2u);
  BOOST_TEST(words("Love, LOVE love\n") == (strings{"love,", "love", "love"}),
             boost::test_tools::per_element());
  BOOST_TEST(words("\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xc4\xb0") // ΟΔΟΣ İ
               == (strings{"\xce\xbf\xce\xb4\xce\xbf\xcf\x82", "i\xcc\x87"}),
             boost::test_tools::per_element());
  BOOST_TEST(words("").empty());
}

BOOST_AUTO_TEST_CASE(trigrams_of_fourteen_repeated_lines) {
  const std::string line = "one two three four five six seven eight nine";
  std::string text;
  for (int i = 0; i < 14; ++i)
    text += line + (i < 13 ? "\n" : "");
  const auto tg = trigrams(text);
  BOOST_TEST(tg.size() == 124u); // 126 words, duplicates kept, across line breaks
  const std::set<trigram> distinct(tg.begin(), tg.end());
  BOOST_TEST(distinct.size() == 9u);
  BOOST_TEST((tg.front() == trigram{"one", "two", "three"}));
  BOOST_TEST((tg[7] == trigram{"eight", "nine", "one"}));
}

BOOST_AUTO_TEST_CASE(trigrams_need_three_words) {
  BOOST_TEST(trigrams("").empty());
  BOOST_TEST(trigrams("two words").empty());
  const auto tg = trigrams("Alpha BETA gamma");
  BOOST_TEST_REQUIRE(tg.size() == 1u);
  BOOST_TEST((tg[0] == trigram{"alpha", "beta", "gamma"}));
}

BOOST_AUTO_TEST_CASE(vocabulary_is_the_union_of_all_trigram_words) {
  vocabulary v;
  add_to_vocabulary(v, trigrams("alpha beta gamma"));
  BOOST_TEST(v.size() == 3u); // the prototype's vocab_size stat (distinct word1) would say 1
  add_to_vocabulary(v, trigrams("gamma delta alpha"));
  BOOST_TEST(v.size() == 4u);
  BOOST_TEST(v.count("delta") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
