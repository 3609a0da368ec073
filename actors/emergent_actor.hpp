#pragma once
// The emergent layer of one service: the brain and phase actors under a small supervisor that
// fans each stored sonnet out to them and to subscribers. The service sends it one message per
// stored sonnet and never waits on it, so nothing here can slow the judge-and-store path.
//
// Supervision: the supervisor monitors its parts (and ends them when it ends). A part that dies
// is restarted from its state file (what it saved after its last acknowledged event), at most
// max_restarts_per_minute times a minute; after that it stays down and its queries answer
// errc::emergent_off, while the service goes on. The event a part died on is not retried (it
// may be what killed it).

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "actors/emergent_config.hpp"
#include "messages/actors.hpp"

namespace sonnet {

/// Loads the parts' state (a bad state file is errc::bad_state_file, before anything is
/// spawned) and spawns the supervisor with its brain and phase actors.
caf::expected<emergent_actor> spawn_emergent(caf::actor_system& sys, const emergent_config& cfg);

} // namespace sonnet
