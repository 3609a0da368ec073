// SonnetRAE and SonnetRAERecursive (EMERGENT-SPEC §6, §7): seeded weights, the features, the
// encoders, and their state files. No reference values exist (the prototype's weights were
// random on every run), so these cases check structure, determinism and the fixed defects.

#include <boost/test/unit_test.hpp>

#include "emergent/rae.hpp"
#include "tests/emergent/emergent_test.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

using namespace sonnet;
using namespace sonnet::emergent;
namespace utf = boost::unit_test;

namespace {

using sonnet::test::sonnet_18;


const std::string sonnet_130 = R"(My mistress' eyes are nothing like the sun;
Coral is far more red than her lips' red;
If snow be white, why then her breasts are dun;
If hairs be wires, black wires grow on her head.
I have seen roses damask'd, red and white,
But no such roses see I in her cheeks;
And in some perfumes is there more delight
Than in the breath that from my mistress reeks.
I love to hear her speak, yet well I know
That music hath a far more pleasing sound;
I grant I never saw a goddess go;
My mistress, when she walks, treads on the ground:
And yet, by heaven, I think my love as rare
As any she belied with false compare.)";

const std::string& sample = sonnet::test::prototype_sample;

const std::string short_verse = "O wild West Wind, thou breath of Autumn's being!\nThou, from whose "
                                "unseen presence the leaves dead\nAre driven, like ghosts.";

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

bool same_bits(const latent_vector& a, const latent_vector& b) {
  return std::memcmp(a.data(), b.data(), sizeof a) == 0;
}

bool same_net(const mlp& a, const mlp& b) {
  return a.inputs == b.inputs && a.sizes == b.sizes && same_bits(a.parameters, b.parameters);
}

bool same_rae(const recursive_rae& a, const recursive_rae& b) {
  return a.seed == b.seed && same_net(a.line, b.line) && same_net(a.quatrain, b.quatrain) &&
         same_net(a.couplet, b.couplet) && same_net(a.sonnet, b.sonnet);
}

bool inside_open_unit(const latent_vector& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return -1 < x && x < 1; });
}

bool all_zero(const latent_vector& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return x == 0.0; });
}

// The indices of the biases of a network: the last parameter of each neuron.
std::vector<std::size_t> bias_indices(const mlp& net) {
  std::vector<std::size_t> out;
  std::size_t nin = net.inputs, at = 0;
  for (std::size_t nout : net.sizes) {
    for (std::size_t j = 0; j < nout; ++j, at += nin + 1)
      out.push_back(at + nin);
    nin = nout;
  }
  return out;
}

