#include <boost/test/unit_test.hpp>

#include "text/formatter.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace sonnet::text;
using strings = std::vector<std::string>;

namespace {

// clean_line as "kept text" or "<dropped>", so failures print both sides readably.
std::string cl(std::string_view line) {
  return clean_line(line).value_or("<dropped>");
}
const std::string dropped = "<dropped>";

std::string repeat_lines(const std::string& line, int n, const char* sep = "\n") {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += (i ? sep : "") + line;
  return out;
}

const std::string ten_syllables = "The gentle river sings beneath the moon"; // 10 vowel groups

} // namespace

BOOST_AUTO_TEST_SUITE(clean_line_rules)

BOOST_AUTO_TEST_CASE(strips_python_whitespace_and_drops_empty) {
  BOOST_TEST(cl("  \t Hello there, friend \r") == "Hello there, friend");
  BOOST_TEST(cl("\x1c\xc2\x85Good day sir\xe3\x80\x80") == "Good day sir");
  BOOST_TEST(cl("") == dropped);
  BOOST_TEST(cl(" \t\r\xc2\xa0") == dropped);
}

BOOST_AUTO_TEST_CASE(header_returns_text_after_first_colon_unchecked) {
  BOOST_TEST(cl("HAMLET: Words: more words here") == "Words: more words here");
  BOOST_TEST(cl("ROMEO: Hi!") == "Hi!");               // 3 code points is enough
  BOOST_TEST(cl("OTHELLO: Is: it so") == "Is: it so"); // colon rule skipped
}

BOOST_AUTO_TEST_CASE(header_allows_apostrophe_hyphen_and_unicode_space) {
  BOOST_TEST(cl("SOM'LEY: Good morrow, sweet lady") == "Good morrow, sweet lady");
  BOOST_TEST(cl("LADY CAPULET-X: What say you?") == "What say you?");
  BOOST_TEST(cl("DUKE\xc2\xa0OF YORK: Hello there") == "Hello there"); // NBSP matches \s
  BOOST_TEST(cl("HAMLET\x1c: Words here") == "Words here");
}

BOOST_AUTO_TEST_CASE(header_drops_short_or_lower_case_text) {
  BOOST_TEST(cl("ROMEO:") == dropped);
  BOOST_TEST(cl("ROMEO:   ") == dropped);
  BOOST_TEST(cl("ROMEO: Hi") == dropped);
  BOOST_TEST(cl("ROMEO: and then") == dropped);
  BOOST_TEST(cl("KING HENRY: 4 horses") == dropped);
  BOOST_TEST(cl("ROMEO: [exit]") == dropped);
  BOOST_TEST(cl("ROMEO: \xc3\xa9lan vital") == dropped);             // é is lower
  BOOST_TEST(cl("ROMEO: \xc3\x89lan vital") == "\xc3\x89lan vital"); // É is upper
}

BOOST_AUTO_TEST_CASE(header_keeps_quoted_text) {
  BOOST_TEST(cl("ROMEO: \"Fair maid\"") == "\"Fair maid\"");
  BOOST_TEST(cl("ROMEO: 'Tis so") == "'Tis so");
}

BOOST_AUTO_TEST_CASE(non_headers_fall_through_to_later_rules) {
  // Digits and lower case break the header pattern.
  BOOST_TEST(cl("KING HENRY 4: Hello there") == dropped); // then dropped by the name rule
  BOOST_TEST(cl("Hamlet: To be or not") == dropped);      // then by the colon rule
  BOOST_TEST(cl("A b c d e f g 4: Hello") == "A b c d e f g 4: Hello");
}

BOOST_AUTO_TEST_CASE(known_name_first_word_is_dropped) {
  BOOST_TEST(cl("King of shadows, thou hast mistook") == dropped);
  BOOST_TEST(cl("Lord, what fools these mortals be!") == "Lord, what fools these mortals be!");
  BOOST_TEST(cl("SOM'LEY is here today") == dropped);
  BOOST_TEST(cl("Richard's crown is heavy") == "Richard's crown is heavy");
  BOOST_TEST(cl("Tlantio sings") == dropped);
  // Python upper(): dotless ı -> I and ß -> SS make names; á does not.
  BOOST_TEST(cl("R\xc4\xb1"
                "chard comes")
             == dropped);
  BOOST_TEST(cl("ME\xc3\x9f"
                "ENGER comes")
             == dropped);
  BOOST_TEST(cl("Rich\xc3\xa1rd comes") == "Rich\xc3\xa1rd comes");
}

BOOST_AUTO_TEST_CASE(stage_directions_are_dropped) {
  BOOST_TEST(cl("[Exit Ghost]") == dropped);
  BOOST_TEST(cl("(aside) he knows") == dropped);
  BOOST_TEST(cl("  [Enter Juliet]") == dropped);
}

