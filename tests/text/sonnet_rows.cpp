#include <boost/test/unit_test.hpp>

#include "text/sonnet_rows.hpp"

#include <string>

using namespace sonnet::text;

BOOST_AUTO_TEST_SUITE(sonnet_rows_derivation)

BOOST_AUTO_TEST_CASE(lines_are_split_after_one_outer_strip) {
  const sonnet_rows r = derive_rows("  Shall I compare thee \n to a summer's day?\n\n");
  BOOST_TEST_REQUIRE(r.lines.size() == 2u);
  BOOST_TEST(r.lines[0].line_num == 1);
  BOOST_TEST(r.lines[0].text == "Shall I compare thee "); // inner trailing space kept
  BOOST_TEST(r.lines[0].syllables == 6);
  BOOST_TEST(r.lines[1].line_num == 2);
  BOOST_TEST(r.lines[1].text == " to a summer's day?"); // inner leading space kept
  BOOST_TEST(r.lines[1].syllables == 5);
  BOOST_TEST(r.word_count == 8);
}

BOOST_AUTO_TEST_CASE(empty_text_gives_one_empty_line) {
  const sonnet_rows r = derive_rows("");
  BOOST_TEST_REQUIRE(r.lines.size() == 1u);
  BOOST_TEST(r.lines[0].line_num == 1);
  BOOST_TEST(r.lines[0].text == "");
  BOOST_TEST(r.lines[0].syllables == 0);
  BOOST_TEST(r.word_count == 0);
  BOOST_TEST(r.trigrams.empty());
}

BOOST_AUTO_TEST_CASE(word_count_keeps_case_trigrams_are_lowered_across_lines) {
  const sonnet_rows r = derive_rows("Love is\nLOVE, love\n");
  BOOST_TEST(r.word_count == 4);
  BOOST_TEST_REQUIRE(r.trigrams.size() == 2u);
  BOOST_TEST((r.trigrams[0] == trigram{"love", "is", "love,"}));
  BOOST_TEST((r.trigrams[1] == trigram{"is", "love,", "love"}));
}

BOOST_AUTO_TEST_CASE(crlf_keeps_carriage_return_inside_lines) {
  const sonnet_rows r = derive_rows("First line\r\nSecond line\r\n");
  BOOST_TEST_REQUIRE(r.lines.size() == 2u);
  BOOST_TEST(r.lines[0].text == "First line\r");
  BOOST_TEST(r.lines[1].text == "Second line"); // outer strip removed the last \r\n
  BOOST_TEST(r.word_count == 4);
  BOOST_TEST(r.trigrams.size() == 2u);
}

BOOST_AUTO_TEST_CASE(fourteen_line_sonnet_rows) {
  std::string text;
  for (int i = 0; i < 14; ++i)
    text += (i ? "\n" : "") + std::string("one two three four five six seven eight nine");
  const sonnet_rows r = derive_rows(text);
  BOOST_TEST(r.lines.size() == 14u);
  BOOST_TEST(r.lines.back().line_num == 14);
  BOOST_TEST(r.word_count == 126);
  BOOST_TEST(r.trigrams.size() == 124u);
}

BOOST_AUTO_TEST_SUITE_END()