std::vector<std::string> distinct_cloud_texts(const std::string& db_path) {
  std::set<std::string> texts;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT text FROM sonnets", -1, &st, nullptr) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW)
        texts.emplace(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return {texts.begin(), texts.end()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(rae)

// --- weights ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(networks_have_the_prototype_shapes) {
  const recursive_rae r = make_recursive_rae(1);
  BOOST_TEST(make_sonnet_rae(1).encoder.parameters.size() == 472u); // §6
  BOOST_TEST(r.line.parameters.size() == 472u);
  BOOST_TEST(r.quatrain.parameters.size() == 1328u); // §7
  BOOST_TEST(r.couplet.parameters.size() == 308u);
  BOOST_TEST(r.sonnet.parameters.size() == 1328u);
  BOOST_TEST(mlp_parameter_count(32, {24, 16, 8}) == 1328u);
  BOOST_TEST(r.quatrain.inputs == 32u);
  BOOST_TEST((r.couplet.sizes == std::vector<std::size_t>{12, 8}));
}

BOOST_AUTO_TEST_CASE(weights_replay_from_their_seed) {
  const recursive_rae a = make_recursive_rae(7), b = make_recursive_rae(7), c = make_recursive_rae(8);
  BOOST_TEST(same_rae(a, b));
  BOOST_TEST(!same_net(a.line, c.line));
  BOOST_TEST(!same_net(a.sonnet, c.sonnet));
  BOOST_TEST(same_net(make_sonnet_rae(7).encoder, make_sonnet_rae(7).encoder));
  BOOST_TEST(!same_net(make_sonnet_rae(7).encoder, make_sonnet_rae(8).encoder));
  // The line network is drawn first, so it is the flat encoder of the same seed.
  BOOST_TEST(same_net(a.line, make_sonnet_rae(7).encoder));
  BOOST_TEST(a.seed == 7u);
}

BOOST_AUTO_TEST_CASE(weights_are_uniform_draws_and_biases_start_at_zero) {
  // The fixed mapping: the first weight is the first 64-bit draw's top 53 bits, scaled.
  std::mt19937_64 rng(3);
  const double first = static_cast<double>(rng() >> 11) / 9007199254740992.0 * 2.0 - 1.0;
  const recursive_rae r = make_recursive_rae(3);
  BOOST_TEST(r.line.parameters[0] == first);
  for (const mlp* net : {&r.line, &r.quatrain, &r.couplet, &r.sonnet}) {
    const auto biases = bias_indices(*net);
    std::set<std::size_t> is_bias(biases.begin(), biases.end());
    for (std::size_t k = 0; k < net->parameters.size(); ++k) {
      const double w = net->parameters[k];
      if (is_bias.count(k))
        BOOST_TEST(w == 0.0);
      else
        BOOST_TEST((-1.0 <= w && w < 1.0 && w != 0.0), "weight " << k << " = " << w);
    }
  }
}

BOOST_AUTO_TEST_CASE(forward_is_a_left_fold_from_the_bias_then_tanh) {
  // 2 → [2, 1]: neuron parameters are its input weights, then its bias.
  const mlp net{2, {2, 1}, {0.5, -0.25, 0.1, /**/ -1.0, 2.0, -0.3, /**/ 0.75, -0.5, 0.2}};
  const std::vector<double> x{0.8, -0.4};
  const double h0 = std::tanh(0.1 + 0.5 * 0.8 + -0.25 * -0.4);
  const double h1 = std::tanh(-0.3 + -1.0 * 0.8 + 2.0 * -0.4);
  const std::vector<double> y = mlp_forward(net, x);
  BOOST_TEST_REQUIRE(y.size() == 1u);
  BOOST_TEST(y[0] == std::tanh(0.2 + 0.75 * h0 + -0.5 * h1));
}

BOOST_AUTO_TEST_CASE(huge_activations_saturate_instead_of_overflowing) {
  // Defect 4: the prototype's exp(2x) raised OverflowError above x ≈ 354.9.
  const mlp net{1, {1}, {1.0, 0.0}};
  BOOST_TEST(mlp_forward(net, {1e6})[0] == 1.0);
  BOOST_TEST(mlp_forward(net, {-1e300})[0] == -1.0);
}

// --- features -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(flat_features_are_centred_on_a_typical_line) {
  // 8 words of 5+1+7+4+2+1+8+4 = 32 code points, 39 characters, all distinct.
  const line_features f = flat_line_features("Shall I compare thee to a summer's day?");
  BOOST_TEST(f[0] == 0.0);
  BOOST_TEST(f[1] == (39.0 - 42) / 12);
  BOOST_TEST(f[2] == (4.0 - 4.4) / 2);
  BOOST_TEST(f[3] == 0.0);
  BOOST_TEST(std::all_of(f.begin() + 4, f.end(), [](double x) { return x == 0.0; }));
  // Distinct words are counted after lower-casing: 7 of 8 here.
  BOOST_TEST(flat_line_features("The cat and THE dog ran far away")[3] == -0.5);
  // Characters are code points: 42 é's are 42 (typical), not 84 bytes.
  std::string accents;
  for (int i = 0; i < 42; ++i)
    accents += "é";
  BOOST_TEST(flat_line_features(accents)[1] == 0.0);
  // A blank line is as far below typical as a feature goes.
  const line_features blank = flat_line_features("   ");
  BOOST_TEST(std::all_of(blank.begin(), blank.begin() + 4, [](double x) { return x == -1.0; }));
}

BOOST_AUTO_TEST_CASE(recursive_features_add_punctuation_counts) {
  const std::string line = "Alas, why?";
  const line_features f = recursive_line_features(line);
  const line_features flat = flat_line_features(line);
  BOOST_TEST(std::equal(f.begin(), f.begin() + 4, flat.begin()));
  BOOST_TEST(f[4] == 0.0);  // one ',' is typical
  BOOST_TEST(f[5] == -0.2); // no '.'
  BOOST_TEST(f[6] == 0.0);  // no '!'
  BOOST_TEST(f[7] == 1.0);  // one '?'
  BOOST_TEST(std::all_of(f.begin() + 8, f.end(), [](double x) { return x == 0.0; }));
  const line_features many = recursive_line_features("Ay, me, alas, woe, O. O...");
  BOOST_TEST(many[4] == 1.0); // 4 commas, (4 − 1)/2 clipped
  BOOST_TEST(many[5] == 1.0); // 4 full stops, clipped
}

BOOST_AUTO_TEST_CASE(long_lines_clip_to_one) {
  const std::string line(900, 'a');
  const line_features f = recursive_line_features(line + " b");
  BOOST_TEST(f[1] == 1.0);
  BOOST_TEST(f[2] == 1.0); // mean word length 450.5
  BOOST_TEST(std::all_of(f.begin(), f.end(), [](double x) { return -1 <= x && x <= 1; }));
}

// --- encoding -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(empty_text_encodes_to_exact_zeros) {
  const recursive_rae r = make_recursive_rae(5);
  const sonnet_rae f = make_sonnet_rae(5);
  for (const char* text : {"", " \n\t\n  ", "\n\n"}) {
    BOOST_TEST(all_zero(encode(r, text)));
    BOOST_TEST(all_zero(encode(f, text)));
  }
  // Also with non-zero biases (a network loaded from a file may have them).
  recursive_rae biased = r;
  biased.sonnet.parameters[bias_indices(biased.sonnet).back()] = 0.5;
  BOOST_TEST(all_zero(encode(biased, "")));
  BOOST_TEST(!all_zero(encode(biased, "x\ny")));
}

