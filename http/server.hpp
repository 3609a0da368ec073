#pragma once
// sonnetd's HTTP/JSON API (Boost.Beast over Boost.Asio, asynchronous I/O).
//
// Threads: one io_context thread runs every connection (no thread per connection). A session
// reads a request with Beast, answers /healthz, /metrics and / by itself (never touching the
// model or the service), and turns every API call into one typed request to the service, sent
// by a short-lived actor (bridge.hpp) whose answer is posted back to the io_context. While it
// waits it keeps a read pending on its socket: a client that goes away cancels the call
// (killing the actor makes the service cancel a generate). A stream writes the raw text as
// `token` events while it waits. No blocking wait ever runs on a CAF scheduler thread.
//
// Slow clients: the request head and the body each have a deadline (not reset by each byte),
// and each client address may hold only so many connections. Accepting never stops: over a
// cap, a new connection gets 503 and is closed, so /healthz stays reachable.
//
// Routes: POST /v1/sonnets [?stream=1], POST /v1/sonnets/stream, GET /v1/sonnets/{id},
// GET /v1/sonnets?recent=N, GET /v1/sonnets?best=N[&min_quality=Q], GET /v1/stats,
// GET /v1/cloud/series[?points=N] (the cloud's dissonance and quality over sonnet id),
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
  /// Open connections in all; beyond it new connections get 503 and are closed.
  int max_connections = 4096;
  /// Open connections from one client address; beyond it: 503 and closed.
  int max_connections_per_address = 32;
  /// From waiting for a request (keep-alive idle included) to its complete head.
  std::chrono::milliseconds head_timeout = std::chrono::seconds(10);
  /// From the complete head to the complete body.
  std::chrono::milliseconds body_timeout = std::chrono::seconds(30);
  /// Writing one response, or one write of a stream (a client that stops reading is gone).
  std::chrono::milliseconds write_timeout = std::chrono::seconds(30);
  /// A client that has left data unacknowledged this long is gone (TCP_USER_TIMEOUT): behind
  /// a partition writes still land in the socket buffer, so only the kernel can tell. Its
  /// request is cancelled. 0 = the kernel's default (about 15 minutes).
  std::chrono::milliseconds unacked_timeout = std::chrono::seconds(15);
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
  /// up to `grace` for the calls in flight to be answered; then every call still waiting is
  /// cancelled and answered 503 shutting_down (a stream gets a final error event), and every
  /// connection is closed.
  void stop(std::chrono::milliseconds grace);

  struct impl;

private:
  explicit server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// The single web page served at / (HTML + JS, no build step).
const std::string& index_html();

} // namespace sonnet::http
