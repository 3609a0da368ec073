#pragma once
// Facades are what a node publishes. They forward the public interface only, and they ignore
// exit messages from other nodes: in CAF 0.17 any connected peer may send a published actor an
// exit message, and a client must not be able to stop a daemon.

#include "caf/fwd.hpp"

#include "messages/actors.hpp"

namespace sonnet {

/// The public face of a service: generate and the queries, nothing of its control interface.
service_actor spawn_service_facade(caf::actor_system& sys, service_actor target);

/// The public face of a worker's model pool.
model_actor spawn_model_facade(caf::actor_system& sys, model_actor target);

} // namespace sonnet
