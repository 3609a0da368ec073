#pragma once
// MetaSonnet: the prototype's "inner voice" (EMERGENT-SPEC §4), as pure logic.
//
// After a user's sonnet is judged, MetaSonnet may "reflect": write a sonnet of its own (800
// tokens at temperature 0.9), format it and, if it validates, store it with quality 0.7 and
// added_by "metasonnet". A bootstrap buffer keeps the first two lines of striking sonnets.
// This file holds the rules; the actor that owns the model and the cloud calls them.
//
// Fixed (spec §14 numbers):
//  * #17 the bootstrap seed was computed and dropped (the reflection was an unconditioned
//    sample from "\n"): reflection_prompt() builds that seed and the caller uses it as the
//    model's prompt, capped and ending in '\n' (see reflection_prompt).
//  * #18 a None metric raised TypeError: metrics are std::optional; missing, NaN or infinite
//    ones read as 0.5, the prototype's default for a missing key.
//  * #19 unseeded random(): should_reflect's 30 % draw comes from an injected unit_draw
//    (seeded_draw(seed) replays), taken only when no threshold decided.
//  * The prototype reflected synchronously after every qualifying turn; reflection_limiter
//    bounds reflections per minute and allows one in flight.
// Kept: the thresholds of should_reflect (d > 0.7, q > 0.75, arousal > 0.6, else 30 %) and
// the different ones of the buffer (d > 0.7, arousal > 0.5, q > 0.7); the snippet rule; the
// stored row's values. The unbounded in-memory `reflections` list is left to the caller.

#include "emergent/phases.hpp" // unit_draw, seeded_draw

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace sonnet::emergent {

// --- the reflection's generation and stored row (§4.4) ----------------------

inline constexpr double reflection_temperature = 0.9;
inline constexpr int reflection_tokens = 800;
inline constexpr double reflection_quality = 0.7;
inline constexpr const char* reflection_added_by = "metasonnet";

/// A metric as the prototype read it: the value, or 0.5 when missing, NaN or infinite.
double metric_or_default(std::optional<double> value);

/// One interaction's metrics; any may be missing (the prototype's dict keys / pulse).
struct reflection_metrics {
  std::optional<double> dissonance;
  std::optional<double> quality;
  std::optional<double> arousal; ///< pulse.arousal
};

// --- should_reflect (§4.2) ----------------------------------------------------

/// True if d > 0.7, else if q > 0.75, else if arousal > 0.6, else draw() < 0.3 (the only
/// case that draws).
bool should_reflect(const reflection_metrics& m, const unit_draw& draw);

// --- the bootstrap buffer (§4.3) ----------------------------------------------

/// Snippets are cut to this many code points.
inline constexpr std::size_t max_snippet_code_points = 200;

/// The first two lines of sonnet.strip().split('\n') joined by one space, cut to 200 code points.
std::string bootstrap_snippet(std::string_view sonnet);

/// True if a sonnet with these metrics feeds the buffer: d > 0.7 or arousal > 0.5 or q > 0.7.
bool feeds_bootstrap(const reflection_metrics& m);

/// A deque of at most `capacity` snippets, oldest dropped first (Python's deque(maxlen)).
class bootstrap_buffer {
public:
  explicit bootstrap_buffer(std::size_t max_snippets = 5) : capacity_(max_snippets) {}

  /// Appends bootstrap_snippet(sonnet) if feeds_bootstrap(m) and the sonnet is not blank;
  /// returns whether it did.
  bool feed(std::string_view sonnet, const reflection_metrics& m);

  const std::deque<std::string>& snippets() const { return snippets_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return snippets_.size(); }
  bool empty() const { return snippets_.empty(); }

private:
  std::size_t capacity_;
  std::deque<std::string> snippets_;
};

// --- the reflection prompt (defect 17) ----------------------------------------

/// The prompt keeps at most this many code points, the final '\n' included.
inline constexpr std::size_t max_reflection_prompt = 400;

/// The prototype's seed — snippets joined by spaces + ' ' + the first 100 code points of
/// `sonnet`, or all of `sonnet` if the buffer is empty — stripped, cut to its LAST 399 code
/// points and ended with '\n'. An empty seed gives "\n", the prototype's prompt.
std::string reflection_prompt(const bootstrap_buffer& buffer, std::string_view sonnet);

// --- what is stored (§4.4 update_cloud_bias) ----------------------------------

/// The row a reflection adds to the cloud.
struct reflection_row {
  std::string text;
  double quality = reflection_quality;
  double dissonance = 0.5; ///< the interaction's (metric_or_default)
  double temperature = reflection_temperature;
  std::string added_by = reflection_added_by;
};

/// The row to store for a formatted reflection, or nullopt if text::validate rejects it.
std::optional<reflection_row> reflection_to_store(std::string_view formatted,
                                                  std::optional<double> dissonance);

// --- rate limit ---------------------------------------------------------------

/// At most `per_window` reflections started in any `window`, never two in flight. Time is
/// passed in (no clock read, no sleeping), so behaviour is testable.
class reflection_limiter {
public:
  using clock = std::chrono::steady_clock;

  explicit reflection_limiter(std::size_t per_window = 2,
                              clock::duration window = std::chrono::minutes(1))
      : per_window_(per_window), window_(window) {}

  /// Starts a reflection at `now` if none is in flight and fewer than per_window started in
  /// (now − window, now]; returns whether it did.
  bool try_start(clock::time_point now);

  /// The reflection in flight ended (success or not); a no-op when none is.
  void done() { in_flight_ = false; }

  bool in_flight() const { return in_flight_; }

private:
  std::size_t per_window_;
  clock::duration window_;
  bool in_flight_ = false;
  std::deque<clock::time_point> starts_; ///< within the last window, oldest first
};

} // namespace sonnet::emergent
