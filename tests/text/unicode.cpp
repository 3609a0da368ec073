#define BOOST_TEST_MODULE text
#include <boost/test/unit_test.hpp>

#include "text/unicode.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <vector>

using namespace sonnet::text;
using strings = std::vector<std::string>;

namespace {

std::string utf8(char32_t c) {
  std::string s;
  append_utf8(s, c);
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(unicode)

BOOST_AUTO_TEST_CASE(is_space_is_pythons_29_code_points) {
  const char32_t expected[] = {0x09,   0x0A,   0x0B,   0x0C,   0x0D,   0x1C,   0x1D,   0x1E,
                               0x1F,   0x20,   0x85,   0xA0,   0x1680, 0x2000, 0x2001, 0x2002,
                               0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
                               0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
  for (char32_t c : expected)
    BOOST_TEST(is_space(c), "U+" << std::hex << static_cast<uint32_t>(c));
  int n = 0;
  for (char32_t c = 0; c < 0x110000; ++c)
    n += is_space(c);
  BOOST_TEST(n == 29);
  BOOST_TEST(!is_space(0x200B)); // zero width space: not whitespace in Python
  BOOST_TEST(!is_space(0x180E)); // Mongolian vowel separator: no longer whitespace
  BOOST_TEST(!is_space(replacement_char));
}

BOOST_AUTO_TEST_CASE(strip_removes_unicode_whitespace_only) {
  BOOST_TEST(strip("\x1c\xc2\xa0 abc \xe3\x80\x80\xc2\x85") == "abc");
  BOOST_TEST(strip(" a b ") == "a b");
  BOOST_TEST(strip("\t\r\n\v\f") == "");
  BOOST_TEST(strip("") == "");
  BOOST_TEST(strip("\xe2\x80\x8bx\xe2\x80\x8b") == "\xe2\x80\x8bx\xe2\x80\x8b"); // U+200B kept
}

BOOST_AUTO_TEST_CASE(split_ws_is_python_split_without_argument) {
  BOOST_TEST(split_ws("alpha\x1c"
                      "beta")
               == (strings{"alpha", "beta"}),
             boost::test_tools::per_element());
  BOOST_TEST(split_ws("").empty());
  BOOST_TEST(split_ws(" \t\n ").empty());
  BOOST_TEST(split_ws("  a  b \t") == (strings{"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(split_ws("a\xe2\x80\xa8"
                      "b\xc2\x85"
                      "c")
               == (strings{"a", "b", "c"}),
             boost::test_tools::per_element());
  BOOST_TEST(split_ws("love, love") == (strings{"love,", "love"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(split_lf_splits_on_lf_only) {
  BOOST_TEST(split_lf("") == (strings{""}), boost::test_tools::per_element());
  BOOST_TEST(split_lf("a\r\nb\n") == (strings{"a\r", "b", ""}), boost::test_tools::per_element());
  BOOST_TEST(split_lf("a\rb\xe2\x80\xa8"
                      "c")
               == (strings{"a\rb\xe2\x80\xa8"
                           "c"}),
             boost::test_tools::per_element());
  BOOST_TEST(split_lf("\n\n").size() == 3u);
}

BOOST_AUTO_TEST_CASE(lower_ascii_is_exact) {
  BOOST_TEST(lower("Hello, WORLD! 123 [Exit]") == "hello, world! 123 [exit]");
  BOOST_TEST(lower("") == "");
  BOOST_TEST(lower("@[`{") == "@[`{"); // neighbours of A-Z / a-z unchanged
}

BOOST_AUTO_TEST_CASE(lower_dotted_capital_i_gives_two_code_points) {
  const std::string l = lower("\xc4\xb0"); // İ
  BOOST_TEST(l == "i\xcc\x87");            // i + U+0307
  BOOST_TEST(code_points(l) == 2u);
  BOOST_TEST(lower("\xc4\xb0stanbul") == "i\xcc\x87stanbul");
}

BOOST_AUTO_TEST_CASE(lower_final_sigma) {
  // ΟΔΟΣ -> οδος ending in U+03C2 ς; Σ alone -> σ.
  BOOST_TEST(lower("\xce\x9f\xce\x94\xce\x9f\xce\xa3") == "\xce\xbf\xce\xb4\xce\xbf\xcf\x82");
  BOOST_TEST(lower("\xce\xa3") == "\xcf\x83");
  // Final at each word end; not final before a letter.
  BOOST_TEST(lower("\xce\x9f\xce\xa3 \xce\x9f\xce\xa3") == "\xce\xbf\xcf\x82 \xce\xbf\xcf\x82");
  BOOST_TEST(lower("\xce\xa3\xce\x91") == "\xcf\x83\xce\xb1"); // ΣΑ -> σα
  // Case-ignorable code points are skipped on both sides: "Α'Σ" -> "α'ς", "ΑΣ\u0301Α" -> σ,
  // "ΑΣ\u0301" -> ς, "ΟΣ." -> ς.
  BOOST_TEST(lower("\xce\x91'\xce\xa3") == "\xce\xb1'\xcf\x82");
  BOOST_TEST(lower("\xce\x91\xce\xa3\xcc\x81\xce\x91") == "\xce\xb1\xcf\x83\xcc\x81\xce\xb1");
  BOOST_TEST(lower("\xce\x91\xce\xa3\xcc\x81") == "\xce\xb1\xcf\x82\xcc\x81");
  BOOST_TEST(lower("\xce\x9f\xce\xa3.") == "\xce\xbf\xcf\x82.");
  BOOST_TEST(lower("A\xce\xa3") == "a\xcf\x82"); // an ASCII letter is cased too
}

BOOST_AUTO_TEST_CASE(lower_non_ascii_letters) {
  BOOST_TEST(lower("\xc3\x89"
                   "COLE")
             == "\xc3\xa9"
                "cole");                                                       // ÉCOLE
  BOOST_TEST(lower("\xd0\x9f\xd0\xa0\xd0\x98") == "\xd0\xbf\xd1\x80\xd0\xb8"); // ПРИ
  BOOST_TEST(lower("\xe2\x84\xaa") == "k");                                    // Kelvin sign
  BOOST_TEST(lower("\xc7\x85") == "\xc7\x86");                                 // ǅ -> ǆ
  BOOST_TEST(lower("\xe2\x92\xb6") == "\xe2\x93\x90");                         // Ⓐ -> ⓐ
  BOOST_TEST(lower("\xe6\x97\xa5\xe6\x9c\xac") == "\xe6\x97\xa5\xe6\x9c\xac"); // 日本
  BOOST_TEST(lower("\xc3\x9f") == "\xc3\x9f");                                 // ß stays
}

BOOST_AUTO_TEST_CASE(is_lower_is_upper_follow_python) {
  BOOST_TEST(is_lower('a'));
  BOOST_TEST(!is_lower('A'));
  BOOST_TEST(is_upper('Z'));
  BOOST_TEST(is_lower(0xAA));   // ª (Other_Lowercase)
  BOOST_TEST(is_upper(0x24B6)); // Ⓐ (Other_Uppercase)
  BOOST_TEST(is_upper(0xC9));   // É
  BOOST_TEST(is_lower(0xE9));   // é
  BOOST_TEST(is_lower(0xDF));   // ß
  for (char32_t titlecase : {0x1C5, 0x1C8, 0x1CB, 0x1F2, 0x1F88, 0x1FBC, 0x1FFC}) {
    BOOST_TEST(!is_lower(titlecase));
    BOOST_TEST(!is_upper(titlecase));
  }
  for (char32_t none : {U'5', U' ', U'"', char32_t(0x65E5), char32_t(0x1F600), replacement_char}) {
    BOOST_TEST(!is_lower(none));
    BOOST_TEST(!is_upper(none));
  }
}

BOOST_AUTO_TEST_CASE(code_points_counts_code_points_not_bytes) {
  BOOST_TEST(code_points("") == 0u);
  BOOST_TEST(code_points("Abcde:\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9") == 10u); // Abcde:éééé, 14 bytes
  BOOST_TEST(code_points("\xe6\x97\xa5\xe6\x9c\xac") == 2u);                // 日本
  BOOST_TEST(code_points("\xf0\x9f\x98\x80!") == 2u);                       // emoji + !
}

BOOST_AUTO_TEST_CASE(valid_utf8_rejects_ill_formed_sequences) {
  BOOST_TEST(valid_utf8(""));
  BOOST_TEST(valid_utf8("plain"));
  BOOST_TEST(valid_utf8("\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80"));
  BOOST_TEST(valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  BOOST_TEST(!valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
  BOOST_TEST(!valid_utf8("\xc0\xaf"));         // overlong '/'
  BOOST_TEST(!valid_utf8("\xe0\x80\xaf"));     // overlong
  BOOST_TEST(!valid_utf8("\xed\xa0\x80"));     // surrogate
  BOOST_TEST(!valid_utf8("\xe6\x97"));         // truncated
  BOOST_TEST(!valid_utf8("\x80"));             // lone continuation
  BOOST_TEST(!valid_utf8("\xff"));
}

BOOST_AUTO_TEST_CASE(ill_formed_bytes_are_single_non_space_code_points) {
  const std::string bad = "\xe6\x97 \xff\xc0\xaf";
  BOOST_TEST(code_points(bad) == 6u); // E6, 97, space, FF, C0, AF
  BOOST_TEST(split_ws(bad) == (strings{"\xe6\x97", "\xff\xc0\xaf"}),
             boost::test_tools::per_element());
  BOOST_TEST(strip(" \xff ") == "\xff");
  BOOST_TEST(lower("A\xff"
                   "B\xce")
             == "a\xff"
                "b\xce");                                              // bytes copied through
  BOOST_TEST(lower("\xce\x91\xff\xce\xa3") == "\xce\xb1\xff\xcf\x83"); // not cased: σ
  const code_point cp = decode_at("\xed\xa0\x80", 0);
  BOOST_TEST(!cp.valid);
  BOOST_TEST(cp.size == 1u);
  BOOST_TEST(static_cast<uint32_t>(cp.value) == static_cast<uint32_t>(replacement_char));
}

BOOST_AUTO_TEST_CASE(random_bytes_never_break_invariants) {
  std::mt19937 rng(12345);
  const std::string alphabet[] = {
    "a",        "Z",        " ",        "\n",       "\r",           ":",       "'",
    "\xc3\xa9", "\xc4\xb0", "\xce\xa3", "\xc2\xa0", "\xe3\x80\x80", "\xcc\x81"};
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    const int len = static_cast<int>(rng() % 24);
    for (int i = 0; i < len; ++i) {
      if (rng() % 3 == 0)
        s.push_back(static_cast<char>(rng() & 0xFF));
      else
        s += alphabet[rng() % std::size(alphabet)];
    }
    const std::string st = strip(s);
    BOOST_TEST_REQUIRE(strip(st) == st);
    for (const auto& w : split_ws(s)) {
      BOOST_TEST_REQUIRE(!w.empty());
      BOOST_TEST_REQUIRE(split_ws(w).size() == 1u);
    }
    const std::string l = lower(s);
    BOOST_TEST_REQUIRE(valid_utf8(l) == valid_utf8(s));
    BOOST_TEST_REQUIRE(lower(l) == l);
    BOOST_TEST_REQUIRE(split_lf(s).size()
                       == static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1);
    BOOST_TEST_REQUIRE(code_points(s) <= s.size());
  }
}

BOOST_AUTO_TEST_CASE(append_utf8_round_trips_every_scalar_value) {
  for (char32_t c = 0; c < 0x110000; c += (c < 0x800 ? 1 : 97)) {
    if (c >= 0xD800 && c < 0xE000)
      continue;
    const std::string s = utf8(c);
    const code_point cp = decode_at(s, 0);
    BOOST_TEST_REQUIRE(cp.valid);
    BOOST_TEST_REQUIRE(cp.size == s.size());
    BOOST_TEST_REQUIRE(static_cast<uint32_t>(cp.value) == static_cast<uint32_t>(c));
  }
}

BOOST_AUTO_TEST_SUITE_END()
