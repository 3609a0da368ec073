#include "http/server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "caf/actor_system.hpp"

#include "http/api.hpp"
#include "http/bridge.hpp"
#include "http/metrics.hpp"

namespace sonnet::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
using string_request = bhttp::request<bhttp::string_body>;
using string_response = bhttp::response<bhttp::string_body>;

namespace {

enum class route_kind { page, healthz, metrics, stats, sonnets, stream, sonnet_by_id, unknown };

struct route {
  route_kind kind = route_kind::unknown;
  /// Metrics label, e.g. "POST /v1/sonnets".
  std::string label = "unknown";
  /// The methods the path accepts (for 405 and Allow).
  std::string allow;
  bool method_ok = false;
};

route route_of(bhttp::verb method, const std::string& path) {
  auto make = [&](route_kind k, const std::string& tmpl, std::vector<bhttp::verb> allowed) {
    route r;
    r.kind = k;
    for (auto v : allowed) {
      if (!r.allow.empty())
        r.allow += ", ";
      r.allow += std::string(bhttp::to_string(v));
      if (v == method)
        r.method_ok = true;
    }
    r.label = std::string(bhttp::to_string(method)) + " " + tmpl;
    return r;
  };
  using bhttp::verb;
  if (path == "/")
    return make(route_kind::page, "/", {verb::get});
  if (path == "/healthz")
    return make(route_kind::healthz, path, {verb::get});
  if (path == "/metrics")
    return make(route_kind::metrics, path, {verb::get});
  if (path == "/v1/stats")
    return make(route_kind::stats, path, {verb::get});
  if (path == "/v1/sonnets")
    return make(route_kind::sonnets, path, {verb::get, verb::post});
  if (path == "/v1/sonnets/stream")
    return make(route_kind::stream, path, {verb::post});
  const std::string prefix = "/v1/sonnets/";
  if (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0
      && path.find('/', prefix.size()) == std::string::npos)
    return make(route_kind::sonnet_by_id, "/v1/sonnets/{id}", {verb::get});
  return route{};
}

/// True once the peer has closed (or reset) its side of the connection.
bool peer_gone(int fd) {
  pollfd p{fd, static_cast<short>(POLLIN | POLLRDHUP), 0};
  if (::poll(&p, 1, 0) <= 0)
    return false;
  if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
    return true;
  if (p.revents & POLLIN) {
    char c;
    return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }
  return false;
}

void set_timeouts(int fd, std::chrono::milliseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

} // namespace

struct server::impl {
  caf::actor_system& sys;
  service_actor service;
  server_config cfg;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  uint16_t port = 0;
  std::thread accept_thread;
  std::atomic<bool> stopping{false};
  bool stopped = false;
  metrics m;

  std::mutex mtx;
  std::condition_variable cv;
  /// Guarded by mtx.
  std::set<int> open_fds;
  int connections = 0;
  int calls = 0;

  impl(caf::actor_system& s, service_actor svc, server_config c)
    : sys(s), service(std::move(svc)), cfg(std::move(c)) {
  }

  void accept_loop();
  void serve(tcp::socket sock);
  /// Answers one request; false closes the connection.
  bool handle(tcp::socket& sock, string_request& req, clock::time_point t0);

  // -- responses ------------------------------------------------------------

  bool write(tcp::socket& sock, string_response& res) {
    res.set(bhttp::field::server, "sonnetd");
    res.prepare_payload();
    beast::error_code ec;
    bhttp::write(sock, res, ec);
    return !ec;
  }

  string_response json_response(unsigned version, int status, const nlohmann::json& body,
                                bool keep_alive) {
    string_response res{static_cast<bhttp::status>(status), version};
    res.set(bhttp::field::content_type, "application/json");
    res.keep_alive(keep_alive);
    res.body() = body.dump() + "\n";
    return res;
  }

