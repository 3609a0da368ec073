// The NanoGPT char model for training: forward with saved activations, backward, cross-entropy.
// Notation: N = b*T rows (b windows of T chars), C = n_embd, H heads of HS = C/H, F = 4C, V.
// Row-major matrices; a Linear(in, out) is y = x W^T + bias with W (out, in), as in PyTorch.
#include "train/train.hpp"

#include "train/gemm.hpp"

#include <Eigen/Dense>
#include <unsupported/Eigen/SpecialFunctions>

#include <cmath>
#include <limits>

namespace sonnet::train {

namespace {

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using Col = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <class T>
using Row = Eigen::Matrix<T, 1, Eigen::Dynamic>;
template <class T>
using CMap = Eigen::Map<const Mat<T>>;
template <class T>
using MMap = Eigen::Map<Mat<T>>;
template <class T>
using CRow = Eigen::Map<const Row<T>>;
template <class T>
using MRow = Eigen::Map<Row<T>>;

constexpr double ln_eps = 1e-5;

// out[j] += sum over rows of m(n, j), row after row: the same rounding wherever `out` lies.
template <class T, class M>
void add_column_sums(const M& m, T* out) {
  for (Eigen::Index n = 0; n < m.rows(); ++n) {
    const T* row = &m.coeffRef(n, 0);
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      out[j] += row[j];
  }
}

// Dropout masks: xoshiro256** per window, seeded through splitmix64 from (seed, stream).
struct mask_rng {
  uint64_t s[4];
  static uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  mask_rng(uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
    for (auto& w : s)
      w = splitmix(x);
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    const uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
  }
  // n multipliers: 0 with probability p, else 1/(1-p); two 32-bit draws per 64-bit output.
  template <class T>
  void fill(T* out, std::size_t n, double p) {
    const auto threshold = static_cast<uint64_t>(p * 4294967296.0);
    const T keep = static_cast<T>(1.0 / (1.0 - p));
    std::size_t i = 0;
    for (; i + 1 < n; i += 2) {
      const uint64_t r = next();
      out[i] = (r & 0xffffffffULL) >= threshold ? keep : T(0);
      out[i + 1] = (r >> 32) >= threshold ? keep : T(0);
    }
    if (i < n)
      out[i] = (next() & 0xffffffffULL) >= threshold ? keep : T(0);
  }
};

struct layer_offsets {
  std::size_t ln1_w, ln1_b, wqkv, proj_w, proj_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
};

// Exact GELU (erf form, nn.GELU's default) and its derivative.
template <class T>
void gelu_forward(const Mat<T>& u, Mat<T>& g) {
  const T r2 = static_cast<T>(0.70710678118654752440);
  g.array() = T(0.5) * u.array() * (T(1) + (u.array() * r2).erf());
}
template <class T>
void gelu_backward(const Mat<T>& u, Mat<T>& d) { // d <- d * gelu'(u)
  const T r2 = static_cast<T>(0.70710678118654752440),
          inv_sqrt_2pi = static_cast<T>(0.39894228040143267794);
  d.array() *= T(0.5) * (T(1) + (u.array() * r2).erf())
               + u.array() * inv_sqrt_2pi * (T(-0.5) * u.array().square()).exp();
}

// h = LN(x) * g + b; keeps xhat and 1/std for the backward pass.
template <class T>
void layer_norm(const Mat<T>& x, const T* g, const T* b, Mat<T>& xhat, Col<T>& rstd, Mat<T>& h) {
  const auto C = x.cols();
  xhat = x.colwise() - x.rowwise().mean();
  rstd =
    ((xhat.rowwise().squaredNorm() / static_cast<T>(C)).array() + static_cast<T>(ln_eps)).rsqrt();
  xhat.array().colwise() *= rstd.array();
  h.array() = (xhat.array().rowwise() * CRow<T>(g, C).array()).rowwise() + CRow<T>(b, C).array();
}

// dx += LN'(dh); dg, db accumulate.
template <class T>
void layer_norm_backward(const Mat<T>& dh, const Mat<T>& xhat, const Col<T>& rstd, const T* g,
                         T* dg, T* db, Mat<T>& scratch, Mat<T>& dx) {
  const auto C = dh.cols();
  scratch.array() = dh.array() * xhat.array();
  add_column_sums(scratch, dg);
  add_column_sums(dh, db);
  scratch.array() = dh.array().rowwise() * CRow<T>(g, C).array();
  const Col<T> m1 = scratch.rowwise().mean();
  const Col<T> m2 = (scratch.array() * xhat.array()).rowwise().mean();
  scratch.colwise() -= m1;
  scratch.array() -= xhat.array().colwise() * m2.array();
  dx.array() += scratch.array().colwise() * rstd.array();
}

} // namespace

template <class T>
struct network<T>::impl {
  shape s;
  T scale;
  int b = 0; // windows the buffers hold
  std::size_t tok_emb, pos_emb, lnf_w, lnf_b, lm_w, lm_b;
  std::vector<layer_offsets> off;

