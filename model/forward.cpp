// --- transformer blocks: the forward pass of many rows at once (forward_step) ----------------------
//
// A row is one position of one sequence: the newest token of a sequence, or one position of a
// window recomputed after a slide. All rows of a step go through one matrix-matrix product per
// weight matrix, so the weights are read once per step, not once per sequence.
//
// Bit-identity across batch compositions: every row is computed by per-row code (layer norm,
// attention, GELU on rows of identical alignment) except the weight products, which go through
// matmul_packed below. It computes each output y[r][o] as ONE chain
//   acc = bias[o]; for k = 0 .. K-1: acc = fma(x[r][k], W[k][o], acc)
// in one SIMD lane, whatever the tile it lands in. So a sequence's logits do not depend on how
// many other rows share the step, nor on their order; decoder and batch_decoder produce the
// same text for the same seed by construction.
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
static_assert(packed_matrix::width == PS, "the kernel loads one packet column per packet");

// --- the weight-product kernel --------------------------------------------------------------------

// Y[r][0 .. P*PS) = bias + X[r][0 .. K) * W for RB rows and P packet columns of a packed matrix
// (packet p at W + p*wstride, K rows of PS floats): RB*P accumulator registers, one broadcast of
// x[r][k] and P loads per k.
template <int RB, int P>
void mm_tile(const float* X, Index ldx, Index K, const float* W, Index wstride, const float* bias,
             float* Y, Index ldy) {
  Packet acc[RB][P];
  for (int p = 0; p < P; ++p) {
    const Packet b = bias ? ei::ploadu<Packet>(bias + p * PS) : ei::pset1<Packet>(0.f);
    for (int r = 0; r < RB; ++r)
      acc[r][p] = b;
  }
  for (Index k = 0; k < K; ++k) {
    Packet w[P];
    for (int p = 0; p < P; ++p)
      w[p] = ei::pload<Packet>(W + p * wstride + k * PS);
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
void mm_tile_p(int P, const float* X, Index ldx, Index K, const float* W, Index wstride,
               const float* bias, float* Y, Index ldy) {
  switch (P) {
  case 1:
    return mm_tile<RB, 1>(X, ldx, K, W, wstride, bias, Y, ldy);
  case 2:
    return mm_tile<RB, 2>(X, ldx, K, W, wstride, bias, Y, ldy);
  case 3:
    return mm_tile<RB, 3>(X, ldx, K, W, wstride, bias, Y, ldy);
  default:
    return mm_tile<RB, 4>(X, ldx, K, W, wstride, bias, Y, ldy);
  }
}

/// Y[r] = bias + X[r] W for rows [0, R), every output of W. Groups of 4 packet columns outside
/// (32 KB of W for K = 128, kept in L1), blocks of 6 rows inside: 24 accumulators of AVX-512's
/// 32 registers. Every output is the same FMA chain over k whatever R is (see the file comment).
void matmul_packed(const float* X, Index ldx, Index R, const packed_matrix& W, const float* bias,
                   float* Y, Index ldy) {
  constexpr int RB = 6, PMAX = 4;
  const Index K = W.K, wstride = K * PS, packets = W.N / PS;
  for (Index j = 0; j < packets; j += PMAX) {
    const int P = static_cast<int>(std::min<Index>(PMAX, packets - j));
    const float* w = W.packet(j);
    const float* b = bias ? bias + j * PS : nullptr;
    Index r = 0;
    for (; r + RB <= R; r += RB)
      mm_tile_p<RB>(P, X + r * ldx, ldx, K, w, wstride, b, Y + r * ldy + j * PS, ldy);
    const float* x = X + r * ldx;
    float* y = Y + r * ldy + j * PS;
    switch (R - r) {
    case 0:
      break;
    case 1:
      mm_tile_p<1>(P, x, ldx, K, w, wstride, b, y, ldy);
      break;
    case 2:
      mm_tile_p<2>(P, x, ldx, K, w, wstride, b, y, ldy);
      break;
    case 3:
      mm_tile_p<3>(P, x, ldx, K, w, wstride, b, y, ldy);
      break;
    case 4:
      mm_tile_p<4>(P, x, ldx, K, w, wstride, b, y, ldy);
      break;
    default:
      mm_tile_p<5>(P, x, ldx, K, w, wstride, b, y, ldy);
      break;
    }
  }
}

// --- per-row pieces -------------------------------------------------------------------------------

// Sum of n floats (n a multiple of PS) in four packet chains, added in a fixed order.
inline float sum_packets(const float* x, int n) {
  Packet acc[4] = {ei::pset1<Packet>(0.f), ei::pset1<Packet>(0.f), ei::pset1<Packet>(0.f),
                   ei::pset1<Packet>(0.f)};
  for (int i = 0; i < n; i += PS)
    acc[(i / PS) & 3] = ei::padd(acc[(i / PS) & 3], ei::ploadu<Packet>(x + i));
  return ei::predux(ei::padd(ei::padd(acc[0], acc[1]), ei::padd(acc[2], acc[3])));
}

// y = (x - mean) / sqrt(var + 1e-5) * w + b over one row of n features (population variance).
// Packets when n is whole packets (scalar tail otherwise); y's row has room for padded(n).
inline void layer_norm(const float* x, float* y, const float* w, const float* b, int n) {
  const int nv = n / PS * PS;
  float sum = sum_packets(x, nv);
  for (int i = nv; i < n; ++i)
    sum += x[i];
  const float mean = sum / static_cast<float>(n);
  const Packet pm = ei::pset1<Packet>(mean);
  for (int i = 0; i < nv; i += PS) {
    const Packet d = ei::psub(ei::ploadu<Packet>(x + i), pm);
    ei::pstoreu(y + i, ei::pmul(d, d)); // y as scratch for the squares
  }
  float var = sum_packets(y, nv);
  for (int i = nv; i < n; ++i)
    var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(var + 1e-5f);
  const Packet pinv = ei::pset1<Packet>(inv);
  for (int i = 0; i < nv; i += PS) {
    const Packet d = ei::psub(ei::ploadu<Packet>(x + i), pm);
    ei::pstoreu(y + i,
                ei::pmadd(ei::pmul(d, pinv), ei::ploadu<Packet>(w + i), ei::ploadu<Packet>(b + i)));
  }
  for (int i = nv; i < n; ++i)
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

// out[c .. c + G*PS) = sum_j p[j] * V[j][c ..]: positions j mod 4 in four chains per packet (4G
// independent FMA chains), added at the end in a fixed order that depends only on n.
template <int G>
inline void weighted_values(const float* p, const float* v, Index ldv, int n, float* out) {
  Packet acc[4][G];
  for (int c = 0; c < 4; ++c)
    for (int g = 0; g < G; ++g)
      acc[c][g] = ei::pset1<Packet>(0.f);
  int j = 0;
  for (; j + 4 <= n; j += 4)
    for (int c = 0; c < 4; ++c) {
      const Packet pj = ei::pset1<Packet>(p[j + c]);
      for (int g = 0; g < G; ++g)
        acc[c][g] = ei::pmadd(pj, ei::ploadu<Packet>(v + (j + c) * ldv + g * PS), acc[c][g]);
    }
  for (; j < n; ++j) {
    const Packet pj = ei::pset1<Packet>(p[j]);
    for (int g = 0; g < G; ++g)
      acc[0][g] = ei::pmadd(pj, ei::ploadu<Packet>(v + j * ldv + g * PS), acc[0][g]);
  }
  for (int g = 0; g < G; ++g)
    ei::pstoreu(out + g * PS,
                ei::padd(ei::padd(acc[0][g], acc[1][g]), ei::padd(acc[2][g], acc[3][g])));
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
      case 1:
        score_packets<1>(qh, kh, ldk, HS, j0, m.attn_scale, scores);
        break;
      case 2:
        score_packets<2>(qh, kh, ldk, HS, j0, m.attn_scale, scores);
        break;
      case 3:
        score_packets<3>(qh, kh, ldk, HS, j0, m.attn_scale, scores);
        break;
      default:
        score_packets<4>(qh, kh, ldk, HS, j0, m.attn_scale, scores);
        break;
      }
    }
    softmax(scores, n);
    float* oh = out + h * HS;
    const float* vh = V + h * HS;
    int c = 0;
    for (; c + 2 * PS <= HS; c += 2 * PS)
      weighted_values<2>(scores, vh + c, ldv, n, oh + c);
    for (; c + PS <= HS; c += PS)
      weighted_values<1>(scores, vh + c, ldv, n, oh + c);
    for (; c < HS; ++c) {
      float a = 0.f;
      for (int j = 0; j < n; ++j)
        a += scores[j] * vh[j * ldv + c];
      oh[c] = a;
    }
  }
}

