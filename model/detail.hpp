#pragma once
// Internal to model/: the Eigen weights, the per-sequence run state and the forward passes.
// Not included by model.hpp, so code outside model/ never compiles Eigen through it.

#include "model/model.hpp"

#include <Eigen/Core>

#include <vector>

namespace sonnet::model {

/// Row-major float matrix: weights keep PyTorch's (out_features, in_features) layout, so a GEMV
/// reads contiguous rows; activations are (positions, features). Declared once, used everywhere.
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using Vector = Eigen::VectorXf;

// Shapes below: C = n_embd, A = n_head * head_size, F = n_ffwd, V = vocab, B = block_size.

/// One transformer block.
struct layer_weights {
  Vector ln1_w, ln1_b;   // (C)
  RowMatrix wqkv;        // (3A, C): rows [0,A) queries of heads 0..H-1, [A,2A) keys, [2A,3A) values
  RowMatrix proj_w;      // (C, A)
  Vector proj_b;         // (C)
  Vector ln2_w, ln2_b;   // (C)
  RowMatrix fc1_w;       // (F, C)
  Vector fc1_b;          // (F)
  RowMatrix fc2_w;       // (C, F)
  Vector fc2_b;          // (C)
};

/// All weights of a checkpoint.
struct weights {
  RowMatrix tok_emb;     // (V, C)
  RowMatrix pos_emb;     // (B, C)
  std::vector<layer_weights> layers;
  Vector lnf_w, lnf_b;   // (C)
  RowMatrix lm_head_w;   // (V, C)
  Vector lm_head_b;      // (V)
};

struct model::impl {
  hparams hp{};
  vocabulary vocab;
  numerics variant = numerics::as_trained;
  std::string path;
  std::string vocab_source;
  weights w;
  float attn_scale = 1.0f;
};

/// KV cache and scratch of one sequence, sized once for block_size rows.
struct run_state {
  std::vector<RowMatrix> k_cache, v_cache; // per layer (B, A)
  // batched pass (rows = positions)
  RowMatrix x, h, qkv, att, ff, scores;    // (B,C) (B,C) (B,3A) (B,A) (B,F) (B,B)
  // single-token pass
  Vector xv, hv, qkvv, attv, ffv, sv;      // (C) (C) (3A) (A) (F) (B)
  Vector logits_v;                         // (V)
  std::vector<float> logits;               // (V), what decoder::logits() hands out
};

void init_run_state(const model::impl& m, run_state& rs);

/// One token at position `pos`, attending to the cached positions [0, pos). Writes K/V at `pos`
/// and the logits of that position to rs.logits. GEMV on the row-major weights.
void forward_token(const model::impl& m, run_state& rs, int token, int pos);

/// Positions [r0, r1) holding `tokens[0 .. r1-r0)`, attending to the cache [0, r0) and causally
/// to each other, as one batched (matrix-matrix) pass. Writes K/V at those positions and the
/// logits of position r1-1 to rs.logits. In the last layer only the last row is carried past
/// the K/V projection (the other rows' outputs are never used).
void forward_rows(const model::impl& m, run_state& rs, const int* tokens, int r0, int r1);

/// Deterministic RNG (xoshiro256**, seeded through splitmix64).
struct rng {
  uint64_t s[4];
  void seed(uint64_t seed);
  uint64_t next_u64();
  double uniform(); // [0, 1)
};

/// Fills `probs` (size of logits) with the sampling distribution; `idx` is scratch.
void fill_distribution(const float* logits, int n, const sampling& s, std::vector<float>& probs,
                       std::vector<int>& idx);
/// Draws from `logits` under `s`.
int sample_token(const float* logits, int n, const sampling& s, rng& r, std::vector<float>& probs,
                 std::vector<int>& idx);

} // namespace sonnet::model
