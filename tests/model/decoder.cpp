// The decoder: KV-cache decoding equals full recomputation (exact mode), strided equals its own
// definition, determinism by seed, temperature 0 = argmax.

#include "model/model.hpp"
#include "tests/model/fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace sonnet;
using namespace sonnet::test;
namespace sm = sonnet::model;

namespace {

// The shipped model: these properties hold for any checkpoint, checked on a real one.
std::shared_ptr<const sm::model> real_model() {
  static std::shared_ptr<const sm::model> m = [] {
    auto r = sm::load_model(default_model);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.err().message));
    return *r;
  }();
  return m;
}

std::shared_ptr<const sm::model> tiny() {
  static std::shared_ptr<const sm::model> m = [] {
    auto r = sm::load_model(temp_file("tiny_dec.npz", tiny_npz(tiny_arrays())));
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.err().message));
    return *r;
  }();
  return m;
}

// Generates n tokens; before each, compares the decoder's logits with full recomputation of
// what the mode says the context is. Returns the max difference.
float run_against_recomputation(const std::shared_ptr<const sm::model>& m, sm::window_mode mode,
                                int stride, const std::string& prompt, int n) {
  sm::decoder d(m, mode, stride);
  d.start(prompt, {0.9f, 0, 123});
  const int B = m->hp().block_size;
  std::string text = prompt;
  float worst = 0;
  int slides = 0;
  std::size_t prev_len = 0;
  for (int i = 0; i < n; ++i) {
    const auto ctx = d.context();
    const std::string tail =
      text.substr(text.size() - std::min(text.size(), static_cast<std::size_t>(B)));
    if (mode == sm::window_mode::exact) {
      BOOST_REQUIRE_EQUAL(ctx, tail); // always the last <= B chars
    } else {
      BOOST_REQUIRE(ctx.size() <= static_cast<std::size_t>(B));
      BOOST_REQUIRE(tail.compare(tail.size() - ctx.size(), ctx.size(), ctx) == 0); // a suffix
      if (text.size() > static_cast<std::size_t>(B))
        BOOST_REQUIRE(ctx.size() >= static_cast<std::size_t>(B - d.stride()));
    }
    if (ctx.size() < prev_len
        || (ctx.size() == prev_len && ctx.size() == static_cast<std::size_t>(B)))
      ++slides; // the window moved
    prev_len = ctx.size();
    auto full = sm::last_logits(*m, ctx);
    worst = std::max(worst, max_abs_diff(d.logits(), full));
    text.push_back(m->vocab().at(d.next()));
  }
  BOOST_CHECK_EQUAL(d.tokens_generated(), n);
  BOOST_CHECK_GT(slides, 0);
  BOOST_TEST_MESSAGE("mode " << (mode == sm::window_mode::exact ? "exact" : "strided")
                             << " S=" << d.stride() << ": " << n << " tokens, " << slides
                             << " window moves, max |diff| " << worst);
  return worst;
}

} // namespace

BOOST_AUTO_TEST_SUITE(decoding)

BOOST_AUTO_TEST_CASE(kv_cache_equals_full_recomputation_exact) {
  // 40-char prompt, 150 tokens: cache decoding up to the fill, then a slide on every token.
  float d = run_against_recomputation(real_model(), sm::window_mode::exact, 0,
                                      "ROMEO:\nBut soft, what light through yonder", 150);
  std::printf("exact: kv-cache vs recomputation max abs diff %.3g\n", d);
  BOOST_CHECK_SMALL(d, 1e-4f);
}

BOOST_AUTO_TEST_CASE(strided_equals_its_definition) {
  for (int s : {1, 7, 16, 32, 63}) {
    float d = run_against_recomputation(real_model(), sm::window_mode::strided, s, "\n", 200);
    BOOST_CHECK_MESSAGE(d < 1e-4f, "S=" << s << " max diff " << d);
  }
}

