// DreamSonnet (EMERGENT-SPEC §8) and /dream (§10.3): the three modes, the dream state and its
// file, and the lines the REPL prints — including the two modes that crashed the prototype.

#include <boost/test/unit_test.hpp>

#include "emergent/dream.hpp"
#include "tests/emergent/emergent_test.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace sonnet;
using namespace sonnet::emergent;

namespace {

const std::vector<std::string> recent = {
  // Newest first, as the REPL's get_recent_sonnets(5) returned them.
  "Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:\n"
  "Rough winds do shake the darling buds of May,\nAnd summer's lease hath all too short a date;",
  "My mistress' eyes are nothing like the sun;\nCoral is far more red than her lips' red;\n"
  "If snow be white, why then her breasts are dun;\nIf hairs be wires, black wires grow on her head.",
  "When in disgrace with fortune and men's eyes,\nI all alone beweep my outcast state,\n"
  "And trouble deaf heaven with my bootless cries,\nAnd look upon myself and curse my fate,",
  "Let me not to the marriage of true minds\nAdmit impediments. Love is not love\n"
  "Which alters when it alteration finds,\nOr bends with the remover to remove.",
  "Like as the waves make towards the pebbled shore,\nSo do our minutes hasten to their end;",
};

bool same_bits(const latent_vector& a, const latent_vector& b) {
  return std::memcmp(a.data(), b.data(), sizeof a) == 0;
}

bool same_path(const latent_path& a, const latent_path& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](const auto& x, const auto& y) { return same_bits(x, y); });
}

double distance(const latent_vector& a, const latent_vector& b) {
  double s = 0;
  for (std::size_t i = 0; i < latent_size; ++i)
    s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

latent_vector filled(double x) {
  latent_vector v{};
  v.fill(x);
  return v;
}

// A path of one vector, built without an initializer_list of temporaries (GCC 12's ASan with
// detect_stack_use_after_return crashed reading one in a large test frame).
latent_path one(double x) {
  latent_path p;
  p.push_back(filled(x));
  return p;
}

std::string f3(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  return buf;
}

std::string head3(const latent_vector& v) {
  return "[" + f3(v[0]) + ", " + f3(v[1]) + ", " + f3(v[2]) + "]... (8D)";
}

} // namespace

BOOST_AUTO_TEST_SUITE(dream)

// --- the modes ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(drift_runs_straight_between_the_two_encodings) {
  const recursive_rae rae = make_recursive_rae(21);
  const latent_vector a = encode(rae, recent[0]), b = encode(rae, recent[1]);
  const latent_path path = dream_drift(rae, recent[0], recent[1]);
  BOOST_TEST_REQUIRE(path.size() == 5u);
  BOOST_TEST(same_bits(path.front(), a)); // α = 0 and α = 1 give the endpoints exactly
  BOOST_TEST(same_bits(path.back(), b));
  for (std::size_t k = 0; k < 5; ++k)
    for (std::size_t i = 0; i < latent_size; ++i)
      BOOST_TEST(std::abs(path[k][i] - (a[i] + (b[i] - a[i]) * static_cast<double>(k) / 4)) < 1e-15,
                 "point " << k << ", component " << i);
  // Equal spacing: every step a quarter of the whole distance.
  for (std::size_t k = 1; k < 5; ++k)
    BOOST_TEST(std::abs(distance(path[k - 1], path[k]) - distance(a, b) / 4) < 1e-14);
}

BOOST_AUTO_TEST_CASE(drift_of_one_or_no_steps) {
  const recursive_rae rae = make_recursive_rae(21);
  const latent_vector a = encode(rae, recent[0]), b = encode(rae, recent[1]);
  const latent_path one = dream_drift(rae, recent[0], recent[1], 1);
  BOOST_TEST_REQUIRE(one.size() == 1u);
  for (std::size_t i = 0; i < latent_size; ++i)
    BOOST_TEST(one[0][i] == 0.5 * a[i] + 0.5 * b[i]);
  BOOST_TEST(dream_drift(rae, recent[0], recent[1], 0).empty());
  BOOST_TEST(dream_drift(rae, recent[0], recent[1], 9).size() == 9u);
}

