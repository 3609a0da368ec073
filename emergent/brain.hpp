#pragma once
// SonnetBrain: the prototype's learned sonnet scorer (EMERGENT-SPEC §2), as pure logic.
//
// A sonnet becomes 8 features (§2.2), an 8→16→8→1 tanh network (§2.1) maps them to one number
// y ∈ (−1, 1), and online learning (§2.4) takes one plain SGD step on (y − target)².
//
// THE OUTPUT NONLINEARITY (spec defect 1, fixed). The prototype trained y = tanh(·) toward the
// target quality but reported sigmoid(y), so a sonnet trained to 0.8 scored ≈ 0.69 and no score
// could leave (0.269, 0.731). We keep tanh as the one output nonlinearity, for training and for
// scoring: score = y, clipped to [0, 1]. Tanh and not sigmoid because the shipped weights
// (sonnetbrain.json, 310 SGD steps) were fitted with y itself as the prediction of the quality;
// reading y keeps them meaningful, whereas a sigmoid output would need them retrained. The
// clip only states the range of a quality: learn() drives the same y toward a target in
// [0, 1], so inside that range what is trained is exactly what is reported. The prototype's
// sigmoid(y) is therefore NOT what score() returns; tests compare y itself with the spec's
// reference values, and sigmoid(y) with the prototype's reported scores.
//
// Other prototype behaviour, kept or changed on purpose:
//  * Features follow §2.2 to the letter, quirks included (the shipped weights were trained on
//    them): novelty is the constant 0.5 (defect 2, kept: the weights never saw another value),
//    `'tis` and `thee,` do not count as Shakespearean words, blank middle lines count as lines.
//  * The network's arithmetic is the prototype's, in its order (left fold from the bias, tanh
//    as (e^{2a} − 1)/(e^{2a} + 1)), so y matches it bit for bit. For a > 20 that formula
//    overflowed in Python (defect 4); here it returns 1, which is tanh(a) rounded to double.
//  * Initial weights come from a caller's seeded generator, not Python's global RNG (§1 NONDET).
//  * learn() does not save (the prototype saved every 10th step and lost the rest at exit,
//    §2.4 step 5): whoever owns the brain decides when save_brain_state() runs.
//  * Loading is strict where the prototype was lenient (§2.5): exactly 289 finite parameters,
//    right types, positive lr; anything else is errc::bad_state_file naming the field, instead
//    of silently keeping random weights for a short list or raising on malformed JSON.

#include "core/result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace sonnet::emergent {

// --- features (§2.2) --------------------------------------------------------

inline constexpr std::size_t feature_count = 8;
using feature_vector = std::array<double, feature_count>;

/// The raw features of one sonnet, as the prototype's SonnetFeatures.
struct sonnet_features {
  double line_count = 0;        ///< lines of sonnet.strip().split('\n')
  double avg_syllables = 0;     ///< mean of brain_syllables() over the lines
  double syllable_variance = 0; ///< population variance (÷ N) of the same counts
  double avg_word_length = 0;   ///< mean code points per whitespace-split word; 0 without words
  double unique_word_ratio = 0; ///< distinct words ÷ words (lower-cased); 0 without words
  double shakespeare_score = 0; ///< share of words equal to thou, thy, thee, art, doth, ...
  double coherence_score = 0;   ///< mean Jaccard overlap of consecutive lines' word sets
  double novelty = 0.5;         ///< constant 0.5, as in the prototype (defect 2)

  /// The network's input: line_count/14, avg_syllables/15, min(variance/5, 1),
  /// avg_word_length/10, then the other four as they are (§2.2, `to_vector()`).
  feature_vector to_vector() const;
};

/// The prototype's syllable rule for the brain: text::count_syllables (lower-case, count runs
/// of a/e/i/o/u/y), but never less than 1 — the formatter's count has no minimum.
int brain_syllables(std::string_view text);

/// §2.2 on a UTF-8 sonnet, with Python string semantics (text/unicode.hpp).
sonnet_features extract_features(std::string_view sonnet);