  /// Writes an error reply and counts it.
  bool fail(tcp::socket& sock, unsigned version, bool keep_alive, const route& r,
            clock::time_point t0, int status, const std::string& code, const std::string& msg,
            const std::string& retry_after = {}, const std::string& allow = {}) {
    auto res = json_response(version, status, error_body(code, msg), keep_alive);
    if (!retry_after.empty())
      res.set(bhttp::field::retry_after, retry_after);
    if (!allow.empty())
      res.set(bhttp::field::allow, allow);
    m.error(code);
    m.request(r.label, status, seconds_since(t0));
    return write(sock, res) && keep_alive;
  }

  static double seconds_since(clock::time_point t0) {
    return std::chrono::duration<double>(clock::now() - t0).count();
  }

  // -- admission --------------------------------------------------------------

  /// Takes a slot for a call to the service, or false when max_in_flight are taken.
  bool admit() {
    std::lock_guard<std::mutex> guard{mtx};
    if (calls >= cfg.max_in_flight)
      return false;
    ++calls;
    m.enter();
    return true;
  }

  void release() {
    std::lock_guard<std::mutex> guard{mtx};
    --calls;
    m.leave();
    cv.notify_all();
  }

  /// Waits for the service, watching the socket; nullopt when the client went away (the call is
  /// then cancelled). `tick` runs every `every` while waiting (the stream's keep-alive); if it
  /// returns false the client is treated as gone.
  template <class Tick>
  std::optional<call_result> wait(call& c, int fd, std::chrono::milliseconds every, Tick tick) {
    auto next_tick = clock::now() + every;
    while (c.result.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      bool gone = peer_gone(fd);
      if (!gone && clock::now() >= next_tick) {
        gone = !tick();
        next_tick = clock::now() + every;
      }
      if (gone) {
        c.cancel();
        m.error("client_disconnect");
        return std::nullopt;
      }
    }
    return c.result.get();
  }

  std::optional<call_result> wait(call& c, int fd) {
    return wait(c, fd, std::chrono::hours(24), [] { return true; });
  }

