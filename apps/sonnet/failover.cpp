#include "apps/sonnet/failover.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>

#include "caf/all.hpp"
#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include "actors/worker_gateway.hpp"
#include "messages/errors.hpp"
#include "net/dialer.hpp"

namespace sonnet::cli {

namespace {

constexpr auto timeout_ms =
  std::chrono::duration_cast<std::chrono::milliseconds>(connect_timeout).count();

/// One non-blocking connect bounded by connect_timeout; "" when the port accepted.
std::string probe_one(const addrinfo* a) {
  int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
  if (fd < 0)
    return std::strerror(errno);
  std::string why;
  if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      why = std::strerror(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, static_cast<int>(timeout_ms));
      int err = 0;
      socklen_t len = sizeof err;
      if (n == 0)
        why = "no answer within " + std::to_string(timeout_ms / 1000) + " s";
      else if (n < 0)
        why = std::strerror(errno);
      else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
        why = std::strerror(err);
    }
  }
  ::close(fd);
  return why;
}

/// A TCP probe first: CAF 0.17's connect is a blocking connect() inside its middleman, which
/// a host that never answers SYN holds for the kernel's retries (about two minutes).
std::string probe(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
    return std::string{"cannot resolve: "} + ::gai_strerror(rc);
  std::string why = "no address";
  for (auto* a = res; a; a = a->ai_next)
    if ((why = probe_one(a)).empty())
      break;
  ::freeaddrinfo(res);
  return why;
}

/// CAF's handshake through the middleman's actor, bounded (remote_actor() waits forever on a
/// peer that accepts and never speaks). "" and `out` set on success.
std::string handshake(caf::actor_system& sys, bool tls, const std::string& host, uint16_t port,
                      service_actor& out) {
  auto mm = tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  caf::scoped_actor self{sys};
  std::string why;
  self->request(mm, connect_timeout, caf::connect_atom::value, host, port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>& ifs) {
        if (!ptr)
          why = "no actor published there";
        else if (!sys.assignable(ifs, sys.message_types<service_actor>()))
          why = "does not publish the sonnet service (a worker node? connect to a standalone "
                "or front node)";
        else
          out = caf::actor_cast<service_actor>(std::move(ptr));
      },
      [&](caf::error& e) {
        why = e == caf::sec::request_timeout
                ? "no handshake within " + std::to_string(timeout_ms / 1000) + " s"
                : sys.render(e);
      });
  return why;
}

/// The CLI's links to fronts go through a dialer (net/dialer.hpp), as a front's links to its
/// workers do: it cuts a front that falls silent (heartbeats stop) after connection-timeout,
/// and CAF's own check, which kills handshakes slower than one heartbeat, stays off.
net::dialer* cli_dialer(std::string& err) {
  static std::unique_ptr<net::dialer> d = [&] {
    net::dialer_config cfg;
    cfg.connect_timeout = connect_timeout;
    cfg.silence_timeout = link_timeout;
    return net::dialer::start(cfg, err);
  }();
  return d.get();
}

std::string connect_one(caf::actor_system& sys, bool tls, const std::string& addr,
                        service_actor& out) {
  auto hp = parse_host_port(addr);
  if (!hp)
    return from_caf(hp.error()).message;
  if (auto why = probe(hp->first, hp->second); !why.empty())
    return why;
  std::string err;
  auto* d = cli_dialer(err);
  if (!d)
    return err;
  auto local = d->route(hp->first, hp->second, err);
  if (local == 0)
    return err;
  return handshake(sys, tls, "127.0.0.1", local, out);
}

} // namespace

result<std::vector<std::string>> split_fronts(const std::string& list) {
  std::vector<std::string> out;
  size_t at = 0;
  while (true) {
    auto comma = list.find(',', at);
    auto item = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (item.empty())
      return fail(errc::invalid_argument,
                  "--connect expects HOST:PORT[,HOST:PORT...], got '" + list + "'");
    if (auto hp = parse_host_port(item); !hp)
      return fail(errc::invalid_argument,
                  "--connect: " + item + ": " + from_caf(hp.error()).message);
    out.push_back(item);
    if (comma == std::string::npos)
      return out;
    at = comma + 1;
  }
}

void front_log::served(int64_t sonnet_id, const std::string& front) {
  std::lock_guard<std::mutex> g{mx_};
  served_[sonnet_id] = front;
}

std::string front_log::front_of(int64_t sonnet_id) const {
  std::lock_guard<std::mutex> g{mx_};
  auto i = served_.find(sonnet_id);
  return i == served_.end() ? std::string{} : i->second;
}

void front_log::set_current(const std::string& front) {
  std::lock_guard<std::mutex> g{mx_};
  current_ = front;
}

std::string front_log::current() const {
  std::lock_guard<std::mutex> g{mx_};
  return current_;
}

result<front_link> connect_first(caf::actor_system& sys, bool tls,
                                 const std::vector<std::string>& fronts, size_t start) {
  std::string reasons;
  for (size_t k = 0; k < fronts.size(); ++k) {
    auto i = (start + k) % fronts.size();
    service_actor svc;
    auto why = connect_one(sys, tls, fronts[i], svc);
    if (why.empty())
      return front_link{svc, i};
    reasons += (reasons.empty() ? "" : "; ") + fronts[i] + ": " + why;
  }
  return fail(errc::no_worker, "no front answers (" + reasons + ")");
}

