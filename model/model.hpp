#pragma once
// The char-level NanoGPT model: vocabulary, checkpoint loading, forward pass, sampler, decoder.
// Plain C++; Eigen stays behind the pimpl (model/detail.hpp) so including this header is cheap.
//
// Threading: a loaded `model` is immutable and may be shared read-only by any number of
// decoders on any threads. A `decoder` is one sequence and is not thread-safe.

#include "core/result.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sonnet::model {

/// Which numerics the forward pass uses (docs/DESIGN.md §3). A checkpoint's own `attn_scale` array
/// overrides the attention scale of either variant (the trainer records what it computed).
enum class numerics {
  as_trained, ///< attention scale 1/sqrt(n_embd), exact erf GELU: what training computed (default)
  numpy_port, ///< attention scale 1/sqrt(head_size), tanh GELU: what the Python prototype ran
};

/// How the decoder handles a full context window (docs/DESIGN.md §3 "When the window slides").
enum class window_mode {
  exact,   ///< every token past block_size recomputes the last block_size chars (one batched pass)
  strided, ///< KV cache; when full, keep the last block_size - S chars, recompute once, decode S
};

/// Hyper-parameters, all read from the checkpoint's array names and shapes.
struct hparams {
  int vocab_size, n_embd, n_head, head_size, n_layer, block_size;
  int n_ffwd = 0; ///< hidden width of the MLP (rows of ffwd.net.0.weight)
};

/// The char vocabulary: id i is the byte chars()[i].
class vocabulary {
public:
  vocabulary() : vocabulary(std::string()) {}
  /// `chars` must be distinct bytes (checked by load_model).
  explicit vocabulary(std::string chars);

  int size() const { return static_cast<int>(chars_.size()); }
  bool contains(char c) const { return index_[static_cast<unsigned char>(c)] >= 0; }
  /// The id of `c`; chars outside the vocabulary map to the id of ' ' (as the prototype did),
  /// or 0 when the vocabulary has no space.
  int encode_char(char c) const;
  std::vector<int> encode(std::string_view s) const;
  /// Ids outside [0, size()) decode to '?'.
  std::string decode(const std::vector<int>& ids) const;
  char at(int id) const { return chars_[static_cast<std::size_t>(id)]; }
  const std::string& chars() const { return chars_; }

private:
  std::string chars_;
  int index_[256];
  int fallback_ = 0;
};

/// Options of load_model.
struct load_options {
  numerics variant = numerics::as_trained;
  /// Vocabulary file (raw bytes, one char each). Empty: an array named `vocab` inside the npz,
  /// else `<npz path without .npz>.vocab`, else `configs/<stem>.vocab` in a data directory (core/paths.hpp).
  std::string vocab_path;
};

/// A loaded checkpoint. Immutable after load_model.
class model {
public:
  ~model();
  model(const model&) = delete;
  model& operator=(const model&) = delete;

  const hparams& hp() const;
  const vocabulary& vocab() const;
  numerics variant() const;
  const std::string& path() const;
  /// Where the vocabulary came from ("array 'vocab' in ...", a file path).
  const std::string& vocab_source() const;
  /// The factor attention scores are multiplied by: the checkpoint's array `attn_scale` when it
  /// has one, else the variant's rule (see numerics).
  float attn_scale() const;
  /// Where attn_scale came from: "array 'attn_scale' in PATH", or the variant's rule
  /// ("as_trained: 1/sqrt(n_embd)", "numpy_port: 1/sqrt(head_size)").
  const std::string& attn_scale_source() const;
  /// True when attn_scale came from the checkpoint's array.
  bool attn_scale_from_checkpoint() const;