BOOST_AUTO_TEST_CASE(flat_encoding_is_the_mean_over_fourteen_slots) {
  // One line: its encoding divided by 14 (13 padded zero slots encode to exactly 0).
  const sonnet_rae f = make_sonnet_rae(11);
  const line_features x = flat_line_features("Shall I compare thee to a summer's day?");
  const std::vector<double> line = mlp_forward(f.encoder, {x.begin(), x.end()});
  const latent_vector v = encode(f, "  Shall I compare thee to a summer's day?\n\n");
  for (std::size_t i = 0; i < latent_size; ++i)
    BOOST_TEST(v[i] == line[i] / 14, "component " << i);
}

BOOST_AUTO_TEST_CASE(only_the_first_fourteen_lines_count) {
  const recursive_rae r = make_recursive_rae(12);
  const sonnet_rae f = make_sonnet_rae(12);
  const std::string fifteen = sonnet_18 + "\nAnd here a fifteenth line that no encoder reads.";
  BOOST_TEST(same_bits(encode(r, fifteen), encode(r, sonnet_18)));
  BOOST_TEST(same_bits(encode(f, fifteen), encode(f, sonnet_18)));
  BOOST_TEST(!same_bits(encode(r, short_verse), encode(r, sonnet_18)));
}

BOOST_AUTO_TEST_CASE(encodings_lie_inside_the_open_unit_cube) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const recursive_rae r = make_recursive_rae(seed);
    const sonnet_rae f = make_sonnet_rae(seed);
    for (const std::string* t : {&sonnet_18, &sonnet_130, &sample, &short_verse}) {
      BOOST_TEST(inside_open_unit(encode(r, *t)), "seed " << seed);
      BOOST_TEST(inside_open_unit(encode(f, *t)), "seed " << seed);
      BOOST_TEST(!all_zero(encode(r, *t)));
    }
  }
}

