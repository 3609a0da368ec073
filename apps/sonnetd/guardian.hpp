#pragma once
// Keeps a published facade published. Exit handlers stop remote `user_shutdown` exits, but
// CAF 0.17 treats exit_reason::kill as always fatal, so any connected client can kill a
// published actor. The guardian watches the facade and, when it dies while the daemon is
// running, publishes a fresh one on the same port.

#include <cstdint>
#include <functional>
#include <string>

#include "caf/actor.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "messages/actors.hpp"

namespace sonnet::daemon {

/// Publishes `face` on bind:port, through TLS when `tls` (caf::openssl::manager loaded).
caf::expected<uint16_t> publish(const service_actor& face, uint16_t port, const std::string& bind,
                                bool tls);
caf::expected<uint16_t> publish(const model_actor& face, uint16_t port, const std::string& bind,
                                bool tls);

/// Spawns the guardian of `face`, published on bind:port; `respawn` makes a new facade.
/// Sending the guardian an exit stops it and its facade.
caf::actor guard_service(caf::actor_system& sys, service_actor face,
                         std::function<service_actor()> respawn, uint16_t port, std::string bind,
                         bool tls);
caf::actor guard_model(caf::actor_system& sys, model_actor face,
                       std::function<model_actor()> respawn, uint16_t port, std::string bind,
                       bool tls);

} // namespace sonnet::daemon
