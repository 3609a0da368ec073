#pragma once
// Internal to model/: the Eigen weights, the per-sequence run state and the forward passes.
// Not included by model.hpp, so code outside model/ never compiles Eigen through it.

#include "model/model.hpp"
#include "model/page_buffer.hpp"

#include <Eigen/Core>

#include <string_view>
#include <vector>

namespace sonnet::model {

/// Row-major float matrix: the embedding tables (one row per token or position) and the
/// activations, (positions, features). The Linear weights are packed_matrix, below.
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using Vector = Eigen::VectorXf;

// Shapes below: C = n_embd, A = n_head * head_size, F = n_ffwd, V = vocab, B = block_size.

/// Output widths are padded to a multiple of this many floats (one AVX-512 register).
constexpr int pad_floats = 16;
inline Eigen::Index padded(Eigen::Index n) {
  return (n + pad_floats - 1) / pad_floats * pad_floats;
}

/// A weight matrix y = x W (K inputs, N outputs, N padded with zero columns to a multiple of
/// pad_floats) packed for the weight-product kernel (forward.cpp): packet column j (outputs
/// [j*width, (j+1)*width)) is K rows of `width` floats, contiguous. The kernel then
/// streams each packet column front to back, and a tile of rows reuses it from L1; the usual
/// row-major layout read it with a stride of N floats, which aliases in the cache.
struct packed_matrix {
  /// Floats of one packet column: the SIMD width this build computes with (16 with AVX-512).
  static constexpr int width = Eigen::internal::packet_traits<float>::size;
  static_assert(pad_floats % width == 0, "outputs must pad to whole packets");
  Eigen::Index K = 0, N = 0;
  float* data = nullptr; // (N / width) * K * width floats in weights::arena
  const float* packet(Eigen::Index j) const { return data + j * K * width; }

  /// Floats that `out_features` outputs of `in_features` inputs take (a multiple of `width`).
  static Eigen::Index floats(Eigen::Index out_features, Eigen::Index in_features);
  /// The matrix over `storage` (floats(out_features, in_features) zeroed floats, 64-byte aligned).
  static packed_matrix over(float* storage, Eigen::Index out_features, Eigen::Index in_features);
  /// Stores rows [o0, o0 + rows) of a PyTorch (out_features, in_features) weight, row-major.
  void pack_rows(Eigen::Index o0, const float* w, Eigen::Index rows);
};

/// One transformer block. Biases are padded with zeros like the outputs.
struct layer_weights {
  Vector ln1_w, ln1_b; // (C)
  packed_matrix
    wqkv; // C -> pad 3A: outputs [0,A) queries of heads 0..H-1, [A,2A) keys, [2A,3A) values
  packed_matrix proj;  // A -> pad C
  Vector proj_b;       // (pad C)
  Vector ln2_w, ln2_b; // (C)
  packed_matrix fc1;   // C -> pad F
  Vector fc1_b;        // (pad F)
  packed_matrix fc2;   // F -> pad C
  Vector fc2_b;        // (pad C)
};

/// All weights of a checkpoint.
struct weights {
  page_buffer arena; // every packed_matrix's floats, in one mapping (see page_buffer.hpp)
  RowMatrix tok_emb; // (V, C)
  RowMatrix pos_emb; // (B, C)
  std::vector<layer_weights> layers;
  Vector lnf_w, lnf_b;   // (C)
  packed_matrix lm_head; // C -> pad V
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
  std::string attn_scale_source;
  bool attn_scale_from_checkpoint = false;
};

/// The K/V cache of one sequence, per layer: keys TRANSPOSED, (A, ldk = B padded), so a query's
/// scores against all cached positions are packets of positions (no horizontal sums); values
/// (B, A). The floats belong to the decoder (see kv_slab_caches).
struct kv_cache {
  std::vector<float*> k, v;
  Eigen::Index ldk = 0;
};

/// Scratch of forward_step for up to `rows` rows. Every row is padded to a multiple of
/// pad_floats, so every row has the alignment of row 0.
struct step_workspace {
  int rows = 0;
  RowMatrix x, h, qkv, att, ff, tmp,
    logits;      // (R,pad C) (R,pad C) (R,pad 3A) (R,pad A) (R,pad F) (R,pad C) (R,pad V)
  Vector scores; // (pad B): one row's attention weights
};

/// One row of forward_step: a token of a sequence and where it goes.
struct step_row {
  int token;
  int pos; ///< attends to the cached positions [0, pos) and itself
  kv_cache* cache;
  bool head; ///< wants logits; a row without only writes its K/V (earlier window positions)
};

/// Floats of one sequence's K/V cache.
Eigen::Index kv_cache_floats(const model::impl& m);
/// A batch's caches are allocated this many at a time, in one page_buffer: for the reference
/// model that is one 2 MB huge page instead of ~500 first-touch page faults on the decoding
/// thread, which dominated the start of a batch.
constexpr int kv_slab_caches = 8;
/// Points `c` at `storage`: kv_cache_floats(m) zeroed floats, 64-byte aligned.
void init_kv_cache(const model::impl& m, kv_cache& c, float* storage);
/// Most rows one forward_step call takes: a whole window, or a few windows and many tokens.
inline int max_step_rows(const hparams& hp) {
  return hp.block_size > 128 ? hp.block_size : 128;
}
/// Grows `ws` to at least `rows` rows (allocates only when it grows).
void reserve_step_workspace(const model::impl& m, step_workspace& ws, int rows);

/// Runs `n` rows (n <= ws.rows) through the model as one matrix-matrix product per weight
/// matrix: new tokens of many sequences, and whole windows after a slide (a sequence's rows in
/// position order, so each attends causally to the rows before it). Writes every row's K/V at
/// its `pos`; the logits of the rows with `head` set go to ws.logits rows 0, 1, ... in order
/// (first V entries). In the last layer rows without `head` stop after their
/// K/V. A row's result is bit-identical whatever the other rows are.
void forward_step(const model::impl& m, step_workspace& ws, const step_row* rows, int n);

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

/// Sizes everything once; `stride` 0 = default; `kv` as init_kv_cache. Starts the sequence at "\n".
void init_sequence(const model::impl& m, sequence& s, window_mode mode, int stride, float* kv);
void start_sequence(const model::impl& m, sequence& s, std::string_view prompt,
                    const sampling& smp);
/// Appends `id` (sliding the window when full); invalidates the logits.
void push_token(const model::impl& m, sequence& s, int id);
/// Rows the next logits need: one after a token, the whole window after a slide or a prompt.
inline int pending_rows(const sequence& s) {
  return static_cast<int>(s.win.size()) - s.n_cached;
}
/// Appends the forward_step rows of the positions not yet cached (only the last with `head`).
void append_rows(sequence& s, std::vector<step_row>& rows);
/// Takes the logits of the sequence's head row after forward_step.
void take_logits(sequence& s, const float* logits);
/// Samples from `logits` (V floats), pushes the token and counts it; returns its id.
int sample_and_push(const model::impl& m, sequence& s, const float* logits);

} // namespace sonnet::model
