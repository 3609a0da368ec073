// --- transformer blocks: the forward pass, one token (GEMV + KV cache) or many rows (GEMM) ----
#include "model/detail.hpp"

#include <unsupported/Eigen/SpecialFunctions> // vectorised erf

#include <cmath>
#include <limits>

namespace sonnet::model {

namespace {

using Index = Eigen::Index;

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

void final_logits(const model::impl& m, run_state& rs, const float* x) {
  const auto& w = m.w;
  const int C = m.hp.n_embd;
  layer_norm(x, rs.hv.data(), w.lnf_w.data(), w.lnf_b.data(), C);
  rs.logits_v.noalias() = w.lm_head_w * rs.hv;
  rs.logits_v += w.lm_head_b;
  rs.logits.assign(rs.logits_v.data(), rs.logits_v.data() + rs.logits_v.size());
}

} // namespace

void init_run_state(const model::impl& m, run_state& rs) {
  const auto& hp = m.hp;
  const Index B = hp.block_size, C = hp.n_embd, A = hp.n_head * hp.head_size, F = hp.n_ffwd;
  rs.k_cache.assign(static_cast<std::size_t>(hp.n_layer), RowMatrix::Zero(B, A));
  rs.v_cache.assign(static_cast<std::size_t>(hp.n_layer), RowMatrix::Zero(B, A));
  rs.x.setZero(B, C);
  rs.h.setZero(B, C);
  rs.qkv.setZero(B, 3 * A);
  rs.att.setZero(B, A);
  rs.ff.setZero(B, F);
  rs.scores.setZero(B, B);
  rs.xv.setZero(C);
  rs.hv.setZero(C);
  rs.qkvv.setZero(3 * A);
  rs.attv.setZero(A);
  rs.ffv.setZero(F);
  rs.sv.setZero(B);
  rs.logits_v.setZero(hp.vocab_size);
  rs.logits.assign(static_cast<std::size_t>(hp.vocab_size), 0.f);
}

void forward_token(const model::impl& m, run_state& rs, int token, int pos) {
  const auto& hp = m.hp;
  const auto& w = m.w;
  const int C = hp.n_embd, HS = hp.head_size, A = hp.n_head * HS;
  const Index n = pos + 1; // keys visible to this position
  rs.xv = w.tok_emb.row(token).transpose() + w.pos_emb.row(pos).transpose();
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const layer_weights& lw = w.layers[l];
    RowMatrix& K = rs.k_cache[l];
    RowMatrix& Vc = rs.v_cache[l];
    // attention
    layer_norm(rs.xv.data(), rs.hv.data(), lw.ln1_w.data(), lw.ln1_b.data(), C);
    rs.qkvv.noalias() = lw.wqkv * rs.hv;
    K.row(pos) = rs.qkvv.segment(A, A).transpose();
    Vc.row(pos) = rs.qkvv.segment(2 * A, A).transpose();
    for (int h = 0; h < hp.n_head; ++h) {
      auto s = rs.sv.head(n);
      s.noalias() = K.block(0, h * HS, n, HS) * rs.qkvv.segment(h * HS, HS);
      s *= m.attn_scale;
      softmax(s.data(), n);
      rs.attv.segment(h * HS, HS).noalias() = Vc.block(0, h * HS, n, HS).transpose() * s;
    }
    rs.xv.noalias() += lw.proj_w * rs.attv;
    rs.xv += lw.proj_b;
    // MLP
    layer_norm(rs.xv.data(), rs.hv.data(), lw.ln2_w.data(), lw.ln2_b.data(), C);
    rs.ffv.noalias() = lw.fc1_w * rs.hv;
    rs.ffv += lw.fc1_b;
    gelu(rs.ffv.data(), rs.ffv.size(), m.variant);
    rs.xv.noalias() += lw.fc2_w * rs.ffv;
    rs.xv += lw.fc2_b;
  }
  final_logits(m, rs, rs.xv.data());
}

void forward_rows(const model::impl& m, run_state& rs, const int* tokens, int r0, int r1) {
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
    RowMatrix& K = rs.k_cache[l];
    RowMatrix& Vc = rs.v_cache[l];
    // Rows carried past the K/V projection: all of them, except in the last layer.
    const Index i0 = (l + 1 == n_layer) ? T - 1 : 0;
    const Index Tr = T - i0;
    for (Index i = 0; i < T; ++i)
      layer_norm(&rs.x(i, 0), &rs.h(i, 0), lw.ln1_w.data(), lw.ln1_b.data(), C);
    auto H = rs.h.topRows(T);
    auto QKV = rs.qkv.topRows(T);
    if (i0 == 0) {
      QKV.noalias() = H * lw.wqkv.transpose();
    } else { // last layer: K/V for every row, Q only for the last
      QKV.rightCols(2 * A).noalias() = H * lw.wqkv.bottomRows(2 * A).transpose();
      QKV.row(T - 1).head(A).noalias() = H.row(T - 1) * lw.wqkv.topRows(A).transpose();
    }
    K.middleRows(r0, T) = QKV.middleCols(A, A);
    Vc.middleRows(r0, T) = QKV.middleCols(2 * A, A);
    const Index nk = r1; // keys visible to the last row
    for (int h = 0; h < hp.n_head; ++h) {
      auto S = rs.scores.topLeftCorner(Tr, nk);
      S.noalias() = QKV.block(i0, h * HS, Tr, HS) * K.block(0, h * HS, nk, HS).transpose();
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
    Xr.noalias() += rs.att.middleRows(i0, Tr) * lw.proj_w.transpose();
    Xr.rowwise() += lw.proj_b.transpose();
    for (Index i = i0; i < T; ++i)
      layer_norm(&rs.x(i, 0), &rs.h(i, 0), lw.ln2_w.data(), lw.ln2_b.data(), C);
    auto FF = rs.ff.middleRows(i0, Tr);
    FF.noalias() = rs.h.middleRows(i0, Tr) * lw.fc1_w.transpose();
    FF.rowwise() += lw.fc1_b.transpose();
    for (Index i = i0; i < T; ++i)
      gelu(&rs.ff(i, 0), F, m.variant);
    Xr.noalias() += FF * lw.fc2_w.transpose();
    Xr.rowwise() += lw.fc2_b.transpose();
  }
  final_logits(m, rs, &rs.x(T - 1, 0));
}

} // namespace sonnet::model
