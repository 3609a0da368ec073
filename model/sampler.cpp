// --- sampler: temperature, top-k, deterministic RNG ---------------------------------------------
#include "model/detail.hpp"
#include "core/random_bits.hpp"

#include <algorithm>
#include <cmath>

namespace sonnet::model {

namespace {
uint64_t splitmix64(uint64_t& x) {
  return splitmix64_mix(x += splitmix64_gamma);
}
uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

bool is_argmax(const sampling& s) {
  return !(s.temperature > 0.f) || !std::isfinite(s.temperature);
}
} // namespace

void rng::seed(uint64_t seed) {
  uint64_t x = seed;
  for (auto& v : s)
    v = splitmix64(x);
}

uint64_t rng::next_u64() { // xoshiro256**
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double rng::uniform() {
  return unit_from_bits(next_u64());
}

result<void> check_sampling(const sampling& s) {
  if (!std::isfinite(s.temperature) || s.temperature < 0.f)
    return fail(errc::invalid_argument,
                "temperature must be finite and >= 0, got " + std::to_string(s.temperature));
  if (s.top_k < 0)
    return fail(errc::invalid_argument, "top_k must be >= 0, got " + std::to_string(s.top_k));
  return {};
}

void fill_distribution(const float* logits, int n, const sampling& s, std::vector<float>& probs,
                       std::vector<int>& idx) {
  probs.assign(static_cast<std::size_t>(n), 0.f);
  if (n <= 0)
    return;
  if (is_argmax(s)) {
    probs[static_cast<std::size_t>(std::max_element(logits, logits + n) - logits)] = 1.f;
    return;
  }
  int k = (s.top_k > 0 && s.top_k < n) ? s.top_k : n;
  idx.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    idx[static_cast<std::size_t>(i)] = i;
  if (k < n)
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [logits](int a, int b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
  float mx = logits[idx[0]];
  for (int j = 0; j < k; ++j)
    mx = std::max(mx, logits[idx[static_cast<std::size_t>(j)]]);
  const float inv_t = 1.0f / s.temperature;
  double sum = 0;
  for (int j = 0; j < k; ++j) {
    int i = idx[static_cast<std::size_t>(j)];
    float p = std::exp((logits[i] - mx) * inv_t);
    probs[static_cast<std::size_t>(i)] = p;
    sum += p;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int j = 0; j < k; ++j)
    probs[static_cast<std::size_t>(idx[static_cast<std::size_t>(j)])] *= inv;
}

int sample_token(const float* logits, int n, const sampling& s, rng& r, std::vector<float>& probs,
                 std::vector<int>& idx) {
  if (is_argmax(s))
    return static_cast<int>(std::max_element(logits, logits + n) - logits);
  fill_distribution(logits, n, s, probs, idx);
  const double u = r.uniform();
  double cum = 0;
  int last = 0;
  for (int i = 0; i < n; ++i) {
    float p = probs[static_cast<std::size_t>(i)];
    if (p <= 0.f)
      continue;
    cum += p;
    last = i;
    if (u < cum)
      return i;
  }
  return last; // rounding left u above the total
}

std::vector<float> sampling_distribution(const std::vector<float>& logits, const sampling& s) {
  std::vector<float> probs;
  std::vector<int> idx;
  fill_distribution(logits.data(), static_cast<int>(logits.size()), s, probs, idx);
  return probs;
}

} // namespace sonnet::model
