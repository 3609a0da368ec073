#pragma once
// sonnetd's HTTP/JSON API (Boost.Beast over Boost.Asio, synchronous I/O).
//
// Threads: one acceptor thread, and one thread per open connection (at most
// `max_connections`). A connection thread reads a request with Beast, answers /healthz,
// /metrics and / by itself (never touching the model or the service), and turns every API call
// into one typed request to the service, sent by a short-lived actor (bridge.hpp). While it
// waits it watches its socket: a client that goes away cancels the call (killing the actor
// makes the service cancel a generate; the model drops its sequences). A stream writes the
// raw text as `token` events while it waits. No blocking wait ever runs on a CAF scheduler
// thread.
//
// Routes: POST /v1/sonnets [?stream=1], POST /v1/sonnets/stream, GET /v1/sonnets/{id},
// GET /v1/sonnets?recent=N, GET /v1/sonnets?best=N[&min_quality=Q], GET /v1/stats,
// GET /healthz, GET /metrics, GET / (the web page).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "caf/fwd.hpp"

#include "core/result.hpp"
#include "messages/actors.hpp"

namespace sonnet::http {

struct server_config {
  std::string bind = "127.0.0.1";
  /// 0 picks a free port (see server::port()).
  uint16_t port = 0;
  /// API calls waiting for the service at once; beyond it: 429 with Retry-After.
  int max_in_flight = 64;
  /// How long one API call may wait for the service; beyond it: 504.
  std::chrono::milliseconds request_timeout = std::chrono::minutes(5);
  /// Largest request body; beyond it: 413.
  size_t body_limit = 64 * 1024;
  /// Open connections (one thread each); beyond it new connections get 503 and are closed.
  int max_connections = 256;
  /// A connection idle (or trickling) this long is closed.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
};

class server {
public:
  /// Binds and starts serving; fails (nothing started) if the address cannot be bound.
  static result<std::unique_ptr<server>> start(caf::actor_system& sys, service_actor service,
                                               server_config cfg);
  ~server();

  /// The port actually bound.
  uint16_t port() const;

  /// Stops accepting, answers new requests on open connections with 503 shutting_down, waits
  /// up to `grace` for the calls in flight to be answered, then closes every connection.
  void stop(std::chrono::milliseconds grace);

  struct impl;

private:
  explicit server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// The single web page served at / (HTML + JS, no build step).
const std::string& index_html();

} // namespace sonnet::http
