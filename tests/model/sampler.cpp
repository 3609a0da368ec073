// The sampler on toy distributions: temperature, top-k table, argmax, empirical frequencies.

#include "model/model.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

using namespace sonnet;
namespace sm = sonnet::model;

namespace {

std::vector<float> log_of(const std::vector<float>& p) {
  std::vector<float> l;
  for (float x : p)
    l.push_back(std::log(x));
  return l;
}

// top-k of probabilities `p` at temperature 1 gives `expected` (entries for ids in order).
void check_top_k(const std::vector<float>& p, const std::vector<float>& expected, int k) {
  auto got = sm::sampling_distribution(log_of(p), {1.f, k, 0});
  BOOST_REQUIRE_EQUAL(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (expected[i] == 0.f)
      BOOST_CHECK_EQUAL(got[i], 0.f);
    else
      BOOST_CHECK_CLOSE(got[i], expected[i], 1e-3);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(sampler)

BOOST_AUTO_TEST_CASE(top_k_table) {
  check_top_k({0.1f, 0.2f, 0.3f, 0.4f}, {0.f, 0.22222f, 0.33333f, 0.44444f}, 3);
  check_top_k({0.1f, 0.2f, 0.3f, 0.4f}, {0.f, 0.f, 0.42857f, 0.57143f}, 2);
  check_top_k({0.1f, 0.2f, 0.3f, 0.4f}, {0.f, 0.f, 0.f, 1.f}, 1);
  check_top_k({0.1f, 0.2f, 0.3f, 0.4f}, {0.1f, 0.2f, 0.3f, 0.4f}, 0);
  check_top_k({0.1f, 0.2f, 0.3f, 0.4f}, {0.1f, 0.2f, 0.3f, 0.4f}, 4);
  check_top_k({0.1f, 0.2f, 0.3f, 0.4f}, {0.1f, 0.2f, 0.3f, 0.4f}, 100);
  check_top_k({0.4f, 0.3f, 0.2f, 0.1f}, {0.44444f, 0.33333f, 0.22222f, 0.f}, 3);
  // ties at the boundary: the lower id is kept, exactly k survive
  check_top_k({0.25f, 0.25f, 0.25f, 0.25f}, {0.5f, 0.5f, 0.f, 0.f}, 2);
}

BOOST_AUTO_TEST_CASE(temperature_scales_logits) {
  auto p = sm::sampling_distribution(log_of({0.1f, 0.2f, 0.3f, 0.4f}), {0.5f, 0, 0});
  // p^(1/0.5) normalised: 0.01, 0.04, 0.09, 0.16 over 0.30
  const float e[] = {1.f / 30, 4.f / 30, 9.f / 30, 16.f / 30};
  for (int i = 0; i < 4; ++i)
    BOOST_CHECK_CLOSE(p[static_cast<std::size_t>(i)], e[i], 1e-3);
  auto zero = sm::sampling_distribution({1.f, 5.f, 3.f, 5.f}, {0.f, 0, 0});
  BOOST_CHECK_EQUAL(zero[1], 1.f); // argmax, first of the ties
  BOOST_CHECK_EQUAL(zero[0] + zero[2] + zero[3], 0.f);
}

BOOST_AUTO_TEST_CASE(check_sampling_refuses_bad_parameters) {
  BOOST_CHECK(sm::check_sampling({0.8f, 0, 1}));
  BOOST_CHECK(sm::check_sampling({0.f, 5, 1}));
  BOOST_CHECK(!sm::check_sampling({-0.1f, 0, 1}));
  BOOST_CHECK(!sm::check_sampling({std::numeric_limits<float>::quiet_NaN(), 0, 1}));
  BOOST_CHECK(!sm::check_sampling({std::numeric_limits<float>::infinity(), 0, 1}));
  BOOST_CHECK(!sm::check_sampling({1.f, -1, 1}));
  BOOST_CHECK(sm::check_sampling({-1.f, 0, 0}).err().code == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(default_stride_is_in_range) {
  BOOST_CHECK_EQUAL(sm::default_stride(64), 24);
  for (int b : {1, 2, 3, 16, 64, 256}) {
    BOOST_CHECK_GE(sm::default_stride(b), 1);
    BOOST_CHECK(b == 1 || sm::default_stride(b) <= b - 1);
  }
}

BOOST_AUTO_TEST_SUITE_END()