  /// Internal state (Eigen weights); defined in model/detail.hpp.
  struct impl;
  const impl& internals() const { return *impl_; }

private:
  friend result<std::shared_ptr<const model>> load_model(const std::string&, const load_options&);
  explicit model(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// Loads a NanoGPT char checkpoint (.npz). Errors: errc::bad_checkpoint (unreadable file, not a
/// zip/npy, missing array, wrong shape, an `attn_scale` that is not one finite number > 0),
/// errc::bad_weights (non-finite values),
/// errc::bad_vocabulary (no vocabulary found, or its size differs from the embedding's rows).
result<std::shared_ptr<const model>> load_model(const std::string& npz_path,
                                                const load_options& opts = {});

/// Writes the sorted distinct bytes of `corpus_path` to `out_path` (a vocabulary file).
result<void> write_vocab_from_corpus(const std::string& corpus_path, const std::string& out_path);

// --- sampler ----------------------------------------------------------------------------------

/// Sampling parameters. temperature 0 => argmax; top_k 0 => all tokens.
struct sampling {
  float temperature = 0.8f;
  int top_k = 0;
  uint64_t seed = 0;
};

/// errc::invalid_argument unless temperature is finite and >= 0 and top_k >= 0.
/// (decoder::start treats out-of-range values as argmax / all tokens instead of failing.)
result<void> check_sampling(const sampling& s);

/// The distribution the sampler draws from: softmax(logits / temperature) restricted to the
/// top_k largest logits (ties: lower id first) and renormalised; one-hot at the argmax for
/// temperature 0.
std::vector<float> sampling_distribution(const std::vector<float>& logits, const sampling& s);

/// The stride S of window_mode::strided used when the decoder is given 0 (see model/README.md).
int default_stride(int block_size);

// --- decoder ----------------------------------------------------------------------------------

/// One sequence: KV cache, context window, scratch buffers (allocated once), RNG.
class decoder {
public:
  /// `stride` 0 = default_stride(block_size); clamped to [1, block_size - 1].
  decoder(std::shared_ptr<const model> m, window_mode mode = window_mode::strided, int stride = 0);
  ~decoder();
  decoder(decoder&&) noexcept;
  decoder& operator=(decoder&&) noexcept;

  /// Resets the sequence to `prompt` (empty => "\n", the prototype's prompt; unknown chars map to
  /// ' '; only the last block_size chars are kept) and seeds the RNG from `s.seed`.
  void start(std::string_view prompt, const sampling& s);
  /// Samples one token, appends it and returns its id.
  int next();
  /// next() n times; returns only the new text.
  std::string generate(int n_tokens);
  /// Logits for the next position (computed lazily). Size vocab_size.
  const std::vector<float>& logits();
  /// Appends `id` without sampling (teacher forcing, e.g. to score a text); ids outside the
  /// vocabulary count as the id of ' '.
  void push(int id);
  int tokens_generated() const;

  /// The chars the next logits are conditioned on (the current window).
  std::string context() const;
  window_mode mode() const;
  int stride() const;
  const model& get_model() const;

private:
  struct state;
  std::unique_ptr<state> st_;
};

/// Many sequences decoded together: each step advances every unfinished sequence by one token
/// with ONE matrix-matrix product per weight matrix (rows = sequences), while each sequence
/// keeps its own K/V cache, window, sampler and seed. Sequences join (add) and leave (release)
/// between steps. A sequence's text is bit-identical to what a lone `decoder` with the same
/// model, window mode, stride, prompt and sampling generates (decoder runs the same code with a
/// batch of one). A window slide recomputes that sequence's window in the same step, its rows in
/// the same matrix products as the other sequences' tokens. Steady state allocates nothing:
/// buffers grow only when a sequence is added beyond the number ever held at once. Not
/// thread-safe.
class batch_decoder {
public:
  /// `stride` 0 = default_stride(block_size); clamped as in decoder.
  explicit batch_decoder(std::shared_ptr<const model> m, window_mode mode = window_mode::strided,
                         int stride = 0);
  ~batch_decoder();
  batch_decoder(batch_decoder&&) noexcept;
  batch_decoder& operator=(batch_decoder&&) noexcept;

  /// Adds a sequence that stops after `n_tokens` tokens (`prompt` and `s` as decoder::start).
  /// Returns its id; the ids of released sequences are reused.
  int add(std::string_view prompt, const sampling& s, int n_tokens);
  /// Advances every unfinished sequence by up to `k` tokens, one batched pass per token.
  /// Returns the number of sequences still unfinished.
  int step(int k = 1);
  /// Ids must be held (added, not released); std::out_of_range otherwise.
  bool finished(int id) const;
  int tokens_generated(int id) const;
  /// The text generated so far.
  const std::string& text(int id) const;
  /// Removes the sequence (finished or not) and returns its text.
  std::string release(int id);
  /// Sequences held / not yet finished.
  int size() const;
  int unfinished() const;
  /// Tokens generated by every sequence since construction (released ones included).
  int64_t tokens_total() const;
  window_mode mode() const;
  int stride() const;
  const model& get_model() const;

private:
  struct state;
  std::unique_ptr<state> st_;
};

/// Logits after `prompt` by full recomputation of its last <= block_size chars (no cache).
/// Empty prompt => "\n".
std::vector<float> last_logits(const model& m, std::string_view prompt);

} // namespace sonnet::model
