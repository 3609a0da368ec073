#pragma once
// Internal to model/: the Eigen weights, the per-sequence run state and the forward passes.
// Not included by model.hpp, so code outside model/ never compiles Eigen through it.

#include "model/model.hpp"

#include <Eigen/Core>

#include <string_view>
#include <vector>

namespace sonnet::model {

/// Row-major float matrix: weights keep PyTorch's (out_features, in_features) layout, so a GEMV
/// reads contiguous rows; activations are (positions, features). Declared once, used everywhere.
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using Vector = Eigen::VectorXf;

// Shapes below: C = n_embd, A = n_head * head_size, F = n_ffwd, V = vocab, B = block_size.
// Weight matrices are stored TRANSPOSED, (in_features, out_features padded to a multiple of
// pad_floats with zero columns), so the token kernel (matmul_rows in forward.cpp) computes
// every output as one FMA chain over the inputs in a fixed order: the same bits whatever the
// number of rows in the batch. Biases are padded with zeros alike.

/// Output widths are padded to a multiple of this many floats (one AVX-512 register).
constexpr int pad_floats = 16;
inline Eigen::Index padded(Eigen::Index n) { return (n + pad_floats - 1) / pad_floats * pad_floats; }

/// One transformer block.
struct layer_weights {
  Vector ln1_w, ln1_b;   // (C)
  RowMatrix wqkv_t;      // (C, pad 3A): cols [0,A) queries of heads 0..H-1, [A,2A) keys, [2A,3A) values
  RowMatrix proj_t;      // (A, pad C)
  Vector proj_b;         // (pad C)
  Vector ln2_w, ln2_b;   // (C)
  RowMatrix fc1_t;       // (C, pad F)
  Vector fc1_b;          // (pad F)
  RowMatrix fc2_t;       // (F, pad C)
  Vector fc2_b;          // (pad C)
};

/// All weights of a checkpoint.
struct weights {
  RowMatrix tok_emb;     // (V, C)
  RowMatrix pos_emb;     // (B, C)
  std::vector<layer_weights> layers;
  Vector lnf_w, lnf_b;   // (C)
  RowMatrix lm_head_t;   // (C, pad V)
  Vector lm_head_b;      // (pad V)
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

/// The K/V cache of one sequence, per layer: keys TRANSPOSED, (A, B padded), so a query's
/// scores against all cached positions are packets of positions (no horizontal sums); values
/// (B, A).
struct kv_cache {
  std::vector<RowMatrix> k, v;
};

/// Scratch of forward_rows (one sequence's batched window recompute); B rows. May be shared by
/// any number of sequences that are not computed at the same time.
struct rows_scratch {
  RowMatrix x, h, qkv, att, ff, scores; // (B,C) (B,C) (B,3A) (B,A) (B,F) (B,B)
  RowMatrix hl, logits;                 // (1, pad C) (1, pad V): the last row's head
};

/// Scratch of forward_step (one token of each of up to `rows` sequences). Every row is padded
/// to a multiple of pad_floats, so every row has the alignment of row 0.
struct step_workspace {
  int rows = 0;
  RowMatrix x, h, qkv, att, ff, tmp, logits; // (R,pad C) (R,pad C) (R,pad 3A) (R,pad A) (R,pad F) (R,pad C) (R,pad V)
  Vector scores;                             // (pad B): one row's attention weights
};

/// One row of forward_step: the newest token of a sequence and where it goes.
struct step_row {
  int token;
  int pos;         ///< attends to the cached positions [0, pos) and itself
  kv_cache* cache;
};

void init_kv_cache(const model::impl& m, kv_cache& c);
void init_rows_scratch(const model::impl& m, rows_scratch& s);
/// Grows `ws` to at least `rows` rows (allocates only when it grows).
void reserve_step_workspace(const model::impl& m, step_workspace& ws, int rows);

/// One token for each of `n` sequences, as one matrix-matrix product per weight matrix
/// (rows = sequences). Writes each row's K/V at its `pos` and its logits to ws.logits.row(i)
/// (first V entries). Each row's result is bit-identical whatever the other rows are.
void forward_step(const model::impl& m, step_workspace& ws, const step_row* rows, int n);

/// Positions [r0, r1) holding `tokens[0 .. r1-r0)`, attending to the cache [0, r0) and causally
/// to each other, as one batched (matrix-matrix) pass over one sequence. Writes K/V at those
/// positions and the logits (V floats) of position r1-1 to `logits`. In the last layer only the
/// last row is carried past the K/V projection (the other rows' outputs are never used).
void forward_rows(const model::impl& m, kv_cache& c, rows_scratch& s, const int* tokens, int r0, int r1,
                  float* logits);

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

/// One sequence's decoding state: window, K/V cache, sampler. Shared by decoder (batch of one)
/// and batch_decoder, so both run the same code on it.
struct sequence {
  window_mode mode = window_mode::strided;
  int stride = 1;
  kv_cache cache;
  std::vector<int> win; // tokens at positions 0 .. win.size()-1; capacity block_size + 1
  int n_cached = 0;     // positions whose K/V are valid
  bool logits_valid = false;
  std::vector<float> logits; // (V)
  sampling samp;
  rng r{};
  int generated = 0;
  std::vector<float> probs;
  std::vector<int> idx;
};

/// Sizes everything once; `stride` 0 = default. Starts the sequence at "\n".
void init_sequence(const model::impl& m, sequence& s, window_mode mode, int stride);
void start_sequence(const model::impl& m, sequence& s, std::string_view prompt, const sampling& smp);
/// Appends `id` (sliding the window when full); invalidates the logits.
void push_token(const model::impl& m, sequence& s, int id);
/// True when the next logits need a batched recompute of several positions (forward_rows)
/// rather than one token row of forward_step.
inline bool needs_rows(const sequence& s) { return static_cast<int>(s.win.size()) - s.n_cached != 1; }
/// forward_rows over the positions not yet cached; fills s.logits.
void recompute(const model::impl& m, sequence& s, rows_scratch& scratch);
/// The forward_step row of the newest token (requires !needs_rows(s)).
inline step_row token_row(sequence& s) {
  const int n = static_cast<int>(s.win.size());
  return step_row{s.win[static_cast<std::size_t>(n - 1)], n - 1, &s.cache};
}
/// Samples from `logits` (V floats), pushes the token and counts it; returns its id.
int sample_and_push(const model::impl& m, sequence& s, const float* logits);

} // namespace sonnet::model
