#include <boost/test/unit_test.hpp>

#include "emergent/metasonnet.hpp"
#include "text/formatter.hpp"
#include "text/unicode.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace sonnet;
using namespace sonnet::emergent;
using namespace std::chrono_literals;

namespace {

// Shakespeare's Sonnet 116 (public domain).
const std::string sonnet_116 = R"(Let me not to the marriage of true minds
Admit impediments. Love is not love
Which alters when it alteration finds,
Or bends with the remover to remove.
O no! it is an ever-fixed mark
That looks on tempests and is never shaken;
It is the star to every wand'ring bark,
Whose worth's unknown, although his height be taken.
Love's not Time's fool, though rosy lips and cheeks
Within his bending sickle's compass come;
Love alters not with his brief hours and weeks,
But bears it out even to the edge of doom.
If this be error and upon me proved,
I never writ, nor no man ever loved.)";

const double not_a_number = std::numeric_limits<double>::quiet_NaN();

reflection_metrics metrics(std::optional<double> d, std::optional<double> q,
                           std::optional<double> arousal = std::nullopt) {
  return {d, q, arousal};
}

// A draw that fails the test if taken.
unit_draw no_draw() {
  return [] {
    BOOST_FAIL("should_reflect drew although a threshold decided");
    return 0.0;
  };
}

std::vector<bool> low_metric_decisions(std::uint64_t seed) {
  const unit_draw draw = seeded_draw(seed);
  std::vector<bool> out;
  for (int i = 0; i < 100; ++i)
    out.push_back(should_reflect(metrics(0.3, 0.5), draw));
  return out;
}

std::string internal_lines() {
  std::vector<std::string> lines;
  for (int i = 0; i < 14; ++i)
    lines.push_back("Internal line " + std::to_string(i));
  return text::join_lines(lines);
}

} // namespace

BOOST_AUTO_TEST_SUITE(metasonnet)

// --- should_reflect ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(high_dissonance_or_quality_or_arousal_reflects) {
  BOOST_TEST(should_reflect(metrics(0.75, std::nullopt), no_draw()));
  BOOST_TEST(should_reflect(metrics(std::nullopt, 0.8), no_draw()));
  BOOST_TEST(should_reflect(metrics(0.2, 0.2, 0.61), no_draw()));
}

BOOST_AUTO_TEST_CASE(low_metrics_draw_and_replay) {
  const auto a = low_metric_decisions(9);
  BOOST_TEST(std::count(a.begin(), a.end(), true) > 0);
  BOOST_TEST(std::count(a.begin(), a.end(), false) > 0);
  BOOST_TEST(a == low_metric_decisions(9));
  BOOST_TEST(a != low_metric_decisions(10));
  // Thresholds are strict: 0.7, 0.75 and 0.6 themselves draw.
  int draws = 0;
  const unit_draw counting = [&] { ++draws; return 0.99; };
  BOOST_TEST(!should_reflect(metrics(0.7, 0.75, 0.6), counting));
  BOOST_TEST(draws == 1);
}

BOOST_AUTO_TEST_CASE(missing_or_nan_metrics_read_as_one_half) {
  BOOST_TEST(metric_or_default(std::nullopt) == 0.5);
  BOOST_TEST(metric_or_default(not_a_number) == 0.5);
  BOOST_TEST(metric_or_default(std::numeric_limits<double>::infinity()) == 0.5);
  BOOST_TEST(metric_or_default(0.9) == 0.9);
  // All missing / NaN: no threshold passes, so the draw decides; nothing throws.
  int draws = 0;
  const unit_draw low = [&] { ++draws; return 0.1; };
  BOOST_CHECK_NO_THROW(BOOST_TEST(should_reflect(metrics(std::nullopt, std::nullopt), low)));
  BOOST_TEST(should_reflect(metrics(not_a_number, not_a_number, not_a_number), low));
  BOOST_TEST(draws == 2);
  bootstrap_buffer buf;
  BOOST_TEST(!buf.feed(sonnet_116, metrics(not_a_number, std::nullopt, not_a_number)));
}

