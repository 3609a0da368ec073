#pragma once
// The dissonance actor: keeps the cloud vocabulary in memory and is the one place where
// sonnets are judged and then stored, one at a time. Its mailbox order is the cloud's id
// order, so each sonnet is judged against exactly the sonnets stored before it.

#include <chrono>

#include "caf/fwd.hpp"

#include "messages/actors.hpp"

namespace sonnet {

/// Spawns a dissonance actor over `cloud`; it loads the vocabulary before its first message.
/// @param store_timeout how long a store may take before the judge request fails.
dissonance_actor spawn_dissonance(caf::actor_system& sys, cloud_actor cloud,
                                  std::chrono::milliseconds store_timeout);

} // namespace sonnet