// Final layer norm and lm_head of `rows` rows of x into `logits`.
void head_rows(const model::impl& m, const float* x, Index ldx, int rows, float* h, Index ldh,
               float* logits, Index ldl) {
  const auto& w = m.w;
  const int C = m.hp.n_embd;
  for (int r = 0; r < rows; ++r)
    layer_norm(x + r * ldx, h + r * ldh, w.lnf_w.data(), w.lnf_b.data(), C);
  matmul_packed(h, ldh, rows, w.lm_head, w.lm_head_b.data(), logits, ldl);
}

} // namespace

Index packed_matrix::floats(Index out_features, Index in_features) {
  return padded(out_features) * in_features;
}

packed_matrix packed_matrix::over(float* storage, Index out_features, Index in_features) {
  packed_matrix p;
  p.K = in_features;
  p.N = padded(out_features);
  p.data = storage;
  return p;
}

void packed_matrix::pack_rows(Index o0, const float* w, Index rows) {
  for (Index o = o0; o < o0 + rows; ++o, w += K) {
    float* col = data + (o / width) * K * width + o % width;
    for (Index k = 0; k < K; ++k)
      col[k * width] = w[k];
  }
}

Index kv_cache_floats(const model::impl& m) {
  const auto& hp = m.hp;
  const Index B = hp.block_size, A = hp.n_head * hp.head_size;
  return hp.n_layer * (A * padded(B) + padded(B * A));
}

