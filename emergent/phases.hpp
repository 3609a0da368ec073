#pragma once
// PhaseTransitions: the prototype's temperature state machine (EMERGENT-SPEC §3), as pure logic.
//
// Four phases, each with base sampling temperatures (sonnet, haiku): CRYSTALLINE (0.5, 0.6),
// LIQUID (0.8, 0.8), VAPOR (1.1, 1.0), PLASMA (1.5, 1.2). Every judged sonnet feeds one
// update(dissonance, novelty, quality); the rules of §3.3 decide, first match wins, whether the
// phase changes; the sonnet temperature then drifts inside LIQUID (§3.2 step 5).
//
// Kept from the prototype on purpose (the §16 traces and the persisted file depend on them):
//  * Rule 0, "duration < 3 → no transition", is the minimum stay of every phase; it also stops
//    the accumulator P from growing during those updates.
//  * Rule 7 reads "PLASMA and duration >= 2", but rule 0 runs first, so PLASMA always lasts
//    exactly 3 updates (defect 5). We keep the observable behaviour — 3 updates — and write
//    the rule as the prototype did, with this note, rather than silently shortening PLASMA.
//  * Rules 2 and 3 share one accumulator and can both add to it in one update.
//  * `stability` is informational (nothing reads it) and `temperature_haiku` only changes on a
//    transition; both are kept because the state file carries them.
//  * The histories loaded from a file are used for the trends even if, like the shipped file,
//    they are synthetic (defect 37: that is a property of the data, not of this code).
//
// Fixed:
//  * Defect 6 (unseeded np.random for the PLASMA entry): the 15 % draw comes from an injected
//    generator of uniform numbers in [0, 1) — seeded_draw(seed) or any callback — so a run
//    replays exactly. A draw is taken only when rule 6 is actually evaluated (dissonance > 0.95,
//    duration > 5, no earlier rule fired), so the sequence of draws is part of the replay.
//  * Defect 7 (saved only every 5th update, never at exit, crash if state/ is missing):
//    update() never saves; the owner calls save_phase_record() whenever it likes (e.g. after
//    every update — the file is small), the write is atomic and a missing directory is an
//    error value, not a crash.
//  * An unknown phase name in the file was an uncaught KeyError; here it is errc::bad_state_file.
//  * Non-finite metrics would poison the trend history for the next 20 updates; update()
//    refuses them (errc::invalid_argument) and changes nothing.
//  * Trends are the least-squares slope in closed form, Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², which is
//    what np.polyfit(x, y, 1)[0] computes up to rounding (polyfit goes through an SVD), so a
//    slope at exactly a threshold could compare differently in the last bit.

#include "core/result.hpp"

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sonnet::emergent {

enum class phase : std::uint8_t { crystalline = 0, liquid = 1, vapor = 2, plasma = 3 };

/// The prototype's enum names, as stored in the file: "CRYSTALLINE", "LIQUID", "VAPOR", "PLASMA".
const char* to_string(phase p);

/// Prints to_string(p); lets tests and logs show phases by name.
std::ostream& operator<<(std::ostream& os, phase p);

/// The phase named `name` (exact upper-case name), or nullopt.
std::optional<phase> phase_from_name(std::string_view name);

struct phase_temperatures {
  double sonnet = 0.8;
  double haiku = 0.8;
};

/// The temperatures a phase starts with (§3.1).
phase_temperatures base_temperatures(phase p);

/// One update's inputs; each defaults to 0.5 as a missing key did in the prototype.
struct phase_metrics {
  double dissonance = 0.5;
  double novelty = 0.5;
  double quality = 0.5;
};

/// The prototype's PhaseState.
struct phase_state {
  phase current = phase::liquid;
  double temperature_sonnet = 0.8;
  double temperature_haiku = 0.8;
  double stability = 0.7;       ///< 0.5 on entering a phase, +0.05 per update, at most 1
  double transition_prob = 0.0; ///< the accumulator P of §3.3
  std::uint64_t duration = 0;   ///< updates since the last transition
};

/// Everything phase_transitions.json holds: the state, the update count and the last (at most
/// history_limit) metrics, oldest first. The three histories always have equal length.
struct phase_record {
  phase_state state;
  std::uint64_t observations = 0;
  std::vector<double> dissonance_history;
  std::vector<double> novelty_history;
  std::vector<double> quality_history;
};

/// Histories keep the last 20 metrics.
inline constexpr std::size_t history_limit = 20;

/// Least-squares slope of `values` against x = 0..n−1; 0 for n < 2.
double slope(const std::vector<double>& values);

struct phase_trends {
  double dissonance = 0;
  double novelty = 0;
  double quality = 0;
};

/// §3.2 step 3: all 0 with fewer than 3 samples, else each history's slope.
phase_trends compute_trends(const phase_record& r);

/// A source of uniform numbers in [0, 1).
using unit_draw = std::function<double()>;

/// A std::mt19937_64 seeded with `seed`, mapped to [0, 1) as (u >> 11)·2⁻⁵³ — a fixed mapping
/// (std::uniform_real_distribution's is the library's choice), so a seed replays anywhere.
unit_draw seeded_draw(std::uint64_t seed);

/// What one update did.
struct phase_update {
  bool transitioned = false;
  phase from = phase::liquid;
  phase to = phase::liquid;
};

class phase_transitions {
public:
  /// Rule 6's chance of entering PLASMA.
  static constexpr double plasma_chance = 0.15;

  /// Starts from `initial` (the prototype's fresh state by default); `draw` feeds rule 6.
  explicit phase_transitions(unit_draw draw, phase_record initial = {});

  /// §3.2: records the metrics, counts the update, checks the rules of §3.3 (a transition
  /// resets the state as in §3.4, otherwise P decays by 0.9), then adjusts the temperature.
  /// A non-finite metric is errc::invalid_argument and changes nothing.
  result<phase_update> update(const phase_metrics& m);

  const phase_state& state() const { return record_.state; }
  const phase_record& record() const { return record_; }
  phase_temperatures temperatures() const {
    return {record_.state.temperature_sonnet, record_.state.temperature_haiku};
  }

private:
  void remember(const phase_metrics& m);
  std::optional<phase> check_transition(const phase_metrics& m, const phase_trends& t);
  std::optional<phase> check_accumulating_rules(const phase_metrics& m, const phase_trends& t);
  bool accumulate(bool condition, double step, double threshold);
  void transition_to(phase next);
  void adjust_temperatures(const phase_metrics& m);

  unit_draw draw_;
  phase_record record_;
};

// --- phase_transitions.json (§3.6) ------------------------------------------

/// Parses the prototype's format. Missing keys take the prototype's defaults (LIQUID, 0.8,
/// 0.8, 0.7, 0.0, 0, 0, [], [], []); present keys must have the right type (a known phase name;
/// finite numbers; non-negative integers for duration and observations; arrays of finite
/// numbers of equal length). Longer histories keep their last 20 entries, as the prototype's
/// next update would. Errors are errc::bad_state_file naming `origin` and the field.
result<phase_record> parse_phase_record(std::string_view json_text, const std::string& origin);

/// The prototype's layout: keys in its order, indent 2, no trailing newline. A non-finite
/// number is errc::invalid_argument.
result<std::string> phase_record_json(const phase_record& r);

/// read_state_file + parse_phase_record.
result<phase_record> load_phase_record(const std::string& path);

/// phase_record_json + write_state_file (atomic: the old file survives any failure).
result<void> save_phase_record(const std::string& path, const phase_record& r);

} // namespace sonnet::emergent
