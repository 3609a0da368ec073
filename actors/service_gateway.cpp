#include "actors/service_gateway.hpp"

#include <map>

#include "caf/all.hpp"

#include "messages/errors.hpp"

namespace sonnet {

namespace {

struct service_gateway_state {
  service_gateway_state() = default;
  service_actor remote;
  bool down = false;
  uint64_t next_id = 0;
  /// Fails one pending request; keyed by a local id so answers and DOWN can race safely.
  std::map<uint64_t, std::function<void(caf::error)>> pending;
  static inline const char* name = "service-gateway";
};

using gateway_ptr = service_actor::stateful_pointer<service_gateway_state>;

caf::error gone() {
  return make_caf_error(errc::no_worker, "the sonnet service went away (sonnetd stopped or "
                                         "the connection broke)");
}

/// Forwards one request; its promise is kept until the answer or the remote's DOWN.
template <class T, class... Ts>
caf::result<T> forward(gateway_ptr self, Ts... xs) {
  auto& st = self->state;
  if (st.down)
    return gone();
  auto rp = self->make_response_promise<T>();
  auto id = st.next_id++;
  st.pending.emplace(id, [rp](caf::error e) mutable { rp.deliver(std::move(e)); });
  // No timeout of our own: the service bounds every request, and a dead node is our DOWN.
  self->request(st.remote, caf::infinite, xs...)
    .then(
      [=](T& x) mutable {
        if (self->state.pending.erase(id) > 0)
          rp.deliver(std::move(x));
      },
      [=](caf::error& e) mutable {
        if (self->state.pending.erase(id) > 0)
          rp.deliver(std::move(e));
      });
  return rp;
}

service_actor::behavior_type gateway_fn(gateway_ptr self, service_actor remote) {
  self->state.remote = remote;
  self->monitor(remote);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source != st.remote.address())
      return;
    st.down = true;
    auto pending = std::move(st.pending);
    st.pending.clear();
    for (auto& kv : pending)
      kv.second(gone());
  });
  return {
    [=](atom::generate, generate_request& r) {
      return forward<sonnet_reply>(self, atom::generate_v, std::move(r));
    },
    [=](atom::generate, generate_request& r, text_sink_actor& sink) {
      return forward<sonnet_reply>(self, atom::generate_v, std::move(r), std::move(sink));
    },
    [=](atom::dissonance, std::string& u, std::string& s) {
      return forward<judgement>(self, atom::dissonance_v, std::move(u), std::move(s));
    },
    [=](atom::stats) { return forward<cloud_stats>(self, atom::stats_v); },
    [=](atom::recent, int64_t n) {
      return forward<std::vector<stored_sonnet>>(self, atom::recent_v, n);
    },
    [=](atom::best, int64_t n, double q) {
      return forward<std::vector<stored_sonnet>>(self, atom::best_v, n, q);
    },
    [=](atom::get, int64_t id) { return forward<stored_sonnet>(self, atom::get_v, id); },
    [=](atom::series, int64_t n) { return forward<cloud_series>(self, atom::series_v, n); },
    [=](atom::phase) { return forward<phase_info>(self, atom::phase_v); },
    [=](atom::brain, int64_t id) { return forward<brain_report>(self, atom::brain_v, id); },
    [=](atom::dream, std::string& mode) {
      return forward<std::vector<std::string>>(self, atom::dream_v, std::move(mode));
    },
    [=](atom::subscribe, stored_sink_actor& sub) {
      if (!self->state.down)
        self->send(self->state.remote, atom::subscribe_v, std::move(sub));
    },
  };
}

} // namespace

service_actor spawn_service_gateway(caf::actor_system& sys, service_actor remote) {
  return sys.spawn(gateway_fn, std::move(remote));
}

} // namespace sonnet
