#pragma once
// The trainer of our char-level NanoGPT models: plain C++ (Eigen behind the .cpp files), no
// actors. `run_training` is the whole `sonnet train`; the pieces below it (corpus, parameters,
// network, adamw, checkpoint) are what the tests check one by one.
//
// Determinism: the same corpus, config, seed and thread count give the same checkpoint, bit for
// bit. Batches and dropout masks come from counter-based RNG streams keyed by (seed, step,
// sequence), so they do not depend on the thread count either; only the order in which the
// threads' gradient sums are added does.

#include "core/result.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <new>
#include <string>
#include <vector>

namespace sonnet::train {

/// Allocates on 64-byte boundaries. Eigen's vectorised loops peel unaligned heads in scalar
/// code, so the rounding of a gradient could otherwise depend on where the heap put it.
template <class T>
struct aligned_allocator {
  using value_type = T;
  aligned_allocator() = default;
  template <class U>
  aligned_allocator(const aligned_allocator<U>&) {}
  T* allocate(std::size_t n) {
    const std::size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    if (void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes))
      return static_cast<T*>(p);
    throw std::bad_alloc();
  }
  void deallocate(T* p, std::size_t) { std::free(p); }
  template <class U>
  bool operator==(const aligned_allocator<U>&) const {
    return true;
  }
  template <class U>
  bool operator!=(const aligned_allocator<U>&) const {
    return false;
  }
};
template <class T>
using aligned_vector = std::vector<T, aligned_allocator<T>>;

/// A model's size. n_ffwd is always 4 * n_embd (NanoGPT's FeedForward).
struct shape {
  int vocab_size = 65, n_layer = 4, n_head = 4, n_embd = 128, block_size = 64;
  int head_size() const { return n_embd / n_head; }
  int n_ffwd() const { return 4 * n_embd; }
};

/// One named parameter tensor inside the flat parameter vector (PyTorch layout: a Linear's
/// weight is (out, in), row-major). q/k/v of all heads of a layer are three consecutive
/// (n_embd, n_embd) tensors whose rows [h*HS, (h+1)*HS) are head h's NanoGPT array.
struct tensor_info {
  std::string name; ///< e.g. "blocks.0.sa.query" (fused over heads) or "lm_head.weight"
  int rows, cols;   ///< cols = 1 for vectors
  std::size_t offset;
  std::size_t size() const { return static_cast<std::size_t>(rows) * cols; }
};

/// Every tensor of a model of shape `s`, in the order they sit in the flat vector.
std::vector<tensor_info> layout(const shape& s);
/// Total number of parameters.
std::size_t parameter_count(const shape& s);

/// How fresh weights are drawn.
enum class init_scheme {
  gpt2,  ///< Linear and Embedding ~ N(0, 0.02), biases 0 (nanoGPT's _init_weights)
  torch, ///< PyTorch's defaults: Linear weight and bias ~ U(+-1/sqrt(in)), Embedding ~ N(0, 1)
};

/// Training hyper-parameters. Defaults: the prototype's recipe (EMERGENT-SPEC §11.1).
struct config {
  shape size;
  int steps = 9000, batch = 16;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
  double dropout = 0.1;
  uint64_t seed = 1337;
  int threads = 0;           ///< 0 = every core
  double val_fraction = 0.1; ///< the last fraction of each corpus is held out
  int eval_interval = 500;   ///< steps between progress evaluations (0 = only at the end)
  int eval_windows = 200;    ///< held-out windows per progress evaluation (the final one uses all)
  /// Attention scale; 0 = 1/sqrt(head_size), what the prototype's numpy inference uses.
  double attn_scale = 0;
  init_scheme init = init_scheme::torch; // PyTorch's layer defaults, as the prototype's train.py
};

/// Text turned into ids with a vocabulary; train/val split per file (the last val_fraction of
/// each file is held out, so a small corpus beside a large one still has held-out text).
struct corpus {
  std::string vocab;               ///< sorted distinct bytes, or the --init checkpoint's
  std::vector<uint8_t> train, val; ///< ids
  int64_t unknown_chars = 0;       ///< chars outside an --init vocabulary (mapped like the model)
  std::vector<std::string> files;
};

/// Reads the corpora. `vocab` empty: the sorted distinct bytes of all files. Otherwise chars
/// outside `vocab` map as model::vocabulary maps them (to ' ') and are counted. Errors
/// (errc::bad_corpus): a file unreadable or not a regular file, a corpus too small to give a
/// training window and a held-out window of `block_size + 1` chars.
result<corpus> load_corpus(const std::vector<std::string>& paths, double val_fraction,
                           int block_size, const std::string& vocab = {});

/// A model's parameters in one flat vector (`layout` order) plus what the checkpoint records.
struct checkpoint {
  shape size;
  std::string vocab;
  float attn_scale = 0;
  aligned_vector<float> params;
};

