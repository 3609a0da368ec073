#define BOOST_TEST_MODULE emergent
#include <boost/test/unit_test.hpp>

#include "emergent/brain.hpp"
#include "tests/emergent/emergent_test.hpp"
#include "text/formatter.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <random>
#include <string>
#include <vector>

using namespace sonnet;
using namespace sonnet::emergent;
namespace utf = boost::unit_test;

namespace {

const std::string& reference_sonnet = sonnet::test::prototype_sample;

// What the prototype reported as the score: sigmoid of the tanh output (defect 1).
double prototype_score(double y) {
  return 1.0 / (1.0 + std::exp(-y));
}

brain_state seeded_brain(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  return fresh_brain_state(rng);
}

brain_state shipped_state() {
  auto s = load_brain_state(test::shipped_brain);
  BOOST_TEST_REQUIRE(s.ok(), test::why(s));
  return *s;
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool same_bits(const brain_state& a, const brain_state& b) {
  return a.observations == b.observations && same_bits(a.running_loss, b.running_loss) &&
         same_bits(a.last_loss, b.last_loss) && same_bits(a.lr, b.lr) &&
         std::memcmp(a.parameters.data(), b.parameters.data(), sizeof a.parameters) == 0;
}

std::vector<std::string> cloud_texts(const std::string& db_path) {
  std::vector<std::string> texts;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT text FROM sonnets ORDER BY id", -1, &st, nullptr) ==
        SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW)
        texts.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return texts;
}

} // namespace

// --- features (§2.2) --------------------------------------------------------

BOOST_AUTO_TEST_SUITE(features)

BOOST_AUTO_TEST_CASE(reference_sonnet_features_match_the_spec) {
  const sonnet_features f = extract_features(reference_sonnet);
  // Raw values as exact rationals: 14 lines, 158 syllables, 120 words of 498 code points, 82
  // distinct, one "doth" ('tis with its apostrophe does not count).
  BOOST_TEST(f.line_count == 14.0);
  BOOST_TEST(f.avg_syllables == 158.0 / 14.0);
  BOOST_TEST(f.avg_word_length == 498.0 / 120.0);
  BOOST_TEST(f.unique_word_ratio == 82.0 / 120.0);
  BOOST_TEST(f.shakespeare_score == 1.0 / 120.0);
  BOOST_TEST(f.novelty == 0.5);
  // §16 prints 14 decimals: each value within half a unit of the last.
  const feature_vector expected = {1.0, 0.75238095238095, 0.12653061224490, 0.415,
                                   0.68333333333333, 0.00833333333333, 0.06091518461428, 0.5};
  const feature_vector x = f.to_vector();
  for (std::size_t i = 0; i < feature_count; ++i)
    BOOST_TEST(std::abs(x[i] - expected[i]) <= 5e-15, "feature " << i << ": " << x[i]);
}

BOOST_AUTO_TEST_CASE(empty_text_is_one_line_of_one_syllable) {
  const feature_vector x = extract_features("").to_vector();
  const feature_vector expected = {1.0 / 14, 1.0 / 15, 0, 0, 0, 0, 0, 0.5};
  for (std::size_t i = 0; i < feature_count; ++i)
    BOOST_TEST(x[i] == expected[i], "feature " << i);
}

BOOST_AUTO_TEST_CASE(brain_syllables_never_go_below_one) {
  BOOST_TEST(brain_syllables("") == 1);
  BOOST_TEST(text::count_syllables("") == 0); // the formatter's rule has no minimum
  BOOST_TEST(brain_syllables("12345") == 1);
  BOOST_TEST(brain_syllables("rhythm") == 1);           // y is a vowel
  BOOST_TEST(brain_syllables("Beautiful queueing") == 4); // eau-i-u, ueuei
}

BOOST_AUTO_TEST_CASE(variance_is_the_population_variance) {
  // Lines of 1 and 3 syllables: mean 2, population variance 1 (a sample variance would be 2).
  const sonnet_features f = extract_features("cat\nbanana");
  BOOST_TEST(f.avg_syllables == 2.0);
  BOOST_TEST(f.syllable_variance == 1.0);
  BOOST_TEST(f.to_vector()[2] == 0.2);
  // The normalised variance is capped at 1: lines of 1 and 11 syllables have variance 25.
  BOOST_TEST(extract_features("a\na a a a a a a a a a a").to_vector()[2] == 1.0);
}

