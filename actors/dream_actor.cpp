#include "actors/dream_actor.hpp"

#include <cstdio>
#include <filesystem>

#include "caf/all.hpp"

#include "actors/state_saves.hpp"
#include "core/random_bits.hpp"
#include "emergent/dream.hpp"
#include "messages/errors.hpp"

namespace sonnet {

namespace {

struct dream_actor_state {
  emergent::dream_state dreams;
  emergent_config cfg;
  bool save_failing = false;
  static inline const char* name = "sonnet-dream";
};

using self_ptr = dream_actor::stateful_pointer<dream_actor_state>;

void save(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.learn || st.cfg.dream_path.empty())
    return;
  report_save(emergent::save_dream_state(st.cfg.dream_path, st.dreams), st.save_failing, "dream");
}

dream_actor::behavior_type dream_fn(self_ptr self, emergent_config cfg,
                                    std::shared_ptr<emergent::dream_state> initial) {
  self->state.cfg = std::move(cfg);
  self->state.dreams = std::move(*initial);
  return {
    [=](atom::dream, const std::string& mode, const std::vector<std::string>& texts) {
      auto& st = self->state;
      // A walk's seed: the configured one and how many vectors were dreamt before, so the same
      // commands on the same cloud print the same numbers.
      auto seed =
        splitmix64_mix((st.cfg.seed ^ 0x6472656d) + st.dreams.observations * splitmix64_gamma) >> 11;
      auto before = st.dreams.observations;
      auto lines = emergent::dream(st.dreams, mode, texts, seed);
      if (st.dreams.observations != before)
        save(self);
      return lines;
    },
  };
}

} // namespace

caf::expected<dream_actor> spawn_dream(caf::actor_system& sys, const emergent_config& cfg) {
  auto state = std::make_shared<emergent::dream_state>();
  std::error_code ec;
  if (!cfg.dream_path.empty() && std::filesystem::exists(cfg.dream_path, ec)) {
    auto loaded = emergent::load_dream_state(cfg.dream_path);
    if (!loaded)
      return to_caf(loaded.err());
    *state = std::move(*loaded);
  } else {
    // Drawn once from the seed and saved at once, so the encoder never changes afterwards.
    *state = emergent::fresh_dream_state(cfg.seed);
    if (cfg.learn && !cfg.dream_path.empty())
      if (auto saved = emergent::save_dream_state(cfg.dream_path, *state); !saved)
        return to_caf(saved.err());
  }
  return sys.spawn(dream_fn, cfg, std::move(state));
}

} // namespace sonnet
