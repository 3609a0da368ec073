#pragma once
// The formatter actor: the prototype's line rules (text/formatter.hpp) behind a mailbox.

#include "caf/fwd.hpp"

#include "messages/actors.hpp"

namespace sonnet {

/// Spawns a formatter. Stateless and cheap; runs on the cooperative scheduler.
formatter_actor spawn_formatter(caf::actor_system& sys);

} // namespace sonnet