BOOST_AUTO_TEST_CASE(walk_starts_at_the_text_and_takes_fixed_steps) {
  const recursive_rae rae = make_recursive_rae(22);
  const auto path = dream_walk(rae, recent[0], 10, 0.3, 99);
  BOOST_TEST_REQUIRE(path.ok(), test::why(path));
  BOOST_TEST_REQUIRE(path->size() == 10u);
  BOOST_TEST(same_bits(path->front(), encode(rae, recent[0])));
  for (std::size_t k = 1; k < path->size(); ++k)
    BOOST_TEST(std::abs(distance((*path)[k - 1], (*path)[k]) - 0.3) < 1e-12, "step " << k);
  // Same seed, same path; another seed, another path from the same start.
  BOOST_TEST(same_path(*path, *dream_walk(rae, recent[0], 10, 0.3, 99)));
  const auto other = dream_walk(rae, recent[0], 10, 0.3, 100);
  BOOST_TEST(same_bits(other->front(), path->front()));
  BOOST_TEST(!same_bits(other->back(), path->back()));
  // Other step sizes and counts.
  const auto big = dream_walk(rae, recent[1], 4, 2.5, 1);
  BOOST_TEST_REQUIRE(big->size() == 4u);
  for (std::size_t k = 1; k < 4; ++k)
    BOOST_TEST(std::abs(distance((*big)[k - 1], (*big)[k]) - 2.5) < 1e-12);
  BOOST_TEST(dream_walk(rae, recent[0], 1, 0.3, 5)->size() == 1u);
  BOOST_TEST(dream_walk(rae, recent[0], 0, 0.3, 5)->empty());
}

BOOST_AUTO_TEST_CASE(walk_refuses_a_bad_step_size) {
  const recursive_rae rae = make_recursive_rae(22);
  for (double bad : {-0.1, std::nan(""), HUGE_VAL}) {
    const auto r = dream_walk(rae, recent[0], 10, bad, 1);
    BOOST_TEST_REQUIRE(!r.ok());
    BOOST_TEST(r.err().code == errc::invalid_argument);
  }
}

BOOST_AUTO_TEST_CASE(normals_follow_the_documented_mapping) {
  std::mt19937_64 raw(7), rng(7);
  const double u1 = 1.0 - static_cast<double>(raw() >> 11) / 9007199254740992.0;
  const double u2 = static_cast<double>(raw() >> 11) / 9007199254740992.0;
  const double r = std::sqrt(-2.0 * std::log(u1));
  const auto z = normal_pair(rng);
  BOOST_TEST(z[0] == r * std::cos(6.283185307179586 * u2));
  BOOST_TEST(z[1] == r * std::sin(6.283185307179586 * u2));
  // And they are standard normal: mean 0, variance 1 over 40 000 draws (σ of the mean 0.005).
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < 20000; ++i)
    for (double x : normal_pair(rng))
      sum += x, sum_sq += x * x;
  BOOST_TEST(std::abs(sum / 40000) < 0.025);
  BOOST_TEST(std::abs(sum_sq / 40000 - 1) < 0.05);
}

BOOST_AUTO_TEST_CASE(directions_are_unit_vectors) {
  std::mt19937_64 rng(3);
  latent_vector mean{};
  for (int k = 0; k < 2000; ++k) {
    const latent_vector d = random_direction(rng);
    BOOST_TEST_REQUIRE(std::abs(l2_norm(d) - 1) < 1e-15);
    for (std::size_t i = 0; i < latent_size; ++i)
      mean[i] += d[i] / 2000;
  }
  // No preferred direction: each mean component near 0 (σ ≈ 0.008).
  for (double m : mean)
    BOOST_TEST(std::abs(m) < 0.04);
}

BOOST_AUTO_TEST_CASE(centroid_is_the_mean_encoding) {
  const recursive_rae rae = make_recursive_rae(23);
  const latent_vector c = dream_centroid(rae, recent);
  latent_vector expected{};
  for (const auto& t : recent) {
    const latent_vector v = encode(rae, t);
    for (std::size_t i = 0; i < latent_size; ++i)
      expected[i] += v[i];
  }
  for (std::size_t i = 0; i < latent_size; ++i)
    BOOST_TEST(c[i] == expected[i] / 5, "component " << i);
  BOOST_TEST(same_bits(dream_centroid(rae, {recent[2]}), encode(rae, recent[2])));
  BOOST_TEST(same_bits(dream_centroid(rae, {}), latent_vector{}));
}

// --- the state ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(memory_keeps_the_last_fifty) {
  dream_state s = fresh_dream_state(1);
  latent_path first, second;
  for (int k = 0; k < 30; ++k)
    first.push_back(filled(k));
  for (int k = 30; k < 75; ++k)
    second.push_back(filled(k));
  remember(s, first);
  BOOST_TEST(s.vectors.size() == 30u);
  remember(s, second);
  BOOST_TEST_REQUIRE(s.vectors.size() == 50u);
  BOOST_TEST(s.vectors.front()[0] == 25.0); // 75 produced, the oldest 25 dropped
  BOOST_TEST(s.vectors.back()[0] == 74.0);
  BOOST_TEST(s.observations == 75u);
  remember(s, {});
  BOOST_TEST(s.observations == 75u);
}

