#pragma once
// The dissonance actor: the one place where this process's sonnets go to be judged and stored.
// Its mailbox order is this process's id order. Sonnets that arrive while a commit is
// outstanding go to the cloud together in the next transaction (group commit: one fsync for all
// of them); the cloud judges each inside that transaction against exactly the sonnets stored
// before it, by any process. Each requester hears back only once its sonnet is committed.

#include <chrono>

#include "caf/fwd.hpp"

#include "messages/actors.hpp"

namespace sonnet {

/// Spawns a dissonance actor over `cloud`.
/// @param store_timeout how long one transaction may take before its judge requests fail.
dissonance_actor spawn_dissonance(caf::actor_system& sys, cloud_actor cloud,
                                  std::chrono::milliseconds store_timeout);

} // namespace sonnet
