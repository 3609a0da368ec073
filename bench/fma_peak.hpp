#pragma once
// This core's FMA peak: the ceiling the benchmarks' GFLOP/s are read against.

#include <immintrin.h>

#include <algorithm>
#include <chrono>

namespace sonnet::bench {

// This core's FMA throughput in GFLOP/s (one FMA = 2 FLOPs): 16 independent accumulators of the
// widest vector the build targets, best of 3. The ceiling the model's kernels are measured against.
#if defined(__AVX512F__)
using vec = __m512;
inline vec vfma(vec a, vec b, vec c) {
  return _mm512_fmadd_ps(a, b, c);
}
inline vec vset(float x) {
  return _mm512_set1_ps(x);
}
#elif defined(__FMA__)
using vec = __m256;
inline vec vfma(vec a, vec b, vec c) {
  return _mm256_fmadd_ps(a, b, c);
}
inline vec vset(float x) {
  return _mm256_set1_ps(x);
}
#else
using vec = float;
inline vec vfma(vec a, vec b, vec c) {
  return a * b + c;
}
inline vec vset(float x) {
  return x;
}
#endif

// Each chain starts from its own value, so the compiler cannot fold them into one.
__attribute__((noinline)) inline vec fma_chains(long n, vec x, vec y) {
  vec a0 = vfma(y, vset(1), y), a1 = vfma(y, vset(2), y), a2 = vfma(y, vset(3), y),
      a3 = vfma(y, vset(4), y);
  vec a4 = vfma(y, vset(5), y), a5 = vfma(y, vset(6), y), a6 = vfma(y, vset(7), y),
      a7 = vfma(y, vset(8), y);
  vec a8 = vfma(y, vset(9), y), a9 = vfma(y, vset(10), y), a10 = vfma(y, vset(11), y),
      a11 = vfma(y, vset(12), y);
  vec a12 = vfma(y, vset(13), y), a13 = vfma(y, vset(14), y), a14 = vfma(y, vset(15), y),
      a15 = vfma(y, vset(16), y);
  for (long k = 0; k < n; ++k) {
    a0 = vfma(a0, x, y);
    a1 = vfma(a1, x, y);
    a2 = vfma(a2, x, y);
    a3 = vfma(a3, x, y);
    a4 = vfma(a4, x, y);
    a5 = vfma(a5, x, y);
    a6 = vfma(a6, x, y);
    a7 = vfma(a7, x, y);
    a8 = vfma(a8, x, y);
    a9 = vfma(a9, x, y);
    a10 = vfma(a10, x, y);
    a11 = vfma(a11, x, y);
    a12 = vfma(a12, x, y);
    a13 = vfma(a13, x, y);
    a14 = vfma(a14, x, y);
    a15 = vfma(a15, x, y);
  }
  return vfma(vfma(vfma(a0, a1, a2), vfma(a3, a4, a5), vfma(a6, a7, a8)),
              vfma(vfma(a9, a10, a11), vfma(a12, a13, a14), a15), x);
}

inline double fma_peak_gflops() {
  const long n = 20'000'000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    volatile vec sink = fma_chains(n, vset(0.999f), vset(1e-4f));
    (void)sink;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * 16 * n * (sizeof(vec) / sizeof(float)) / s / 1e9);
  }
  return best;
}

} // namespace sonnet::bench
