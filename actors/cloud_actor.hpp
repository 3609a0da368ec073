#pragma once
// The cloud actor: the only owner of the sonnet cloud's store (and so of its SQLite connection).

#include <memory>

#include "caf/fwd.hpp"

#include "messages/actors.hpp"
#include "persistence/store.hpp"

namespace sonnet {

/// Spawns the cloud actor, handing it the already-opened store.
/// @param detached true gives it its own thread, so fsyncs never hold a scheduler thread.
cloud_actor spawn_cloud(caf::actor_system& sys, std::unique_ptr<persistence::store> store,
                        bool detached);

} // namespace sonnet
