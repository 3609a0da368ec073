// Whole runs of run_training on a small corpus: the loss falls, runs repeat bit for bit, an
// interrupted run resumes to the same weights, and bad input is refused.
#include <boost/test/unit_test.hpp>

#include "tests/train/fixtures.hpp"
#include "train/train.hpp"

#include <cmath>
#include <filesystem>

using namespace sonnet;
using namespace sonnet::train;
namespace fs = std::filesystem;

namespace {

options tiny_run(const std::string& out, int steps = 120) {
  options o;
  o.cfg.size = {0, 1, 2, 16, 16};
  o.cfg.steps = steps;
  o.cfg.batch = 8;
  o.cfg.lr = 3e-3;
  o.cfg.dropout = 0.0;
  o.cfg.threads = 2;
  o.cfg.eval_interval = 40;
  o.cfg.eval_windows = 20;
  o.cfg.init = init_scheme::gpt2; // small weights: the tiny model learns this verse fastest
  o.corpora = {test::write_text("verse.txt", test::small_verse())};
  o.out = test::train_dir() + "/" + out;
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(training)

BOOST_AUTO_TEST_CASE(loss_falls_well_below_the_uniform_guess) {
  auto o = tiny_run("falls.npz");
  int reports = 0;
  auto s = run_training(
    o, [&](const progress& p) { reports += p.val_loss >= 0; }, nullptr);
  BOOST_TEST_REQUIRE(s.ok(), test::why(s));
  const double uniform = std::log(static_cast<double>(s->size.vocab_size)); // ~3.2 nats
  BOOST_TEST(s->steps == 120);
  BOOST_TEST(reports >= 2);
  // 120 steps of 128 chars on this verse: from ~3.2 to well under 1.6 nats per char.
  BOOST_TEST(s->val_loss < 0.5 * uniform, "val " << s->val_loss << " uniform " << uniform);
  BOOST_TEST(s->train_loss < 0.5 * uniform);
  BOOST_TEST(fs::exists(o.out));
  BOOST_TEST(fs::exists(o.out + ".state"));
  auto c = read_checkpoint(o.out);
  BOOST_TEST_REQUIRE(c.ok());
  corpus data = *load_corpus(o.corpora, 0.1, 16, c->vocab);
  BOOST_TEST(std::abs(evaluate(*c, data.val, 0, 1) - s->val_loss) < 1e-9);
  // PyTorch's default init (the recipe's) starts from larger weights and learns too.
  o.cfg.init = init_scheme::torch;
  auto t = run_training(o, {}, nullptr);
  BOOST_TEST_REQUIRE(t.ok(), test::why(t));
  BOOST_TEST(t->val_loss < 0.7 * uniform, "val " << t->val_loss);
}

BOOST_AUTO_TEST_CASE(same_seed_and_threads_give_the_same_bytes) {
  auto a = tiny_run("a.npz", 30), b = tiny_run("b.npz", 30);
  a.cfg.dropout = b.cfg.dropout = 0.1;
  BOOST_TEST_REQUIRE(run_training(a, {}, nullptr).ok());
  BOOST_TEST_REQUIRE(run_training(b, {}, nullptr).ok());
  BOOST_TEST(test::slurp(a.out) == test::slurp(b.out));
  auto c = tiny_run("c.npz", 30);
  c.cfg.dropout = 0.1;
  c.cfg.seed = 99;
  BOOST_TEST_REQUIRE(run_training(c, {}, nullptr).ok());
  BOOST_TEST(test::slurp(a.out) != test::slurp(c.out));
}

BOOST_AUTO_TEST_CASE(interrupted_run_resumes_to_the_same_weights) {
  auto whole = tiny_run("whole.npz", 60), part = tiny_run("part.npz", 60);
  whole.cfg.dropout = part.cfg.dropout = 0.1;
  BOOST_TEST_REQUIRE(run_training(whole, {}, nullptr).ok());
  std::atomic<bool> stop{false};
  auto first = run_training(
    part,
    [&](const progress& p) {
      if (p.step >= 40)
        stop = true;
    },
    &stop);
  BOOST_TEST_REQUIRE(first.ok(), test::why(first));
  BOOST_TEST(first->interrupted);
  BOOST_TEST(first->steps < 60);
  part.resume = true;
  auto second = run_training(part, {}, nullptr);
  BOOST_TEST_REQUIRE(second.ok(), test::why(second));
  BOOST_TEST(second->steps == 60);
  BOOST_TEST(test::slurp(part.out) == test::slurp(whole.out));
}

BOOST_AUTO_TEST_CASE(resume_refuses_a_checkpoint_and_state_from_different_steps) {
  // What a crash between the checkpoint's rename and the state's would leave.
  auto o = tiny_run("pair.npz", 20);
  o.cfg.eval_interval = 10;
  BOOST_TEST_REQUIRE(run_training(o, {}, nullptr).ok());
  auto other = tiny_run("other_step.npz", 10);
  BOOST_TEST_REQUIRE(run_training(other, {}, nullptr).ok());
  std::filesystem::copy_file(other.out, o.out, std::filesystem::copy_options::overwrite_existing);
  o.resume = true;
  o.cfg.steps = 30;
  auto e = run_training(o, {}, nullptr);
  BOOST_TEST_REQUIRE(!e.ok());
  BOOST_TEST((e.err().code == errc::bad_checkpoint));
  BOOST_TEST(e.err().message.find("not from the same step") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fine_tuning_keeps_the_vocabulary_and_counts_unknown_chars) {
  auto base = tiny_run("base.npz", 20);
  BOOST_TEST_REQUIRE(run_training(base, {}, nullptr).ok());
  auto tune = tiny_run("tuned.npz", 10);
  tune.init = base.out;
  tune.corpora = {
    test::write_text("other.txt", test::small_verse() + "QQQ 123\n" + test::small_verse())};
  auto s = run_training(tune, {}, nullptr);
  BOOST_TEST_REQUIRE(s.ok(), test::why(s));
  BOOST_TEST(s->unknown_chars == 6); // Q, Q, Q, 1, 2, 3
  BOOST_TEST(read_checkpoint(tune.out)->vocab == read_checkpoint(base.out)->vocab);
  auto wrong = tune;
  wrong.size_given = true;
  wrong.cfg.size.n_embd = 32;
  auto e = run_training(wrong, {}, nullptr);
  BOOST_TEST_REQUIRE(!e.ok());
  BOOST_TEST((e.err().code == errc::invalid_argument));
  BOOST_TEST(e.err().message.find("embd 16") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_corpora_are_refused) {
  auto o = tiny_run("never.npz", 5);
  o.corpora = {test::write_text("empty.txt", "")};
  auto e = run_training(o, {}, nullptr);
  BOOST_TEST_REQUIRE(!e.ok());
  BOOST_TEST((e.err().code == errc::bad_corpus));
  o.corpora = {test::write_text("short.txt", "a few words\n")};
  e = run_training(o, {}, nullptr);
  BOOST_TEST_REQUIRE(!e.ok());
  BOOST_TEST(e.err().message.find("too small") != std::string::npos);
  o.corpora = {test::train_dir()};
  e = run_training(o, {}, nullptr);
  BOOST_TEST_REQUIRE(!e.ok());
  BOOST_TEST(e.err().message.find("not a regular file") != std::string::npos);
  o.corpora = {test::train_dir() + "/absent.txt"};
  BOOST_TEST((run_training(o, {}, nullptr).err().code == errc::bad_corpus));
  BOOST_TEST(!fs::exists(o.out));
}

BOOST_AUTO_TEST_CASE(a_diverging_run_stops_and_keeps_the_last_good_checkpoint) {
  auto o = tiny_run("diverge.npz", 50);
  o.cfg.lr = 1e30;         // the weights grow ~1e28-fold per update: infinite within a few steps
  o.cfg.eval_interval = 1; // a checkpoint after every step
  auto e = run_training(o, {}, nullptr);
  BOOST_TEST_REQUIRE(!e.ok());
  BOOST_TEST((e.err().code == errc::training_diverged));
  BOOST_TEST(e.err().message.find("lower --lr") != std::string::npos);
  auto c = read_checkpoint(o.out);
  BOOST_TEST_REQUIRE(c.ok(), test::why(c)); // finite, loadable: the last good step's
}

BOOST_AUTO_TEST_SUITE_END()
