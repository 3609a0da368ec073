#pragma once
// The formatter actor: the prototype's line rules (text/formatter.hpp) and the quality score
// (text/quality.hpp) behind a mailbox; picks the best of several candidates.

#include "caf/fwd.hpp"

#include "messages/actors.hpp"

namespace sonnet {

/// Spawns a formatter. Cheap per message (about 0.1 ms a candidate); runs on the cooperative
/// scheduler. Loads the shared pronouncing dictionary once.
formatter_actor spawn_formatter(caf::actor_system& sys);

} // namespace sonnet
