// --- transformer blocks: the forward pass, many sequences one token each (forward_step) or one
// sequence many positions (forward_rows) ----------------------------------------------------------
//
// Bit-identity across batch compositions: in forward_step every row is computed by per-row code
// (layer norm, attention, GELU on rows of identical alignment) except the weight products, which
// go through matmul_rows below. matmul_rows computes each output y[r][o] as ONE chain
//   acc = bias[o]; for k = 0 .. K-1: acc = fma(x[r][k], W[k][o], acc)
// in one SIMD lane, whatever the tile it lands in. So a sequence's logits do not depend on how
// many other sequences share the step, nor on its row; decoder (batch of one) and batch_decoder
// produce the same text for the same seed by construction.
#include "model/detail.hpp"

#include <unsupported/Eigen/SpecialFunctions> // vectorised erf

#include <algorithm>
#include <cmath>
#include <limits>

namespace sonnet::model {

namespace {

using Index = Eigen::Index;
namespace ei = Eigen::internal;
using Packet = ei::packet_traits<float>::type;
constexpr int PS = ei::packet_traits<float>::size;
static_assert(pad_floats % PS == 0, "padding must be whole packets");

// --- the weight-product kernel --------------------------------------------------------------------

// Y[r][0 .. P*PS) = bias + X[r][0 .. K) * W[0 .. K)[0 .. P*PS) for RB rows: RB*P accumulator
// registers, one broadcast of x[r][k] and P loads of W's row k per k.
template <int RB, int P>
void mm_tile(const float* X, Index ldx, Index K, const float* W, Index ldw, const float* bias, float* Y,
             Index ldy) {
  Packet acc[RB][P];
  for (int p = 0; p < P; ++p) {
    const Packet b = bias ? ei::ploadu<Packet>(bias + p * PS) : ei::pset1<Packet>(0.f);
    for (int r = 0; r < RB; ++r)
      acc[r][p] = b;
  }
  for (Index k = 0; k < K; ++k) {
    const float* wk = W + k * ldw;
    Packet w[P];
    for (int p = 0; p < P; ++p)
      w[p] = ei::ploadu<Packet>(wk + p * PS);
    for (int r = 0; r < RB; ++r) {
      const Packet xr = ei::pset1<Packet>(X[r * ldx + k]);
      for (int p = 0; p < P; ++p)
        acc[r][p] = ei::pmadd(xr, w[p], acc[r][p]);
    }
  }
  for (int r = 0; r < RB; ++r)
    for (int p = 0; p < P; ++p)
      ei::pstoreu(Y + r * ldy + p * PS, acc[r][p]);
}

template <int RB>
void mm_tile_p(int P, const float* X, Index ldx, Index K, const float* W, Index ldw, const float* bias, float* Y,
               Index ldy) {
  switch (P) {
  case 1: return mm_tile<RB, 1>(X, ldx, K, W, ldw, bias, Y, ldy);
  case 2: return mm_tile<RB, 2>(X, ldx, K, W, ldw, bias, Y, ldy);
  case 3: return mm_tile<RB, 3>(X, ldx, K, W, ldw, bias, Y, ldy);
  case 4: return mm_tile<RB, 4>(X, ldx, K, W, ldw, bias, Y, ldy);
  case 5: return mm_tile<RB, 5>(X, ldx, K, W, ldw, bias, Y, ldy);
  case 6: return mm_tile<RB, 6>(X, ldx, K, W, ldw, bias, Y, ldy);
  case 7: return mm_tile<RB, 7>(X, ldx, K, W, ldw, bias, Y, ldy);
  default: return mm_tile<RB, 8>(X, ldx, K, W, ldw, bias, Y, ldy);
  }
}

/// Y (R x N, N a multiple of PS) = bias + X (R x K) * W (K x N). Every output element is the
/// same FMA chain over k whatever R is (see the file comment). Column panels outside, row
/// blocks of 4 inside, so a panel of W is read from memory once and reused from cache.
void matmul_rows(const float* X, Index ldx, Index R, Index K, const float* W, Index ldw, Index N,
                 const float* bias, float* Y, Index ldy) {
  const int pmax = R >= 3 ? 4 : R == 2 ? 6 : 8; // accumulators: 16, 12, 8 registers
  for (Index o = 0; o < N; o += pmax * PS) {
    const int P = static_cast<int>(std::min<Index>(pmax, (N - o) / PS));
    const float* b = bias ? bias + o : nullptr;
    for (Index r = 0; r < R; r += 4) {
      const Index rb = std::min<Index>(4, R - r);
      const float* x = X + r * ldx;
      float* y = Y + r * ldy + o;
      switch (rb) {
      case 1: mm_tile_p<1>(P, x, ldx, K, W + o, ldw, b, y, ldy); break;
      case 2: mm_tile_p<2>(P, x, ldx, K, W + o, ldw, b, y, ldy); break;
      case 3: mm_tile_p<3>(P, x, ldx, K, W + o, ldw, b, y, ldy); break;
      default: mm_tile_p<4>(P, x, ldx, K, W + o, ldw, b, y, ldy); break;
      }
    }
  }
}

// --- per-row pieces -------------------------------------------------------------------------------

// y = (x - mean) / sqrt(var + 1e-5) * w + b over one row of n features (population variance).
inline void layer_norm(const float* x, float* y, const float* w, const float* b, int n) {
  float mean = 0.f;
  for (int i = 0; i < n; ++i)
    mean += x[i];
  mean /= static_cast<float>(n);
  float var = 0.f;
  for (int i = 0; i < n; ++i) {
    float d = x[i] - mean;
    var += d * d;
  }
  var /= static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(var + 1e-5f);
  for (int i = 0; i < n; ++i)
    y[i] = (x[i] - mean) * inv * w[i] + b[i];
}

// GELU in place on n contiguous floats.
inline void gelu(float* p, Index n, numerics v) {
  Eigen::Map<Eigen::ArrayXf> a(p, n);
  if (v == numerics::as_trained) {
    a = 0.5f * a * (1.0f + (a * static_cast<float>(M_SQRT1_2)).erf());
  } else {
    const float c = std::sqrt(2.0f / static_cast<float>(M_PI));
    a = 0.5f * a * (1.0f + (c * (a + 0.044715f * a.cube())).tanh());
  }
}

// Softmax in place over n floats.
inline void softmax(float* p, Index n) {
  Eigen::Map<Eigen::ArrayXf> a(p, n);
  a = (a - a.maxCoeff()).exp();
  a /= a.sum();
}

// scores[j0 .. j0 + G*PS) = scale * sum_d q[d] * KT[d][j]: G independent FMA chains (G packets
// of positions), so the chains overlap instead of waiting on each other's latency.
template <int G>
void score_packets(const float* q, const float* kh, Index ldk, int HS, Index j0, float scale,
                   float* scores) {
  Packet acc[G];
  for (int g = 0; g < G; ++g)
    acc[g] = ei::pset1<Packet>(0.f);
  for (int d = 0; d < HS; ++d) {
    const Packet qd = ei::pset1<Packet>(q[d]);
    for (int g = 0; g < G; ++g)
      acc[g] = ei::pmadd(qd, ei::ploadu<Packet>(kh + d * ldk + j0 + g * PS), acc[g]);
  }
  for (int g = 0; g < G; ++g)
    ei::pstoreu(scores + j0 + g * PS, ei::pmul(acc[g], ei::pset1<Packet>(scale)));
}

// out[c .. c + PS) = sum_j p[j] * V[j][c ..]: even and odd positions in two chains, added at
// the end (a fixed order that depends only on n).
inline Packet weighted_values(const float* p, const float* v, Index ldv, int n) {
  Packet even = ei::pset1<Packet>(0.f), odd = even;
  int j = 0;
  for (; j + 1 < n; j += 2) {
    even = ei::pmadd(ei::pset1<Packet>(p[j]), ei::ploadu<Packet>(v + j * ldv), even);
    odd = ei::pmadd(ei::pset1<Packet>(p[j + 1]), ei::ploadu<Packet>(v + (j + 1) * ldv), odd);
  }
  if (j < n)
    even = ei::pmadd(ei::pset1<Packet>(p[j]), ei::ploadu<Packet>(v + j * ldv), even);
  return ei::padd(even, odd);
}

// Attention of one query row (all heads) over the cached positions [0, n): KT is (A, ldk)
// (keys transposed), V is (B, A). Scores come a packet of positions at a time and values are
// summed in registers: no horizontal sums, every sum in an order that depends only on n.
void attend_row(const model::impl& m, const float* q, const float* KT, Index ldk, const float* V,
                Index ldv, int n, float* scores, float* out) {
  const int HS = m.hp.head_size;
  const Index np = (n + PS - 1) / PS * PS; // ldk >= np: the tail packet reads stale, finite keys
  for (int h = 0; h < m.hp.n_head; ++h) {
    const float* qh = q + h * HS;
    const float* kh = KT + h * HS * ldk;
    for (Index j0 = 0; j0 < np; j0 += 4 * PS) {
      switch (std::min<Index>(4, (np - j0) / PS)) {
      case 1: score_packets<1>(qh, kh, ldk, HS, j0, m.attn_scale, scores); break;
      case 2: score_packets<2>(qh, kh, ldk, HS, j0, m.attn_scale, scores); break;
      case 3: score_packets<3>(qh, kh, ldk, HS, j0, m.attn_scale, scores); break;
      default: score_packets<4>(qh, kh, ldk, HS, j0, m.attn_scale, scores); break;
      }
    }
    softmax(scores, n);
    float* oh = out + h * HS;
    const float* vh = V + h * HS;
    int c = 0;
    for (; c + PS <= HS; c += PS)
      ei::pstoreu(oh + c, weighted_values(scores, vh + c, ldv, n));
    for (; c < HS; ++c) {
      float a = 0.f;
      for (int j = 0; j < n; ++j)
        a += scores[j] * vh[j * ldv + c];
      oh[c] = a;
    }
  }
}

// Final layer norm and lm_head of `rows` rows of x into `logits`.
void head_rows(const model::impl& m, const float* x, Index ldx, int rows, float* h, Index ldh, float* logits,
               Index ldl) {
  const auto& w = m.w;
  const int C = m.hp.n_embd;
  for (int r = 0; r < rows; ++r)
    layer_norm(x + r * ldx, h + r * ldh, w.lnf_w.data(), w.lnf_b.data(), C);
  matmul_rows(h, ldh, rows, C, w.lm_head_t.data(), w.lm_head_t.cols(), w.lm_head_t.cols(), w.lm_head_b.data(),
              logits, ldl);
}

} // namespace

void init_kv_cache(const model::impl& m, kv_cache& c) {
  const auto& hp = m.hp;
  const Index B = hp.block_size, A = hp.n_head * hp.head_size;
  c.k.assign(static_cast<std::size_t>(hp.n_layer), RowMatrix::Zero(A, padded(B)));
  c.v.assign(static_cast<std::size_t>(hp.n_layer), RowMatrix::Zero(B, A));
}

void init_rows_scratch(const model::impl& m, rows_scratch& s) {
  const auto& hp = m.hp;
  const Index B = hp.block_size, C = hp.n_embd, A = hp.n_head * hp.head_size, F = hp.n_ffwd;
  s.x.setZero(B, C);
  s.h.setZero(B, C);
  s.qkv.setZero(B, 3 * A);
  s.att.setZero(B, A);
  s.ff.setZero(B, F);
  s.scores.setZero(B, B);
  s.hl.setZero(1, padded(C));
  s.logits.setZero(1, padded(hp.vocab_size));
}

void reserve_step_workspace(const model::impl& m, step_workspace& ws, int rows) {
  if (rows <= ws.rows)
    return;
  const auto& hp = m.hp;
  const Index R = rows, C = padded(hp.n_embd), A = hp.n_head * hp.head_size;
  ws.x.setZero(R, C);
  ws.h.setZero(R, C);
  ws.qkv.setZero(R, padded(3 * A));
  ws.att.setZero(R, padded(A));
  ws.ff.setZero(R, padded(hp.n_ffwd));
  ws.tmp.setZero(R, C);
  ws.logits.setZero(R, padded(hp.vocab_size));
  ws.scores.setZero(padded(hp.block_size));
  ws.rows = rows;
}

void forward_step(const model::impl& m, step_workspace& ws, const step_row* rows, int n) {
  const auto& hp = m.hp;
  const auto& w = m.w;
  const int C = hp.n_embd, A = hp.n_head * hp.head_size, F = hp.n_ffwd;
  const Index ldx = ws.x.cols(), ldq = ws.qkv.cols(), lda = ws.att.cols(), ldf = ws.ff.cols();
  for (int r = 0; r < n; ++r) {
    float* x = ws.x.data() + r * ldx;
    const float* te = w.tok_emb.data() + rows[r].token * C;
    const float* pe = w.pos_emb.data() + rows[r].pos * C;
    for (int i = 0; i < C; ++i)
      x[i] = te[i] + pe[i];
  }
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const layer_weights& lw = w.layers[l];
    // attention
    for (int r = 0; r < n; ++r)
      layer_norm(ws.x.data() + r * ldx, ws.h.data() + r * ldx, lw.ln1_w.data(), lw.ln1_b.data(), C);
    matmul_rows(ws.h.data(), ldx, n, C, lw.wqkv_t.data(), lw.wqkv_t.cols(), lw.wqkv_t.cols(), nullptr,
                ws.qkv.data(), ldq);
    for (int r = 0; r < n; ++r) {
      const float* qkv = ws.qkv.data() + r * ldq;
      RowMatrix& K = rows[r].cache->k[l];
      RowMatrix& V = rows[r].cache->v[l];
      const int pos = rows[r].pos;
      for (int a = 0; a < A; ++a)
        K(a, pos) = qkv[A + a];
      std::copy(qkv + 2 * A, qkv + 3 * A, V.data() + pos * A);
      attend_row(m, qkv, K.data(), K.cols(), V.data(), V.cols(), pos + 1, ws.scores.data(),
                 ws.att.data() + r * lda);
    }
    matmul_rows(ws.att.data(), lda, n, A, lw.proj_t.data(), lw.proj_t.cols(), lw.proj_t.cols(), lw.proj_b.data(),
                ws.tmp.data(), ldx);
    ws.x.topRows(n) += ws.tmp.topRows(n);
    // MLP
    for (int r = 0; r < n; ++r)
      layer_norm(ws.x.data() + r * ldx, ws.h.data() + r * ldx, lw.ln2_w.data(), lw.ln2_b.data(), C);
    matmul_rows(ws.h.data(), ldx, n, C, lw.fc1_t.data(), lw.fc1_t.cols(), lw.fc1_t.cols(), lw.fc1_b.data(),
                ws.ff.data(), ldf);
    for (int r = 0; r < n; ++r)
      gelu(ws.ff.data() + r * ldf, F, m.variant);
    matmul_rows(ws.ff.data(), ldf, n, F, lw.fc2_t.data(), lw.fc2_t.cols(), lw.fc2_t.cols(), lw.fc2_b.data(),
                ws.tmp.data(), ldx);
    ws.x.topRows(n) += ws.tmp.topRows(n);
  }
  head_rows(m, ws.x.data(), ldx, n, ws.h.data(), ldx, ws.logits.data(), ws.logits.cols());
}

