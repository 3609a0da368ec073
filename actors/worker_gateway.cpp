#include "actors/worker_gateway.hpp"

#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include "caf/all.hpp"

#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include "actors/round_request.hpp"
#include "messages/errors.hpp"

namespace sonnet {

namespace {

/// The gateway's own messages: connection attempts and their outcomes.
using gateway_actor = model_actor::extend<
  // Try to connect now (if no attempt is running).
  caf::reacts_to<atom::connect>,
  // An attempt succeeded.
  caf::reacts_to<atom::connect, model_actor>,
  // An attempt failed, with the reason.
  caf::reacts_to<atom::connect, std::string>>;

struct gateway_state {
  gateway_state() = default;
  gateway_state(const gateway_state&) = delete;
  gateway_state& operator=(const gateway_state&) = delete;
  ~gateway_state() {
    // The work share of this worker when the gateway exits, for operators and cluster tests.
    if (port != 0)
      std::cout << "gateway: worker " << host << ":" << port << " rounds=" << rounds_ok
                << " failed=" << rounds_failed << std::endl;
  }
  std::string host;
  uint16_t port = 0;
  gateway_config cfg;
  model_actor remote;
  bool connecting = false;
  uint64_t next_id = 0;
  /// Rounds this worker answered, and rounds failed while on it (its share of the work).
  uint64_t rounds_ok = 0;
  uint64_t rounds_failed = 0;
  std::map<uint64_t, caf::typed_response_promise<continuation>> pending;
  static inline const char* name = "worker-gateway";
};

using gateway_ptr = gateway_actor::stateful_pointer<gateway_state>;

std::string where(gateway_ptr self) {
  return self->state.host + ":" + std::to_string(self->state.port);
}

void try_connect(gateway_ptr self) {
  auto& st = self->state;
  if (st.remote || st.connecting)
    return;
  auto host = st.host;
  auto port = st.port;
  if (st.cfg.dial) {
    auto via = st.cfg.dial(host, port);
    if (!via) {
      self->delayed_send(self, st.cfg.reconnect_interval, atom::connect_v);
      return;
    }
    std::tie(host, port) = *via;
  }
  st.connecting = true;
  // Asked of the middleman actor directly, with a timeout: caf::io::remote_actor would block a
  // thread on a scoped actor with no timeout, and a handshake left pending at shutdown (its
  // connection closed under it) then keeps the actor system from ever finishing.
  auto& sys = self->system();
  caf::io::middleman_actor mm =
    st.cfg.tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  self->request(mm, st.cfg.connect_timeout, caf::connect_atom_v, host, port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>& ifs) {
        if (!ptr)
          return self->send(self, atom::connect_v, std::string{"nothing published there"});
        if (!self->system().assignable<model_actor>(ifs))
          return self->send(self, atom::connect_v, std::string{"not a worker's interface"});
        self->send(self, atom::connect_v, caf::actor_cast<model_actor>(std::move(ptr)));
      },
      [=](caf::error& e) { self->send(self, atom::connect_v, self->system().render(e)); });
}

/// Sends one round to the worker; its promise is kept until the answer or the worker's DOWN.
/// A sink crosses the network as a handle: the worker's model sends it the text directly.
caf::result<continuation> forward_round(gateway_ptr self, continue_request req,
                                        text_sink_actor sink) {
  auto& st = self->state;
  if (!st.remote)
    return make_caf_error(errc::no_worker, "worker " + where(self) + " is not connected");
  auto rp = self->make_response_promise<continuation>();
  auto id = st.next_id++;
  st.pending.emplace(id, rp);
  // Counted where the promise is kept, so that a round the down handler already failed (and
  // counted) is not counted again when its request errs later.
  auto finish = [=](auto&& x, uint64_t& counter) {
    auto& pending = self->state.pending;
    auto i = pending.find(id);
    if (i == pending.end())
      return; // already failed by the down handler
    ++counter;
    i->second.deliver(std::forward<decltype(x)>(x));
    pending.erase(i);
  };
  auto handle =
    request_round(self, st.remote, st.cfg.round_timeout, std::move(req), std::move(sink));
  handle.then([=](continuation& out) { finish(std::move(out), self->state.rounds_ok); },
              [=](caf::error& e) { finish(std::move(e), self->state.rounds_failed); });
  return rp;
}

gateway_actor::behavior_type gateway_fn(gateway_ptr self, std::string host, uint16_t port,
                                        gateway_config cfg) {
  auto& st = self->state;
  st.host = std::move(host);
  st.port = port;
  st.cfg = cfg;
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source != st.remote.address())
      return;
    // Fail what was in flight now; the pool re-sends it to another worker.
    for (auto& kv : st.pending)
      kv.second.deliver(
        make_caf_error(errc::model_unavailable, "worker " + where(self) + " went down"));
    caf::aout(self) << "gateway: worker " << where(self) << " down ("
                    << self->system().render(dm.reason) << "), " << st.pending.size()
                    << " rounds re-sent, " << st.rounds_ok << " answered" << std::endl;
    st.rounds_failed += st.pending.size();
    st.pending.clear();
    st.remote = nullptr;
    self->delayed_send(self, st.cfg.reconnect_interval, atom::connect_v);
  });
  self->send(self, atom::connect_v);
  return {
    [=](atom::generate, continue_request& req) -> caf::result<continuation> {
      return forward_round(self, std::move(req), text_sink_actor{});
    },
    [=](atom::generate, continue_request& req, text_sink_actor& sink) -> caf::result<continuation> {
      return forward_round(self, std::move(req), std::move(sink));
    },
    [=](atom::cancel, uint64_t job) {
      // The worker's pool releases the job's sequences; its rounds then fail with cancelled.
      if (self->state.remote)
        self->send(self->state.remote, atom::cancel_v, job);
    },
    [=](atom::status) -> caf::result<model_status> {
      auto& st = self->state;
      if (!st.remote)
        return make_caf_error(errc::no_worker, "worker " + where(self) + " is not connected");
      auto rp = self->make_response_promise<model_status>();
      self->request(st.remote, std::chrono::seconds(10), atom::status_v)
        .then([=](model_status& x) mutable { rp.deliver(x); },
              [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      return rp;
    },
    [=](atom::connect) { try_connect(self); },
    [=](atom::connect, model_actor& remote) {
      auto& st = self->state;
      st.connecting = false;
      st.remote = std::move(remote);
      self->monitor(st.remote);
      caf::aout(self) << "gateway: connected to worker " << where(self) << std::endl;
    },
    [=](atom::connect, const std::string&) {
      self->state.connecting = false;
      self->delayed_send(self, self->state.cfg.reconnect_interval, atom::connect_v);
    },
  };
}

} // namespace

caf::expected<std::pair<std::string, uint16_t>> parse_host_port(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return make_caf_error(errc::invalid_argument, "expected HOST:PORT, got '" + s + "'");
  auto port_text = s.substr(colon + 1);
  char* end = nullptr;
  auto port = std::strtoul(port_text.c_str(), &end, 10);
  if (*end != '\0' || port == 0 || port > 65535)
    return make_caf_error(errc::invalid_argument, "bad port in '" + s + "'");
  return std::make_pair(s.substr(0, colon), static_cast<uint16_t>(port));
}

caf::expected<model_actor> spawn_worker_gateway(caf::actor_system& sys,
                                                const std::string& host_port, gateway_config cfg) {
  auto hp = parse_host_port(host_port);
  if (!hp)
    return hp.error();
  gateway_actor g = sys.spawn(gateway_fn, hp->first, hp->second, cfg);
  return model_actor{g};
}

} // namespace sonnet
