// The service's per-request rules, tested without spawning actors.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "actors/request_rules.hpp"

using namespace sonnet;

BOOST_AUTO_TEST_SUITE(request_rules)

BOOST_AUTO_TEST_CASE(validate_accepts_defaults_and_names_bad_fields) {
  budget_rules rules;
  generate_request ok;
  BOOST_TEST(validate(ok, rules).ok());
  auto t = ok;
  t.has_temperature = true;
  t.temperature = std::nan("");
  auto e = validate(t, rules);
  BOOST_TEST(!e.ok());
  BOOST_TEST(e.err().code == errc::invalid_argument);
  BOOST_TEST(e.err().message.find("temperature") != std::string::npos);
  t.temperature = 0; // argmax is allowed
  BOOST_TEST(validate(t, rules).ok());
  t.temperature = rules.max_temperature + 0.1;
  BOOST_TEST(!validate(t, rules).ok());
  auto k = ok;
  k.top_k = -1;
  BOOST_TEST(validate(k, rules).err().code == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(prompt_limits) {
  budget_rules rules;
  generate_request r;
  r.prompt = std::string(rules.max_prompt_bytes, 'x');
  BOOST_TEST(validate(r, rules).ok());
  r.prompt += "x";
  BOOST_TEST(validate(r, rules).err().code == errc::prompt_too_long);
  r.prompt = "ok \xff";
  BOOST_TEST(validate(r, rules).err().code == errc::bad_encoding);
  r.prompt = "Ὦ μοῦσα"; // valid UTF-8 outside the model's vocabulary is fine
  BOOST_TEST(validate(r, rules).ok());
}

BOOST_AUTO_TEST_CASE(dissonance_queries_follow_the_prompt_rules) {
  budget_rules rules;
  const std::string sonnet = "Shall I compare thee to a summer's day?\n";
  BOOST_TEST(validate_dissonance("the sea", sonnet, rules).ok());
  BOOST_TEST(validate_dissonance("", "", rules).ok());
  BOOST_TEST(validate_dissonance("ok \xff", sonnet, rules).err().code == errc::bad_encoding);
  auto bad_sonnet = validate_dissonance("the sea", sonnet + "\xc3", rules);
  BOOST_TEST(bad_sonnet.err().code == errc::bad_encoding);
  BOOST_TEST(bad_sonnet.err().message.find("sonnet") != std::string::npos);
  BOOST_TEST(
    validate_dissonance(std::string(rules.max_prompt_bytes + 1, 'x'), sonnet, rules).err().code
    == errc::prompt_too_long);
  BOOST_TEST(
    validate_dissonance("x", std::string(rules.max_sonnet_bytes + 1, 'x'), rules).err().code
    == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(rounds_stay_within_the_budget) {
  budget_rules rules;
  BOOST_TEST(next_round(0, 2400, rules) == 800);
  BOOST_TEST(next_round(800, 2400, rules) == 400);
  BOOST_TEST(next_round(2200, 2400, rules) == 200);
  BOOST_TEST(next_round(2400, 2400, rules) == 0);
  BOOST_TEST(next_round(0, 50, rules) == 50);
  generate_request r;
  BOOST_TEST(token_budget(r, rules) == rules.default_budget);
  r.tokens = 5000;
  BOOST_TEST(token_budget(r, rules) == 5000);
  int32_t spent = 0, rounds = 0;
  while (auto n = next_round(spent, 3000, rules)) {
    spent += n;
    ++rounds;
  }
  BOOST_TEST(spent == 3000);
  BOOST_TEST(rounds == 7); // 800 + 5 * 400 + 200
}

BOOST_AUTO_TEST_CASE(temperature_follows_the_prototype_bands) {
  generate_request r;
  BOOST_TEST(choose_temperature(r, std::nullopt) == 0.8);
  BOOST_TEST(choose_temperature(r, 0.1) == 0.6);
  BOOST_TEST(choose_temperature(r, 0.3) == 0.8); // boundaries go to the upper band
  BOOST_TEST(choose_temperature(r, 0.69) == 0.8);
  BOOST_TEST(choose_temperature(r, 0.7) == 1.0);
  r.has_temperature = true;
  r.temperature = 0.25;
  BOOST_TEST(choose_temperature(r, 0.9) == 0.25);
}

BOOST_AUTO_TEST_CASE(round_seeds_are_stable_and_distinct) {
  BOOST_TEST(round_seed(7, 0) == 7u);
  BOOST_TEST(round_seed(7, 1) == round_seed(7, 1));
  BOOST_TEST(round_seed(7, 1) != round_seed(7, 2));
  BOOST_TEST(round_seed(7, 1) != round_seed(8, 1));
  BOOST_TEST(generation_context("") == "\n");
  BOOST_TEST(generation_context("Love") == "Love");
  BOOST_TEST(candidate_seed(7, 0) == 7u);
  BOOST_TEST(candidate_seed(7, 1) != candidate_seed(7, 2));
  BOOST_TEST(candidate_seed(7, 1) != round_seed(7, 1));
  generate_request r;
  BOOST_TEST(candidate_count(r) == 1);
  r.candidates = 0;
  BOOST_TEST(candidate_count(r) == 1);
  r.candidates = 8;
  BOOST_TEST(candidate_count(r) == 8);
  BOOST_TEST(validate(r, budget_rules{}).ok());
  r.candidates = 17;
  BOOST_TEST(validate(r, budget_rules{}).err().code == errc::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
