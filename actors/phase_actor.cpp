#include "actors/phase_actor.hpp"
#include "core/random_bits.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "caf/all.hpp"

#include "actors/state_saves.hpp"

namespace sonnet {

namespace {

struct phase_actor_state {
  /// The key of the next PLASMA draw (phase_draw): the update's number.
  std::shared_ptr<uint64_t> draw_key = std::make_shared<uint64_t>(0);
  std::unique_ptr<emergent::phase_transitions> phases;
  emergent_config cfg;
  bool save_failing = false;
  static inline const char* name = "sonnet-phases";
};

using self_ptr = phase_actor::stateful_pointer<phase_actor_state>;

bool update_from(self_ptr self, const sonnet_stored& s) {
  auto& st = self->state;
  // The prototype moved its phases once per user turn; background writers' sonnets (MetaSonnet,
  // Overthinkng) would drive the temperature by themselves.
  if (!st.cfg.learn || s.added_by != "user")
    return false;
  emergent::phase_metrics m{s.dissonance, s.p.novelty, s.quality};
  *st.draw_key = st.phases->record().observations + 1;
  auto before = st.phases->state().current;
  auto u = st.phases->update(m);
  if (!u)
    return false; // a non-finite metric: refused, nothing changed
  if (u->transitioned)
    std::fprintf(stderr, "phases: %s -> %s (temperature %.2f)\n", emergent::to_string(before),
                 emergent::to_string(u->to), st.phases->state().temperature_sonnet);
  if (st.cfg.phases_path.empty())
    return true;
  return report_save(emergent::save_phase_record(st.cfg.phases_path, st.phases->record()),
                     st.save_failing, "phases");
}

phase_actor::behavior_type phases_fn(self_ptr self, emergent_config cfg,
                                     emergent::phase_record initial) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  auto seed = st.cfg.seed;
  auto key = st.draw_key;
  st.phases = std::make_unique<emergent::phase_transitions>(
    [seed, key] { return phase_draw(seed, *key); }, std::move(initial));
  return {
    [=](atom::stored, const sonnet_stored& s) { return update_from(self, s); },
    [=](atom::phase) { return phase_info_of(self->state.phases->record()); },
  };
}

} // namespace

double phase_draw(uint64_t seed, uint64_t observations) {
  // splitmix64 of (seed, n): independent of how many draws came before.
  return unit_from_bits(splitmix64_mix(seed + observations * splitmix64_gamma));
}

result<emergent::phase_record> initial_phase_record(const emergent_config& cfg) {
  std::error_code ec;
  if (!cfg.phases_path.empty() && std::filesystem::exists(cfg.phases_path, ec))
    return emergent::load_phase_record(cfg.phases_path);
  return emergent::phase_record{};
}

phase_actor spawn_phases(caf::actor_system& sys, const emergent_config& cfg,
                         emergent::phase_record record) {
  return sys.spawn(phases_fn, cfg, std::move(record));
}

phase_info phase_info_of(const emergent::phase_record& r) {
  phase_info i;
  i.phase = emergent::to_string(r.state.current);
  i.temperature_sonnet = r.state.temperature_sonnet;
  i.temperature_haiku = r.state.temperature_haiku;
  i.stability = r.state.stability;
  i.transition_prob = r.state.transition_prob;
  i.duration = static_cast<int64_t>(r.state.duration);
  i.observations = static_cast<int64_t>(r.observations);
  return i;
}

} // namespace sonnet