BOOST_AUTO_TEST_CASE(lower_case_start_is_dropped_per_unicode) {
  BOOST_TEST(cl("and so it goes") == dropped);
  BOOST_TEST(cl("\xc3\xa9lan vital is here") == dropped);     // élan
  BOOST_TEST(cl("\xc2\xaa ordinal") == dropped);              // ª is lower in Python
  BOOST_TEST(cl("\xc3\x89lan vital") == "\xc3\x89lan vital"); // Élan
  BOOST_TEST(cl("\xc7\x85"
                "emal is here")
             == "\xc7\x85"
                "emal is here"); // titlecase ǅ kept
  BOOST_TEST(cl("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e") == "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  BOOST_TEST(cl("'tis but a scratch") == "'tis but a scratch"); // quote is not lower
}

BOOST_AUTO_TEST_CASE(too_short_counts_code_points) {
  BOOST_TEST(cl("\xc3\x89\xc3\xa9") == dropped);         // Éé: 2 code points, 4 bytes
  BOOST_TEST(cl("\xe6\x97\xa5\xe6\x9c\xac") == dropped); // 日本
  BOOST_TEST(cl("Ab") == dropped);
  BOOST_TEST(cl("Abc") == "Abc");
}

BOOST_AUTO_TEST_CASE(colon_in_first_half_uses_real_division) {
  BOOST_TEST(cl("Abcde:fghi") == "Abcde:fghi"); // index 5, 10/2 = 5.0: kept
  BOOST_TEST(cl("Abcd:efghi") == dropped);      // 4 < 4.5
  BOOST_TEST(cl("Abcdef:ghi") == "Abcdef:ghi");
  BOOST_TEST(cl("Abcde:\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9")
             == "Abcde:\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
  BOOST_TEST(cl("\xc3\x89\xc3\xa9:abcdef")
             == dropped); // index 2 < 4.5 (bytes would say 4 < 6.5 too)
  BOOST_TEST(cl("Ab\xef\xbc\x9a"
                "cdefgh")
             == "Ab\xef\xbc\x9a"
                "cdefgh");                              // fullwidth ： ignored
  BOOST_TEST(cl("Abcdefgh: x: y") == "Abcdefgh: x: y"); // only the first colon counts: 8 < 7 false
}

BOOST_AUTO_TEST_CASE(ill_formed_utf8_is_handled) {
  BOOST_TEST(cl("\xff\xfe") == dropped); // two code points: too short
  BOOST_TEST(cl("\xff"
                "bcd")
             == "\xff"
                "bcd"); // not lower, not space
  BOOST_TEST(cl("ROMEO: \xff"
                "bcd")
             == dropped); // U+FFFD-like is not upper
  BOOST_TEST(cl("\xc3") == dropped);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(extract_and_format)

BOOST_AUTO_TEST_CASE(extract_lines_keeps_order_up_to_the_limit) {
  const std::string raw = "One line here\n[Exit]\nTwo line here\n\nThree line here\nFour line here";
  BOOST_TEST(extract_lines(raw)
               == (strings{"One line here", "Two line here", "Three line here", "Four line here"}),
             boost::test_tools::per_element());
  BOOST_TEST(extract_lines(raw, 3)
               == (strings{"One line here", "Two line here", "Three line here"}),
             boost::test_tools::per_element());
  BOOST_TEST(extract_lines("").empty());
}

BOOST_AUTO_TEST_CASE(extract_lines_max_lines_zero_or_less_keeps_up_to_one) {
  const std::string good_first = "Good line one\nGood line two";
  const std::string bad_first = "[Exit]\nGood line two\nGood line three";
  for (int max : {0, -5}) {
    BOOST_TEST(extract_lines(good_first, max) == (strings{"Good line one"}),
               boost::test_tools::per_element());
    BOOST_TEST(extract_lines(bad_first, max).empty());
  }
}

BOOST_AUTO_TEST_CASE(extract_lines_cr_only_line_endings_give_one_physical_line) {
  const std::string cr =
    "First Citizen:\rBefore we proceed any further, hear me speak.\r\rAll:\rSpeak, speak.";
  BOOST_TEST(extract_lines(cr).empty()); // one line whose first word is FIRST
  std::string lf = cr, crlf;
  std::replace(lf.begin(), lf.end(), '\r', '\n');
  for (char c : cr)
    crlf += c == '\r' ? std::string("\r\n") : std::string(1, c);
  const strings expected{"Before we proceed any further, hear me speak.", "All:", "Speak, speak."};
  BOOST_TEST(extract_lines(lf) == expected, boost::test_tools::per_element());
  BOOST_TEST(extract_lines(crlf) == expected, boost::test_tools::per_element()); // strip eats \r
}

BOOST_AUTO_TEST_CASE(format_needs_14_clean_lines_among_20) {
  std::string raw;
  for (int i = 0; i < 25; ++i)
    raw += "Line number " + std::string(1, static_cast<char>('A' + i)) + " here\n[Exit]\n";
  auto f = format(raw);
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->size() == 14u);
  BOOST_TEST(f->front() == "Line number A here");
  BOOST_TEST(f->back() == "Line number N here");

  const std::string thirteen =
    repeat_lines("A clean line of verse", 13) + "\n" + repeat_lines("ROMEO:", 30);
  BOOST_TEST(!format(thirteen).has_value());
  BOOST_TEST(format(repeat_lines("A clean line of verse", 14)).has_value());
  BOOST_TEST(!format("").has_value());
}

BOOST_AUTO_TEST_CASE(join_lines_has_no_trailing_newline) {
  BOOST_TEST(join_lines({"a", "b", "c"}) == "a\nb\nc");
  BOOST_TEST(join_lines({}) == "");
  BOOST_TEST(join_lines({"only"}) == "only");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(syllables)

BOOST_AUTO_TEST_CASE(count_syllables_spec_examples) {
  BOOST_TEST(count_syllables("Hello, world!") == 3);
  BOOST_TEST(count_syllables("queue") == 1);
  BOOST_TEST(count_syllables("you") == 1);
  BOOST_TEST(count_syllables("a-e-i-o-u") == 5);
  BOOST_TEST(count_syllables("rhythm") == 1);
  BOOST_TEST(count_syllables("\xc3\x89"
                             "COLE")
             == 2);                                    // ÉCOLE: É breaks the run
  BOOST_TEST(count_syllables("\xc4\xb0stanbul") == 3); // lowered İ starts with i
  BOOST_TEST(count_syllables(ten_syllables) == 10);
}

BOOST_AUTO_TEST_CASE(count_syllables_has_no_minimum) {
  BOOST_TEST(count_syllables("") == 0);
  BOOST_TEST(count_syllables("12345") == 0);
  BOOST_TEST(count_syllables("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e") == 0); // 日本語
  BOOST_TEST(count_syllables("AEIOUY") == 1);                               // upper case lowered
  BOOST_TEST(count_syllables("a\xc3\xbc"
                             "e")
             == 2); // ü breaks the run
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(meter_and_validate)

BOOST_AUTO_TEST_CASE(check_meter_judges_the_average_inclusively) {
  const meter nine = check_meter(strings(14, "a e i o u a e i o")); // 9 each
  BOOST_TEST(nine.ok);
  BOOST_TEST(nine.average == 9.0);
  BOOST_TEST(nine.counts == std::vector<int>(14, 9), boost::test_tools::per_element());
  BOOST_TEST(check_meter(strings(14, "a e i o u a e i o u a e i")).ok);    // 13
  BOOST_TEST(!check_meter(strings(14, "a e i o u a e i o u a e i o")).ok); // 14
  // Single lines far off are fine if the average is: 1 and 17 syllables average 9.
  BOOST_TEST(check_meter({"a", "a e i o u a e i o u a e i o u a e"}).ok);
  const meter none = check_meter({});
  BOOST_TEST(!none.ok);
  BOOST_TEST(none.average == 0.0);
  BOOST_TEST(none.counts.empty());
}

BOOST_AUTO_TEST_CASE(validate_counts_lines_without_stripping) {
  const std::string sonnet = repeat_lines(ten_syllables, 14);
  BOOST_TEST(validate(sonnet + "\n").second == "Expected 14 lines, got 15");
  BOOST_TEST(!validate(sonnet + "\n").first);
  BOOST_TEST(validate("").second == "Expected 14 lines, got 1");
  BOOST_TEST(validate(repeat_lines(ten_syllables, 13)).second == "Expected 14 lines, got 13");
}

BOOST_AUTO_TEST_CASE(validate_meter_messages) {
  BOOST_TEST(validate(repeat_lines("Hi", 14)).second
             == "Meter off (avg 1.0 syllables, expected ~10)");
  BOOST_TEST(validate(std::string(13, '\n')).second
             == "Meter off (avg 0.0 syllables, expected ~10)");
  const std::string nine_groups = "a e i o u a e i o", eight_groups = "a e i o u a e i";
  const auto r = validate(repeat_lines(nine_groups, 13) + "\n" + eight_groups);
  BOOST_TEST(!r.first);
  BOOST_TEST(r.second == "Meter off (avg 8.9 syllables, expected ~10)");
}

BOOST_AUTO_TEST_CASE(validate_accepts_fourteen_metred_lines) {
  const auto r = validate(repeat_lines(ten_syllables, 14));
  BOOST_TEST(r.first);
  BOOST_TEST(r.second == "Valid sonnet structure");
  // CRLF lines keep their '\r', which is not a vowel: still valid.
  BOOST_TEST(validate(repeat_lines(ten_syllables + "\r", 14)).first);
}

BOOST_AUTO_TEST_SUITE_END()