  struct saved {
    Mat<T> xhat1, h1, qkv, att, xhat2, h2, u, g;
    Col<T> rstd1, rstd2;
    Mat<T> p; // (b*H*T, T) attention probabilities, by window then head
    Mat<T> mask_att, mask_proj, mask_ffwd; // dropout multipliers (empty without dropout)
  };
  std::vector<saved> L;
  Mat<T> x, xhatf, hf, logits, dx, dh, dqkv, datt, dff, scratch, pd, dp;
  Col<T> rstdf;
  std::vector<T> pack; // gemm's panels

  // Y (N x out) = X W^T: the forward product of a Linear, W (out, in) row-major.
  void linear(const Mat<T>& X, const T* W, long out, Mat<T>& Y) {
    gemm<T>(X.rows(), out, X.cols(), {X.data(), X.cols(), 1}, {W, 1, X.cols()}, Y.data(), out,
            false, pack);
  }
  // dX (N x in) = dY W.
  void linear_dx(const Mat<T>& dY, const T* W, long in, Mat<T>& dX) {
    gemm<T>(dY.rows(), in, dY.cols(), {dY.data(), dY.cols(), 1}, {W, in, 1}, dX.data(), in, false,
            pack);
  }
  // dW (out x in) += dY^T X.
  void linear_dw(const Mat<T>& dY, const Mat<T>& X, T* dW) {
    gemm<T>(dY.cols(), X.cols(), dY.rows(), {dY.data(), 1, dY.cols()}, {X.data(), X.cols(), 1}, dW,
            X.cols(), true, pack);
  }

  impl(const shape& sh, double attn_scale) : s(sh), scale(static_cast<T>(attn_scale)) {
    const auto t = layout(s);
    auto at = [&](const std::string& name) {
      for (const auto& ti : t)
        if (ti.name == name)
          return ti.offset;
      throw std::logic_error("no tensor " + name);
    };
    tok_emb = at("embedding_table.weight");
    pos_emb = at("position_embedding_table.weight");
    for (int l = 0; l < s.n_layer; ++l) {
      const std::string p = "blocks." + std::to_string(l) + ".";
      off.push_back({at(p + "ln1.weight"), at(p + "ln1.bias"), at(p + "sa.query"),
                     at(p + "sa.proj.weight"), at(p + "sa.proj.bias"), at(p + "ln2.weight"),
                     at(p + "ln2.bias"), at(p + "ffwd.net.0.weight"), at(p + "ffwd.net.0.bias"),
                     at(p + "ffwd.net.2.weight"), at(p + "ffwd.net.2.bias")});
    }
    lnf_w = at("ln_f.weight");
    lnf_b = at("ln_f.bias");
    lm_w = at("lm_head.weight");
    lm_b = at("lm_head.bias");
    L.resize(static_cast<std::size_t>(s.n_layer));
  }

  void reserve(int nb, bool dropout) {
    const Eigen::Index T_ = s.block_size, N = nb * T_, C = s.n_embd, F = s.n_ffwd(), H = s.n_head;
    if (nb != b) {
      for (auto& l : L) {
        for (Mat<T>* m : {&l.xhat1, &l.h1, &l.att, &l.xhat2, &l.h2})
          m->resize(N, C);
        l.qkv.resize(N, 3 * C);
        l.u.resize(N, F);
        l.g.resize(N, F);
        l.rstd1.resize(N);
        l.rstd2.resize(N);
        l.p.resize(nb * H * T_, T_);
      }
      for (Mat<T>* m : {&x, &xhatf, &hf, &dx, &dh, &datt, &scratch})
        m->resize(N, C);
      logits.resize(N, s.vocab_size);
      dqkv.resize(N, 3 * C);
      dff.resize(N, F);
      pd.resize(T_, T_);
      dp.resize(T_, T_);
      rstdf.resize(N);
      b = nb;
    }
    if (dropout)
      for (auto& l : L) {
        l.mask_att.resize(nb * H * T_, T_);
        l.mask_proj.resize(N, C);
        l.mask_ffwd.resize(N, C);
      }
  }

