// The packed-panel matrix product of gemm.hpp, on Eigen's SIMD packets (AVX-512: 16 floats or 8
// doubles; the portable build's 4 floats / 2 doubles with a smaller tile).
#include "train/gemm.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>

namespace sonnet::train {

namespace {

namespace ei = Eigen::internal;

#if defined(EIGEN_VECTORIZE_AVX512) // 32 vector registers: room for 24 accumulators
constexpr int max_rows = 6, max_packets = 4;
#else
constexpr int max_rows = 4, max_packets = 2;
#endif

// Panel j holds columns [j*W, (j+1)*W) of B for every k: K x W, contiguous.
template <class T, int W>
void pack_b(long N, long K, strided<T> B, T* out) {
  const long panels = (N + W - 1) / W;
  for (long j = 0; j < panels; ++j) {
    T* dst = out + j * K * W;
    const long cols = std::min<long>(W, N - j * W);
    if (B.col_stride == 1) { // rows of B are contiguous: copy W at a time
      for (long k = 0; k < K; ++k) {
        const T* src = B.p + k * B.row_stride + j * W;
        for (long i = 0; i < cols; ++i)
          dst[k * W + i] = src[i];
        for (long i = cols; i < W; ++i)
          dst[k * W + i] = T(0);
      }
      continue;
    }
    for (long i = 0; i < cols; ++i) {
      const T* src = B.p + (j * W + i) * B.col_stride;
      for (long k = 0; k < K; ++k)
        dst[k * W + i] = src[k * B.row_stride];
    }
    for (long i = cols; i < W; ++i)
      for (long k = 0; k < K; ++k)
        dst[k * W + i] = T(0);
  }
}

// Rows [0, R) x packets [0, P) of C over k in [k0, k1); `cols` valid columns in the last packet.
template <class T, class Packet, int W, int R, int P>
void tile(long K, long k0, long k1, strided<T> A, const T* panels, T* C, long ldc, long cols_last,
          bool accumulate) {
  Packet acc[R][P];
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < P; ++p)
      acc[r][p] = ei::pset1<Packet>(T(0));
  const T* a[R];
  for (int r = 0; r < R; ++r)
    a[r] = A.p + r * A.row_stride + k0 * A.col_stride;
  const long as = A.col_stride;
  const T* b = panels + k0 * W;
  for (long k = k0; k < k1; ++k, b += W) {
    Packet bp[P];
    for (int p = 0; p < P; ++p)
      bp[p] = ei::pload<Packet>(b + p * K * W);
    for (int r = 0; r < R; ++r) {
      const Packet ar = ei::pset1<Packet>(*a[r]);
      a[r] += as;
      for (int p = 0; p < P; ++p)
        acc[r][p] = ei::pmadd(ar, bp[p], acc[r][p]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < P; ++p) {
      T* c = C + r * ldc + p * W;
      if (p + 1 < P || cols_last == W) {
        ei::pstoreu(c, accumulate ? ei::padd(ei::ploadu<Packet>(c), acc[r][p]) : acc[r][p]);
      } else {
        alignas(64) T tmp[W];
        ei::pstore(tmp, acc[r][p]);
        for (long i = 0; i < cols_last; ++i)
          c[i] = accumulate ? c[i] + tmp[i] : tmp[i];
      }
    }
}

template <class T, class Packet, int W, int R>
void row_block(int P, long K, long k0, long k1, strided<T> A, const T* panels, T* C, long ldc,
               long cols_last, bool acc) {
  switch (P) {
  case 1:
    tile<T, Packet, W, R, 1>(K, k0, k1, A, panels, C, ldc, cols_last, acc);
    break;
  case 2:
    tile<T, Packet, W, R, 2>(K, k0, k1, A, panels, C, ldc, cols_last, acc);
    break;
#if defined(EIGEN_VECTORIZE_AVX512) // 32 vector registers: room for 24 accumulators
  case 3:
    tile<T, Packet, W, R, 3>(K, k0, k1, A, panels, C, ldc, cols_last, acc);
    break;
  default:
    tile<T, Packet, W, R, 4>(K, k0, k1, A, panels, C, ldc, cols_last, acc);
    break;
#else
  default:
    tile<T, Packet, W, R, 2>(K, k0, k1, A, panels, C, ldc, cols_last, acc);
    break;
#endif
  }
}

} // namespace

template <class T>
void gemm(long M, long N, long K, strided<T> A, strided<T> B, T* C, long ldc, bool accumulate,
          std::vector<T>& pack) {
  using Packet = typename ei::packet_traits<T>::type;
  constexpr int W = ei::packet_traits<T>::size;
  if (M <= 0 || N <= 0)
    return;
  if (K <= 0) {
    if (!accumulate)
      for (long r = 0; r < M; ++r)
        std::fill(C + r * ldc, C + r * ldc + N, T(0));
    return;
  }
  const long panels = (N + W - 1) / W;
  // Room to round the panels up to a 64-byte boundary: pload needs aligned packets.
  pack.resize(static_cast<std::size_t>(panels * K * W + 64 / sizeof(T)));
  T* base = pack.data();
  while (reinterpret_cast<std::uintptr_t>(base) % 64 != 0)
    ++base;
  pack_b<T, W>(N, K, B, base);
  // K in blocks of kc: a group of 4 panels' block (4 x kc x 64 B = 32 KB for floats) stays in L1
  // while every row block of A passes. Outputs sum their blocks in order: still one fixed order.
  constexpr long kc = 128;
  for (long k0 = 0; k0 < K; k0 += kc) {
    const long k1 = std::min(K, k0 + kc);
    const bool acc = accumulate || k0 > 0;
    for (long j0 = 0; j0 < panels; j0 += max_packets) {
      const int P = static_cast<int>(std::min<long>(max_packets, panels - j0));
      const long cl =
        std::min<long>(N - (j0 + P - 1) * W, W); // valid columns of the group's last packet
      const T* pj = base + j0 * K * W;
      for (long r0 = 0; r0 < M; r0 += max_rows) {
        const strided<T> a{A.p + r0 * A.row_stride, A.row_stride, A.col_stride};
        T* c = C + r0 * ldc + j0 * W;
        switch (std::min<long>(max_rows, M - r0)) {
        case 1:
          row_block<T, Packet, W, 1>(P, K, k0, k1, a, pj, c, ldc, cl, acc);
          break;
        case 2:
          row_block<T, Packet, W, 2>(P, K, k0, k1, a, pj, c, ldc, cl, acc);
          break;
        case 3:
          row_block<T, Packet, W, 3>(P, K, k0, k1, a, pj, c, ldc, cl, acc);
          break;
#if defined(EIGEN_VECTORIZE_AVX512) // 32 vector registers: room for 24 accumulators
        case 4:
          row_block<T, Packet, W, 4>(P, K, k0, k1, a, pj, c, ldc, cl, acc);
          break;
        case 5:
          row_block<T, Packet, W, 5>(P, K, k0, k1, a, pj, c, ldc, cl, acc);
          break;
        default:
          row_block<T, Packet, W, 6>(P, K, k0, k1, a, pj, c, ldc, cl, acc);
          break;
#else
        default:
          row_block<T, Packet, W, 4>(P, K, k0, k1, a, pj, c, ldc, cl, acc);
          break;
#endif
        }
      }
    }
  }
}

template void gemm<float>(long, long, long, strided<float>, strided<float>, float*, long, bool,
                          std::vector<float>&);
template void gemm<double>(long, long, long, strided<double>, strided<double>, double*, long, bool,
                           std::vector<double>&);

} // namespace sonnet::train
