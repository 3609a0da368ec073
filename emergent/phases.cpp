#include "emergent/phases.hpp"
#include "core/random_bits.hpp"

#include "emergent/json_fields.hpp"
#include "emergent/state_file.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <random>

namespace sonnet::emergent {

namespace {

// §3.3 rule 0: no phase is left before its third update.
constexpr std::uint64_t min_stay = 3;
// §3.2 step 4: P shrinks by this factor on every update without a transition.
constexpr double prob_decay = 0.9;
// Rule 6: PLASMA needs this dissonance, after more than this many updates in the phase.
constexpr double plasma_dissonance = 0.95;
constexpr std::uint64_t plasma_min_duration = 5;
// Rule 7 as written; rule 0 makes it 3 in effect (defect 5, see the header).
constexpr std::uint64_t plasma_exit_duration = 2;

constexpr const char* phase_names[] = {"CRYSTALLINE", "LIQUID", "VAPOR", "PLASMA"};

bool finite(const phase_metrics& m) {
  return std::isfinite(m.dissonance) && std::isfinite(m.novelty) && std::isfinite(m.quality);
}

void push_bounded(std::vector<double>& history, double value) {
  history.push_back(value);
  if (history.size() > history_limit)
    history.erase(history.begin(), history.end() - history_limit);
}

} // namespace

const char* to_string(phase p) {
  return phase_names[static_cast<int>(p)];
}

std::ostream& operator<<(std::ostream& os, phase p) {
  return os << to_string(p);
}

std::optional<phase> phase_from_name(std::string_view name) {
  for (int k = 0; k < 4; ++k)
    if (name == phase_names[k])
      return static_cast<phase>(k);
  return std::nullopt;
}

phase_temperatures base_temperatures(phase p) {
  switch (p) {
  case phase::crystalline:
    return {0.5, 0.6};
  case phase::liquid:
    return {0.8, 0.8};
  case phase::vapor:
    return {1.1, 1.0};
  case phase::plasma:
    return {1.5, 1.2};
  }
  return {0.8, 0.8};
}

double slope(const std::vector<double>& y) {
  const std::size_t n = y.size();
  if (n < 2)
    return 0.0;
  const double x_mean = static_cast<double>(n - 1) / 2.0;
  double y_mean = 0;
  for (double v : y)
    y_mean += v;
  y_mean /= static_cast<double>(n);
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = static_cast<double>(i) - x_mean;
    sxy += dx * (y[i] - y_mean);
    sxx += dx * dx;
  }
  return sxy / sxx;
}

phase_trends compute_trends(const phase_record& r) {
  if (r.dissonance_history.size() < 3)
    return {};
  return {slope(r.dissonance_history), slope(r.novelty_history), slope(r.quality_history)};
}

unit_draw seeded_draw(std::uint64_t seed) {
  return [rng = std::mt19937_64(seed)]() mutable {
    return unit_from_bits(rng());
  };
}

// --- the state machine ------------------------------------------------------

phase_transitions::phase_transitions(unit_draw draw, phase_record initial)
    : draw_(std::move(draw)), record_(std::move(initial)) {}

result<phase_update> phase_transitions::update(const phase_metrics& m) {
  if (!finite(m))
    return fail(errc::invalid_argument, "phase update: metrics must be finite numbers");
  remember(m);
  record_.state.duration += 1;
  record_.observations += 1;
  phase_update u{false, record_.state.current, record_.state.current};
  if (auto next = check_transition(m, compute_trends(record_))) {
    u.to = *next;
    u.transitioned = true;
    transition_to(*next);
  } else {
    record_.state.transition_prob *= prob_decay;
  }
  adjust_temperatures(m);
  return u;
}

void phase_transitions::remember(const phase_metrics& m) {
  push_bounded(record_.dissonance_history, m.dissonance);
  push_bounded(record_.novelty_history, m.novelty);
  push_bounded(record_.quality_history, m.quality);
}

std::optional<phase> phase_transitions::check_transition(const phase_metrics& m,
                                                         const phase_trends& t) {
  const phase_state& s = record_.state;
  if (s.duration < min_stay) // rule 0
    return std::nullopt;
  if (auto next = check_accumulating_rules(m, t)) // rules 1-5
    return next;
  // Rule 6. The draw is taken only here, so replaying the metrics replays the draws.
  if (m.dissonance > plasma_dissonance && s.duration > plasma_min_duration &&
      draw_() < plasma_chance)
    return phase::plasma;
  if (s.current == phase::plasma && s.duration >= plasma_exit_duration) // rule 7
    return phase::liquid;
  return std::nullopt;
}

// Rules 1-5: a qualifying update adds `step` to P; the phase changes once P passes `threshold`.
std::optional<phase> phase_transitions::check_accumulating_rules(const phase_metrics& m,
                                                                 const phase_trends& t) {
  const double d = m.dissonance, n = m.novelty, q = m.quality;
  switch (record_.state.current) {
  case phase::crystalline:
    if (accumulate(t.dissonance > 0.05 || d > 0.7, 0.3, 0.7))
      return phase::liquid;
    break;
  case phase::liquid:
    if (accumulate(std::abs(t.novelty) < 0.01 && n < 0.3, 0.2, 0.6))
      return phase::vapor;
    if (accumulate(q > 0.8 && d < 0.4, 0.25, 0.7))
      return phase::crystalline;
    break;
  case phase::vapor:
    if (accumulate(t.quality > 0.05, 0.3, 0.6))
      return phase::liquid;
    if (accumulate(q < 0.5 && t.quality < -0.05, 0.4, 0.7))
      return phase::crystalline;
    break;
  case phase::plasma:
    break;
  }
  return std::nullopt;
}