BOOST_AUTO_TEST_CASE(shakespearean_words_match_exactly) {
  // "thou" and "hath" count; "'tis" (apostrophe) and "thee," (comma) do not; case is folded.
  const sonnet_features f = extract_features("Thou 'tis thee, HATH");
  BOOST_TEST(f.shakespeare_score == 0.5);
}

BOOST_AUTO_TEST_CASE(coherence_is_the_mean_jaccard_of_neighbours) {
  BOOST_TEST(extract_features("a b\nB c\nc d").coherence_score == 1.0 / 3.0);
  // A blank middle line is a line with an empty word set: both pairs score 0.
  const sonnet_features blank = extract_features("a\n\na");
  BOOST_TEST(blank.line_count == 3.0);
  BOOST_TEST(blank.coherence_score == 0.0);
  // Surrounding blank lines are stripped first.
  BOOST_TEST(extract_features("\n\nx y\nx y\n\n").coherence_score == 1.0);
}

BOOST_AUTO_TEST_CASE(word_length_counts_code_points) {
  // "née" is 3 code points (4 bytes), "ok," is 3 with its comma.
  BOOST_TEST(extract_features("née ok,").avg_word_length == 3.0);
}

BOOST_AUTO_TEST_SUITE_END()

// --- the network and scoring (§2.1, §2.3) -------------------------------------

BOOST_AUTO_TEST_SUITE(scoring)

BOOST_AUTO_TEST_CASE(shipped_weights_give_the_reference_output,
                     *utf::precondition(test::have_shared_file{test::shipped_brain})) {
  const sonnet_brain brain(shipped_state());
  const double y = brain.output(reference_sonnet);
  BOOST_TEST_MESSAGE(std::setprecision(17) << "y = " << y << ", sigmoid " << prototype_score(y));
  // Bit for bit: same features, same fold order, same tanh formula, no FMA.
  BOOST_TEST(y == 0.6528418830641225);
  BOOST_TEST(prototype_score(y) == 0.6576505884687996);
  // Defect 1 fixed: the score is the trained output itself, not sigmoid(y).
  BOOST_TEST(brain.score(reference_sonnet) == y);
}

BOOST_AUTO_TEST_CASE(shipped_weights_on_empty_and_hello,
                     *utf::precondition(test::have_shared_file{test::shipped_brain})) {
  const sonnet_brain brain(shipped_state());
  BOOST_TEST(prototype_score(brain.output("")) == 0.7153599210721616);
  BOOST_TEST(prototype_score(brain.output("hello")) == 0.5965885275141052);
}

BOOST_AUTO_TEST_CASE(shipped_weights_over_the_prototype_cloud,
                     *utf::precondition(test::have_shared_file{test::prototype_cloud}) *
                       utf::precondition(test::have_shared_file{test::shipped_brain})) {
  const sonnet_brain brain(shipped_state());
  const auto texts = cloud_texts(test::prototype_cloud);
  BOOST_TEST_REQUIRE(texts.size() == 155u);
  double lo = 1, hi = 0, y_lo = 1, y_hi = 0;
  for (const auto& t : texts) {
    const double y = brain.output(t);
    lo = std::min(lo, prototype_score(y)), hi = std::max(hi, prototype_score(y));
    y_lo = std::min(y_lo, brain.score(t)), y_hi = std::max(y_hi, brain.score(t));
  }
  BOOST_TEST_MESSAGE("prototype scores " << lo << ".." << hi << ", our scores " << y_lo << ".."
                                         << y_hi);
  // §16 prints 5 decimals.
  BOOST_TEST(lo == 0.65759, boost::test_tools::tolerance(1e-5 / 0.65759));
  BOOST_TEST(hi == 0.69241, boost::test_tools::tolerance(1e-5 / 0.69241));
}

BOOST_AUTO_TEST_CASE(tanh_matches_the_library_and_never_overflows) {
  // Absolute agreement: (e^{2a} − 1) loses relative precision near 0, as it did in Python.
  for (double a : {-30.0, -3.0, -0.5, 0.0, 1e-9, 0.7, 4.0, 19.0})
    BOOST_TEST(std::abs(prototype_tanh(a) - std::tanh(a)) < 1e-15, "a = " << a);
  BOOST_TEST(prototype_tanh(400.0) == 1.0); // the prototype raised OverflowError (defect 4)
  BOOST_TEST(prototype_tanh(-400.0) == -1.0);
  BOOST_TEST(prototype_tanh(1e308) == 1.0);
}