BOOST_AUTO_TEST_CASE(identical_texts_identical_vectors_distinct_texts_distinct) {
  const recursive_rae r = make_recursive_rae(42);
  const sonnet_rae f = make_sonnet_rae(42);
  const std::string copy = sonnet_18; // a different buffer, same text
  BOOST_TEST(same_bits(encode(r, sonnet_18), encode(r, copy)));
  BOOST_TEST(same_bits(encode(f, sonnet_18), encode(f, copy)));
  const std::string* texts[] = {&sonnet_18, &sonnet_130, &sample, &short_verse};
  for (std::size_t a = 0; a < 4; ++a)
    for (std::size_t b = a + 1; b < 4; ++b) {
      const double rc = cosine_similarity(encode(r, *texts[a]), encode(r, *texts[b]));
      const double fc = cosine_similarity(encode(f, *texts[a]), encode(f, *texts[b]));
      BOOST_TEST_MESSAGE("texts " << a << ", " << b << ": cosine " << rc << " (flat " << fc << ")");
      BOOST_TEST(rc < 0.999, "texts " << a << ", " << b);
      BOOST_TEST(fc < 0.999, "texts " << a << ", " << b);
    }
}

BOOST_AUTO_TEST_CASE(another_seed_is_another_latent_space) {
  const latent_vector a = encode(make_recursive_rae(1), sonnet_18);
  const latent_vector b = encode(make_recursive_rae(2), sonnet_18);
  BOOST_TEST(!same_bits(a, b));
  BOOST_TEST(same_bits(a, encode(make_recursive_rae(1), sonnet_18)));
}

BOOST_AUTO_TEST_CASE(a_line_of_900_characters_encodes) {
  // The prototype raised OverflowError on a line of ~800 characters (§6, defect 4).
  const std::string long_line(450, 'o');
  const std::string text = long_line + " " + long_line + "\n" + sonnet_18;
  for (const latent_vector& v : {encode(make_recursive_rae(9), text), encode(make_sonnet_rae(9), text)}) {
    BOOST_TEST(std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); }));
    BOOST_TEST(inside_open_unit(v));
  }
}

BOOST_AUTO_TEST_CASE(the_prototype_cloud_spreads_out,
                     *utf::precondition(test::have_shared_file{test::prototype_cloud})) {
  // The deliberate change: normalised features keep tanh out of saturation, so the 133
  // distinct texts of the prototype's cloud get distinct vectors. Only near-duplicates (one
  // word changed) come within cosine 0.999 of each other.
  const auto texts = distinct_cloud_texts(test::prototype_cloud);
  BOOST_TEST_REQUIRE(texts.size() > 100u);
  const recursive_rae r = make_recursive_rae(1);
  std::vector<latent_vector> v;
  for (const auto& t : texts)
    v.push_back(encode(r, t));
  std::size_t pairs = 0, close = 0;
  double sum = 0;
  for (std::size_t a = 0; a < v.size(); ++a)
    for (std::size_t b = a + 1; b < v.size(); ++b, ++pairs) {
      const double c = cosine_similarity(v[a], v[b]);
      sum += c;
      close += c > 0.999;
    }
  BOOST_TEST_MESSAGE(close << " of " << pairs << " pairs above cosine 0.999, mean cosine "
                            << sum / static_cast<double>(pairs));
  BOOST_TEST(close * 100 < pairs);
  BOOST_TEST(sum / static_cast<double>(pairs) < 0.9);
}

