#pragma once
// An actor system with a running service, for one CLI invocation.

#include <memory>

#include "apps/sonnet/common.hpp"
#include "apps/sonnet/settings.hpp"
#include "core/result.hpp"
#include "messages/actors.hpp"

namespace caf {
class actor_system;
}

namespace sonnet::cli {

class front_log;

class session {
public:
  /// Starts an in-process service over the settings' database.
  /// @param choice the model to load, or nullptr for a query-only service.
  /// @param read_only open the database read-only (queries never write).
  /// With a remote target set (--connect), connects to that node's service instead.
  static result<std::unique_ptr<session>> start(const settings& s, const model_choice* choice,
                                                bool read_only);

  /// Makes every later start() connect to a service published at "host:port", or the first
  /// that answers of "A,B,C" with failover between them (apps/sonnet/failover.hpp).
  static void set_remote(std::string host_ports);
  static bool remote();
  ~session();

  caf::actor_system& system();
  service_actor service() const { return service_; }
  /// The front that stored `sonnet_id` (remote sessions; else the current front).
  std::string front_of(int64_t sonnet_id) const;
  /// The front requests go to now ("in-process" without --connect).
  std::string current_front() const;

private:
  explicit session(bool network);
  struct impl;
  std::unique_ptr<impl> impl_;
  std::shared_ptr<front_log> log_;
  /// The in-process service, or the gateway to a remote one; either is ours to stop.
  service_actor service_;
};

/// Resolves the settings and starts the service: with the model for generating (read-write),
/// without it for queries (read-only, so a query never creates or changes a cloud); with the
/// background writers when asked (in-process only: a daemon runs its own, by its config).
result<std::unique_ptr<session>> open_session(const args& a, bool generating,
                                              bool background = false);

} // namespace sonnet::cli