BOOST_AUTO_TEST_CASE(diversity_looks_at_the_ten_most_recent) {
  dream_state s = fresh_dream_state(1);
  // Two far-away old vectors, then ten on a line at x = 0..9 (other components 0).
  latent_path path{filled(100), filled(-100)};
  for (int k = 0; k < 10; ++k) {
    latent_vector v{};
    v[0] = k;
    path.push_back(v);
  }
  remember(s, path);
  const dream_stats st = statistics(s);
  BOOST_TEST(st.count == 12u);
  BOOST_TEST(st.observations == 12u);
  // Σ_{i<j} (j − i) over 0..9 is 165, over 45 pairs. The prototype's 10 OLDEST would include
  // the two vectors at distance ~283 and ~566 from everything.
  BOOST_TEST(st.diversity == 165.0 / 45, boost::test_tools::tolerance(1e-15));
  const double norms = 2 * std::sqrt(8 * 100.0 * 100.0) + 45;
  BOOST_TEST(st.mean_norm == norms / 12, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(statistics_of_small_states) {
  dream_state s = fresh_dream_state(1);
  dream_stats st = statistics(s);
  BOOST_TEST(st.count == 0u);
  BOOST_TEST(st.mean_norm == 0.0);
  BOOST_TEST(st.diversity == 0.0);
  remember(s, one(0.5));
  st = statistics(s);
  BOOST_TEST(st.mean_norm == std::sqrt(2.0), boost::test_tools::tolerance(1e-15));
  BOOST_TEST(st.diversity == 0.0);
  remember(s, one(-0.5));
  BOOST_TEST(statistics(s).diversity == 2 * std::sqrt(2.0), boost::test_tools::tolerance(1e-15));
}

// --- the file -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(dream_file_round_trip_is_bit_exact) {
  dream_state s = fresh_dream_state(77);
  BOOST_TEST_REQUIRE(emergent::dream(s, "walk", recent, 5).size() > 1u);
  BOOST_TEST_REQUIRE(emergent::dream(s, "drift", recent, 6).size() > 1u);
  BOOST_TEST_REQUIRE(s.vectors.size() == 15u);
  const std::string path = test::scratch_path("dream.json");
  BOOST_TEST_REQUIRE(save_dream_state(path, s).ok());
  const auto loaded = load_dream_state(path);
  BOOST_TEST_REQUIRE(loaded.ok(), test::why(loaded));
  BOOST_TEST(loaded->observations == 15u);
  BOOST_TEST(same_path(loaded->vectors, s.vectors));
  BOOST_TEST(loaded->rae.seed == 77u);
  BOOST_TEST(same_bits(encode(loaded->rae, recent[3]), encode(s.rae, recent[3])));
  const std::string again = test::scratch_path("dream2.json");
  BOOST_TEST_REQUIRE(save_dream_state(again, *loaded).ok());
  BOOST_TEST(test::slurp(again) == test::slurp(path));
  // A fresh state (no vectors) round-trips too.
  BOOST_TEST_REQUIRE(save_dream_state(again, fresh_dream_state(3)).ok());
  BOOST_TEST(load_dream_state(again)->vectors.empty());
}

BOOST_AUTO_TEST_CASE(bad_dream_files_name_the_field) {
  dream_state s = fresh_dream_state(2);
  remember(s, {filled(0.25), filled(-0.125)});
  const std::string good = *dream_state_json(s);
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    const auto at = t.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos, from);
    return t.replace(at, from.size(), to);
  };
  std::string fifty_one = "{\"observations\": 60, \"dream_vectors\": [[0,0,0,0,0,0,0,0]";
  for (int k = 1; k < 51; ++k)
    fifty_one += ",[0,0,0,0,0,0,0,0]";
  fifty_one += "], \"encoder\": {}}";
  const struct {
    std::string json, expect;
  } cases[] = {
    {good.substr(0, good.size() / 2), "not valid JSON"},
    {"[]", "not a JSON object"},
    {edit("\"observations\"", "\"dreams\""), "`observations` is missing"},
    {edit("\"observations\": 2", "\"observations\": 1"), "`observations` is smaller"},
    {edit("\"observations\": 2", "\"observations\": -2"), "`observations`"},
    {edit("\"dream_vectors\"", "\"vectors\""), "`dream_vectors` must be an array"},
    {edit("0.25,", ""), "`dream_vectors[0]` must be an array of 8 numbers"},
    {edit("-0.125", "\"x\""), "`dream_vectors[1][0]` is not a finite number"},
    {edit("-0.125", "-1e999"), "number overflow"},
    {fifty_one, "holds 51 vectors, at most 50"},
    {edit("\"encoder\"", "\"rae\""), "`encoder` is missing"},
    {edit("\"couplet\"", "\"couplets\""), "`encoder`: `couplet` is missing"},
    {edit("\"seed\": 2", "\"seed\": 2.5"), "`encoder`: `seed`"},
  };
  for (const auto& c : cases) {
    const auto r = parse_dream_state(c.json, "dream.json");
    BOOST_TEST_REQUIRE(!r.ok(), c.expect);
    BOOST_TEST(r.err().code == errc::bad_state_file);
    BOOST_TEST(r.err().message.find(c.expect) != std::string::npos,
               "expected '" << c.expect << "' in: " << r.err().message);
    BOOST_TEST(r.err().message.rfind("dream.json: ", 0) == 0, r.err().message);
  }
}