BOOST_AUTO_TEST_CASE(score_is_the_output_clipped_to_a_quality) {
  // A brain whose output neuron saturates: all weights 0, output bias ±30.
  brain_state s = seeded_brain(1);
  std::fill(s.parameters.begin() + 280, s.parameters.end(), 0.0);
  s.parameters[288] = -30;
  BOOST_TEST(sonnet_brain(s).output("x") == -1.0);
  BOOST_TEST(sonnet_brain(s).score("x") == 0.0);
  s.parameters[288] = 0.5;
  BOOST_TEST(sonnet_brain(s).score("x") == std::tanh(0.5), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(fresh_brains_replay_from_their_seed) {
  const brain_state a = seeded_brain(7), b = seeded_brain(7), c = seeded_brain(8);
  BOOST_TEST(same_bits(a, b));
  BOOST_TEST(!same_bits(a, c));
  // Biases start at 0, weights in [-1, 1).
  BOOST_TEST(a.parameters[8] == 0.0);
  BOOST_TEST(a.parameters[288] == 0.0);
  BOOST_TEST(a.parameters[0] != 0.0);
  BOOST_TEST(std::all_of(a.parameters.begin(), a.parameters.end(),
                         [](double w) { return -1.0 <= w && w < 1.0; }));
}

BOOST_AUTO_TEST_SUITE_END()

// --- learning (§2.4) --------------------------------------------------------

BOOST_AUTO_TEST_SUITE(learning)

BOOST_AUTO_TEST_CASE(one_step_from_the_shipped_weights_matches_the_spec,
                     *utf::precondition(test::have_shared_file{test::shipped_brain})) {
  const brain_state before = shipped_state();
  sonnet_brain brain(before);
  const auto step = brain.learn(reference_sonnet, 0.9);
  BOOST_TEST_REQUIRE(step.ok());
  BOOST_TEST(step->y_before == 0.6528418830641225);
  // Bit for bit too: the backward pass sums in an order that reproduces Python's doubles here.
  BOOST_TEST(step->loss == 0.06108713476728891);
  const double y_after = brain.output(reference_sonnet);
  BOOST_TEST_MESSAGE(std::setprecision(17) << "loss " << step->loss << ", y after " << y_after
                                            << ", sigmoid " << prototype_score(y_after));
  BOOST_TEST(y_after == 0.700219186859026);
  BOOST_TEST(prototype_score(y_after) == 0.6682363669248504);
  // §16 prints the output neuron's parameter changes to 8 significant decimals.
  const double delta[9] = {+0.00268538, +0.00271767, -0.00150376, -0.00026958, +0.0020613,
                           -0.00014033, -0.00230171, +0.00012273, +0.00283637};
  for (std::size_t k = 0; k < 9; ++k) {
    const double moved = brain.state().parameters[280 + k] - before.parameters[280 + k];
    BOOST_TEST(std::abs(moved - delta[k]) < 5e-9, "parameter " << 280 + k << " moved " << moved);
    BOOST_TEST_MESSAGE("parameter " << 280 + k << " moved " << std::setprecision(10) << moved);
  }
  BOOST_TEST(brain.state().observations == 311u);
  BOOST_TEST(brain.state().last_loss == step->loss);
  BOOST_TEST(brain.state().running_loss == before.running_loss + step->loss);
}

BOOST_AUTO_TEST_CASE(every_step_moves_the_score_toward_the_target) {
  for (double target : {0.9, 0.1}) {
    sonnet_brain brain(seeded_brain(3));
    double gap = std::abs(brain.output(reference_sonnet) - target);
    for (int i = 0; i < 20; ++i) {
      BOOST_TEST_REQUIRE(brain.learn(reference_sonnet, target).ok());
      const double next_gap = std::abs(brain.output(reference_sonnet) - target);
      BOOST_TEST(next_gap < gap, "target " << target << ", step " << i);
      gap = next_gap;
    }
  }
}

BOOST_AUTO_TEST_CASE(trained_quality_is_the_reported_score) {
  // Defect 1: the prototype trained tanh toward 0.8 and then reported sigmoid(0.8) ≈ 0.69.
  brain_state s = seeded_brain(5);
  s.lr = 0.05;
  sonnet_brain brain(s);
  for (int i = 0; i < 3000; ++i)
    BOOST_TEST_REQUIRE(brain.learn(reference_sonnet, 0.8).ok());
  BOOST_TEST(brain.score(reference_sonnet) == 0.8, boost::test_tools::tolerance(0.01));
  BOOST_TEST(brain.state().observations == 3000u);
}

BOOST_AUTO_TEST_CASE(gradient_matches_finite_differences) {
  // Each parameter's loss derivative, from the update itself (Δθ = −lr·∂L/∂θ), against central
  // differences of (y − t)² — one parameter of each layer's weights and biases.
  const brain_state s = seeded_brain(11);
  const feature_vector x = extract_features(reference_sonnet).to_vector();
  const double target = 0.3;
  sonnet_brain brain(s);
  BOOST_TEST_REQUIRE(brain.learn(reference_sonnet, target).ok());
  for (std::size_t k : {0u, 8u, 77u, 143u, 144u, 160u, 279u, 280u, 287u, 288u}) {
    const double analytic = (s.parameters[k] - brain.state().parameters[k]) / s.lr;
    const double h = 1e-6;
    parameter_vector up = s.parameters, down = s.parameters;
    up[k] += h, down[k] -= h;
    const double l_up = std::pow(forward(up, x).y - target, 2);
    const double l_down = std::pow(forward(down, x).y - target, 2);
    const double numeric = (l_up - l_down) / (2 * h);
    BOOST_TEST(std::abs(analytic - numeric) < 1e-7 + 1e-5 * std::abs(numeric),
               "parameter " << k << ": backprop " << analytic << ", numeric " << numeric);
  }
}

BOOST_AUTO_TEST_CASE(target_outside_a_quality_changes_nothing) {
  const brain_state s = seeded_brain(2);
  sonnet_brain brain(s);
  for (double bad : {-0.1, 1.5, std::nan("")}) {
    const auto step = brain.learn(reference_sonnet, bad);
    BOOST_TEST(!step.ok());
    BOOST_TEST(step.err().code == errc::invalid_argument);
  }
  BOOST_TEST(same_bits(brain.state(), s));
}

BOOST_AUTO_TEST_SUITE_END()

// --- sonnetbrain.json (§2.5) ------------------------------------------------

BOOST_AUTO_TEST_SUITE(brain_file)

BOOST_AUTO_TEST_CASE(shipped_file_loads_with_the_spec_values,
                     *utf::precondition(test::have_shared_file{test::shipped_brain})) {
  const brain_state s = shipped_state();
  BOOST_TEST(s.observations == 310u);
  BOOST_TEST(s.running_loss == 44.429873660764166);
  BOOST_TEST(s.last_loss == 0.03672684187625222);
  BOOST_TEST(s.lr == 0.01);
  BOOST_TEST(s.parameters[0] == 0.8732034975748764);
  BOOST_TEST(s.parameters[143] == 0.05357918087364148);
  BOOST_TEST(s.parameters[144] == -0.23073809330769599);
  BOOST_TEST(s.parameters[279] == 0.08231210594672758);
  BOOST_TEST(s.parameters[280] == 0.22801443297999033);
  BOOST_TEST(s.parameters[288] == 0.129542092291377);
}

BOOST_AUTO_TEST_CASE(shipped_file_is_written_back_byte_for_byte,
                     *utf::precondition(test::have_shared_file{test::shipped_brain})) {
  // Same key order, indentation and shortest round-trip numbers as Python's json.dump.
  const auto text = brain_state_json(shipped_state());
  BOOST_TEST_REQUIRE(text.ok());
  BOOST_TEST(*text == test::slurp(test::shipped_brain));
}

BOOST_AUTO_TEST_CASE(save_load_round_trip_is_bit_exact) {
  sonnet_brain brain(seeded_brain(9));
  BOOST_TEST_REQUIRE(brain.learn(reference_sonnet, 0.7).ok()); // losses with all 53 bits used
  const std::string path = test::scratch_path("roundtrip.json");
  BOOST_TEST_REQUIRE(save_brain_state(path, brain.state()).ok());
  const auto loaded = load_brain_state(path);
  BOOST_TEST_REQUIRE(loaded.ok(), test::why(loaded));
  BOOST_TEST(same_bits(*loaded, brain.state()));
  BOOST_TEST(!std::filesystem::exists(path + ".tmp"));
  // And once more: the second file is the first, byte for byte.
  const std::string again = test::scratch_path("roundtrip2.json");
  BOOST_TEST_REQUIRE(save_brain_state(again, *loaded).ok());
  BOOST_TEST(test::slurp(again) == test::slurp(path));
}

BOOST_AUTO_TEST_CASE(truncated_file_is_a_clear_error_and_stays_as_it_was) {
  const std::string path = test::scratch_path("truncated.json");
  const std::string good = *brain_state_json(seeded_brain(4));
  const std::string cut = good.substr(0, good.size() / 2);
  test::spit(path, cut);
  const auto loaded = load_brain_state(path);
  BOOST_TEST_REQUIRE(!loaded.ok());
  BOOST_TEST(loaded.err().code == errc::bad_state_file);
  BOOST_TEST(loaded.err().message.find(path) != std::string::npos, loaded.err().message);
  BOOST_TEST(loaded.err().message.find("not valid JSON") != std::string::npos,
             loaded.err().message);
  BOOST_TEST(test::slurp(path) == cut);
}

BOOST_AUTO_TEST_CASE(failed_saves_leave_the_old_file_intact) {
  const std::string path = test::scratch_path("keep.json");
  const brain_state old_state = seeded_brain(6);
  BOOST_TEST_REQUIRE(save_brain_state(path, old_state).ok());
  const std::string old_text = test::slurp(path);

  brain_state poisoned = old_state; // a NaN would not load back: refused before any write
  poisoned.parameters[100] = std::nan("");
  const auto refused = save_brain_state(path, poisoned);
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.err().code == errc::invalid_argument);
  BOOST_TEST(test::slurp(path) == old_text);

  std::filesystem::create_directory(path + ".tmp"); // the temp file cannot be created
  const auto failed = save_brain_state(path, seeded_brain(12));
  BOOST_TEST_REQUIRE(!failed.ok());
  BOOST_TEST(failed.err().code == errc::state_write_failed);
  BOOST_TEST(failed.err().message.find(".tmp") != std::string::npos, failed.err().message);
  BOOST_TEST(test::slurp(path) == old_text);
  std::filesystem::remove(path + ".tmp");

  const std::string missing_dir = test::scratch_path("no/such/dir/brain.json");
  const auto no_dir = save_brain_state(missing_dir, old_state);
  BOOST_TEST_REQUIRE(!no_dir.ok());
  BOOST_TEST(no_dir.err().code == errc::state_write_failed);
}

BOOST_AUTO_TEST_CASE(bad_contents_name_the_field) {
  std::string list288 = "[0";
  for (int i = 1; i < 288; ++i)
    list288 += ",0";
  list288 += "]";
  const std::string list289 = list288.substr(0, list288.size() - 1) + ",0]";
  const struct {
    std::string json, expect;
  } cases[] = {
    {"", "not valid JSON"},
    {"[]", "not a JSON object"},
    {"{}", "`parameters` is missing"},
    {R"({"parameters": 3})", "`parameters` must be an array"},
    {R"({"parameters": )" + list288 + "}", "has 288 entries"},
    {R"({"parameters": )" + list289.substr(0, list289.size() - 2) + "\"x\"]}",
     "`parameters[288]` is not a finite number"},
    {R"({"observations": -1, "parameters": )" + list289 + "}", "`observations`"},
    {R"({"observations": 1.5, "parameters": )" + list289 + "}", "`observations`"},
    {R"({"lr": "fast", "parameters": )" + list289 + "}", "`lr` must be a finite number"},
    {R"({"lr": -0.01, "parameters": )" + list289 + "}", "`lr` must be positive"},
    {R"({"running_loss": NaN, "parameters": )" + list289 + "}", "not valid JSON"},
    // No double holds it: nlohmann throws out_of_range, not parse_error.
    {R"({"running_loss": 1e999, "parameters": )" + list289 + "}", "not valid JSON"},
  };
  for (const auto& c : cases) {
    const auto r = parse_brain_state(c.json, "brain.json");
    BOOST_TEST_REQUIRE(!r.ok(), c.expect);
    BOOST_TEST(r.err().code == errc::bad_state_file);
    BOOST_TEST(r.err().message.find(c.expect) != std::string::npos,
               "expected '" << c.expect << "' in: " << r.err().message);
    BOOST_TEST(r.err().message.rfind("brain.json: ", 0) == 0, r.err().message);
  }
  // Missing scalars take the prototype's defaults.
  const auto minimal = parse_brain_state(R"({"parameters": )" + list289 + "}", "brain.json");
  BOOST_TEST_REQUIRE(minimal.ok());
  BOOST_TEST(minimal->observations == 0u);
  BOOST_TEST(minimal->lr == 0.01);
}

BOOST_AUTO_TEST_CASE(missing_file_is_a_clear_error) {
  const std::string path = test::scratch_path("absent.json");
  const auto r = load_brain_state(path);
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.err().code == errc::bad_state_file);
  BOOST_TEST(r.err().message.find(path) != std::string::npos, r.err().message);
}

BOOST_AUTO_TEST_SUITE_END()
