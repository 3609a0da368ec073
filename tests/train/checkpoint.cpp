// Checkpoints: the npz we write is what the model loader reads, and the loss it computes through
// the inference path equals the trainer's own evaluation.
#include <boost/test/unit_test.hpp>

#include "model/model.hpp"
#include "model/npz.hpp"
#include "tests/train/fixtures.hpp"
#include "train/train.hpp"

#include <cmath>
#include <filesystem>
#include <random>
#include <set>

using namespace sonnet;
using namespace sonnet::train;
namespace fs = std::filesystem;

namespace {

checkpoint random_checkpoint(shape s, const std::string& vocab, unsigned seed = 1) {
  auto c = init_checkpoint(s, vocab, 1.0f / std::sqrt(static_cast<float>(s.head_size())), seed);
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.f, 0.2f);
  for (auto& v : c.params)
    v += nd(gen);
  return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(checkpoint_io)

BOOST_AUTO_TEST_CASE(write_then_read_gives_the_same_parameters) {
  auto c = random_checkpoint({9, 2, 2, 8, 12}, "\n abcdefg");
  const auto path = test::train_dir() + "/rt.npz";
  auto w = write_checkpoint(c, path);
  BOOST_TEST_REQUIRE(w.ok(), test::why(w));
  BOOST_TEST(!fs::exists(path + ".tmp"));
  auto r = read_checkpoint(path);
  BOOST_TEST_REQUIRE(r.ok(), test::why(r));
  BOOST_TEST(r->vocab == c.vocab);
  BOOST_TEST(r->attn_scale == c.attn_scale);
  BOOST_TEST(r->size.n_layer == 2);
  BOOST_TEST(r->size.block_size == 12);
  BOOST_TEST((r->params == c.params));
}

BOOST_AUTO_TEST_CASE(arrays_are_nanogpts_plus_vocab_and_attn_scale) {
  auto c = random_checkpoint({9, 1, 2, 8, 12}, "\n abcdefg");
  const auto path = test::train_dir() + "/names.npz";
  BOOST_TEST_REQUIRE(write_checkpoint(c, path).ok());
  auto ar = model::read_npz(path);
  BOOST_TEST_REQUIRE(ar.ok());
  std::set<std::string> names;
  for (const auto& [n, a] : *ar)
    names.insert(n);
  const std::set<std::string> want{"embedding_table.weight",
                                   "position_embedding_table.weight",
                                   "blocks.0.sa.heads.0.tril",
                                   "blocks.0.sa.heads.0.key.weight",
                                   "blocks.0.sa.heads.0.query.weight",
                                   "blocks.0.sa.heads.0.value.weight",
                                   "blocks.0.sa.heads.1.tril",
                                   "blocks.0.sa.heads.1.key.weight",
                                   "blocks.0.sa.heads.1.query.weight",
                                   "blocks.0.sa.heads.1.value.weight",
                                   "blocks.0.sa.proj.weight",
                                   "blocks.0.sa.proj.bias",
                                   "blocks.0.ffwd.net.0.weight",
                                   "blocks.0.ffwd.net.0.bias",
                                   "blocks.0.ffwd.net.2.weight",
                                   "blocks.0.ffwd.net.2.bias",
                                   "blocks.0.ln1.weight",
                                   "blocks.0.ln1.bias",
                                   "blocks.0.ln2.weight",
                                   "blocks.0.ln2.bias",
                                   "ln_f.weight",
                                   "ln_f.bias",
                                   "lm_head.weight",
                                   "lm_head.bias",
                                   "vocab",
                                   "attn_scale"};
  BOOST_TEST((names == want));
  BOOST_TEST((ar->at("blocks.0.sa.heads.1.key.weight").shape == std::vector<std::size_t>{4, 8}));
  BOOST_TEST((ar->at("attn_scale").shape == std::vector<std::size_t>{1}));
  BOOST_TEST(ar->at("vocab").bytes == c.vocab);
  const auto& tril = ar->at("blocks.0.sa.heads.0.tril").values;
  BOOST_TEST(tril[0] == 1.f);
  BOOST_TEST(tril[1] == 0.f);           // (0, 1): above the diagonal
  BOOST_TEST(tril[12 * 11 + 5] == 1.f); // (11, 5)
}

BOOST_AUTO_TEST_CASE(loader_loss_equals_trainer_evaluation) {
  // Through model::load_model and the KV-cache decoder, teacher-forced over the same windows.
  auto c = random_checkpoint({9, 2, 2, 16, 12}, "\n abcdefg", 4);
  const auto path = test::train_dir() + "/eval.npz";
  BOOST_TEST_REQUIRE(write_checkpoint(c, path).ok());
  std::mt19937 gen(2);
  std::uniform_int_distribution<int> id(0, 8);
  std::vector<uint8_t> ids(12 * 7 + 1);
  for (auto& v : ids)
    v = static_cast<uint8_t>(id(gen));
  const double trainer = evaluate(c, ids, 0, 2);

  auto m = model::load_model(path);
  BOOST_TEST_REQUIRE(m.ok(), test::why(m));
  double sum = 0;
  int n = 0;
  for (std::size_t w = 0; w + 12 < ids.size(); w += 12) {
    model::decoder dec(*m, model::window_mode::exact);
    dec.start(std::string(1, c.vocab[ids[w]]), {});
    for (std::size_t i = 0; i < 12; ++i) {
      const auto& lg = dec.logits();
      double mx = lg[0], z = 0;
      for (float v : lg)
        mx = std::max(mx, static_cast<double>(v));
      for (float v : lg)
        z += std::exp(v - mx);
      sum += std::log(z) + mx - lg[ids[w + i + 1]];
      ++n;
      dec.push(ids[w + i + 1]);
    }
  }
  BOOST_TEST(n == 84);
  BOOST_TEST(std::abs(sum / n - trainer) < 1e-5, "loader " << sum / n << " vs trainer " << trainer);
}

BOOST_AUTO_TEST_CASE(failed_write_leaves_the_old_file) {
  auto c = random_checkpoint({9, 1, 2, 8, 12}, "\n abcdefg");
  const auto path = test::train_dir() + "/keep.npz";
  BOOST_TEST_REQUIRE(write_checkpoint(c, path).ok());
  const auto before = test::slurp(path);
  auto bad = write_checkpoint(c, test::train_dir() + "/no/such/dir/x.npz");
  BOOST_TEST(!bad.ok());
  BOOST_TEST(bad.err().message.find("no/such/dir") != std::string::npos);
  // A checkpoint whose parameter vector does not match its size is refused before any write.
  auto wrong = c;
  wrong.params.pop_back();
  BOOST_TEST(!write_checkpoint(wrong, path).ok());
  BOOST_TEST(test::slurp(path) == before);
}

BOOST_AUTO_TEST_CASE(optimizer_state_round_trips) {
  optimizer_state s;
  s.step = 1234;
  s.m = {1.f, -2.5f, 3e-9f};
  s.v = {4.f, 5.f, 6e-12f};
  s.config_json = "{\"batch\":16}";
  const auto path = test::train_dir() + "/o.state";
  BOOST_TEST_REQUIRE(write_optimizer_state(s, path).ok());
  auto r = read_optimizer_state(path);
  BOOST_TEST_REQUIRE(r.ok(), test::why(r));
  BOOST_TEST(r->step == 1234);
  BOOST_TEST((r->m == s.m));
  BOOST_TEST((r->v == s.v));
  BOOST_TEST(r->config_json == s.config_json);
}

BOOST_AUTO_TEST_SUITE_END()