/// Fresh weights (LayerNorm 1/0), drawn from `seed`.
checkpoint init_checkpoint(const shape& s, const std::string& vocab, float attn_scale,
                           uint64_t seed, init_scheme scheme = init_scheme::gpt2);

/// Where each array of a NanoGPT checkpoint (head-split q/k/v, tril buffers left out) lies in
/// the flat parameter vector, in the reference checkpoint's member order.
struct array_slice {
  std::string name;
  std::vector<std::size_t> shape;
  std::size_t offset;
  std::size_t size() const {
    std::size_t n = 1;
    for (auto d : shape)
      n *= d;
    return n;
  }
};
std::vector<array_slice> nanogpt_arrays(const shape& s);

/// Writes a NanoGPT .npz (the reference's 110-array naming, tril buffers included, float32,
/// deflated) plus `vocab` (uint8) and `attn_scale` (float32 [1]). Written to `path.tmp`, fsynced
/// and renamed: a crash or a full disk leaves the old file or the new one, never half of one.
result<void> write_checkpoint(const checkpoint& c, const std::string& path);
/// Reads a NanoGPT .npz (ours or the reference's) with the model loader's checks. Without an
/// `attn_scale` array the scale is the model loader's as_trained rule (1/sqrt(n_embd)).
/// Vocabulary as model::load_model finds it.
result<checkpoint> read_checkpoint(const std::string& path);

/// The optimiser state written beside a checkpoint for --resume (`<out>.state`).
struct optimizer_state {
  int64_t step = 0;
  std::vector<float> m, v;
  std::string config_json; ///< the run's config and corpus digest, checked on resume
};
result<void> write_optimizer_state(const optimizer_state& s, const std::string& path);
result<optimizer_state> read_optimizer_state(const std::string& path);

/// One AdamW step exactly as torch.optim.AdamW (decoupled decay on every parameter, bias
/// corrections, eps outside the square root). `step` counts from 1.
void adamw_step(float* p, const float* g, float* m, float* v, std::size_t n, int64_t step,
                double lr, double beta1, double beta2, double eps, double weight_decay);

/// The network, in double or float: forward with saved activations, backward, loss. One
/// instance is one thread's workspace; buffers grow to the largest batch seen and are reused.
template <class T>
class network {
public:
  network(const shape& s, double attn_scale);
  ~network();
  network(network&&) noexcept;
  /// Mean cross-entropy over the b*T targets of `b` windows (x: b*T ids, y: b*T ids, T =
  /// block_size). With `grad` non-null, adds d(sum of losses)*grad_scale/dparams to it.
  /// Dropout with probability `dropout` uses masks drawn from (seed, stream + sequence index).
  /// Returns the SUM of the losses (divide by b*T for the mean).
  double run(const T* params, const uint8_t* x, const uint8_t* y, int b, T* grad, double grad_scale,
             double dropout, uint64_t seed, uint64_t stream);

private:
  struct impl;
  impl* p_;
};

/// Mean held-out loss (nats per char) of `params` on non-overlapping windows of block_size + 1
/// chars of `ids` (each window predicts block_size chars with contexts 1..block_size), at most
/// `max_windows` of them (0 = all), spread over `threads` threads.
double evaluate(const checkpoint& c, const std::vector<uint8_t>& ids, int max_windows, int threads);

/// What `sonnet train` asks for.
struct options {
  config cfg;
  std::vector<std::string> corpora;
  std::string out;
  std::string init;        ///< fine-tune from this checkpoint (its vocabulary and size are kept)
  bool resume = false;     ///< continue from `out` and `out.state`
  bool size_given = false; ///< --layers/--heads/--embd/--block were given (checked against --init)
};

struct progress {
  int64_t step = 0, steps = 0;
  double train_loss = 0; ///< mean of the last steps' batch losses
  double val_loss = -1;  ///< < 0: not evaluated at this step
  double tokens_per_s = 0, elapsed_s = 0, eta_s = 0;
};

struct summary {
  int64_t steps = 0;
  double train_loss = 0, val_loss = 0, tokens_per_s = 0, seconds = 0;
  std::string out;
  bool interrupted = false; ///< stopped by `stop` before the last step (checkpoint resumable)
  int64_t unknown_chars = 0;
  std::size_t parameters = 0;
  shape size;
  float attn_scale = 0;
  int threads = 1;
};

/// Trains, reporting through `on_progress` (every few seconds and at each evaluation), and
/// checks `stop` between steps: when set, writes `out` and `out.state` and returns with
/// interrupted = true. Errors: errc::bad_corpus, errc::invalid_argument (flags),
/// errc::bad_checkpoint (--init / --resume), errc::training_diverged (a non-finite loss: the
/// last good checkpoint is kept at `out`).
result<summary> run_training(const options& o,
                             const std::function<void(const progress&)>& on_progress,
                             const std::atomic<bool>* stop);

} // namespace sonnet::train
