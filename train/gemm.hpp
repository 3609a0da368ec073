#pragma once
// The trainer's matrix product: C (+)= A B with A and B read through strides, so one kernel
// serves the forward X W^T, the input gradient dY W and the weight gradient dY^T X.
//
// B is packed into panels of one SIMD packet of columns (K rows x packet, contiguous, zero
// padded); the kernel computes tiles of up to 6 rows x 4 packets (24 accumulators, with
// 32 vector registers) so each B element loaded feeds 6 FMAs and each broadcast of A feeds 4.
// Every output is one FMA chain over k = 0..K-1 started from zero, then added to C when
// accumulating: the result depends neither on the tile an output lands in nor on alignment.

#include <cstddef>
#include <vector>

namespace sonnet::train {

/// A(r, k) = p[r * row_stride + k * col_stride]: a row-major matrix is (ld, 1), its transpose (1, ld).
template <class T>
struct strided {
  const T* p;
  long row_stride, col_stride;
};

/// C (M x N, row-major with leading dimension ldc) = A B, or += A B with `accumulate`.
/// `pack` is the caller's scratch for B's panels (grows as needed, reused across calls).
template <class T>
void gemm(long M, long N, long K, strided<T> A, strided<T> B, T* C, long ldc, bool accumulate,
          std::vector<T>& pack);

} // namespace sonnet::train