  double run(const T* P, const uint8_t* xs, const uint8_t* ys, int nb, T* G, double grad_scale,
             double dropout, uint64_t seed, uint64_t stream) {
    const int T_ = s.block_size, C = s.n_embd, H = s.n_head, HS = s.head_size(), F = s.n_ffwd(),
              V = s.vocab_size;
    const Eigen::Index N = static_cast<Eigen::Index>(nb) * T_;
    const bool drop = dropout > 0 && G != nullptr;
    reserve(nb, drop);
    if (drop)
      for (int w = 0; w < nb; ++w) {
        mask_rng r(seed, stream + static_cast<uint64_t>(w));
        for (auto& l : L) {
          r.fill(l.mask_att.data() + static_cast<std::size_t>(w) * H * T_ * T_,
                 static_cast<std::size_t>(H) * T_ * T_, dropout);
          r.fill(l.mask_proj.data() + static_cast<std::size_t>(w) * T_ * C,
                 static_cast<std::size_t>(T_) * C, dropout);
          r.fill(l.mask_ffwd.data() + static_cast<std::size_t>(w) * T_ * C,
                 static_cast<std::size_t>(T_) * C, dropout);
        }
      }

    // --- forward ---
    for (Eigen::Index n = 0; n < N; ++n)
      x.row(n) = CRow<T>(P + tok_emb + static_cast<std::size_t>(xs[n]) * C, C)
                 + CRow<T>(P + pos_emb + static_cast<std::size_t>(n % T_) * C, C);
    for (int l = 0; l < s.n_layer; ++l) {
      auto& S = L[static_cast<std::size_t>(l)];
      const auto& o = off[static_cast<std::size_t>(l)];
      layer_norm<T>(x, P + o.ln1_w, P + o.ln1_b, S.xhat1, S.rstd1, S.h1);
      linear(S.h1, P + o.wqkv, 3 * C, S.qkv);
      for (int w = 0; w < nb; ++w)
        for (int h = 0; h < H; ++h) {
          const auto r0 = static_cast<Eigen::Index>(w) * T_;
          auto q = S.qkv.block(r0, h * HS, T_, HS);
          auto k = S.qkv.block(r0, C + h * HS, T_, HS);
          auto v = S.qkv.block(r0, 2 * C + h * HS, T_, HS);
          auto p = S.p.block((static_cast<Eigen::Index>(w) * H + h) * T_, 0, T_, T_);
          p.noalias() = q * k.transpose();
          for (int i = 0; i < T_; ++i) {
            auto row = p.row(i).head(i + 1).array();
            row *= scale;
            row = (row - row.maxCoeff()).exp();
            row /= row.sum();
            if (i + 1 < T_)
              p.row(i).tail(T_ - i - 1).setZero();
          }
          auto out = S.att.block(r0, h * HS, T_, HS);
          if (drop) {
            pd.array() =
              p.array()
              * S.mask_att.block((static_cast<Eigen::Index>(w) * H + h) * T_, 0, T_, T_).array();
            out.noalias() = pd * v;
          } else {
            out.noalias() = p * v;
          }
        }
      // x += dropout(att W_proj^T + b)
      linear(S.att, P + o.proj_w, C, scratch);
      scratch.rowwise() += CRow<T>(P + o.proj_b, C);
      if (drop)
        scratch.array() *= S.mask_proj.array();
      x += scratch;
      layer_norm<T>(x, P + o.ln2_w, P + o.ln2_b, S.xhat2, S.rstd2, S.h2);
      linear(S.h2, P + o.fc1_w, F, S.u);
      S.u.rowwise() += CRow<T>(P + o.fc1_b, F);
      gelu_forward<T>(S.u, S.g);
      linear(S.g, P + o.fc2_w, C, scratch);
      scratch.rowwise() += CRow<T>(P + o.fc2_b, C);
      if (drop)
        scratch.array() *= S.mask_ffwd.array();
      x += scratch;
    }
    layer_norm<T>(x, P + lnf_w, P + lnf_b, xhatf, rstdf, hf);
    linear(hf, P + lm_w, V, logits);
    logits.rowwise() += CRow<T>(P + lm_b, V);

    // --- cross-entropy; logits become d(loss)/d(logits) * grad_scale ---
    double loss = 0;
    for (Eigen::Index n = 0; n < N; ++n) {
      auto row = logits.row(n).array();
      const T mx = row.maxCoeff();
      row = (row - mx).exp();
      const T sum = row.sum();
      const int y = ys[n];
      loss += std::log(static_cast<double>(sum)) - std::log(static_cast<double>(row(y)));
      if (G) {
        row *= static_cast<T>(grad_scale) / sum;
        row(y) -= static_cast<T>(grad_scale);
      }
    }
    if (!G)
      return loss;

    // --- backward ---
    linear_dw(logits, hf, G + lm_w);
    add_column_sums(logits, G + lm_b);
    linear_dx(logits, P + lm_w, C, dh);
    dx.setZero();
    layer_norm_backward<T>(dh, xhatf, rstdf, P + lnf_w, G + lnf_w, G + lnf_b, scratch, dx);
    for (int l = s.n_layer - 1; l >= 0; --l) {
      auto& S = L[static_cast<std::size_t>(l)];
      const auto& o = off[static_cast<std::size_t>(l)];
      // feed-forward: x = xmid + drop(gelu(LN2(xmid) W1^T + b1) W2^T + b2)
      if (drop)
        dh.array() = dx.array() * S.mask_ffwd.array();
      else
        dh = dx;
      linear_dw(dh, S.g, G + o.fc2_w);
      add_column_sums(dh, G + o.fc2_b);
      linear_dx(dh, P + o.fc2_w, F, dff);
      gelu_backward<T>(S.u, dff);
      linear_dw(dff, S.h2, G + o.fc1_w);
      add_column_sums(dff, G + o.fc1_b);
      linear_dx(dff, P + o.fc1_w, C, dh);
      layer_norm_backward<T>(dh, S.xhat2, S.rstd2, P + o.ln2_w, G + o.ln2_w, G + o.ln2_b, scratch,
                             dx);
      // attention: xmid = x_in + drop(att W_proj^T + b)
      if (drop)
        dh.array() = dx.array() * S.mask_proj.array();
      else
        dh = dx;
      linear_dw(dh, S.att, G + o.proj_w);
      add_column_sums(dh, G + o.proj_b);
      linear_dx(dh, P + o.proj_w, C, datt);
      for (int w = 0; w < nb; ++w)
        for (int h = 0; h < H; ++h) {
          const auto r0 = static_cast<Eigen::Index>(w) * T_;
          const auto pr = (static_cast<Eigen::Index>(w) * H + h) * T_;
          auto q = S.qkv.block(r0, h * HS, T_, HS);
          auto k = S.qkv.block(r0, C + h * HS, T_, HS);
          auto v = S.qkv.block(r0, 2 * C + h * HS, T_, HS);
          auto p = S.p.block(pr, 0, T_, T_);
          auto d_out = datt.block(r0, h * HS, T_, HS);
          // out = (p .* mask) v
          if (drop) {
            auto m = S.mask_att.block(pr, 0, T_, T_);
            pd.array() = p.array() * m.array();
            dqkv.block(r0, 2 * C + h * HS, T_, HS).noalias() = pd.transpose() * d_out;
            dp.noalias() = d_out * v.transpose();
            dp.array() *= m.array();
          } else {
            dqkv.block(r0, 2 * C + h * HS, T_, HS).noalias() = p.transpose() * d_out;
            dp.noalias() = d_out * v.transpose();
          }
          // softmax: ds = p .* (dp - rowsum(p .* dp)); masked entries have p = 0
          const Col<T> dot = (p.array() * dp.array()).rowwise().sum();
          dp.array() = p.array() * (dp.array().colwise() - dot.array()) * scale;
          dqkv.block(r0, h * HS, T_, HS).noalias() = dp * k;
          dqkv.block(r0, C + h * HS, T_, HS).noalias() = dp.transpose() * q;
        }
      linear_dw(dqkv, S.h1, G + o.wqkv);
      linear_dx(dqkv, P + o.wqkv, C, dh);
      layer_norm_backward<T>(dh, S.xhat1, S.rstd1, P + o.ln1_w, G + o.ln1_w, G + o.ln1_b, scratch,
                             dx);
    }
    for (Eigen::Index n = 0; n < N; ++n) {
      MRow<T>(G + tok_emb + static_cast<std::size_t>(xs[n]) * C, C) += dx.row(n);
      MRow<T>(G + pos_emb + static_cast<std::size_t>(n % T_) * C, C) += dx.row(n);
    }
    return loss;
  }
};

template <class T>
network<T>::network(const shape& s, double attn_scale) : p_(new impl(s, attn_scale)) {}
template <class T>
network<T>::~network() {
  delete p_;
}
template <class T>
network<T>::network(network&& o) noexcept : p_(o.p_) {
  o.p_ = nullptr;
}
template <class T>
double network<T>::run(const T* params, const uint8_t* x, const uint8_t* y, int b, T* grad,
                       double grad_scale, double dropout, uint64_t seed, uint64_t stream) {
  return p_->run(params, x, y, b, grad, grad_scale, dropout, seed, stream);
}

template class network<float>;
template class network<double>;

} // namespace sonnet::train