  /// wait() for a streaming generate: writes each batch of raw text as "token" events (one
  /// per candidate and batch, JSON data since the text has newlines) as soon as it arrives.
  template <class Write>
  std::optional<call_result> wait_stream(call& c, stream_buffer& buf, int fd, Write write) {
    auto next_tick = clock::now() + std::chrono::seconds(5);
    auto flush = [&](std::vector<stream_buffer::chunk> chunks) {
      std::map<int32_t, std::string> by_part; // coalesced: fewer, larger events
      for (auto& [part, text] : chunks)
        by_part[part] += text;
      for (auto& [part, text] : by_part)
        if (!write("event: token\ndata: "
                   + nlohmann::json{{"candidate", part}, {"text", text}}.dump(
                     -1, ' ', false, nlohmann::json::error_handler_t::replace)
                   + "\n\n"))
          return false;
      next_tick = clock::now() + std::chrono::seconds(5);
      return true;
    };
    for (;;) {
      auto chunks = buf.take(std::chrono::milliseconds(50));
      bool ready = c.result.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
      // Every chunk is queued before the result is set: after a ready check, take() has all.
      if (ready)
        for (auto& x : buf.take(std::chrono::milliseconds(0)))
          chunks.push_back(std::move(x));
      bool gone = !chunks.empty() && !flush(std::move(chunks));
      if (ready && !gone)
        return c.result.get();
      gone = gone || peer_gone(fd);
      if (!gone && clock::now() >= next_tick) {
        gone = !write(": waiting\n\n");
        next_tick = clock::now() + std::chrono::seconds(5);
      }
      if (gone) {
        c.cancel();
        m.error("client_disconnect");
        return std::nullopt;
      }
    }
  }
};

server::server(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}

server::~server() {
  stop(std::chrono::milliseconds(0));
}

uint16_t server::port() const {
  return impl_->port;
}

result<std::unique_ptr<server>> server::start(caf::actor_system& sys, service_actor service,
                                              server_config cfg) {
  auto p = std::make_unique<impl>(sys, std::move(service), std::move(cfg));
  boost::system::error_code ec;
  auto addr = net::ip::make_address(p->cfg.bind, ec);
  if (ec)
    return fail(errc::invalid_argument, "bad http address '" + p->cfg.bind + "'");
  tcp::endpoint ep{addr, p->cfg.port};
  p->acceptor.open(ep.protocol(), ec);
  if (!ec)
    p->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    p->acceptor.bind(ep, ec);
  if (!ec)
    p->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return fail(errc::internal, "cannot listen on " + p->cfg.bind + ":"
                                  + std::to_string(p->cfg.port) + ": " + ec.message());
  p->port = p->acceptor.local_endpoint().port();
  auto* raw = p.get();
  p->accept_thread = std::thread([raw] { raw->accept_loop(); });
  return std::unique_ptr<server>(new server(std::move(p)));
}

void server::stop(std::chrono::milliseconds grace) {
  auto& p = *impl_;
  if (p.stopped)
    return;
  p.stopped = true;
  p.stopping = true;
  // Wakes the blocking accept() (Linux returns EINVAL on a shut-down listening socket).
  ::shutdown(p.acceptor.native_handle(), SHUT_RDWR);
  if (p.accept_thread.joinable())
    p.accept_thread.join();
  boost::system::error_code ec;
  p.acceptor.close(ec);
  std::unique_lock<std::mutex> lock{p.mtx};
  // Calls in flight are answered (or time out) first; new ones get 503 meanwhile.
  p.cv.wait_for(lock, grace, [&] { return p.calls == 0; });
  for (int fd : p.open_fds)
    ::shutdown(fd, SHUT_RDWR);
  // Connection threads notice the closed sockets (a waiting one within 50 ms, its call is
  // cancelled) and end; they reference *impl_, so wait for all of them.
  p.cv.wait(lock, [&] { return p.connections == 0; });
}

void server::impl::accept_loop() {
  while (!stopping) {
    tcp::socket sock{ioc};
    boost::system::error_code ec;
    acceptor.accept(sock, ec);
    if (stopping)
      break;
    if (ec) {
      // Out of descriptors and the like: do not spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (connections < cfg.max_connections) {
        ++connections;
        open_fds.insert(sock.native_handle());
        std::thread([this, s = std::move(sock)]() mutable { serve(std::move(s)); }).detach();
        continue;
      }
    }
    // Over the connection limit: say so briefly and close.
    set_timeouts(sock.native_handle(), std::chrono::milliseconds(200));
    auto res = json_response(11, 503, error_body("too_many_connections",
                                                 "too many open connections; retry later"),
                             false);
    res.set(bhttp::field::retry_after, "1");
    m.error("too_many_connections");
    write(sock, res);
    sock.close(ec);
  }
}

void server::impl::serve(tcp::socket sock) {
  int fd = sock.native_handle();
  set_timeouts(fd, cfg.idle_timeout);
  beast::flat_buffer buf;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(cfg.body_limit);
    parser.header_limit(16 * 1024);
    beast::error_code ec;
    bhttp::read(sock, buf, parser, ec);
    auto t0 = clock::now();
    if (ec == bhttp::error::body_limit) {
      const auto& h = parser.get();
      std::string target(h.target());
      auto r = route_of(h.method(), target.substr(0, target.find('?')));
      fail(sock, h.version(), false, r, t0, 413, "payload_too_large",
           "the body is larger than " + std::to_string(cfg.body_limit) + " bytes");
      // Let the client finish sending (it may not read before it has written everything),
      // so that it sees the 413 instead of a reset: discard up to 16 MB or 2 s.
      sock.shutdown(tcp::socket::shutdown_send, ec);
      set_timeouts(fd, std::chrono::milliseconds(500));
      char junk[65536];
      size_t total = 0;
      auto until = clock::now() + std::chrono::seconds(2);
      while (total < (16u << 20) && clock::now() < until) {
        auto n = ::recv(fd, junk, sizeof(junk), 0);
        if (n <= 0)
          break;
        total += static_cast<size_t>(n);
      }
      break;
    }
    if (ec == bhttp::error::header_limit) {
      fail(sock, 11, false, route{}, t0, 431, "headers_too_large", "the headers are too large");
      break;
    }
    if (ec) {
      // A parse error gets a 400; a closed or timed-out socket just ends the connection.
      if (ec.category() == beast::error_code(bhttp::error::bad_target).category()
          && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
        fail(sock, 11, false, route{}, t0, 400, "bad_request",
             "malformed HTTP request: " + ec.message());
      break;
    }
    auto& req = parser.get();
    if (!handle(sock, req, t0))
      break;
  }
  {
    std::lock_guard<std::mutex> guard{mtx};
    open_fds.erase(fd);
  }
  beast::error_code ec;
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
  std::lock_guard<std::mutex> guard{mtx};
  --connections;
  cv.notify_all();
}