namespace {

struct failover_state {
  bool tls = false;
  std::vector<std::string> fronts;
  size_t current = 0;
  service_actor remote; // null between a front's death and the next request
  std::shared_ptr<front_log> log;
  uint64_t next_id = 0;
  /// What to do with a request in flight when its front dies: fail it or send it again.
  std::map<uint64_t, std::function<void(const std::string& dead)>> on_down;
  static inline const char* name = "front-failover";
};

using failover_ptr = service_actor::stateful_pointer<failover_state>;

void adopt(failover_ptr self, front_link link) {
  auto& st = self->state;
  st.remote = link.svc;
  st.current = link.index;
  st.log->set_current(st.fronts[link.index]);
  self->monitor(st.remote);
}

/// Blocking (bounded): connects to the next front that answers, if needed.
caf::error ensure_connected(failover_ptr self) {
  auto& st = self->state;
  if (st.remote)
    return {};
  auto link = connect_first(self->system(), st.tls, st.fronts, st.current);
  // Once more before failing the request: right after a front's death CAF 0.17 sometimes
  // fails the first handshake to a live front with connection_timeout (seen under load).
  if (!link) {
    std::cerr << "sonnet: " << link.err().message << "; trying once more" << std::endl;
    link = connect_first(self->system(), st.tls, st.fronts, st.current);
  }
  if (!link)
    return make_caf_error(link.err().code, link.err().message);
  adopt(self, *link);
  return {};
}

template <class T>
void record(failover_ptr, const T&) {}

void record(failover_ptr self, const sonnet_reply& r) {
  self->state.log->served(r.id, self->state.fronts[self->state.current]);
}

/// Sends one request to the current front; on its death, a retryable request (a query) is
/// sent once more to the next front, a generate fails naming the front.
template <class T, class... Ts>
void send_to_front(failover_ptr self, caf::typed_response_promise<T> rp, bool retry, Ts... xs) {
  if (auto err = ensure_connected(self)) {
    rp.deliver(std::move(err));
    return;
  }
  auto& st = self->state;
  auto id = st.next_id++;
  st.on_down.emplace(id, [=](const std::string& dead) mutable {
    if (retry)
      send_to_front<T>(self, rp, false, xs...);
    else
      rp.deliver(make_caf_error(errc::no_worker, "front " + dead
                                                   + " went down while the request was in "
                                                     "flight; not retried"));
  });
  self->request(st.remote, caf::infinite, xs...)
    .then(
      [=](T& x) mutable {
        if (self->state.on_down.erase(id) > 0) {
          record(self, x);
          rp.deliver(std::move(x));
        }
      },
      [=](caf::error& e) mutable {
        if (self->state.on_down.erase(id) > 0)
          rp.deliver(std::move(e));
      });
}

template <class T, class... Ts>
caf::result<T> forward(failover_ptr self, bool retry, Ts... xs) {
  auto rp = self->make_response_promise<T>();
  send_to_front<T>(self, rp, retry, std::move(xs)...);
  return rp;
}

void on_front_down(failover_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  if (!st.remote || dm.source != st.remote.address())
    return;
  auto dead = st.fronts[st.current];
  st.remote = nullptr;
  st.current = (st.current + 1) % st.fronts.size(); // the dead one is tried last
  auto pending = std::move(st.on_down);
  st.on_down.clear();
  for (auto& kv : pending)
    kv.second(dead);
}

service_actor::behavior_type failover_fn(failover_ptr self, bool tls,
                                         std::vector<std::string> fronts, front_link first,
                                         std::shared_ptr<front_log> log) {
  self->state.tls = tls;
  self->state.fronts = std::move(fronts);
  self->state.log = std::move(log);
  adopt(self, std::move(first));
  self->set_down_handler([=](caf::down_msg& dm) { on_front_down(self, dm); });
  return {
    [=](atom::generate, generate_request& r) {
      return forward<sonnet_reply>(self, false, atom::generate_v, std::move(r));
    },
    [=](atom::generate, generate_request& r, text_sink_actor& sink) {
      return forward<sonnet_reply>(self, false, atom::generate_v, std::move(r), std::move(sink));
    },
    [=](atom::dissonance, std::string& u, std::string& s) {
      return forward<judgement>(self, true, atom::dissonance_v, std::move(u), std::move(s));
    },
    [=](atom::stats) { return forward<cloud_stats>(self, true, atom::stats_v); },
    [=](atom::recent, int64_t n) {
      return forward<std::vector<stored_sonnet>>(self, true, atom::recent_v, n);
    },
    [=](atom::best, int64_t n, double q) {
      return forward<std::vector<stored_sonnet>>(self, true, atom::best_v, n, q);
    },
    [=](atom::get, int64_t id) { return forward<stored_sonnet>(self, true, atom::get_v, id); },
    [=](atom::series, int64_t n) { return forward<cloud_series>(self, true, atom::series_v, n); },
    [=](atom::phase) { return forward<phase_info>(self, true, atom::phase_v); },
    [=](atom::brain, int64_t id) {
      return forward<brain_report>(self, true, atom::brain_v, id);
    },
    [=](atom::dream, std::string& mode) {
      return forward<std::vector<std::string>>(self, true, atom::dream_v, std::move(mode));
    },
    // Events come from the front current now; after a failover they are not re-subscribed.
    [=](atom::subscribe, stored_sink_actor& sub) {
      if (self->state.remote)
        self->send(self->state.remote, atom::subscribe_v, std::move(sub));
    },
  };
}

} // namespace

service_actor spawn_failover(caf::actor_system& sys, bool tls, std::vector<std::string> fronts,
                             front_link first, std::shared_ptr<front_log> log) {
  // Not detached, although reconnecting blocks one scheduler thread (a bounded probe and
  // handshake per address; the CLI runs two): a detached actor's thread waits at exit until
  // the actor object is gone, and CAF 0.17 sometimes keeps a reference to it (seen as a hang
  // in ~actor_system, 1 run in ~15 of tests/cluster/failover.cpp).
  return sys.spawn(failover_fn, tls, std::move(fronts), std::move(first), std::move(log));
}

} // namespace sonnet::cli
