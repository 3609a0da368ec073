#pragma once
// SonnetRAE and SonnetRAERecursive: the prototype's random "autoencoders" (EMERGENT-SPEC §6, §7),
// as pure logic. Neither was ever trained: each is a random tanh MLP that maps a sonnet to an
// 8-D vector, used by DreamSonnet (§8, dream.hpp) for its latent "dreams".
//
//  * Flat (sonnet_rae, §6): 20 features per line → MLP(20, [16, 8]) → mean over 14 line slots
//    (missing lines count as zero vectors, which encode to exactly 0).
//  * Recursive (recursive_rae, §7): line features → line MLP(20, [16, 8]); 4 lines → quatrain
//    MLP(32, [24, 16, 8]); 2 lines → couplet MLP(16, [12, 8]); [q1, q2, q3, couplet] → sonnet
//    MLP(32, [24, 16, 8]). The output is the sonnet MLP's, each component in (−1, 1).
//  * Every neuron is the prototype's: act = b + Σ w_i·x_i (left fold from the bias), then tanh.
//
// Changed on purpose:
//  * Defect 25 (weights fresh from Python's unseeded RNG on every construction, so vectors
//    changed every run): weights are drawn from std::mt19937_64(seed) with a fixed mapping,
//    (u >> 11)·2⁻⁵³·2 − 1 ∈ [−1, 1), biases 0, in the prototype's order (line, quatrain,
//    couplet, sonnet; the dead decoder is not built and draws nothing), and they persist in a
//    JSON state file (seed, layer sizes, all weights) that loads strictly.
//  * Defect 4 (tanh via exp(2x) raised OverflowError for a line of ~800 characters): std::tanh,
//    which saturates. There are no reference values to match, so nothing needs the formula.
//  * NORMALISED, CENTRED features (a deliberate change). The prototype fed raw counts
//    (len(line) ≈ 40), which drove every neuron into saturation: every sonnet encoded to nearly
//    the same ±1 vector. Dividing by a scale into [0, 1] is not enough either: every verse line
//    then has nearly the same features: over the 133 distinct texts of the prototype's cloud,
//    pairs of flat encodings had a mean cosine of 0.995–0.999 (recursive 0.55–0.91; seeds 1, 2,
//    42). So each feature is centred on a typical verse line and scaled to reach ±1 about 2.5
//    standard deviations away, clipped to [−1, 1] (rae.cpp gives the measured values): mean
//    cosine 0.28–0.47 (flat) and 0.02–0.09 (recursive) for the same texts and seeds. Feature order and padding are the prototype's:
//    the flat encoder pads with zero vectors (which encode to 0), the recursive one with "".
//  * Empty (or all-whitespace) text encodes to the exact zero vector, as in the prototype, even
//    if a loaded file has non-zero biases.

#include "core/result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace sonnet::emergent {

// --- the network (§1) -------------------------------------------------------

inline constexpr std::size_t latent_size = 8;
using latent_vector = std::array<double, latent_size>;

/// A tanh MLP as the prototype's micrograd MLP(inputs, sizes).
struct mlp {
  std::size_t inputs = 0;
  std::vector<std::size_t> sizes;  ///< each layer's output count, the last is the output's
  std::vector<double> parameters;  ///< layer by layer, neuron by neuron: input weights, then bias
};

/// Σ over layers of nout·(nin + 1): the length mlp::parameters must have.
std::size_t mlp_parameter_count(std::size_t inputs, const std::vector<std::size_t>& sizes);

/// One uniform draw in [−1, 1) from `rng`: (u >> 11)·2⁻⁵³·2 − 1, the same with any library.
double uniform_weight(std::mt19937_64& rng);

/// A fresh network: input weights from uniform_weight(rng) in parameter order, biases 0.
mlp fresh_mlp(std::size_t inputs, std::vector<std::size_t> sizes, std::mt19937_64& rng);

/// The network's output for `x`. Needs x.size() == net.inputs and parameters of
/// mlp_parameter_count(inputs, sizes) entries (fresh_mlp and the loaders guarantee both).
std::vector<double> mlp_forward(const mlp& net, const std::vector<double>& x);