// --- the bootstrap buffer ---------------------------------------------------

BOOST_AUTO_TEST_CASE(buffer_starts_empty_with_its_capacity) {
  const bootstrap_buffer five;
  BOOST_TEST(five.empty());
  BOOST_TEST(five.capacity() == 5u);
  BOOST_TEST(bootstrap_buffer(3).capacity() == 3u);
}

BOOST_AUTO_TEST_CASE(striking_sonnets_feed_the_buffer) {
  bootstrap_buffer dissonant, polished, aroused, low;
  BOOST_TEST(dissonant.feed(sonnet_116, metrics(0.8, 0.6)));
  BOOST_TEST(polished.feed(sonnet_116, metrics(0.5, 0.85)));
  BOOST_TEST(aroused.feed(sonnet_116, metrics(0.2, 0.2, 0.55)));
  BOOST_TEST(!low.feed(sonnet_116, metrics(0.3, 0.4)));
  BOOST_TEST(dissonant.size() == 1u);
  BOOST_TEST(low.empty());
  BOOST_TEST(dissonant.snippets().front() ==
             "Let me not to the marriage of true minds Admit impediments. Love is not love");
  // Thresholds are strict, and an empty or blank sonnet adds nothing.
  BOOST_TEST(!low.feed(sonnet_116, metrics(0.7, 0.7, 0.5)));
  BOOST_TEST(!low.feed("", metrics(0.9, 0.9)));
  BOOST_TEST(!low.feed(" \n\t", metrics(0.9, 0.9)));
}

BOOST_AUTO_TEST_CASE(snippet_is_two_stripped_lines) {
  BOOST_TEST(bootstrap_snippet("  one\ntwo\nthree  ") == "one two");
  BOOST_TEST(bootstrap_snippet("\n\nonly line\n") == "only line");
  BOOST_TEST(bootstrap_snippet("a\n\nb") == "a ");
}

BOOST_AUTO_TEST_CASE(long_snippets_are_cut_to_200_code_points) {
  const std::string long_line = std::string(1000, 'A') + std::string(13, '\n');
  BOOST_TEST(bootstrap_snippet(long_line) == std::string(200, 'A'));
  std::string accents; // "é" is 2 bytes: 200 code points are 400 bytes
  for (int i = 0; i < 300; ++i)
    accents += "\xc3\xa9";
  const std::string cut = bootstrap_snippet(accents);
  BOOST_TEST(text::code_points(cut) == 200u);
  BOOST_TEST(cut.size() == 400u);
  BOOST_TEST(text::valid_utf8(cut));
  std::string mixed = "x"; // 1 + 3-byte "…" ×250: the cut never splits a code point
  for (int i = 0; i < 250; ++i)
    mixed += "\xe2\x80\xa6";
  BOOST_TEST(text::code_points(bootstrap_snippet(mixed)) == 200u);
  BOOST_TEST(text::valid_utf8(bootstrap_snippet(mixed)));
}

BOOST_AUTO_TEST_CASE(full_buffer_drops_the_oldest) {
  bootstrap_buffer buf;
  for (int i = 0; i < 10; ++i)
    BOOST_TEST(buf.feed("sonnet " + std::to_string(i) + "\nline", metrics(0.9, 0.5)));
  BOOST_TEST(buf.size() == buf.capacity());
  BOOST_TEST(buf.snippets().front() == "sonnet 5 line");
  BOOST_TEST(buf.snippets().back() == "sonnet 9 line");
  bootstrap_buffer none(0);
  BOOST_TEST(!none.feed(sonnet_116, metrics(0.9, 0.9)));
  BOOST_TEST(none.empty());
}

// --- the reflection prompt --------------------------------------------------

