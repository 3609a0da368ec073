#pragma once
// Several front addresses (`--connect=A,B,C`) and failover between them.
//
// Semantics (also in `sonnet --help`):
// * connect: the addresses are tried in order; each gets a TCP probe bounded by
//   connect_timeout (CAF 0.17's own connect blocks its middleman for the kernel's SYN retries,
//   about two minutes, when a host never answers) and then CAF's handshake, bounded too,
//   through a dialer (net/dialer.hpp) on loopback.
// * a front that dies (CAF DOWN: its connection closed, or no heartbeat within link_timeout:
//   the dialer cuts the link) fails every generate in flight on it with no_worker, naming
//   the front: a generate is never re-sent, since the dead front may have stored it. Queries in
//   flight are re-sent once to the next front that answers.
// * later requests go to the next address that answers, in list order after the dead one
//   (the dead one last: it may have come back).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "messages/actors.hpp"

namespace caf {
class actor_system;
}

namespace sonnet::cli {

/// Bound of one connection attempt (TCP probe, then handshake), per address.
constexpr auto connect_timeout = std::chrono::seconds(3);
/// A front silent this long (no heartbeat) is cut and counts as down.
constexpr auto link_timeout = std::chrono::seconds(2);

/// Splits "A,B,C"; refuses an empty list or an empty item.
result<std::vector<std::string>> split_fronts(const std::string& list);

/// Which front served what: the CLI's view, shared with the failover actor.
class front_log {
public:
  void served(int64_t sonnet_id, const std::string& front);
  /// The front that stored `sonnet_id`, or "" when unknown.
  std::string front_of(int64_t sonnet_id) const;
  void set_current(const std::string& front);
  std::string current() const;

private:
  mutable std::mutex mx_;
  std::map<int64_t, std::string> served_;
  std::string current_;
};

/// A connected front.
struct front_link {
  service_actor svc;
  size_t index = 0;
};

/// Connects to the first of `fronts` that answers, trying them in order from `start`
/// (wrapping). Fails with no_worker listing each address and why.
result<front_link> connect_first(caf::actor_system& sys, bool tls,
                                 const std::vector<std::string>& fronts, size_t start);

/// A local service that forwards to the connected front and fails over (see above).
service_actor spawn_failover(caf::actor_system& sys, bool tls, std::vector<std::string> fronts,
                             front_link first, std::shared_ptr<front_log> log);

} // namespace sonnet::cli
