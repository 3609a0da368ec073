#include <boost/test/unit_test.hpp>

#include "emergent/phases.hpp"
#include "tests/emergent/emergent_test.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace sonnet;
using namespace sonnet::emergent;
namespace utf = boost::unit_test;
namespace tt = boost::test_tools;

namespace {

// A draw source that fails the test if rule 6 ever asks it.
unit_draw no_draw() {
  return [] {
    BOOST_ERROR("rule 6 drew a random number where it must not");
    return 0.99;
  };
}

// Plays `values` in order and counts the draws.
struct scripted {
  std::shared_ptr<std::vector<double>> values;
  std::shared_ptr<std::size_t> taken = std::make_shared<std::size_t>(0);
  unit_draw draw() const {
    return [v = values, n = taken] {
      BOOST_REQUIRE(*n < v->size());
      return (*v)[(*n)++];
    };
  }
};

scripted script(std::vector<double> values) {
  return {std::make_shared<std::vector<double>>(std::move(values))};
}

phase_record starting_in(phase p) {
  phase_record r;
  r.state.current = p;
  r.state.temperature_sonnet = base_temperatures(p).sonnet;
  r.state.temperature_haiku = base_temperatures(p).haiku;
  return r;
}

phase_update step(phase_transitions& pt, const phase_metrics& m) {
  const auto u = pt.update(m);
  BOOST_TEST_REQUIRE(u.ok(), test::why(u));
  return *u;
}

// Updates with `m` once per entry of `p_after`, expecting no transition, checking P after each.
void expect_accumulator(phase_transitions& pt, const phase_metrics& m,
                        const std::vector<double>& p_after) {
  for (std::size_t i = 0; i < p_after.size(); ++i) {
    BOOST_TEST(!step(pt, m).transitioned, "update " << i + 1);
    BOOST_TEST(pt.state().transition_prob == p_after[i], tt::tolerance(1e-12));
  }
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

bool same_bits(const phase_record& a, const phase_record& b) {
  const phase_state &s = a.state, &t = b.state;
  return s.current == t.current && same_bits(s.temperature_sonnet, t.temperature_sonnet) &&
         same_bits(s.temperature_haiku, t.temperature_haiku) && same_bits(s.stability, t.stability) &&
         same_bits(s.transition_prob, t.transition_prob) && s.duration == t.duration &&
         a.observations == b.observations && same_bits(a.dissonance_history, b.dissonance_history) &&
         same_bits(a.novelty_history, b.novelty_history) &&
         same_bits(a.quality_history, b.quality_history);
}

// The phases of `updates` updates at dissonance 0.97 from a fresh state.
std::vector<phase> plasma_run(std::uint64_t seed, int updates) {
  phase_transitions pt(seeded_draw(seed));
  std::vector<phase> trace;
  for (int i = 0; i < updates; ++i) {
    step(pt, {0.97, 0.5, 0.5});
    trace.push_back(pt.state().current);
  }
  return trace;
}

} // namespace

// --- the §16 traces ---------------------------------------------------------

BOOST_AUTO_TEST_SUITE(phase_traces)

BOOST_AUTO_TEST_CASE(crystalline_to_liquid_and_back) {
  phase_transitions pt(no_draw(), starting_in(phase::crystalline));
  const phase_metrics rising{0.8, 0.5, 0.5};
  // Rule 0 holds P at 0 for two updates, then 0.3·0.9, (0.27 + 0.3)·0.9, and 0.813 fires.
  expect_accumulator(pt, rising, {0, 0, 0.27, 0.513});
  BOOST_TEST(pt.state().stability == 0.9, tt::tolerance(1e-12));
  const phase_update u = step(pt, rising);
  BOOST_TEST(u.transitioned);
  BOOST_TEST(u.from == phase::crystalline);
  BOOST_TEST(u.to == phase::liquid);
  BOOST_TEST(pt.state().current == phase::liquid);
  BOOST_TEST(pt.state().temperature_sonnet == 0.85, tt::tolerance(1e-12)); // 0.8 + 0.05, d > 0.7
  BOOST_TEST(pt.state().temperature_haiku == 0.8);
  BOOST_TEST(pt.state().stability == 0.55, tt::tolerance(1e-12));
  BOOST_TEST(pt.state().duration == 0u);
  for (double t : {0.90, 0.95, 1.0}) { // then the LIQUID drift, capped at 1
    BOOST_TEST(!step(pt, rising).transitioned);
    BOOST_TEST(pt.state().temperature_sonnet == t, tt::tolerance(1e-12));
  }
  // High quality, low dissonance: rule 3 accumulates 0.25 a time and fires on the 4th.
  const phase_metrics polished{0.3, 0.5, 0.9};
  expect_accumulator(pt, polished, {0.225, 0.4275, 0.60975});
  BOOST_TEST(pt.state().temperature_sonnet == 1.0); // d = 0.3 is not < 0.3: no drift
  const phase_update back = step(pt, polished);
  BOOST_TEST(back.transitioned);
  BOOST_TEST(pt.state().current == phase::crystalline);
  BOOST_TEST(pt.state().temperature_sonnet == 0.5);
  BOOST_TEST(pt.state().temperature_haiku == 0.6);
  BOOST_TEST(pt.record().observations == 5u + 3u + 4u);
}

BOOST_AUTO_TEST_CASE(liquid_to_vapor_on_a_novelty_plateau) {
  phase_transitions pt(no_draw());
  const phase_metrics plateau{0.5, 0.2, 0.6};
  expect_accumulator(pt, plateau, {0, 0, 0.18, 0.342, 0.4878});
  BOOST_TEST(pt.state().temperature_sonnet == 0.8); // 0.3 <= d <= 0.7: no drift
  const phase_update u = step(pt, plateau);
  BOOST_TEST(u.transitioned);
  BOOST_TEST(pt.state().current == phase::vapor);
  BOOST_TEST(pt.state().temperature_sonnet == 1.1);
  BOOST_TEST(pt.state().temperature_haiku == 1.0);
}

BOOST_AUTO_TEST_CASE(extreme_dissonance_enters_plasma_for_three_updates) {
  const scripted draws = script({0.5, 0.9, 0.1});
  phase_transitions pt(draws.draw());
  const phase_metrics extreme{0.97, 0.5, 0.5};
  for (double t : {0.85, 0.90, 0.95, 1.0, 1.0}) { // updates 1-5: no draw before duration 6
    BOOST_TEST(!step(pt, extreme).transitioned);
    BOOST_TEST(pt.state().temperature_sonnet == t, tt::tolerance(1e-12));
  }
  BOOST_TEST(*draws.taken == 0u);
  BOOST_TEST(!step(pt, extreme).transitioned); // draws 0.5
  BOOST_TEST(!step(pt, extreme).transitioned); // draws 0.9
  const phase_update in = step(pt, extreme);   // draws 0.1 < 0.15
  BOOST_TEST(*draws.taken == 3u);
  BOOST_TEST(in.transitioned);
  BOOST_TEST(in.to == phase::plasma);
  BOOST_TEST(pt.state().temperature_sonnet == 1.5);
  BOOST_TEST(pt.state().temperature_haiku == 1.2);
  // Rule 0 keeps PLASMA for updates 1 and 2 (no draws: duration <= 5); rule 7 leaves on the 3rd.
  BOOST_TEST(!step(pt, extreme).transitioned);
  BOOST_TEST(!step(pt, extreme).transitioned);
  BOOST_TEST(pt.state().current == phase::plasma);
  const phase_update out = step(pt, extreme);
  BOOST_TEST(out.transitioned);
  BOOST_TEST(out.to == phase::liquid);
  BOOST_TEST(pt.state().temperature_sonnet == 0.85, tt::tolerance(1e-12)); // adjusted at once
  BOOST_TEST(*draws.taken == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

// --- the rules one by one (§3.3) ----------------------------------------------

BOOST_AUTO_TEST_SUITE(phase_rules)

BOOST_AUTO_TEST_CASE(minimum_stay_holds_even_when_a_rule_qualifies) {
  // Rule 1 qualifies from the first update (d > 0.7), yet P grows only from duration 3.
  phase_transitions pt(no_draw(), starting_in(phase::crystalline));
  expect_accumulator(pt, {0.99, 0.5, 0.5}, {0, 0});
  BOOST_TEST(pt.state().duration == 2u);
}

BOOST_AUTO_TEST_CASE(vapor_to_liquid_when_quality_recovers) {
  phase_transitions pt(no_draw(), starting_in(phase::vapor));
  // Quality rising 0.1 an update: slope 0.1 > 0.05 once there are 3 samples.
  for (double q : {0.1, 0.2})
    BOOST_TEST(!step(pt, {0.5, 0.5, q}).transitioned);
  BOOST_TEST(!step(pt, {0.5, 0.5, 0.3}).transitioned); // P 0.3 → 0.27
  BOOST_TEST(!step(pt, {0.5, 0.5, 0.4}).transitioned); // P 0.57 → 0.513
  BOOST_TEST(step(pt, {0.5, 0.5, 0.5}).to == phase::liquid); // 0.813 > 0.6
}

BOOST_AUTO_TEST_CASE(vapor_to_crystalline_when_quality_drops) {
  phase_transitions pt(no_draw(), starting_in(phase::vapor));
  for (double q : {0.45, 0.35, 0.25}) // P 0, 0, 0.4 → 0.36
    BOOST_TEST(!step(pt, {0.5, 0.5, q}).transitioned);
  BOOST_TEST(pt.state().transition_prob == 0.36, tt::tolerance(1e-12));
  BOOST_TEST(step(pt, {0.5, 0.5, 0.15}).to == phase::crystalline); // 0.76 > 0.7
}

BOOST_AUTO_TEST_CASE(rules_two_and_three_share_the_accumulator) {
  // Novelty plateau below 0.3 AND high quality at low dissonance: +0.2 and +0.25 per update.
  phase_transitions pt(no_draw());
  expect_accumulator(pt, {0.35, 0.2, 0.9}, {0, 0, 0.405});
  // 0.405 + 0.2 = 0.605 > 0.6: rule 2 fires first, so VAPOR rather than CRYSTALLINE.
  BOOST_TEST(step(pt, {0.35, 0.2, 0.9}).to == phase::vapor);
}

BOOST_AUTO_TEST_CASE(plasma_needs_a_draw_below_the_chance) {
  for (double draw : {0.15, 0.1499999}) {
    const scripted draws = script({draw});
    phase_transitions pt(draws.draw());
    for (int i = 0; i < 5; ++i)
      step(pt, {0.96, 0.5, 0.5});
    const phase_update u = step(pt, {0.96, 0.5, 0.5});
    BOOST_TEST(u.transitioned == (draw < 0.15), "draw " << draw);
    BOOST_TEST(*draws.taken == 1u);
  }
}

BOOST_AUTO_TEST_CASE(liquid_drift_is_bounded_and_strict) {
  phase_transitions pt(no_draw());
  for (double t : {0.75, 0.70, 0.65, 0.6, 0.6}) {
    step(pt, {0.2, 0.5, 0.5});
    BOOST_TEST(pt.state().temperature_sonnet == t, tt::tolerance(1e-12));
  }
  step(pt, {0.7, 0.5, 0.5}); // exactly 0.7: no drift
  step(pt, {0.3, 0.5, 0.5}); // exactly 0.3: no drift
  BOOST_TEST(pt.state().temperature_sonnet == 0.6, tt::tolerance(1e-12));
  BOOST_TEST(pt.state().temperature_haiku == 0.8);
  BOOST_TEST(pt.state().stability == 1.0);
}

BOOST_AUTO_TEST_CASE(histories_keep_the_last_twenty) {
  phase_transitions pt(no_draw(), starting_in(phase::crystalline));
  for (int i = 0; i < 25; ++i)
    step(pt, {0.01 * i, 0.5, 0.5});
  const auto& d = pt.record().dissonance_history;
  BOOST_TEST_REQUIRE(d.size() == 20u);
  BOOST_TEST(d.front() == 0.05, tt::tolerance(1e-12));
  BOOST_TEST(d.back() == 0.24, tt::tolerance(1e-12));
  BOOST_TEST(pt.record().quality_history.size() == 20u);
}

BOOST_AUTO_TEST_CASE(trends_are_least_squares_slopes) {
  BOOST_TEST(slope({}) == 0.0);
  BOOST_TEST(slope({0.4}) == 0.0);
  BOOST_TEST(slope({0.5, 0.5, 0.5}) == 0.0);
  BOOST_TEST(slope({1, 3, 5, 7}) == 2.0);
  BOOST_TEST(slope({0, 2, 1}) == 0.5); // x̄ = 1, ȳ = 1: (−1·−1 + 1·0) / 2
  phase_record r;
  r.dissonance_history = {0.1, 0.9};
  r.novelty_history = {0.1, 0.9};
  r.quality_history = {0.1, 0.9};
  BOOST_TEST(compute_trends(r).dissonance == 0.0); // fewer than 3 samples: no trend
  r.dissonance_history.push_back(1.7);
  r.novelty_history.push_back(0.9);
  r.quality_history.push_back(0.1);
  const phase_trends t = compute_trends(r);
  BOOST_TEST(t.dissonance == 0.8, tt::tolerance(1e-12));
  BOOST_TEST(t.novelty == 0.4, tt::tolerance(1e-12));
  BOOST_TEST(t.quality == 0.0, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(non_finite_metrics_change_nothing) {
  phase_transitions pt(no_draw());
  step(pt, {0.5, 0.5, 0.5});
  const phase_record before = pt.record();
  const auto r = pt.update({std::nan(""), 0.5, 0.5});
  BOOST_TEST(!r.ok());
  BOOST_TEST(r.err().code == errc::invalid_argument);
  BOOST_TEST(same_bits(pt.record(), before));
}

BOOST_AUTO_TEST_SUITE_END()

// --- seeded PLASMA entries (defect 6) -----------------------------------------

BOOST_AUTO_TEST_SUITE(phase_replay)

BOOST_AUTO_TEST_CASE(same_seed_same_trace) {
  const auto a = plasma_run(42, 300), b = plasma_run(42, 300), c = plasma_run(43, 300);
  BOOST_TEST(a == b);
  BOOST_TEST(a != c);
  // PLASMA is entered, and every completed stay lasts exactly 3 updates.
  std::vector<std::size_t> stays;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool in = a[i] == phase::plasma;
    if (in && (i == 0 || a[i - 1] != phase::plasma))
      stays.push_back(0);
    if (in)
      ++stays.back();
  }
  if (a.back() == phase::plasma)
    stays.pop_back();
  BOOST_TEST(stays.size() > 0u);
  for (std::size_t n : stays)
    BOOST_TEST(n == 3u);
}

BOOST_AUTO_TEST_CASE(seeded_draws_replay_in_the_unit_interval) {
  unit_draw a = seeded_draw(7), b = seeded_draw(7), c = seeded_draw(8);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double x = a(), y = b(), z = c();
    BOOST_TEST_REQUIRE(same_bits(x, y));
    BOOST_TEST_REQUIRE((0.0 <= x && x < 1.0));
    differs = differs || x != z;
  }
  BOOST_TEST(differs);
}

BOOST_AUTO_TEST_CASE(plasma_rate_is_the_chance) {
  // Draws at duration > 5 with dissonance 0.97 enter PLASMA with probability 0.15: over many
  // draws the share lands within 4 standard deviations (seeded, so this never flickers).
  std::size_t draws = 0, entries = 0;
  unit_draw inner = seeded_draw(2024);
  phase_transitions pt([&] { ++draws; return inner(); });
  for (int i = 0; i < 40000; ++i)
    if (const phase_update u = step(pt, {0.97, 0.5, 0.5}); u.transitioned && u.to == phase::plasma)
      ++entries;
  const double share = static_cast<double>(entries) / static_cast<double>(draws);
  const double sd = std::sqrt(0.15 * 0.85 / static_cast<double>(draws));
  BOOST_TEST_MESSAGE(entries << " entries in " << draws << " draws: " << share);
  BOOST_TEST(std::abs(share - 0.15) < 4 * sd);
}

BOOST_AUTO_TEST_SUITE_END()

// --- phase_transitions.json (§3.6) --------------------------------------------

BOOST_AUTO_TEST_SUITE(phase_file)

BOOST_AUTO_TEST_CASE(shipped_file_loads,
                     *utf::precondition(test::have_shared_file{test::shipped_phases})) {
  const auto r = load_phase_record(test::shipped_phases);
  BOOST_TEST_REQUIRE(r.ok(), test::why(r));
  BOOST_TEST(r->state.current == phase::liquid);
  BOOST_TEST(r->state.temperature_sonnet == 1.0);
  BOOST_TEST(r->state.temperature_haiku == 0.8);
  BOOST_TEST(r->state.stability == 1.0);
  BOOST_TEST(r->state.transition_prob == 0.0);
  BOOST_TEST(r->state.duration == 55u);
  BOOST_TEST(r->observations == 55u);
  BOOST_TEST_REQUIRE(r->novelty_history.size() == 20u);
  BOOST_TEST(r->novelty_history[3] == 0.33999999999999997);
  BOOST_TEST(r->dissonance_history.front() == 0.75);
  BOOST_TEST(r->quality_history.back() == 0.8);
}

BOOST_AUTO_TEST_CASE(shipped_file_is_written_back_byte_for_byte,
                     *utf::precondition(test::have_shared_file{test::shipped_phases})) {
  const auto r = load_phase_record(test::shipped_phases);
  BOOST_TEST_REQUIRE(r.ok(), test::why(r));
  const auto text = phase_record_json(*r);
  BOOST_TEST_REQUIRE(text.ok());
  BOOST_TEST(*text == test::slurp(test::shipped_phases));
}

BOOST_AUTO_TEST_CASE(save_load_round_trip_is_bit_exact) {
  phase_transitions pt(seeded_draw(1));
  for (int i = 0; i < 30; ++i)
    step(pt, {0.3 + 0.021 * i, 0.4 - 0.013 * i, 0.5 + 0.007 * i});
  const std::string path = test::scratch_path("phases.json");
  BOOST_TEST_REQUIRE(save_phase_record(path, pt.record()).ok());
  const auto loaded = load_phase_record(path);
  BOOST_TEST_REQUIRE(loaded.ok(), test::why(loaded));
  BOOST_TEST(same_bits(*loaded, pt.record()));
  // A machine restored from the file continues exactly like the original.
  phase_transitions restored(seeded_draw(5), *loaded), original(seeded_draw(5), pt.record());
  for (int i = 0; i < 10; ++i) {
    step(restored, {0.99, 0.2, 0.9});
    step(original, {0.99, 0.2, 0.9});
  }
  BOOST_TEST(same_bits(restored.record(), original.record()));
}

BOOST_AUTO_TEST_CASE(bad_contents_name_the_field) {
  const struct {
    std::string json, expect;
  } cases[] = {
    {"", "not valid JSON"},
    {R"({"phase": "LIQU)", "not valid JSON"},
    {"3", "not a JSON object"},
    {R"({"phase": "SOLID"})", "`phase` must be one of"},
    {R"({"phase": 1})", "`phase` must be one of"},
    {R"({"temperature_sonnet": "hot"})", "`temperature_sonnet` must be a finite number"},
    {R"({"duration": -2})", "`duration` must be a non-negative integer"},
    {R"({"observations": 2.5})", "`observations` must be a non-negative integer"},
    {R"({"novelty_history": [0.1, null]})", "`novelty_history[1]` is not a finite number"},
    {R"({"dissonance_history": [0.1], "novelty_history": [0.1]})", "same length"},
  };
  for (const auto& c : cases) {
    const auto r = parse_phase_record(c.json, "phases.json");
    BOOST_TEST_REQUIRE(!r.ok(), c.expect);
    BOOST_TEST(r.err().code == errc::bad_state_file);
    BOOST_TEST(r.err().message.find(c.expect) != std::string::npos,
               "expected '" << c.expect << "' in: " << r.err().message);
  }
}

BOOST_AUTO_TEST_CASE(missing_keys_take_the_prototype_defaults) {
  const auto r = parse_phase_record("{}", "phases.json");
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(r->state.current == phase::liquid);
  BOOST_TEST(r->state.temperature_sonnet == 0.8);
  BOOST_TEST(r->state.stability == 0.7);
  BOOST_TEST(r->observations == 0u);
  BOOST_TEST(r->dissonance_history.empty());
}

BOOST_AUTO_TEST_CASE(long_histories_keep_their_last_twenty) {
  std::string list = "[0";
  for (int i = 1; i < 25; ++i)
    list += "," + std::to_string(i);
  list += "]";
  const auto r = parse_phase_record(R"({"dissonance_history": )" + list +
                                      R"(, "novelty_history": )" + list +
                                      R"(, "quality_history": )" + list + "}",
                                    "phases.json");
  BOOST_TEST_REQUIRE(r.ok(), test::why(r));
  BOOST_TEST_REQUIRE(r->dissonance_history.size() == 20u);
  BOOST_TEST(r->dissonance_history.front() == 5.0);
  BOOST_TEST(r->quality_history.back() == 24.0);
}

BOOST_AUTO_TEST_CASE(failed_saves_leave_the_old_file_intact) {
  const std::string path = test::scratch_path("phases_keep.json");
  phase_transitions pt(no_draw());
  step(pt, {0.5, 0.5, 0.5});
  BOOST_TEST_REQUIRE(save_phase_record(path, pt.record()).ok());
  const std::string old_text = test::slurp(path);

  phase_record poisoned = pt.record();
  poisoned.quality_history.back() = std::nan("");
  const auto refused = save_phase_record(path, poisoned);
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.err().code == errc::invalid_argument);
  BOOST_TEST(test::slurp(path) == old_text);

  std::filesystem::create_directory(path + ".tmp");
  step(pt, {0.6, 0.5, 0.5});
  const auto failed = save_phase_record(path, pt.record());
  BOOST_TEST_REQUIRE(!failed.ok());
  BOOST_TEST(failed.err().code == errc::state_write_failed);
  BOOST_TEST(test::slurp(path) == old_text);
  std::filesystem::remove(path + ".tmp");

  // The prototype crashed when state/ was missing (defect 7); here it is an error value.
  const auto no_dir = save_phase_record(test::scratch_path("state/phase_transitions.json"),
                                        pt.record());
  BOOST_TEST_REQUIRE(!no_dir.ok());
  BOOST_TEST(no_dir.err().code == errc::state_write_failed);
}

BOOST_AUTO_TEST_CASE(truncated_file_is_a_clear_error_and_stays_as_it_was) {
  const std::string path = test::scratch_path("phases_cut.json");
  phase_transitions pt(no_draw());
  step(pt, {0.5, 0.5, 0.5});
  const std::string good = *phase_record_json(pt.record());
  const std::string cut = good.substr(0, good.size() - 3);
  test::spit(path, cut);
  const auto r = load_phase_record(path);
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.err().code == errc::bad_state_file);
  BOOST_TEST(r.err().message.find(path) != std::string::npos, r.err().message);
  BOOST_TEST(test::slurp(path) == cut);
}

BOOST_AUTO_TEST_SUITE_END()