BOOST_AUTO_TEST_CASE(prompt_is_the_prototype_seed_ending_a_line) {
  bootstrap_buffer buf;
  BOOST_TEST(reflection_prompt(buf, "") == "\n"); // the prototype's own prompt
  BOOST_TEST(reflection_prompt(buf, "short sonnet\nend\n") == "short sonnet\nend\n");
  buf.feed("first one\nfirst two", metrics(0.9, 0.5));
  buf.feed("second one\nsecond two", metrics(0.9, 0.5));
  const std::string sonnet = std::string(150, 'z');
  BOOST_TEST(reflection_prompt(buf, sonnet) ==
             "first one first two second one second two " + std::string(100, 'z') + "\n");
}

BOOST_AUTO_TEST_CASE(prompt_keeps_the_last_400_code_points) {
  bootstrap_buffer buf;
  std::string sonnet = "HEAD";
  for (int i = 0; i < 500; ++i)
    sonnet += "\xc3\xa9"; // é
  sonnet += "TAIL";
  const std::string prompt = reflection_prompt(buf, sonnet);
  BOOST_TEST(text::code_points(prompt) == max_reflection_prompt);
  BOOST_TEST(prompt.substr(prompt.size() - 5) == "TAIL\n");
  BOOST_TEST(prompt.find("HEAD") == std::string::npos);
  BOOST_TEST(text::valid_utf8(prompt));
  BOOST_TEST(prompt.size() <= 2000u); // the service's prompt limit in bytes
  for (int i = 0; i < 5; ++i)
    buf.feed(std::string(300, 'a' + i), metrics(0.9, 0.5));
  const std::string full = reflection_prompt(buf, sonnet_116);
  BOOST_TEST(text::code_points(full) == max_reflection_prompt);
  BOOST_TEST(full == std::string(full.end() - 1 - 399, full.end() - 1) + "\n");
  BOOST_TEST(full.find(sonnet_116.substr(0, 100) + "\n") != std::string::npos);
}

// --- what is stored ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(only_valid_reflections_are_stored) {
  BOOST_TEST_REQUIRE(text::validate(sonnet_116).first);
  const auto row = reflection_to_store(sonnet_116, std::nullopt);
  BOOST_TEST_REQUIRE(row.has_value());
  BOOST_TEST(row->text == sonnet_116);
  BOOST_TEST(row->quality == 0.7);
  BOOST_TEST(row->dissonance == 0.5);
  BOOST_TEST(row->temperature == 0.9);
  BOOST_TEST(row->added_by == "metasonnet");
  BOOST_TEST(reflection_to_store(sonnet_116, 0.82)->dissonance == 0.82);
  // The prototype's test text fails the meter check (§13.1), so nothing is stored.
  BOOST_TEST(!reflection_to_store(internal_lines(), 0.5).has_value());
  BOOST_TEST(reflection_temperature == 0.9);
  BOOST_TEST(reflection_tokens == 800);
}

// --- rate limit -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(limiter_allows_one_in_flight) {
  reflection_limiter gate(2, 60s);
  const auto t0 = reflection_limiter::clock::time_point{} + 1h;
  BOOST_TEST(gate.try_start(t0));
  BOOST_TEST(gate.in_flight());
  BOOST_TEST(!gate.try_start(t0 + 1s)); // still running
  gate.done();
  BOOST_TEST(!gate.in_flight());
  gate.done(); // harmless
  BOOST_TEST(gate.try_start(t0 + 2s));
}

BOOST_AUTO_TEST_CASE(limiter_counts_starts_per_window) {
  reflection_limiter gate(2, 60s);
  const auto t0 = reflection_limiter::clock::time_point{} + 1h;
  BOOST_TEST(gate.try_start(t0));
  gate.done();
  BOOST_TEST(gate.try_start(t0 + 10s));
  gate.done();
  BOOST_TEST(!gate.try_start(t0 + 30s)); // two in the last minute
  BOOST_TEST(gate.try_start(t0 + 60s)); // t0 has left the window (now − 60 s)
  gate.done();
  BOOST_TEST(!gate.try_start(t0 + 65s)); // t0 + 10 s and t0 + 60 s are inside
  BOOST_TEST(gate.try_start(t0 + 121s));
  reflection_limiter never(0);
  BOOST_TEST(!never.try_start(t0));
}

BOOST_AUTO_TEST_SUITE_END()
