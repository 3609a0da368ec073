#pragma once
// The dissonance actor: keeps the cloud vocabulary in memory and is the one place where
// sonnets are judged and then stored. Its mailbox order is the cloud's id order, and each sonnet
// is judged against exactly the sonnets stored before it. Sonnets judged while a commit is
// outstanding go to the cloud together in the next transaction (group commit: one fsync for
// all of them); each requester hears back only once its sonnet is committed.

#include <chrono>

#include "caf/fwd.hpp"

#include "messages/actors.hpp"

namespace sonnet {

/// Spawns a dissonance actor over `cloud`; it loads the vocabulary before its first message.
/// @param store_timeout how long one transaction may take before its judge requests fail.
dissonance_actor spawn_dissonance(caf::actor_system& sys, cloud_actor cloud,
                                  std::chrono::milliseconds store_timeout);

} // namespace sonnet
