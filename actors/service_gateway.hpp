#pragma once
// A local stand-in for a remote service (a client's view of sonnetd). CAF 0.17 does not fail
// requests to a node that went away: they wait for their timeout, and requests sent after the
// node's DOWN wait too. The gateway monitors the remote service, fails every request in flight
// the moment it goes down (errc::no_worker), and answers later requests at once the same way.

#include "caf/fwd.hpp"

#include "messages/actors.hpp"

namespace sonnet {

/// Spawns a gateway in front of `remote` (a handle from remote_actor<service_actor>).
service_actor spawn_service_gateway(caf::actor_system& sys, service_actor remote);

} // namespace sonnet