BOOST_AUTO_TEST_CASE(failed_dream_saves_leave_the_old_file_intact) {
  const std::string path = test::scratch_path("dream_keep.json");
  dream_state s = fresh_dream_state(8);
  remember(s, one(0.5));
  BOOST_TEST_REQUIRE(save_dream_state(path, s).ok());
  const std::string old_text = test::slurp(path);

  dream_state poisoned = s;
  poisoned.vectors[0][3] = std::nan("");
  const auto refused = save_dream_state(path, poisoned);
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.err().code == errc::invalid_argument);
  BOOST_TEST(test::slurp(path) == old_text);

  std::filesystem::create_directory(path + ".tmp");
  const auto failed = save_dream_state(path, fresh_dream_state(9));
  BOOST_TEST_REQUIRE(!failed.ok());
  BOOST_TEST(failed.err().code == errc::state_write_failed);
  BOOST_TEST(test::slurp(path) == old_text);
  std::filesystem::remove(path + ".tmp");

  test::spit(path, old_text.substr(0, 100)); // truncated by hand: reported, left alone
  const auto loaded = load_dream_state(path);
  BOOST_TEST_REQUIRE(!loaded.ok());
  BOOST_TEST(loaded.err().code == errc::bad_state_file);
  BOOST_TEST(test::slurp(path) == old_text.substr(0, 100));
}

// --- the command ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_mode_is_the_second_token) {
  BOOST_TEST(dream_mode_word("/dream") == "walk");
  BOOST_TEST(dream_mode_word("/dream drift") == "drift");
  BOOST_TEST(dream_mode_word("  /dream \t centroid  extra words") == "centroid");
  BOOST_TEST(dream_mode_word("/dreamx") == "walk"); // the prototype's prefix match
  BOOST_TEST(dream_mode_word("/dreamy fly") == "fly");
  BOOST_TEST(dream_mode_word("/dream DRIFT") == "DRIFT"); // not a mode: reported as unknown
}