BOOST_AUTO_TEST_CASE(cosine_similarity_edge_cases) {
  const latent_vector zero{}, e0{1, 0, 0, 0, 0, 0, 0, 0}, v{0.3, -0.2, 0.1, 0, 0.5, 0, 0, 0.7};
  BOOST_TEST(cosine_similarity(zero, v) == 0.0);
  BOOST_TEST(cosine_similarity(v, zero) == 0.0);
  latent_vector twice = v, negated = v;
  for (std::size_t i = 0; i < latent_size; ++i)
    twice[i] *= 2, negated[i] = -v[i];
  BOOST_TEST(cosine_similarity(v, twice) == 1.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(cosine_similarity(v, negated) == -1.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(cosine_similarity(e0, v) == 0.3 / l2_norm(v));
}

// --- state files ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(save_load_round_trips_are_bit_exact) {
  const recursive_rae r = make_recursive_rae(0xfeedbeefcafe1234u); // a seed above 2^63 too
  const std::string path = test::scratch_path("rae_recursive.json");
  BOOST_TEST_REQUIRE(save_recursive_rae(path, r).ok());
  const auto loaded = load_recursive_rae(path);
  BOOST_TEST_REQUIRE(loaded.ok(), test::why(loaded));
  BOOST_TEST(same_rae(*loaded, r));
  BOOST_TEST(same_bits(encode(*loaded, sonnet_130), encode(r, sonnet_130)));
  BOOST_TEST(!std::filesystem::exists(path + ".tmp"));
  const std::string again = test::scratch_path("rae_recursive2.json");
  BOOST_TEST_REQUIRE(save_recursive_rae(again, *loaded).ok());
  BOOST_TEST(test::slurp(again) == test::slurp(path));

  const sonnet_rae f = make_sonnet_rae(0xfffffffffffffffful);
  const std::string flat_path = test::scratch_path("rae_flat.json");
  BOOST_TEST_REQUIRE(save_sonnet_rae(flat_path, f).ok());
  const auto flat = load_sonnet_rae(flat_path);
  BOOST_TEST_REQUIRE(flat.ok(), test::why(flat));
  BOOST_TEST(flat->seed == f.seed);
  BOOST_TEST(same_net(flat->encoder, f.encoder));
}

BOOST_AUTO_TEST_CASE(truncated_file_is_a_clear_error_and_stays_as_it_was) {
  const std::string path = test::scratch_path("rae_truncated.json");
  const std::string good = *recursive_rae_json(make_recursive_rae(4));
  const std::string cut = good.substr(0, good.size() / 3);
  test::spit(path, cut);
  const auto loaded = load_recursive_rae(path);
  BOOST_TEST_REQUIRE(!loaded.ok());
  BOOST_TEST(loaded.err().code == errc::bad_state_file);
  BOOST_TEST(loaded.err().message.find(path) != std::string::npos, loaded.err().message);
  BOOST_TEST(loaded.err().message.find("not valid JSON") != std::string::npos);
  BOOST_TEST(test::slurp(path) == cut);
}

BOOST_AUTO_TEST_CASE(wrong_contents_name_the_field) {
  const std::string good = *sonnet_rae_json(make_sonnet_rae(1));
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos, from);
    return s.replace(at, from.size(), to);
  };
  const auto first_weight = good.substr(good.find("\"parameters\": [") + 15, 40);
  const std::string first_number = first_weight.substr(0, first_weight.find(','));
  const struct {
    std::string json, expect;
  } cases[] = {
    {"{}", "`seed` must be a non-negative integer"},
    {edit("\"seed\": 1", "\"seed\": -1"), "`seed`"},
    {edit("\"seed\": 1", "\"seed\": \"1\""), "`seed`"},
    {edit("\"encoder\"", "\"decoder\""), "`encoder` is missing"},
    {edit("\"inputs\": 20", "\"inputs\": 19"), "`encoder` is a 19-16-8 network, expected 20-16-8"},
    {edit("\"inputs\": 20", "\"inputs\": 2.5"), "`encoder` needs `inputs` and `sizes`"},
    {edit("16,\n      8", "16,\n      4"), "is a 20-16-4 network"},
    {edit("16,\n      8", "16"), "is a 20-16 network"},
    {edit(first_number + ",", ""), "`encoder.parameters` has 471 entries"},
    {edit(first_number, "\"x\""), "`parameters[0]` is not a finite number"},
    {edit(first_number, "1e999"), "number overflow"}, // nlohmann throws out_of_range here
    {edit("\"parameters\"", "\"weights\""), "`encoder.parameters` is missing"},
  };
  for (const auto& c : cases) {
    const auto r = parse_sonnet_rae(c.json, "rae.json");
    BOOST_TEST_REQUIRE(!r.ok(), c.expect);
    BOOST_TEST(r.err().code == errc::bad_state_file);
    BOOST_TEST(r.err().message.find(c.expect) != std::string::npos,
               "expected '" << c.expect << "' in: " << r.err().message);
    BOOST_TEST(r.err().message.rfind("rae.json: ", 0) == 0, r.err().message);
  }
}

