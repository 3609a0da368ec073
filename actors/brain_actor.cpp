#include "actors/brain_actor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "caf/all.hpp"

#include "actors/state_saves.hpp"
#include "messages/errors.hpp"

namespace sonnet {

namespace {

struct brain_actor_state {
  brain_actor_state() : brain(emergent::brain_state{}) {}
  emergent::sonnet_brain brain;
  emergent_config cfg;
  /// The last save failed: said once, not on every step, until a save works again.
  bool save_failing = false;
  static inline const char* name = "sonnet-brain";
};

using self_ptr = brain_actor::stateful_pointer<brain_actor_state>;

bool learn_from(self_ptr self, const sonnet_stored& s) {
  auto& st = self->state;
  if (!st.cfg.learn || !std::isfinite(s.quality))
    return false;
  auto q = std::clamp(s.quality, 0.0, 1.0);
  if (auto step = st.brain.learn(s.text, q); !step)
    return false; // only an out-of-range target fails, and q is clamped
  if (st.cfg.brain_path.empty())
    return true;
  return report_save(emergent::save_brain_state(st.cfg.brain_path, st.brain.state()),
                     st.save_failing, "brain");
}

brain_actor::behavior_type brain_fn(self_ptr self, emergent_config cfg,
                                    emergent::brain_state initial) {
  self->state.cfg = std::move(cfg);
  self->state.brain = emergent::sonnet_brain(initial);
  return {
    [=](atom::stored, const sonnet_stored& s) { return learn_from(self, s); },
    [=](atom::score, const std::string& text) {
      return brain_report_of(self->state.brain, text);
    },
  };
}

} // namespace

result<emergent::brain_state> initial_brain_state(const emergent_config& cfg) {
  std::error_code ec;
  if (!cfg.brain_path.empty() && std::filesystem::exists(cfg.brain_path, ec))
    return emergent::load_brain_state(cfg.brain_path);
  if (!cfg.brain_init.empty())
    return emergent::load_brain_state(cfg.brain_init);
  std::mt19937_64 rng(cfg.seed);
  return emergent::fresh_brain_state(rng);
}

brain_actor spawn_brain(caf::actor_system& sys, const emergent_config& cfg,
                        emergent::brain_state state) {
  return sys.spawn(brain_fn, cfg, state);
}

brain_report brain_report_of(const emergent::sonnet_brain& brain, const std::string& text) {
  auto f = emergent::extract_features(text);
  brain_report r;
  r.output = brain.output(text);
  r.score = brain.score(text);
  r.features = {f.line_count,        f.avg_syllables,     f.syllable_variance, f.avg_word_length,
                f.unique_word_ratio, f.shakespeare_score, f.coherence_score,   f.novelty};
  r.observations = static_cast<int64_t>(brain.state().observations);
  r.last_loss = brain.state().last_loss;
  return r;
}

} // namespace sonnet