BOOST_AUTO_TEST_CASE(tiny_model_cache_and_slides) {
  BOOST_CHECK_SMALL(run_against_recomputation(tiny(), sm::window_mode::exact, 0, "abc", 100),
                    1e-4f);
  BOOST_CHECK_SMALL(run_against_recomputation(tiny(), sm::window_mode::strided, 5, "a", 100),
                    1e-4f);
  BOOST_CHECK_EQUAL(sm::decoder(tiny()).stride(), sm::default_stride(16));
  // degenerate window of one position: every token slides it
  tiny_spec one;
  one.block = 1;
  auto m1 = sm::load_model(temp_file("tiny_b1.npz", tiny_npz(tiny_arrays(one))));
  BOOST_REQUIRE_MESSAGE(m1, (m1 ? "" : m1.err().message));
  for (auto mode : {sm::window_mode::exact, sm::window_mode::strided}) {
    sm::decoder d(*m1, mode);
    d.start("abc", {0.8f, 0, 1});
    BOOST_CHECK_EQUAL(d.context(), "c");
    BOOST_CHECK_EQUAL(d.generate(20).size(), 20u);
    BOOST_CHECK_EQUAL(d.context().size(), 1u);
    BOOST_CHECK_SMALL(max_abs_diff(d.logits(), sm::last_logits(**m1, d.context())), 1e-5f);
  }
}

BOOST_AUTO_TEST_CASE(same_seed_same_text_different_seed_different_text) {
  for (auto mode : {sm::window_mode::strided, sm::window_mode::exact}) {
    sm::decoder a(real_model(), mode), b(real_model(), mode), c(real_model(), mode);
    a.start("\n", {0.8f, 0, 42});
    b.start("\n", {0.8f, 0, 42});
    c.start("\n", {0.8f, 0, 43});
    auto ta = a.generate(150), tb = b.generate(150), tc = c.generate(150);
    BOOST_CHECK_EQUAL(ta, tb);
    BOOST_CHECK_NE(ta, tc);
    // restart reuses the decoder and reproduces the text
    a.start("\n", {0.8f, 0, 42});
    BOOST_CHECK_EQUAL(a.generate(150), ta);
    BOOST_CHECK_EQUAL(a.tokens_generated(), 150);
  }
}

BOOST_AUTO_TEST_CASE(temperature_zero_is_argmax) {
  sm::decoder d(real_model());
  d.start("ROMEO:", {0.f, 0, 5});
  std::string out;
  for (int i = 0; i < 100; ++i) {
    const auto& lg = d.logits();
    int expect = static_cast<int>(std::max_element(lg.begin(), lg.end()) - lg.begin());
    int got = d.next();
    BOOST_REQUIRE_EQUAL(got, expect);
    out.push_back(real_model()->vocab().at(got));
  }
  sm::decoder e(real_model());
  e.start("ROMEO:", {0.f, 0, 999}); // the seed does not matter at temperature 0
  BOOST_CHECK_EQUAL(e.generate(100), out);
  BOOST_TEST_MESSAGE("greedy: " << out);
}

BOOST_AUTO_TEST_CASE(prompt_edge_cases) {
  auto m = real_model();
  sm::decoder d(m);
  d.start("", {});
  BOOST_CHECK_EQUAL(d.context(), "\n");
  d.start("caf\xC3\xA9~", {}); // bytes outside the vocabulary become ' ' (é is no char of it)
  BOOST_REQUIRE(!m->vocab().contains('\xC3') && !m->vocab().contains('\xA9'));
  BOOST_CHECK_EQUAL(d.context(), std::string("caf  ") + (m->vocab().contains('~') ? "~" : " "));
  std::string longp(300, 'a');
  d.start(longp, {});
  BOOST_CHECK_EQUAL(d.context().size(), static_cast<std::size_t>(m->hp().block_size));
  BOOST_CHECK_SMALL(max_abs_diff(d.logits(), sm::last_logits(*m, longp)), 1e-5f);
  BOOST_CHECK_EQUAL(d.generate(0), "");
  BOOST_CHECK_EQUAL(sm::last_logits(*m, "").size(), static_cast<std::size_t>(m->hp().vocab_size));
  BOOST_CHECK_SMALL(max_abs_diff(sm::last_logits(*m, ""), sm::last_logits(*m, "\n")), 0.f);
}

BOOST_AUTO_TEST_SUITE_END()