BOOST_AUTO_TEST_CASE(drift_renders_its_ends_and_length) {
  const recursive_rae rae = make_recursive_rae(31);
  const dream_result r = run_dream(rae, "drift", recent, 0);
  BOOST_TEST_REQUIRE(r.path.size() == 5u);
  const latent_vector a = encode(rae, recent[0]), b = encode(rae, recent[1]);
  BOOST_TEST(same_bits(r.path.front(), a)); // the two NEWEST sonnets, newest first
  BOOST_TEST(same_bits(r.path.back(), b));
  double length = 0;
  for (std::size_t k = 1; k < 5; ++k)
    length += distance(r.path[k - 1], r.path[k]);
  const std::vector<std::string> expected = {
    "Dream mode: drift",
    "  Drift from the newest sonnet to the one before: 5 vectors",
    "  Start: " + head3(a) + ", norm " + f3(l2_norm(a)),
    "  End: " + head3(b) + ", norm " + f3(l2_norm(b)),
    "  Path length: " + f3(length),
  };
  BOOST_TEST(render_dream(r) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(walk_renders_its_ends_and_length) {
  const recursive_rae rae = make_recursive_rae(31);
  const dream_result r = run_dream(rae, "walk", recent, 4);
  BOOST_TEST_REQUIRE(r.path.size() == 10u);
  BOOST_TEST(same_path(r.path, *dream_walk(rae, recent[0], 10, 0.3, 4)));
  const latent_vector& a = r.path.front();
  const latent_vector& b = r.path.back();
  const std::vector<std::string> expected = {
    "Dream mode: walk",
    "  Walk from the newest sonnet: 10 vectors",
    "  Start: " + head3(a) + ", norm " + f3(l2_norm(a)),
    "  End: " + head3(b) + ", norm " + f3(l2_norm(b)),
    "  Path length: 2.700", // 9 steps of 0.3
  };
  BOOST_TEST(render_dream(r) == expected, boost::test_tools::per_element());
  // The default mode is walk.
  BOOST_TEST(same_path(run_dream(rae, "", recent, 4).path, r.path));
  BOOST_TEST(run_dream(rae, "", recent, 4).mode == "walk");
}

BOOST_AUTO_TEST_CASE(centroid_renders_as_the_prototype_did) {
  const recursive_rae rae = make_recursive_rae(31);
  const std::vector<std::string> three(recent.begin(), recent.begin() + 3);
  const dream_result r = run_dream(rae, "centroid", three, 0);
  BOOST_TEST_REQUIRE(r.path.size() == 1u);
  const latent_vector c = dream_centroid(rae, three);
  BOOST_TEST(same_bits(r.path[0], c));
  const std::vector<std::string> expected = {
    "Dream mode: centroid",
    "  Centroid of 3 recent sonnets",
    "  Dream vector: " + head3(c),
    "  Norm: " + f3(l2_norm(c)),
  };
  BOOST_TEST(render_dream(r) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(vectors_print_with_three_decimals) {
  dream_result r{"centroid", 2, {latent_vector{0.12345, -0.5, 1.0 / 3, 9, 9, 9, 9, 9}}};
  const auto lines = render_dream(r);
  BOOST_TEST_REQUIRE(lines.size() == 4u);
  BOOST_TEST(lines[1] == "  Centroid of 2 recent sonnets");
  BOOST_TEST(lines[2] == "  Dream vector: [0.123, -0.500, 0.333]... (8D)");
  BOOST_TEST(lines[3] == "  Norm: " + f3(std::sqrt(0.12345 * 0.12345 + 0.25 + 1.0 / 9 + 5 * 81)));
}

BOOST_AUTO_TEST_CASE(fewer_than_two_sonnets_and_unknown_modes) {
  const recursive_rae rae = make_recursive_rae(31);
  for (std::size_t n : {0u, 1u})
    for (const char* mode : {"walk", "drift", "centroid", "fly"}) {
      const std::vector<std::string> few(recent.begin(), recent.begin() + n);
      const dream_result r = run_dream(rae, mode, few, 0);
      BOOST_TEST(r.path.empty());
      const std::vector<std::string> expected = {
        std::string("Dream mode: ") + mode, "  Need at least 2 sonnets in cloud for dreaming"};
      BOOST_TEST(render_dream(r) == expected, boost::test_tools::per_element());
    }
  const dream_result r = run_dream(rae, "fly", recent, 0);
  BOOST_TEST(r.path.empty());
  const std::vector<std::string> expected = {"Dream mode: fly", "  Unknown dream mode: fly",
                                             "  Available: drift, walk, centroid"};
  BOOST_TEST(render_dream(r) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_command_end_to_end) {
  dream_state s = fresh_dream_state(40), twin = fresh_dream_state(40);
  const auto drift = emergent::dream(s, "drift", recent, 1);
  BOOST_TEST(s.vectors.size() == 5u);
  const auto walk = emergent::dream(s, "walk", recent, 2);
  BOOST_TEST(s.vectors.size() == 15u);
  const auto centroid = emergent::dream(s, "centroid", recent, 3);
  BOOST_TEST(s.vectors.size() == 16u);
  const auto unknown = emergent::dream(s, "meta", recent, 4); // the REPL had no /dream meta
  const auto few = emergent::dream(s, "walk", {recent[0]}, 5);
  BOOST_TEST(s.vectors.size() == 16u);
  BOOST_TEST(s.observations == 16u);
  // A memory line after each dream, none after the messages.
  const dream_stats st = statistics(s);
  BOOST_TEST(centroid.back() == "  Dream memory: 16 vectors, mean norm " + f3(st.mean_norm) +
                                  ", diversity " + f3(st.diversity));
  BOOST_TEST(drift.size() == 6u);
  BOOST_TEST(walk.size() == 6u);
  BOOST_TEST(unknown.size() == 3u);
  BOOST_TEST(few.size() == 2u);
  // The same seed replays the same dream, line for line.
  BOOST_TEST(emergent::dream(twin, "drift", recent, 1) == drift, boost::test_tools::per_element());
  BOOST_TEST(emergent::dream(twin, "walk", recent, 2) == walk, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
