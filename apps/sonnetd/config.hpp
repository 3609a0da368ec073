#pragma once
// sonnetd's configuration: CAF's config format (configs/sonnetd.conf), every key also a
// --key=value flag. Precedence: flag > config file > the defaults below.

#include <cstdint>
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
  /// Shared by every node of one cluster: nodes with another key are refused at handshake.
  std::string cluster_key;
  /// How long SIGTERM waits for requests in flight before failing them.
  caf::timespan drain_timeout = std::chrono::seconds(8);

  config();
};

/// Checks the values (role, workers, paths) and says what is wrong.
std::string check(const config& cfg);

/// The workers list, split.
std::vector<std::string> worker_list(const config& cfg);

} // namespace sonnet::daemon
