#pragma once
// sonnetd's configuration: CAF's config format (configs/sonnetd.conf), every key also a
// --key=value flag. Precedence: flag > config file > the defaults below.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "caf/actor_system_config.hpp"

namespace sonnet::daemon {

struct config : caf::actor_system_config {
  /// standalone (model + cloud), front (cloud; rounds go to workers) or worker (models only).
  std::string role = "standalone";
  /// TCP port to publish on; 0 picks a free one (printed at start).
  uint16_t port = 4242;
  /// Address to listen on. Anything but loopback is an explicit choice.
  std::string bind = "127.0.0.1";
  std::string db = "sonnets.db";
  std::string model;
  /// Worker nodes of a front node: "host:port,host:port".
  std::string workers;
  /// Model actors of a standalone or worker node (each on its own thread).
  int32_t model_actors = 2;
  /// Sequences decoded at once across the model actors (standalone, worker); more wait in
  /// arrival order (actors/model_pool.hpp).
  int32_t max_sequences = 64;
  /// Shared by every node of one cluster: nodes with another key are refused at handshake.
  std::string cluster_key;
  /// The emergent layer (brain, phases, dreams): on by default; its state files sit beside db.
  std::string emergent = "on";
  std::string temperature_policy = "bands";
  std::string metasonnet = "off";
  std::string overthinkng = "off";
  std::string brain_init;
  int64_t emergent_seed = 18;
  /// How long SIGTERM waits for requests in flight before failing them.
  caf::timespan drain_timeout = std::chrono::seconds(8);
  /// HTTP/JSON API (standalone and front): "off" (default; also "" or "0"), "auto" (a free
  /// port, printed at start) or a port number. A string so that "auto" fits; in the config
  /// file write it quoted (http-port = "8080"): CAF silently ignores an unquoted number here.
  std::string http_port = "off";
  /// Address of the HTTP API; empty means the same as `bind`.
  std::string http_bind;
  /// API calls waiting for the service at once; more get 429 with Retry-After.
  int32_t http_max_in_flight = 64;
  /// How long one API call may wait for the service; then 504.
  caf::timespan http_request_timeout = std::chrono::minutes(5);
  /// HTTP connections open at once, in all and per client address (beyond: 503 and closed),
  /// and the deadlines of a request's head and body (a byte at a time does not extend them).
  int32_t http_max_connections = 4096;
  int32_t http_max_connections_per_address = 32;
  caf::timespan http_head_timeout = std::chrono::seconds(10);
  caf::timespan http_body_timeout = std::chrono::seconds(30);
  /// A client whose socket has left data unacknowledged this long is gone (a partition sends
  /// no FIN): its request is cancelled.
  caf::timespan http_unacked_timeout = std::chrono::seconds(15);
  /// The guard on the CAF port (net/caf_guard.hpp): connections that have not completed the
  /// BASP (or TLS) handshake by then are closed; at most this many may be in their handshake
  /// (a new one beyond closes the oldest); no BASP message from a peer may be larger.
  caf::timespan handshake_timeout = std::chrono::seconds(5);
  int32_t max_pending_connections = 64;
  int32_t max_message_size = 1 << 20; // the largest real one: a 20000-token context, ~80 KB

  config();

  /// The config file (config_file_path) against the declared options, ours and CAF's: an
  /// unknown key or an ill-typed value, named (CAF itself ignores both in silence); empty when
  /// the file is fine or absent.
  std::string check_file() const;
};

/// Checks the values (role, workers, paths) and says what is wrong.
std::string check(const config& cfg);

/// The HTTP port to bind (0 = any free port), or nullopt when the API is off. Call after check().
std::optional<uint16_t> http_port(const config& cfg);

/// How long a peer may be silent before its link is cut: the configured
/// middleman.connection-timeout, which our relays (net/) enforce. CAF's own check is switched
/// off here (set to 0): CAF 0.17 starts it at a handshake's first tick and so kills every
/// connection whose handshake is slower than one heartbeat interval. Call before the actor
/// system is made.
std::chrono::milliseconds take_link_timeout(config& cfg);

/// The workers list, split.
std::vector<std::string> worker_list(const config& cfg);

} // namespace sonnet::daemon
