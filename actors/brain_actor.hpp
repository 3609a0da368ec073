#pragma once
// The brain actor: SonnetBrain (emergent/brain.hpp) behind a mailbox. Scores texts; learns one
// SGD step from each stored sonnet toward its quality (online learning, which the prototype
// never did at run time) and saves the weights after each step, atomically.

#include "caf/fwd.hpp"

#include "actors/emergent_config.hpp"
#include "core/result.hpp"
#include "emergent/brain.hpp"
#include "messages/actors.hpp"

namespace sonnet {

/// The brain's starting state: brain_path if it exists, else brain_init if given, else fresh
/// weights from cfg.seed. A file that exists but does not parse is errc::bad_state_file (and
/// is left as it is).
result<emergent::brain_state> initial_brain_state(const emergent_config& cfg);

/// Spawns a brain actor starting from `state`.
brain_actor spawn_brain(caf::actor_system& sys, const emergent_config& cfg,
                        emergent::brain_state state);

/// SonnetBrain's report on `text` (the features, raw; the score before any learning from it).
brain_report brain_report_of(const emergent::sonnet_brain& brain, const std::string& text);

} // namespace sonnet