void init_kv_cache(const model::impl& m, kv_cache& c, float* storage) {
  const auto& hp = m.hp;
  const Index B = hp.block_size, A = hp.n_head * hp.head_size;
  c.ldk = padded(B);
  c.k.resize(static_cast<std::size_t>(hp.n_layer));
  c.v.resize(static_cast<std::size_t>(hp.n_layer));
  for (std::size_t l = 0; l < c.k.size(); ++l) {
    c.k[l] = storage;
    storage += A * c.ldk;
    c.v[l] = storage;
    storage += padded(B * A);
  }
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
  int live = n; // rows carried through the rest of the layer
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const layer_weights& lw = w.layers[l];
    const bool last = l + 1 == w.layers.size();
    // attention
    for (int r = 0; r < live; ++r)
      layer_norm(ws.x.data() + r * ldx, ws.h.data() + r * ldx, lw.ln1_w.data(), lw.ln1_b.data(), C);
    matmul_packed(ws.h.data(), ldx, live, lw.wqkv, nullptr, ws.qkv.data(), ldq);
    int kept = 0;
    for (int r = 0; r < live; ++r) {
      const float* qkv = ws.qkv.data() + r * ldq;
      const kv_cache& c = *rows[r].cache;
      float* K = c.k[l];
      float* V = c.v[l];
      const int pos = rows[r].pos;
      for (int a = 0; a < A; ++a)
        K[a * c.ldk + pos] = qkv[A + a];
      std::copy(qkv + 2 * A, qkv + 3 * A, V + pos * A);
      if (last && !rows[r].head)
        continue; // its K/V is all later rows need of it
      attend_row(m, qkv, K, c.ldk, V, A, pos + 1, ws.scores.data(), ws.att.data() + r * lda);
      if (last && kept != r) { // rows that go on, packed to the front in order
        std::copy(ws.att.data() + r * lda, ws.att.data() + r * lda + A, ws.att.data() + kept * lda);
        std::copy(ws.x.data() + r * ldx, ws.x.data() + r * ldx + C, ws.x.data() + kept * ldx);
      }
      ++kept;
    }
    live = kept;
    matmul_packed(ws.att.data(), lda, live, lw.proj, lw.proj_b.data(), ws.tmp.data(), ldx);
    ws.x.topRows(live) += ws.tmp.topRows(live);
    // MLP
    for (int r = 0; r < live; ++r)
      layer_norm(ws.x.data() + r * ldx, ws.h.data() + r * ldx, lw.ln2_w.data(), lw.ln2_b.data(), C);
    matmul_packed(ws.h.data(), ldx, live, lw.fc1, lw.fc1_b.data(), ws.ff.data(), ldf);
    for (int r = 0; r < live; ++r)
      gelu(ws.ff.data() + r * ldf, F, m.variant);
    matmul_packed(ws.ff.data(), ldf, live, lw.fc2, lw.fc2_b.data(), ws.tmp.data(), ldx);
    ws.x.topRows(live) += ws.tmp.topRows(live);
  }
  head_rows(m, ws.x.data(), ldx, live, ws.h.data(), ldx, ws.logits.data(), ws.logits.cols());
}

} // namespace sonnet::model