bool server::impl::handle(tcp::socket& sock, string_request& req, clock::time_point t0) {
  std::string target(req.target());
  auto qpos = target.find('?');
  std::string path = target.substr(0, qpos);
  auto query = parse_query(qpos == std::string::npos ? "" : target.substr(qpos + 1));
  auto r = route_of(req.method(), path);
  auto version = req.version();
  bool keep = req.keep_alive() && !stopping;
  if (r.kind == route_kind::unknown)
    return fail(sock, version, keep, r, t0, 404, "not_found", "no route " + path);
  if (!r.method_ok)
    return fail(sock, version, keep, r, t0, 405, "method_not_allowed",
                std::string(req.method_string()) + " is not allowed on " + path, {}, r.allow);

  // -- served here, without the service or the model --------------------------
  if (r.kind == route_kind::healthz) {
    auto res = json_response(version, 200, {{"status", stopping ? "stopping" : "ok"}}, keep);
    m.request(r.label, 200, seconds_since(t0));
    return write(sock, res) && keep;
  }
  if (r.kind == route_kind::metrics) {
    string_response res{bhttp::status::ok, version};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.keep_alive(keep);
    // This request is counted in the next scrape.
    res.body() = m.render();
    m.request(r.label, 200, seconds_since(t0));
    return write(sock, res) && keep;
  }
  if (r.kind == route_kind::page) {
    string_response res{bhttp::status::ok, version};
    res.set(bhttp::field::content_type, "text/html; charset=utf-8");
    res.keep_alive(keep);
    res.body() = index_html();
    m.request(r.label, 200, seconds_since(t0));
    return write(sock, res) && keep;
  }

  // -- API calls: validate, admit, ask the service ------------------------------
  if (stopping)
    return fail(sock, version, false, r, t0, 503, "shutting_down",
                "the server is shutting down");
  auto to = cfg.request_timeout;
  bool streaming = false;
  std::optional<call> c;
  auto bad = [&](const std::string& msg) {
    return fail(sock, version, keep, r, t0, 400, "bad_request", msg);
  };
  // Everything is validated before a slot is taken and before the service sees anything.
  generate_request gen;
  int64_t n = 0;
  double min_quality = 0;
  bool best = false;
  switch (r.kind) {
    case route_kind::sonnets:
    case route_kind::stream:
      if (req.method() == bhttp::verb::post) {
        auto parsed = parse_generate(req.body());
        if (auto* e = std::get_if<api_error>(&parsed))
          return fail(sock, version, keep, r, t0, e->status, e->code, e->message);
        gen = std::get<generate_request>(std::move(parsed));
        auto s = query.find("stream");
        streaming = r.kind == route_kind::stream
                    || (s != query.end() && (s->second == "1" || s->second == "true"));
      } else {
        auto rec = query.find("recent");
        auto bst = query.find("best");
        if ((rec == query.end()) == (bst == query.end()))
          return bad("give exactly one of ?recent=N or ?best=N[&min_quality=Q]");
        auto v = parse_int(rec != query.end() ? rec->second : bst->second);
        if (!v || *v < 1 || *v > 1000)
          return bad("N must be an integer in [1, 1000]");
        n = *v;
        best = bst != query.end();
        if (auto q = query.find("min_quality"); q != query.end()) {
          if (!best)
            return bad("min_quality goes with ?best=N");
          auto x = parse_number(q->second);
          if (!x)
            return bad("min_quality must be a finite number");
          min_quality = *x;
        }
      }
      break;
    case route_kind::sonnet_by_id: {
      auto v = parse_int(path.substr(std::string("/v1/sonnets/").size()));
      if (!v || *v < 1)
        return bad("the sonnet id must be a positive integer");
      n = *v;
      break;
    }
    default:
      break;
  }
  // 429, not 503: the server is healthy and the refusal is about this client's timing (too
  // many requests at once), which is what 429 Too Many Requests means; 503 would tell load
  // balancers and health checks the whole node is unavailable. Retry-After says when to retry.
  if (!admit())
    return fail(sock, version, keep, r, t0, 429, "too_many_requests",
                "more than " + std::to_string(cfg.max_in_flight)
                  + " requests in flight; retry later",
                "1");
  auto buf = std::make_shared<stream_buffer>();
  switch (r.kind) {
    case route_kind::sonnets:
    case route_kind::stream:
      if (streaming)
        c = call_generate_stream(sys, service, std::move(gen), to, buf);
      else if (req.method() == bhttp::verb::post)
        c = call_generate(sys, service, std::move(gen), to);
      else if (best)
        c = call_best(sys, service, n, min_quality, to);
      else
        c = call_recent(sys, service, n, to);
      break;
    case route_kind::sonnet_by_id:
      c = call_get(sys, service, n, to);
      break;
    default: // stats
      c = call_stats(sys, service, to);
      break;
  }
  int fd = sock.native_handle();

  if (streaming) {
    // Server-sent events. The header goes out at once; then each candidate's raw text as the
    // model writes it ("token" events, a few tokens each), comments as keep-alive while
    // nothing comes, and at the end the 14 lines and the sonnet (or an error).
    bhttp::response<bhttp::empty_body> head{bhttp::status::ok, version};
    head.set(bhttp::field::server, "sonnetd");
    head.set(bhttp::field::content_type, "text/event-stream");
    head.set(bhttp::field::cache_control, "no-cache");
    head.keep_alive(keep);
    head.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> sr{head};
    beast::error_code ec;
    bhttp::write_header(sock, sr, ec);
    auto chunk = [&](const std::string& s) {
      beast::error_code wec;
      net::write(sock, bhttp::make_chunk(net::buffer(s)), wec);
      return !wec;
    };
    bool ok = !ec && chunk(": generating\n\n");
    std::optional<call_result> res;
    if (ok)
      res = wait_stream(*c, *buf, fd, [&](const std::string& s) { return chunk(s); });
    else {
      c->cancel();
      m.error("client_disconnect");
    }
    release();
    if (!res) {
      m.cancelled();
      m.request(r.label, 499, seconds_since(t0));
      return false;
    }
    if (res->ok) {
      m.tokens(res->tokens);
      for (const auto& line : res->lines)
        ok = ok && chunk("event: line\ndata: " + line + "\n\n");
      ok = ok && chunk("event: sonnet\ndata: " + res->body.dump() + "\n\n");
    } else {
      auto code = std::string(to_string(res->err.code));
      m.error(code);
      ok = ok && chunk("event: error\ndata: " + error_body(code, res->err.message).dump() + "\n\n");
    }
    if (ok) {
      beast::error_code wec;
      net::write(sock, bhttp::make_chunk_last(), wec);
      ok = !wec;
    }
    m.request(r.label, 200, seconds_since(t0));
    return ok && keep;
  }

  auto res = wait(*c, fd);
  release();
  if (!res) {
    // The client went away: nothing to answer. 499 is nginx's "client closed request".
    if (req.method() == bhttp::verb::post)
      m.cancelled();
    m.request(r.label, 499, seconds_since(t0));
    return false;
  }
  if (!res->ok) {
    auto status = status_of(res->err.code);
    return fail(sock, version, keep, r, t0, status, to_string(res->err.code), res->err.message);
  }
  m.tokens(res->tokens);
  auto out = json_response(version, 200, res->body, keep);
  m.request(r.label, 200, seconds_since(t0));
  return write(sock, out) && keep;
}

} // namespace sonnet::http
