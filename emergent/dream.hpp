#pragma once
// DreamSonnet (EMERGENT-SPEC §8) and the REPL's /dream command (§10.3), as pure logic.
//
// A "dream" is a path of 8-D latent vectors from the recursive encoder (rae.hpp); nothing is
// decoded back to text (the prototype has no decoder either). Three modes, as /dream offered:
//  * drift: the straight line from the newest sonnet's encoding to the one before it;
//  * walk: a random walk of fixed step length starting at the newest sonnet's encoding;
//  * centroid: the mean encoding of the recent sonnets.
//
// Fixed:
//  * Defects 11 and 12 (/dream drift and /dream walk, the default, crashed the REPL with a
//    TypeError / AttributeError): both work, and walk starts at the encoding of the newest
//    sonnet, which is what the REPL tried to do.
//  * Defect 25 / NONDET (np.random for the walk): directions come from std::mt19937_64(seed)
//    through a fixed mapping (Box–Muller on (u >> 11)·2⁻⁵³ uniforms), so a seed replays the
//    same path with any standard library (up to libm's last bit in log/sin/cos).
//  * Defect 27 (_save_state never called, vectors grew without bound): the state keeps the
//    last 50 vectors, as _save_state meant to, and is saved atomically by its owner.
//  * Defect 28 (diversity over the 10 OLDEST vectors): over the 10 most recent.
//  * The encoder lives in the dream state and its file, drawn once from a seed, so a dream of
//    the same sonnets gives the same numbers on every run.
// Not built: dream_meta (a second, incomparable latent space, defect 26), expand_dream and
// dream_similarity (dead in the prototype).

#include "core/result.hpp"
#include "emergent/rae.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace sonnet::emergent {

/// Vectors a dream state keeps (the prototype's _save_state kept the last 50).
inline constexpr std::size_t dream_memory = 50;
/// Vectors the diversity statistic looks at: the most recent ones.
inline constexpr std::size_t diversity_window = 10;

using latent_path = std::vector<latent_vector>;

// --- the three modes (§8.2) -------------------------------------------------

/// `steps` points from encode(a) to encode(b): v = (1 − α)·va + α·vb, α = i/(steps − 1)
/// (0.5 when steps == 1); no points for steps == 0.
latent_path dream_drift(const recursive_rae& rae, std::string_view a, std::string_view b,
                        std::size_t steps = 5);

/// A standard normal pair by Box–Muller: u1 = 1 − (u >> 11)·2⁻⁵³ ∈ (0, 1], u2 = (u >> 11)·2⁻⁵³,
/// r = √(−2 ln u1), returns {r·cos 2πu2, r·sin 2πu2} (two draws from `rng`).
std::array<double, 2> normal_pair(std::mt19937_64& rng);

/// A uniformly random unit vector: 8 normals from normal_pair(), divided by their norm.
latent_vector random_direction(std::mt19937_64& rng);

/// `steps` points (none for 0) starting at encode(start), each the previous one plus
/// step_size·random_direction(), directions from std::mt19937_64(seed). errc::invalid_argument
/// if step_size is negative or not finite.
result<latent_path> dream_walk(const recursive_rae& rae, std::string_view start,
                               std::size_t steps = 10, double step_size = 0.3,
                               std::uint64_t seed = 0);

/// The mean of the texts' encodings; zeros for no texts.
latent_vector dream_centroid(const recursive_rae& rae, const std::vector<std::string>& texts);

// --- the dream state (§8.1) -------------------------------------------------

/// What the dreamer keeps between commands (its file: dream_state_json()).
struct dream_state {
  recursive_rae rae;                ///< the encoder all modes share
  std::uint64_t observations = 0;   ///< dream vectors ever produced
  std::vector<latent_vector> vectors; ///< the most recent ≤ dream_memory, oldest first
};

/// A fresh state: make_recursive_rae(seed), nothing dreamt.
dream_state fresh_dream_state(std::uint64_t seed);

/// Appends `path` to the state's vectors, keeping the last dream_memory; counts observations.
void remember(dream_state& state, const latent_path& path);

/// §8 get_dream_stats(), with defect 28 fixed.
struct dream_stats {
  std::size_t count = 0;      ///< vectors held (≤ dream_memory)
  std::uint64_t observations = 0; ///< vectors ever produced
  double mean_norm = 0;       ///< mean L2 norm of the held vectors; 0 without any
  double diversity = 0;       ///< mean pairwise distance of the last ≤ 10; 0 below 2 vectors
};

/// The statistics of `state`.
dream_stats statistics(const dream_state& state);

// --- the dream file ---------------------------------------------------------

/// Parses {"observations": N, "dream_vectors": [[8 numbers], …], "encoder": {the
/// recursive_rae_json() object}} strictly: every key, at most 50 vectors of exactly 8 finite
/// numbers, observations ≥ the vectors held; else errc::bad_state_file naming `origin` and
/// the field.
result<dream_state> parse_dream_state(std::string_view json_text, const std::string& origin);

/// The JSON text of `state`; errc::invalid_argument if a number is not finite or more than
/// dream_memory vectors are held.
result<std::string> dream_state_json(const dream_state& state);

/// read_state_file + parse_dream_state.
result<dream_state> load_dream_state(const std::string& path);

/// dream_state_json + write_state_file (atomic: the old file survives any failure).
result<void> save_dream_state(const std::string& path, const dream_state& state);

// --- the /dream command (§10.3) ---------------------------------------------

/// The mode word of a "/dream [mode]" line: its second whitespace-separated token, "walk"
/// without one (the prototype matched /dream by prefix: "/dreamx" is a plain /dream).
std::string dream_mode_word(std::string_view command_line);

/// What one /dream command produced.
struct dream_result {
  std::string mode;       ///< as asked ("" is "walk")
  std::size_t sonnets = 0; ///< texts given
  latent_path path;       ///< drift/walk: the path; centroid: its one vector; else empty
};

/// Runs mode `mode` on `recent` (sonnet texts, newest first, the REPL passed 5): drift from
/// recent[0] to recent[1] in 5 steps, a walk of 10 steps of 0.3 from recent[0] with `seed`, or
/// the centroid of all; nothing for fewer than 2 texts or an unknown mode. Pure.
dream_result run_dream(const recursive_rae& rae, std::string_view mode,
                       const std::vector<std::string>& recent, std::uint64_t seed);

/// The lines the REPL prints for `r` (no trailing newlines): "Dream mode: M", then the
/// mode's lines, vectors as their first 3 components in %.3f, or the "Need at least 2 …" /
/// "Unknown dream mode: …" messages.
std::vector<std::string> render_dream(const dream_result& r);

/// One /dream command end to end: run_dream with state.rae, remember() its path, and
/// render_dream() plus a line of the state's statistics when something was dreamt.
std::vector<std::string> dream(dream_state& state, std::string_view mode,
                               const std::vector<std::string>& recent, std::uint64_t seed);

} // namespace sonnet::emergent
