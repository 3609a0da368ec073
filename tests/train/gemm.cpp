// The trainer's matrix product against a plain triple loop: every tile shape, transposed
// operands, accumulation, sizes that are not multiples of the tile.
#include <boost/test/unit_test.hpp>

#include "train/gemm.hpp"

#include <cmath>
#include <random>

using namespace sonnet::train;

namespace {

template <class T>
void check(long M, long N, long K, bool a_transposed, bool b_transposed, bool accumulate) {
  std::mt19937 gen(static_cast<unsigned>(M * 1000 + N * 10 + K));
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> a(static_cast<std::size_t>(M * K)), b(static_cast<std::size_t>(K * N)),
    c(static_cast<std::size_t>(M * N));
  for (auto* v : {&a, &b, &c})
    for (auto& x : *v)
      x = static_cast<T>(u(gen));
  // A stored (M, K) row-major, or (K, M) read transposed; B likewise.
  const strided<T> A = a_transposed ? strided<T>{a.data(), 1, M} : strided<T>{a.data(), K, 1};
  const strided<T> B = b_transposed ? strided<T>{b.data(), 1, K} : strided<T>{b.data(), N, 1};
  std::vector<double> want(c.begin(), c.end());
  for (long r = 0; r < M; ++r)
    for (long j = 0; j < N; ++j) {
      double s = 0;
      for (long k = 0; k < K; ++k)
        s += static_cast<double>(A.p[r * A.row_stride + k * A.col_stride])
             * B.p[k * B.row_stride + j * B.col_stride];
      want[static_cast<std::size_t>(r * N + j)] =
        accumulate ? want[static_cast<std::size_t>(r * N + j)] + s : s;
    }
  std::vector<T> pack;
  gemm<T>(M, N, K, A, B, c.data(), N, accumulate, pack);
  double worst = 0;
  for (std::size_t i = 0; i < c.size(); ++i)
    worst = std::max(worst, std::abs(c[i] - want[i]));
  const double tol = (sizeof(T) == 4 ? 2e-6 : 1e-14) * static_cast<double>(K + 1);
  BOOST_TEST(worst <= tol, M << "x" << N << "x" << K << " at=" << a_transposed
                             << " bt=" << b_transposed << " acc=" << accumulate << ": " << worst);
}

} // namespace

BOOST_AUTO_TEST_SUITE(gemm_kernel)

BOOST_AUTO_TEST_CASE(matches_the_triple_loop_for_every_shape) {
  for (long M : {1L, 5L, 6L, 7L, 13L, 64L})
    for (long N : {1L, 3L, 16L, 17L, 64L, 65L, 130L})
      for (long K : {1L, 7L, 32L})
        for (int flags = 0; flags < 8; ++flags) {
          check<float>(M, N, K, flags & 1, flags & 2, flags & 4);
          check<double>(M, N, K, flags & 1, flags & 2, flags & 4);
        }
}

BOOST_AUTO_TEST_CASE(result_does_not_depend_on_the_output_alignment) {
  const long M = 11, N = 37, K = 29;
  std::vector<float> a(M * K), b(K * N);
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto& x : a)
    x = u(gen);
  for (auto& x : b)
    x = u(gen);
  std::vector<float> pack, c1(M * N + 16, 0.f), c2(M * N + 16, 0.f);
  gemm<float>(M, N, K, {a.data(), K, 1}, {b.data(), N, 1}, c1.data(), N, false, pack);
  gemm<float>(M, N, K, {a.data(), K, 1}, {b.data(), N, 1}, c2.data() + 3, N, false, pack);
  for (long i = 0; i < M * N; ++i)
    BOOST_TEST(c1[static_cast<std::size_t>(i)] == c2[static_cast<std::size_t>(i) + 3]);
}

BOOST_AUTO_TEST_SUITE_END()
