// One AdamW step against its definition (Loshchilov & Hutter; PyTorch's AdamW), in double.
#include <boost/test/unit_test.hpp>

#include "train/train.hpp"

#include <cmath>
#include <random>

using namespace sonnet::train;

BOOST_AUTO_TEST_SUITE(adamw)

BOOST_AUTO_TEST_CASE(three_steps_equal_the_definition) {
  std::mt19937 gen(3);
  std::normal_distribution<float> nd(0.f, 1.f);
  const std::size_t n = 257;
  std::vector<float> p(n), m(n, 0.f), v(n, 0.f);
  for (auto& x : p)
    x = nd(gen);
  std::vector<double> P(p.begin(), p.end()), M(n, 0.0), V(n, 0.0);
  const double lr = 3e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
  for (int t = 1; t <= 3; ++t) {
    std::vector<float> g(n);
    for (auto& x : g)
      x = nd(gen) * 0.1f;
    adamw_step(p.data(), g.data(), m.data(), v.data(), n, t, lr, b1, b2, eps, wd);
    for (std::size_t i = 0; i < n; ++i) {
      P[i] -= lr * wd * P[i];
      M[i] = b1 * M[i] + (1 - b1) * g[i];
      V[i] = b2 * V[i] + (1 - b2) * g[i] * g[i];
      const double mhat = M[i] / (1 - std::pow(b1, t)), vhat = V[i] / (1 - std::pow(b2, t));
      P[i] -= lr * mhat / (std::sqrt(vhat) + eps);
    }
  }
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    worst = std::max(worst, std::abs(P[i] - p[i]) / std::max(1.0, std::abs(P[i])));
    BOOST_TEST(std::abs(M[i] - m[i]) <= 1e-6 * std::max(1e-2, std::abs(M[i])));
  }
  BOOST_TEST(worst < 1e-6);
}

BOOST_AUTO_TEST_CASE(zero_gradient_only_decays) {
  std::vector<float> p{2.f, -4.f}, g{0.f, 0.f}, m{0.f, 0.f}, v{0.f, 0.f};
  adamw_step(p.data(), g.data(), m.data(), v.data(), 2, 1, 0.5, 0.9, 0.999, 1e-8, 0.1);
  BOOST_TEST(p[0] == 2.f * 0.95f);
  BOOST_TEST(p[1] == -4.f * 0.95f);
}

BOOST_AUTO_TEST_SUITE_END()
