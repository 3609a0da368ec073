// The backward pass against central finite differences, in double, for every parameter tensor.
#define BOOST_TEST_MODULE train
#include <boost/test/unit_test.hpp>

#include "train/train.hpp"

#include <cmath>
#include <random>

using namespace sonnet::train;

namespace {

struct tiny {
  shape s{7, 2, 2, 8, 6};
  std::vector<double> params;
  std::vector<uint8_t> x, y;
  int b = 3;
  tiny() {
    auto c = init_checkpoint(s, "abcdefg", 0.5f, 11);
    std::mt19937 gen(5);
    std::normal_distribution<double> nd(0, 0.3);
    // Larger than nanoGPT's 0.02 so every path carries a gradient well above rounding; LN gains
    // and biases perturbed away from 1/0 so their gradients are exercised too.
    for (float v : c.params)
      params.push_back(v == 0.f ? nd(gen) * 0.3 : (v == 1.f ? 1.0 + nd(gen) : nd(gen)));
    std::uniform_int_distribution<int> id(0, s.vocab_size - 1);
    for (int i = 0; i < b * s.block_size; ++i) {
      x.push_back(static_cast<uint8_t>(id(gen)));
      y.push_back(static_cast<uint8_t>(id(gen)));
    }
  }
  double loss(network<double>& net, const std::vector<double>& p, double dropout) const {
    return net.run(p.data(), x.data(), y.data(), b, nullptr, 0, dropout, 3, 0) / (b * s.block_size);
  }
};

void check_all(double dropout) {
  tiny t;
  network<double> net(t.s, 0.5);
  std::vector<double> grad(t.params.size(), 0.0);
  const double n = t.b * t.s.block_size;
  // The loss with a gradient (dropout masks are the same as without: same seed and stream).
  net.run(t.params.data(), t.x.data(), t.y.data(), t.b, grad.data(), 1.0 / n, dropout, 3, 0);
  std::vector<double> fwd_only(t.params.size(), 0.0);
  const double h = 1e-5;
  for (const auto& ti : layout(t.s)) {
    double worst = 0, scale = 0;
    for (std::size_t i = 0; i < ti.size(); ++i) {
      auto p = t.params;
      const std::size_t k = ti.offset + i;
      p[k] = t.params[k] + h;
      // dropout > 0 needs the masks of the gradient run: pass a non-null gradient sink.
      const double up =
        net.run(p.data(), t.x.data(), t.y.data(), t.b, fwd_only.data(), 0, dropout, 3, 0) / n;
      p[k] = t.params[k] - h;
      const double down =
        net.run(p.data(), t.x.data(), t.y.data(), t.b, fwd_only.data(), 0, dropout, 3, 0) / n;
      const double numeric = (up - down) / (2 * h);
      worst = std::max(worst, std::abs(numeric - grad[k]));
      scale = std::max(scale, std::abs(numeric));
    }
    BOOST_TEST_INFO(ti.name << ": max |analytic - numeric| " << worst << ", max |gradient| "
                            << scale);
    BOOST_TEST(scale > 1e-6); // every tensor carries a gradient
    BOOST_TEST(worst <= 1e-7 * std::max(1.0, scale / 1e-2));
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(gradient)

BOOST_AUTO_TEST_CASE(every_tensor_matches_finite_differences) {
  check_all(0.0);
}

BOOST_AUTO_TEST_CASE(every_tensor_matches_finite_differences_with_dropout) {
  check_all(0.25);
}

BOOST_AUTO_TEST_CASE(float_and_double_agree) {
  tiny t;
  network<double> nd(t.s, 0.5);
  network<float> nf(t.s, 0.5);
  std::vector<float> pf(t.params.begin(), t.params.end());
  std::vector<double> gd(t.params.size(), 0.0);
  std::vector<float> gf(t.params.size(), 0.f);
  const double ld = nd.run(t.params.data(), t.x.data(), t.y.data(), t.b, gd.data(), 1.0, 0.1, 9, 4);
  const double lf = nf.run(pf.data(), t.x.data(), t.y.data(), t.b, gf.data(), 1.0, 0.1, 9, 4);
  BOOST_TEST(std::abs(ld - lf) < 1e-4 * std::abs(ld));
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < gd.size(); ++i) {
    worst = std::max(worst, std::abs(gd[i] - gf[i]));
    scale = std::max(scale, std::abs(gd[i]));
  }
  BOOST_TEST(worst < 1e-4 * scale);
}

BOOST_AUTO_TEST_SUITE_END()