bool phase_transitions::accumulate(bool condition, double step, double threshold) {
  if (!condition)
    return false;
  record_.state.transition_prob += step;
  return record_.state.transition_prob > threshold;
}

// §3.4: base temperatures of the new phase, stability 0.5, P 0, duration 0; histories and the
// observation count stay.
void phase_transitions::transition_to(phase next) {
  const phase_temperatures t = base_temperatures(next);
  record_.state = phase_state{next, t.sonnet, t.haiku, 0.5, 0.0, 0};
}

// §3.2 step 5: only LIQUID drifts with dissonance (strict comparisons); stability always grows.
void phase_transitions::adjust_temperatures(const phase_metrics& m) {
  phase_state& s = record_.state;
  if (s.current == phase::liquid) {
    if (m.dissonance > 0.7)
      s.temperature_sonnet = std::min(1.0, s.temperature_sonnet + 0.05);
    else if (m.dissonance < 0.3)
      s.temperature_sonnet = std::max(0.6, s.temperature_sonnet - 0.05);
  }
  s.stability = std::min(1.0, s.stability + 0.05);
}

// --- phase_transitions.json -------------------------------------------------

using namespace detail;

namespace {

result<phase> phase_field(const json& obj, const std::string& origin) {
  const auto it = obj.find("phase");
  if (it == obj.end())
    return phase::liquid;
  const auto p = it->is_string() ? phase_from_name(it->get<std::string>()) : std::nullopt;
  if (!p)
    return bad_field(origin, "`phase` must be one of CRYSTALLINE, LIQUID, VAPOR, PLASMA");
  return *p;
}

result<phase_state> parse_state(const json& doc, const std::string& origin) {
  auto current = phase_field(doc, origin);
  auto t_sonnet = finite_field(doc, "temperature_sonnet", 0.8, origin);
  auto t_haiku = finite_field(doc, "temperature_haiku", 0.8, origin);
  auto stability = finite_field(doc, "stability", 0.7, origin);
  auto prob = finite_field(doc, "transition_prob", 0.0, origin);
  auto duration = count_field(doc, "duration", origin);
  if (const error* e = first_error(current, t_sonnet, t_haiku, stability, prob, duration))
    return *e;
  return phase_state{*current, *t_sonnet, *t_haiku, *stability, *prob, *duration};
}

std::vector<double> last_entries(std::vector<double> v) {
  if (v.size() > history_limit)
    v.erase(v.begin(), v.end() - history_limit);
  return v;
}

result<void> parse_histories(const json& doc, const std::string& origin, phase_record& r) {
  auto d = numbers_field(doc, "dissonance_history", origin);
  auto n = numbers_field(doc, "novelty_history", origin);
  auto q = numbers_field(doc, "quality_history", origin);
  if (const error* e = first_error(d, n, q))
    return *e;
  if (d->size() != n->size() || d->size() != q->size())
    return bad_field(origin, "the three histories must have the same length");
  r.dissonance_history = last_entries(std::move(*d));
  r.novelty_history = last_entries(std::move(*n));
  r.quality_history = last_entries(std::move(*q));
  return {};
}

bool all_finite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

bool all_finite(const phase_record& r) {
  const phase_state& s = r.state;
  return std::isfinite(s.temperature_sonnet) && std::isfinite(s.temperature_haiku) &&
         std::isfinite(s.stability) && std::isfinite(s.transition_prob) &&
         all_finite(r.dissonance_history) && all_finite(r.novelty_history) &&
         all_finite(r.quality_history);
}

} // namespace

result<phase_record> parse_phase_record(std::string_view json_text, const std::string& origin) {
  auto doc = parse_json_object(json_text, origin);
  if (!doc)
    return doc.err();
  auto state = parse_state(*doc, origin);
  if (!state)
    return state.err();
  auto observations = count_field(*doc, "observations", origin);
  if (!observations)
    return observations.err();
  phase_record r;
  r.state = *state;
  r.observations = *observations;
  if (auto h = parse_histories(*doc, origin, r); !h)
    return h.err();
  return r;
}

result<std::string> phase_record_json(const phase_record& r) {
  if (!all_finite(r))
    return fail(errc::invalid_argument, "phase state holds a non-finite number; not saved");
  nlohmann::ordered_json doc;
  doc["phase"] = to_string(r.state.current);
  doc["temperature_sonnet"] = r.state.temperature_sonnet;
  doc["temperature_haiku"] = r.state.temperature_haiku;
  doc["stability"] = r.state.stability;
  doc["transition_prob"] = r.state.transition_prob;
  doc["duration"] = r.state.duration;
  doc["observations"] = r.observations;
  doc["dissonance_history"] = r.dissonance_history;
  doc["novelty_history"] = r.novelty_history;
  doc["quality_history"] = r.quality_history;
  return doc.dump(2);
}

result<phase_record> load_phase_record(const std::string& path) {
  return load_state<phase_record>(path, parse_phase_record);
}

result<void> save_phase_record(const std::string& path, const phase_record& r) {
  return save_state(path, r, phase_record_json);
}

} // namespace sonnet::emergent