// --- line features (§6, §7) -------------------------------------------------

inline constexpr std::size_t line_feature_count = 20;
using line_features = std::array<double, line_feature_count>;

/// §6's features of one line, centred and scaled (see the header comment), each clipped to
/// [−1, 1]: (words − 8)/3, (code points − 42)/12, (mean word length − 4.4)/2, (distinct words ÷
/// max(words, 1) − 1)/0.25, then 0 × 16; words of line.lower().split().
line_features flat_line_features(std::string_view line);

/// §7's features: the first four of flat_line_features, then the counts of ',', '.', '!', '?'
/// as (n − 1)/2, (n − 0.2)/1, n, n, clipped to [−1, 1], then 0 × 12.
line_features recursive_line_features(std::string_view line);

/// Cosine of the angle between `a` and `b`; 0 if either norm is 0 (as the prototype).
double cosine_similarity(const latent_vector& a, const latent_vector& b);

/// Euclidean norm of `v`.
double l2_norm(const latent_vector& v);

// --- SonnetRAE (§6) ---------------------------------------------------------

/// The flat encoder and the seed it was drawn from (kept in the file for provenance).
struct sonnet_rae {
  std::uint64_t seed = 0;
  mlp encoder; ///< MLP(20, [16, 8]), 472 parameters
};

/// A fresh flat encoder drawn from std::mt19937_64(seed).
sonnet_rae make_sonnet_rae(std::uint64_t seed);

/// §6 encode(): the encoder's outputs for the first 14 lines of text.strip() summed and
/// divided by 14 (missing lines are zero feature vectors, which add 0); zeros for empty text.
latent_vector encode(const sonnet_rae& rae, std::string_view text);

// --- SonnetRAERecursive (§7) ------------------------------------------------

/// The four networks of the recursive encoder and the seed they were drawn from.
struct recursive_rae {
  std::uint64_t seed = 0;
  mlp line;     ///< MLP(20, [16, 8]): the base encoder, one line
  mlp quatrain; ///< MLP(32, [24, 16, 8]): four line vectors
  mlp couplet;  ///< MLP(16, [12, 8]): two line vectors
  mlp sonnet;   ///< MLP(32, [24, 16, 8]): three quatrains and the couplet
};

/// A fresh recursive encoder: line, quatrain, couplet, sonnet drawn in that order from one
/// std::mt19937_64(seed) (so its line network equals make_sonnet_rae(seed)'s encoder).
recursive_rae make_recursive_rae(std::uint64_t seed);

/// §7 encode_recursive(): lines 0–3, 4–7, 8–11 are the quatrains, 12–13 the couplet (missing
/// lines are ""); the sonnet network's output; exact zeros for an empty text.
latent_vector encode(const recursive_rae& rae, std::string_view text);

// --- state files ------------------------------------------------------------

/// The file format: {"seed": N, "encoder": {"inputs": 20, "sizes": [16, 8], "parameters":
/// [472 numbers]}}. Strict: every key present, the exact architecture above, finite numbers;
/// otherwise errc::bad_state_file naming `origin` and the field.
result<sonnet_rae> parse_sonnet_rae(std::string_view json_text, const std::string& origin);

/// The same, with networks "line", "quatrain", "couplet", "sonnet".
result<recursive_rae> parse_recursive_rae(std::string_view json_text, const std::string& origin);

/// The JSON text of `rae` (indent 2, shortest round-trip doubles); errc::invalid_argument if a
/// parameter is not finite.
result<std::string> sonnet_rae_json(const sonnet_rae& rae);
result<std::string> recursive_rae_json(const recursive_rae& rae);

/// read_state_file + parse.
result<sonnet_rae> load_sonnet_rae(const std::string& path);
result<recursive_rae> load_recursive_rae(const std::string& path);

/// json + write_state_file (atomic: the old file survives any failure).
result<void> save_sonnet_rae(const std::string& path, const sonnet_rae& rae);
result<void> save_recursive_rae(const std::string& path, const recursive_rae& rae);

} // namespace sonnet::emergent