void forward_rows(const model::impl& m, kv_cache& c, rows_scratch& rs, const int* tokens, int r0, int r1,
                  float* logits) {
  const auto& hp = m.hp;
  const auto& w = m.w;
  const int C = hp.n_embd, HS = hp.head_size, A = hp.n_head * HS, F = hp.n_ffwd;
  const Index T = r1 - r0;
  auto X = rs.x.topRows(T);
  for (Index i = 0; i < T; ++i)
    X.row(i) = w.tok_emb.row(tokens[i]) + w.pos_emb.row(r0 + i);
  const std::size_t n_layer = w.layers.size();
  for (std::size_t l = 0; l < n_layer; ++l) {
    const layer_weights& lw = w.layers[l];
    RowMatrix& K = c.k[l];
    RowMatrix& Vc = c.v[l];
    // Rows carried past the K/V projection: all of them, except in the last layer.
    const Index i0 = (l + 1 == n_layer) ? T - 1 : 0;
    const Index Tr = T - i0;
    for (Index i = 0; i < T; ++i)
      layer_norm(&rs.x(i, 0), &rs.h(i, 0), lw.ln1_w.data(), lw.ln1_b.data(), C);
    auto H = rs.h.topRows(T);
    auto QKV = rs.qkv.topRows(T);
    if (i0 == 0) {
      QKV.noalias() = H * lw.wqkv_t.leftCols(3 * A);
    } else { // last layer: K/V for every row, Q only for the last
      QKV.rightCols(2 * A).noalias() = H * lw.wqkv_t.middleCols(A, 2 * A);
      QKV.row(T - 1).head(A).noalias() = H.row(T - 1) * lw.wqkv_t.leftCols(A);
    }
    K.middleCols(r0, T) = QKV.middleCols(A, A).transpose();
    Vc.middleRows(r0, T) = QKV.middleCols(2 * A, A);
    const Index nk = r1; // keys visible to the last row
    for (int h = 0; h < hp.n_head; ++h) {
      auto S = rs.scores.topLeftCorner(Tr, nk);
      S.noalias() = QKV.block(i0, h * HS, Tr, HS) * K.block(h * HS, 0, HS, nk);
      S *= m.attn_scale; // (scaling the product expression itself would allocate a temporary)
      for (Index i = 0; i < Tr; ++i) {
        const Index visible = r0 + i0 + i + 1; // causal: positions <= own position
        softmax(&rs.scores(i, 0), visible);
        if (visible < nk)
          S.row(i).tail(nk - visible).setZero();
      }
      rs.att.block(i0, h * HS, Tr, HS).noalias() = S * Vc.block(0, h * HS, nk, HS);
    }
    auto Xr = rs.x.middleRows(i0, Tr);
    Xr.noalias() += rs.att.middleRows(i0, Tr) * lw.proj_t.leftCols(C);
    Xr.rowwise() += lw.proj_b.head(C).transpose();
    for (Index i = i0; i < T; ++i)
      layer_norm(&rs.x(i, 0), &rs.h(i, 0), lw.ln2_w.data(), lw.ln2_b.data(), C);
    auto FF = rs.ff.middleRows(i0, Tr);
    FF.noalias() = rs.h.middleRows(i0, Tr) * lw.fc1_t.leftCols(F);
    FF.rowwise() += lw.fc1_b.head(F).transpose();
    for (Index i = i0; i < T; ++i)
      gelu(&rs.ff(i, 0), F, m.variant);
    Xr.noalias() += FF * lw.fc2_t.leftCols(C);
    Xr.rowwise() += lw.fc2_b.head(C).transpose();
  }
  head_rows(m, &rs.x(T - 1, 0), rs.x.cols(), 1, rs.hl.data(), rs.hl.cols(), rs.logits.data(), rs.logits.cols());
  std::copy(rs.logits.data(), rs.logits.data() + hp.vocab_size, logits);
}

} // namespace sonnet::model
