#pragma once
// The dream actor: /dream's latent vectors (emergent/dream.hpp) behind a mailbox. Its encoder
// weights are drawn from the configured seed once and saved (dream_path), so a dream of the
// same sonnets prints the same numbers on every run; the dreams it makes are saved too.

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "actors/emergent_config.hpp"
#include "messages/actors.hpp"

namespace sonnet {

/// Loads (or creates and saves) the dream state and spawns the actor; a state file that does
/// not parse is errc::bad_state_file, and is left as it is.
caf::expected<dream_actor> spawn_dream(caf::actor_system& sys, const emergent_config& cfg);

} // namespace sonnet