// --- the network (§2.1) -----------------------------------------------------

inline constexpr std::size_t hidden1_size = 16;
inline constexpr std::size_t hidden2_size = 8;
/// 16·(8+1) + 8·(16+1) + 1·(8+1).
inline constexpr std::size_t parameter_count = 289;

/// All weights in the prototype's order (§2.5): layer by layer, neuron by neuron, each
/// neuron's input weights then its bias.
using parameter_vector = std::array<double, parameter_count>;

/// Every activation of one forward pass (what backpropagation needs).
struct forward_pass {
  feature_vector x{};
  std::array<double, hidden1_size> h1{};
  std::array<double, hidden2_size> h2{};
  double y = 0; ///< the output neuron's tanh, ∈ [−1, 1]
};

/// tanh as the prototype computed it, (e^{2a} − 1)/(e^{2a} + 1), so results match bit for bit;
/// 1 above a = 20, where the prototype overflowed (defect 4) and tanh(a) rounds to 1.
double prototype_tanh(double a);

/// Runs the network on `x`.
forward_pass forward(const parameter_vector& theta, const feature_vector& x);

// --- the brain --------------------------------------------------------------

/// Everything sonnetbrain.json holds.
struct brain_state {
  std::uint64_t observations = 0; ///< learning steps taken, ever
  double running_loss = 0;        ///< SUM of all step losses (the prototype's name; not a mean)
  double last_loss = 0;           ///< the loss of the last step
  double lr = 0.01;               ///< SGD step size
  parameter_vector parameters{};
};

/// A fresh brain as the prototype built one: input weights uniform in [−1, 1), biases 0, lr
/// 0.01; drawn from `rng` in parameter order (so a seed reproduces it).
brain_state fresh_brain_state(std::mt19937_64& rng);

/// What one learning step did.
struct learn_step {
  double y_before = 0; ///< the output the step started from
  double loss = 0;     ///< (y_before − target)²
};

class sonnet_brain {
public:
  explicit sonnet_brain(brain_state state) : state_(state) {}

  /// The network's raw output y ∈ (−1, 1) for `sonnet`.
  double output(std::string_view sonnet) const;

  /// The learned quality of `sonnet`: output() clipped to [0, 1] (see the header comment).
  double score(std::string_view sonnet) const;

  /// One SGD step (batch 1) moving output(sonnet) toward `target_quality`: loss (y − target)²,
  /// gradients by backpropagation, θ ← θ − lr·∇θ; then observations += 1, running_loss += loss,
  /// last_loss = loss. A target outside [0, 1] (or NaN) is errc::invalid_argument and changes
  /// nothing.
  result<learn_step> learn(std::string_view sonnet, double target_quality);

  const brain_state& state() const { return state_; }

private:
  brain_state state_;
};

// --- sonnetbrain.json (§2.5) ------------------------------------------------

/// Parses the prototype's format: an object with `observations` (non-negative integer),
/// `running_loss`, `last_loss`, `lr` (finite numbers, lr > 0) and `parameters` (exactly 289
/// finite numbers). A missing scalar key takes the prototype's default (0, 0.0, 0.0, 0.01); a
/// missing `parameters` is an error (the prototype kept random weights). `origin` names the
/// file in error messages. Errors are errc::bad_state_file.
result<brain_state> parse_brain_state(std::string_view json_text, const std::string& origin);

/// The prototype's layout: keys in its order, indent 2, no trailing newline; doubles written
/// in the shortest form that reads back to the same bits. errc::invalid_argument if a number
/// is not finite (JSON cannot hold it, and the prototype's NaN would not load back).
result<std::string> brain_state_json(const brain_state& state);

/// read_state_file + parse_brain_state.
result<brain_state> load_brain_state(const std::string& path);

/// brain_state_json + write_state_file (atomic: the old file survives any failure).
result<void> save_brain_state(const std::string& path, const brain_state& state);

} // namespace sonnet::emergent