BOOST_AUTO_TEST_CASE(recursive_file_checks_every_network) {
  const std::string good = *recursive_rae_json(make_recursive_rae(2));
  BOOST_TEST_REQUIRE(parse_recursive_rae(good, "r.json").ok());
  // A flat file is not a recursive one, and vice versa.
  const auto flat_as_recursive = parse_recursive_rae(*sonnet_rae_json(make_sonnet_rae(2)), "r.json");
  BOOST_TEST_REQUIRE(!flat_as_recursive.ok());
  BOOST_TEST(flat_as_recursive.err().message.find("`line` is missing") != std::string::npos,
             flat_as_recursive.err().message);
  BOOST_TEST(!parse_sonnet_rae(good, "f.json").ok());
  // The quatrain and sonnet networks have the same shape, the couplet does not.
  std::string swapped = good;
  const auto at = swapped.find("\"couplet\"");
  swapped.replace(at, 9, "\"quatrain\"");
  swapped.replace(swapped.find("\"quatrain\""), 10, "\"couplet\"");
  const auto r = parse_recursive_rae(swapped, "r.json");
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.err().code == errc::bad_state_file);
  BOOST_TEST(r.err().message.find("`quatrain` is a 16-12-8 network, expected 32-24-16-8") !=
               std::string::npos,
             r.err().message);
}

BOOST_AUTO_TEST_CASE(failed_saves_leave_the_old_file_intact) {
  const std::string path = test::scratch_path("rae_keep.json");
  const recursive_rae old_rae = make_recursive_rae(6);
  BOOST_TEST_REQUIRE(save_recursive_rae(path, old_rae).ok());
  const std::string old_text = test::slurp(path);

  recursive_rae poisoned = old_rae; // a NaN could not load back: refused before any write
  poisoned.couplet.parameters[17] = std::nan("");
  const auto refused = save_recursive_rae(path, poisoned);
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.err().code == errc::invalid_argument);
  BOOST_TEST(test::slurp(path) == old_text);

  std::filesystem::create_directory(path + ".tmp"); // the temp file cannot be created
  const auto failed = save_recursive_rae(path, make_recursive_rae(7));
  BOOST_TEST_REQUIRE(!failed.ok());
  BOOST_TEST(failed.err().code == errc::state_write_failed);
  BOOST_TEST(test::slurp(path) == old_text);
  std::filesystem::remove(path + ".tmp");

  const auto absent = load_sonnet_rae(test::scratch_path("rae_absent.json"));
  BOOST_TEST_REQUIRE(!absent.ok());
  BOOST_TEST(absent.err().code == errc::bad_state_file);
}

BOOST_AUTO_TEST_SUITE_END()
