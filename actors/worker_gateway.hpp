#pragma once
// A gateway to one remote worker node: a local model actor that forwards rounds to the
// worker's published model pool, reconnects when the worker comes back, and fails the rounds
// in flight the moment the worker's node goes down (CAF 0.17 would let them wait for their
// timeout). While disconnected it answers at once with errc::no_worker.

#include <chrono>
#include <functional>
#include <string>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "messages/actors.hpp"

namespace sonnet {

struct gateway_config {
  /// Pause between connection attempts while the worker is unreachable.
  std::chrono::milliseconds reconnect_interval = std::chrono::milliseconds(500);
  /// How long one connection attempt (connect and handshake) may take before the next one.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  /// Upper bound for one round on the worker (the pool's own timeout is usually shorter).
  std::chrono::milliseconds round_timeout = std::chrono::minutes(10);
  /// Connect through TLS (the actor system must have loaded caf::openssl::manager).
  bool tls = false;
  /// Where CAF should connect to reach the worker at (host, port): sonnetd passes its dialer
  /// (net/dialer.hpp), a loopback relay; empty = connect directly.
  std::function<caf::expected<std::pair<std::string, uint16_t>>(const std::string&, uint16_t)> dial;
};

/// Splits "host:port"; errc::invalid_argument on anything else.
caf::expected<std::pair<std::string, uint16_t>> parse_host_port(const std::string& s);

/// Spawns a gateway to the worker at `host_port` ("127.0.0.1:4243"). Needs the middleman.
caf::expected<model_actor> spawn_worker_gateway(caf::actor_system& sys,
                                                const std::string& host_port, gateway_config cfg);

} // namespace sonnet
