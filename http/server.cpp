#include "http/server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
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

double seconds_since(clock::time_point t0) {
  return std::chrono::duration<double>(clock::now() - t0).count();
}

string_response json_response(unsigned version, int status, const nlohmann::json& body,
                              bool keep_alive) {
  string_response res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::server, "sonnetd");
  res.set(bhttp::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = body.dump() + "\n";
  res.prepare_payload();
  return res;
}

/// One chunk of a chunked body (HTTP/1.1 framing).
std::string chunk_of(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  return size + data + "\r\n";
}

/// Lets bridge callbacks (on CAF threads) post to the io_context only while it exists.
struct gate {
  std::mutex mtx;
  net::io_context* ioc = nullptr;
  template <class F>
  void post(F f) {
    std::lock_guard<std::mutex> guard{mtx};
    if (ioc)
      net::post(*ioc, std::move(f));
  }
  void close() {
    std::lock_guard<std::mutex> guard{mtx};
    ioc = nullptr;
  }
};

struct session;

} // namespace

struct server::impl {
  caf::actor_system& sys;
  service_actor service;
  server_config cfg;
  uint16_t port = 0;
  metrics m;
  bool stopped = false;

  // Shared with stop() (another thread): guarded by mtx.
  std::mutex mtx;
  std::condition_variable cv;
  int calls = 0;
  int connections = 0;

  // io thread only. Declared before ioc: sessions destroyed with the io_context's pending
  // handlers still use them.
  bool stopping = false;
  std::map<net::ip::address, int> per_address;
  std::set<session*> sessions;
  std::shared_ptr<gate> g = std::make_shared<gate>();

  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_retry{ioc};
  /// Keeps run() going while nothing is pending (stop() posts to it).
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{
    net::make_work_guard(ioc)};
  std::thread io_thread;

  impl(caf::actor_system& s, service_actor svc, server_config c)
      : sys(s), service(std::move(svc)), cfg(std::move(c)) {
    g->ioc = &ioc;
  }

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket sock);
  void refuse(tcp::socket sock, bool all);
  /// After the grace period: answers every waiting call with 503, closes idle connections.
  void force_drain();

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
};

namespace {

struct session : std::enable_shared_from_this<session> {
  server::impl& s;
  beast::tcp_stream stream;
  net::ip::address addr;
  beast::flat_buffer buf;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser;

  // The request being answered.
  clock::time_point t0;
  route r;
  unsigned version = 11;
  bool keep = false;
  bool post_method = false;
  bool streaming = false;

  // A call to the service in flight (it holds one admission slot).
  std::optional<call> pending;
  /// A read is pending to notice a client that leaves while its call runs.
  bool watching = false;
  /// The next request is read once the watch read has ended.
  bool resume = false;
  /// The answer came while the watch read was pending: written once it has ended.
  std::optional<call_result> parked;

  // A stream's output: written in order, one write at a time.
  std::string outq;
  std::map<int32_t, std::string> tokens;
  bool writing = false;
  bool stream_done = false;
  net::steady_timer tick;
  /// Close after the answer, reading what the client still sends (see linger_close).
  bool linger = false;
  /// Reading a request (the head or its body): closed at once when the server stops.
  bool reading = false;
  bool closed = false;

  session(server::impl& srv, tcp::socket sock, net::ip::address a)
      : s(srv), stream(std::move(sock)), addr(std::move(a)), tick(s.ioc) {}

  ~session() {
    if (pending)
      finish_call();
    s.sessions.erase(this);
    if (--s.per_address[addr] == 0)
      s.per_address.erase(addr);
    std::lock_guard<std::mutex> guard{s.mtx};
    --s.connections;
    s.cv.notify_all();
  }

  void start() {
    s.sessions.insert(this);
    read_head();
  }

  void close() {
    if (closed)
      return;
    closed = true;
    tick.cancel();
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.socket().close(ec);
  }

  /// Drops the call (the actor is killed, so the service cancels it) and its slot.
  void finish_call() {
    pending->cancel();
    pending.reset();
    s.release();
  }

  // -- reading ------------------------------------------------------------------

  void read_head() {
    if (s.stopping || closed)
      return close();
    reading = true;
    parser.emplace();
    parser->body_limit(s.cfg.body_limit);
    parser->header_limit(16 * 1024);
    // One deadline for the whole head: a byte every few seconds does not extend it.
    stream.expires_after(s.cfg.head_timeout);
    bhttp::async_read_header(
      stream, buf, *parser,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_head(ec); });
  }

  void on_head(beast::error_code ec) {
    t0 = clock::now();
    reading = !ec;
    if (ec)
      return read_failed(ec);
    const auto& h = parser->get();
    // Only chunked is implemented (RFC 9112: an unknown transfer coding is a 501).
    auto te = h[bhttp::field::transfer_encoding];
    if (!te.empty() && !beast::iequals(te, "chunked"))
      return fail_early(501, "not_implemented",
                        "Transfer-Encoding '" + std::string(te) + "' is not supported");
    if (parser->is_done())
      return handle();
    stream.expires_after(s.cfg.body_timeout);
    if (beast::iequals(h[bhttp::field::expect], "100-continue")) {
      static const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream, net::buffer(cont),
                       [self = shared_from_this()](beast::error_code wec, size_t) {
                         if (wec)
                           return self->close();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream, buf, *parser,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec)
                          return self->read_failed(ec);
                        self->handle();
                      });
  }

  /// The route of a request whose head was read (for the metrics of an early refusal).
  route head_route() {
    // The start line is parsed before the fields: an error in them still has the route.
    const auto& h = parser->get();
    if (h.target().empty())
      return route{};
    std::string target(h.target());
    return route_of(h.method(), target.substr(0, target.find('?')));
  }

  /// An answer before the request was read whole: then the connection closes, lingering.
  void fail_early(int status, const std::string& code, const std::string& msg) {
    r = head_route();
    version = parser->get().target().empty() ? 11 : parser->get().version();
    keep = false;
    linger = true;
    fail(status, code, msg);
  }

  void read_failed(beast::error_code ec) {
    reading = false;
    if (ec == bhttp::error::body_limit)
      return too_large();
    if (ec == bhttp::error::header_limit)
      return fail_early(431, "headers_too_large", "the headers are too large");
    if (ec == bhttp::error::bad_transfer_encoding)
      return fail_early(400, "bad_request", "malformed HTTP request: " + ec.message());
    // A parse error gets a 400; a closed socket or a missed deadline just ends the connection.
    if (ec.category() == beast::error_code(bhttp::error::bad_target).category()
        && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
      return fail_early(400, "bad_request", "malformed HTTP request: " + ec.message());
    if (ec == beast::error::timeout)
      s.m.error("read_timeout");
    close();
  }

  void too_large() {
    fail_early(413, "payload_too_large",
               "the body is larger than " + std::to_string(s.cfg.body_limit) + " bytes");
  }

  /// After an early answer: lets the client finish sending (it may not read before it has
  /// written everything) so that it sees the answer instead of a reset; discards up to 16 MB
  /// or 2 s.
  void linger_close() {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(2));
    discard(std::make_shared<std::vector<char>>(65536), 0);
  }

  void discard(std::shared_ptr<std::vector<char>> junk, size_t total) {
    if (total >= (16u << 20))
      return close();
    stream.async_read_some(
      net::buffer(*junk), [self = shared_from_this(), junk, total](beast::error_code ec, size_t n) {
        if (ec)
          return self->close();
        self->discard(junk, total + n);
      });
  }

  // -- writing ------------------------------------------------------------------

  /// Writes a whole response, then reads the next request (or closes).
  void send(string_response res) {
    bool k = res.keep_alive();
    auto out = std::make_shared<string_response>(std::move(res));
    stream.expires_after(s.cfg.write_timeout);
    bhttp::async_write(stream, *out,
                       [self = shared_from_this(), out, k](beast::error_code ec, size_t) {
                         if (ec)
                           return self->close();
                         if (self->linger)
                           return self->linger_close();
                         self->next(k);
                       });
  }

  void next(bool k) {
    if (!k || s.stopping)
      return close();
    if (watching) {
      // The watch read must end before the next request is read.
      resume = true;
      beast::error_code ec;
      stream.socket().cancel(ec);
      return;
    }
    read_head();
  }

  /// Writes an error reply and counts it.
  void fail(int status, const std::string& code, const std::string& msg,
            const std::string& retry_after = {}, const std::string& allow = {},
            const std::string& field = {}) {
    auto res = json_response(version, status, error_body(code, msg, field), keep);
    if (!retry_after.empty())
      res.set(bhttp::field::retry_after, retry_after);
    if (!allow.empty())
      res.set(bhttp::field::allow, allow);
    res.prepare_payload();
    s.m.error(code);
    s.m.request(r.label, status, seconds_since(t0));
    send(std::move(res));
  }

  void handle();
  void serve_here();
  void start_call(api_request call_req);
  void start_event_stream();

  // -- waiting for the service ----------------------------------------------------

  /// Keeps a read pending while a call runs: it ends when the client leaves.
  void watch() {
    watching = true;
    stream.expires_never();
    stream.async_read_some(buf.prepare(4096),
                           [self = shared_from_this()](beast::error_code ec, size_t n) {
                             self->buf.commit(n);
                             self->on_watch(ec, n);
                           });
  }

  void on_watch(beast::error_code ec, size_t n) {
    watching = false;
    if (resume) {
      resume = false;
      return read_head();
    }
    if (parked) {
      auto res = std::move(*parked);
      parked.reset();
      return answer(std::move(res));
    }
    if (!pending || closed)
      return;
    if (!ec && n > 0)
      return; // a pipelined request: read after this answer (a leaving client goes unnoticed)
    // The client went away: nothing to answer. 499 is nginx's "client closed request".
    finish_call();
    s.m.error("client_disconnect");
    if (post_method)
      s.m.cancelled();
    s.m.request(r.label, 499, seconds_since(t0));
    close();
  }

  /// The bridge's answer, on the io thread.
  void on_result(call_result res) {
    if (!pending || closed)
      return;
    pending.reset();
    s.release();
    if (streaming)
      return end_stream(std::move(res));
    if (watching) {
      // Ends the watch read first: then this is the only operation on the socket.
      parked = std::move(res);
      beast::error_code ec;
      stream.socket().cancel(ec);
      return;
    }
    answer(std::move(res));
  }

  void answer(call_result res) {
    keep = keep && !s.stopping;
    if (!res.ok) {
      auto code = res.err.code;
      return fail(status_of(code), to_string(code), res.err.message);
    }
    s.m.tokens(res.tokens);
    s.m.request(r.label, 200, seconds_since(t0));
    send(json_response(version, 200, res.body, keep));
  }

  // -- streams ------------------------------------------------------------------

  void queue(const std::string& data) {
    outq += chunk_of(data);
    pump();
  }

  void on_chunk(int32_t part, std::string text) {
    if (closed || stream_done)
      return;
    tokens[part] += text;
    if (!writing)
      pump();
  }

  /// Token events, one per candidate (JSON data: the text has newlines).
  void flush_tokens() {
    for (auto& [part, text] : tokens)
      outq += chunk_of("event: token\ndata: "
                       + nlohmann::json{{"candidate", part}, {"text", text}}.dump(
                         -1, ' ', false, nlohmann::json::error_handler_t::replace)
                       + "\n\n");
    tokens.clear();
  }

  /// Starts the next write: coalesced token events (fewer, larger ones while a write is
  /// slow), then whatever else is queued.
  void pump() {
    if (writing || closed)
      return;
    flush_tokens();
    if (outq.empty()) {
      if (stream_done)
        next(keep);
      return;
    }
    writing = true;
    auto data = std::make_shared<std::string>(std::move(outq));
    outq.clear();
    // A client that stops reading is gone once one write has waited this long (keep-alive
    // comments keep a reading client's writes short). Only the write's timer: tcp_stream leaves
    // the pending watch read's alone.
    stream.expires_after(s.cfg.write_timeout);
    net::async_write(stream, net::buffer(*data),
                     [self = shared_from_this(), data](beast::error_code ec, size_t) {
                       self->writing = false;
                       if (ec)
                         return self->stream_gone();
                       self->pump();
                     });
  }

  void stream_gone() {
    if (pending) {
      finish_call();
      s.m.error("client_disconnect");
      s.m.cancelled();
      s.m.request(r.label, 499, seconds_since(t0));
    }
    close();
  }

  /// Keep-alive comments while nothing comes, so proxies do not time the stream out.
  void arm_tick() {
    tick.expires_after(std::chrono::seconds(5));
    tick.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed || !self->pending)
        return;
      if (!self->writing && self->tokens.empty())
        self->queue(": waiting\n\n");
      self->arm_tick();
    });
  }

  void end_stream(call_result res) {
    tick.cancel();
    keep = keep && !s.stopping;
    flush_tokens(); // every chunk came before the result
    if (res.ok) {
      s.m.tokens(res.tokens);
      for (const auto& line : res.lines)
        outq += chunk_of("event: line\ndata: " + line + "\n\n");
      outq += chunk_of("event: sonnet\ndata: " + res.body.dump() + "\n\n");
    } else {
      auto code = std::string(to_string(res.err.code));
      s.m.error(code);
      outq += chunk_of("event: error\ndata: " + error_body(code, res.err.message).dump() + "\n\n");
    }
    outq += "0\r\n\r\n";
    s.m.request(r.label, 200, seconds_since(t0));
    stream_done = true;
    pump();
  }
};

} // namespace

namespace {

void session::handle() {
  reading = false;
  auto& req = parser->get();
  std::string target(req.target());
  auto qpos = target.find('?');
  std::string path = target.substr(0, qpos);
  auto query = parse_query(qpos == std::string::npos ? "" : target.substr(qpos + 1));
  r = route_of(req.method(), path);
  version = req.version();
  keep = req.keep_alive() && !s.stopping;
  post_method = req.method() == bhttp::verb::post;
  streaming = false;
  if (r.kind == route_kind::unknown)
    return fail(404, "not_found", "no route " + path);
  if (!r.method_ok)
    return fail(405, "method_not_allowed",
                std::string(req.method_string()) + " is not allowed on " + path, {}, r.allow);
  if (r.kind == route_kind::healthz || r.kind == route_kind::metrics || r.kind == route_kind::page)
    return serve_here();

  // -- API calls: validate, admit, ask the service ------------------------------
  if (s.stopping) {
    keep = false;
    return fail(503, "shutting_down", "the server is shutting down");
  }
  // Everything is validated before a slot is taken and before the service sees anything.
  auto parsed = parse_api_request(r.kind, post_method, path, query, req.body());
  if (auto* e = std::get_if<api_error>(&parsed))
    return fail(e->status, e->code, e->message, {}, {}, e->field);
  auto& call_req = std::get<api_request>(parsed);
  streaming = call_req.streaming;
  // 429, not 503: the server is healthy and the refusal is about this client's timing (too
  // many requests at once), which is what 429 Too Many Requests means; 503 would tell load
  // balancers and health checks the whole node is unavailable. Retry-After says when to retry.
  if (!s.admit())
    return fail(
      429, "too_many_requests",
      "more than " + std::to_string(s.cfg.max_in_flight) + " requests in flight; retry later", "1");
  start_call(std::move(call_req));
  watch();
  if (streaming)
    start_event_stream();
}

/// Served here, without the service or the model: /healthz, /metrics and the page.
void session::serve_here() {
  if (r.kind == route_kind::healthz) {
    s.m.request(r.label, 200, seconds_since(t0));
    return send(json_response(version, 200, {{"status", s.stopping ? "stopping" : "ok"}}, keep));
  }
  string_response res{bhttp::status::ok, version};
  res.set(bhttp::field::server, "sonnetd");
  res.keep_alive(keep);
  if (r.kind == route_kind::metrics) {
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = s.m.render(); // this request is counted in the next scrape
  } else {
    res.set(bhttp::field::content_type, "text/html; charset=utf-8");
    res.body() = index_html();
  }
  res.prepare_payload();
  s.m.request(r.label, 200, seconds_since(t0));
  send(std::move(res));
}

/// Asks the service; holds the admission slot taken in handle().
void session::start_call(api_request call_req) {
  // The answer comes on a CAF thread: posted to the io thread, to a session that may be gone.
  std::weak_ptr<session> weak = weak_from_this();
  auto g = s.g;
  done_fn done = [g, weak](call_result res) {
    g->post([weak, res = std::move(res)]() mutable {
      if (auto self = weak.lock())
        self->on_result(std::move(res));
    });
  };
  auto to = s.cfg.request_timeout;
  const int64_t n = call_req.n;
  switch (r.kind) {
  case route_kind::sonnets:
  case route_kind::stream:
    if (streaming) {
      chunk_fn chunk = [g, weak](int32_t part, std::string text) {
        g->post([weak, part, text = std::move(text)]() mutable {
          if (auto self = weak.lock())
            self->on_chunk(part, std::move(text));
        });
      };
      pending = call_generate_stream(s.sys, s.service, std::move(call_req.gen), to, chunk, done);
    } else if (post_method) {
      pending = call_generate(s.sys, s.service, std::move(call_req.gen), to, done);
    } else if (call_req.best) {
      pending = call_best(s.sys, s.service, n, call_req.min_quality, to, done);
    } else {
      pending = call_recent(s.sys, s.service, n, to, done);
    }
    break;
  case route_kind::sonnet_by_id:
    pending = call_get(s.sys, s.service, n, to, done);
    break;
  case route_kind::series:
    pending = call_series(s.sys, s.service, n, to, done);
    break;
  case route_kind::phase:
    pending = call_phase(s.sys, s.service, to, done);
    break;
  case route_kind::brain:
    pending = call_brain(s.sys, s.service, n, to, done);
    break;
  default: // stats
    pending = call_stats(s.sys, s.service, to, done);
    break;
  }
}

// Server-sent events. The head goes out at once; then each candidate's raw text as the
// model writes it ("token" events, a few tokens each), comments as keep-alive while
// nothing comes, and at the end the 14 lines and the sonnet (or an error).
void session::start_event_stream() {
  keep = keep && version >= 11;
  outq = "HTTP/1.1 200 OK\r\nServer: sonnetd\r\nContent-Type: text/event-stream\r\n"
         "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n";
  outq += keep ? "\r\n" : "Connection: close\r\n\r\n";
  outq += chunk_of(": generating\n\n");
  stream_done = false;
  arm_tick();
  pump();
}

} // namespace

void server::impl::do_accept() {
  acceptor.async_accept(
    ioc, [this](beast::error_code ec, tcp::socket sock) { on_accept(ec, std::move(sock)); });
}

namespace {

/// Keepalive probes and TCP_USER_TIMEOUT: a client cut off by a partition sends no FIN or RST;
/// with these the socket fails (and the session cancels its request) once data or probes have
/// gone unacknowledged for `t`.
void watch_acks(tcp::socket& sock, std::chrono::milliseconds t) {
  if (t.count() <= 0)
    return;
  int fd = sock.native_handle();
  int on = 1;
  int idle = std::max(1, static_cast<int>(t.count() / 3000));
  int interval = idle;
  int count = 3;
  auto user_timeout = static_cast<unsigned>(t.count());
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

} // namespace

void server::impl::on_accept(beast::error_code ec, tcp::socket sock) {
  if (stopping || !acceptor.is_open())
    return;
  if (ec) {
    // Out of descriptors and the like: retry soon, without spinning.
    accept_retry.expires_after(std::chrono::milliseconds(10));
    accept_retry.async_wait([this](beast::error_code wec) {
      if (!wec && !stopping)
        do_accept();
    });
    return;
  }
  beast::error_code rec;
  auto ep = sock.remote_endpoint(rec);
  if (!rec) {
    auto addr = ep.address();
    int total = 0;
    {
      std::lock_guard<std::mutex> guard{mtx};
      total = connections;
    }
    auto it = per_address.find(addr);
    int mine = it == per_address.end() ? 0 : it->second;
    if (total >= cfg.max_connections || mine >= cfg.max_connections_per_address) {
      refuse(std::move(sock), total >= cfg.max_connections);
    } else {
      ++per_address[addr];
      watch_acks(sock, cfg.unacked_timeout);
      {
        std::lock_guard<std::mutex> guard{mtx};
        ++connections;
      }
      std::make_shared<session>(*this, std::move(sock), addr)->start();
    }
  }
  do_accept();
}

namespace {

/// A refused connection: a short 503, then the client's bytes are read until it closes (or
/// 1 s), so that it reads the answer instead of a reset.
struct refused : std::enable_shared_from_this<refused> {
  beast::tcp_stream stream;
  string_response res;
  char junk[4096];
  refused(tcp::socket sock, string_response r) : stream(std::move(sock)), res(std::move(r)) {}
  void start() {
    stream.expires_after(std::chrono::seconds(1));
    bhttp::async_write(stream, res, [self = shared_from_this()](beast::error_code ec, size_t) {
      beast::error_code sec;
      self->stream.socket().shutdown(tcp::socket::shutdown_send, sec);
      if (!ec)
        self->drain();
    });
  }
  void drain() {
    stream.async_read_some(net::buffer(junk),
                           [self = shared_from_this()](beast::error_code ec, size_t) {
                             if (!ec)
                               self->drain();
                           });
  }
};

} // namespace

void server::impl::refuse(tcp::socket sock, bool all) {
  auto res = json_response(
    11, 503,
    error_body("too_many_connections", all ? "too many open connections; retry later"
                                           : "too many open connections from your address; "
                                             "retry later"),
    false);
  res.set(bhttp::field::retry_after, "1");
  res.prepare_payload();
  m.error("too_many_connections");
  std::make_shared<refused>(std::move(sock), std::move(res))->start();
}

void server::impl::force_drain() {
  std::vector<std::shared_ptr<session>> all;
  for (auto* p : sessions)
    all.push_back(p->shared_from_this());
  for (auto& p : all) {
    if (p->pending) {
      // Cancelled (the actor is killed), then answered like any service error.
      p->pending->cancel();
      call_result res;
      res.err = error{errc::shutting_down, "the server is shutting down"};
      p->on_result(std::move(res));
    } else if (p->reading) {
      p->close();
    }
  }
}

server::server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

server::~server() {
  stop(std::chrono::milliseconds(0));
}

uint16_t server::port() const {
  return impl_->port;
}

result<std::unique_ptr<server>> server::start(caf::actor_system& sys, service_actor service,
                                              server_config cfg) {
  auto p = std::make_unique<impl>(sys, std::move(service), std::move(cfg));
  // Each connection is a descriptor: a soft limit of 1024 would stop accept() long before
  // max_connections. Raised up to the hard limit, never lowered.
  rlimit rl{};
  auto want = static_cast<rlim_t>(p->cfg.max_connections) + 256;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
    rl.rlim_cur = std::min(want, rl.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
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
  p->do_accept();
  auto* raw = p.get();
  p->io_thread = std::thread([raw] { raw->ioc.run(); });
  return std::unique_ptr<server>(new server(std::move(p)));
}

namespace {

/// Runs `f` on the io thread and waits for it.
template <class F>
void run_on(net::io_context& ioc, F f) {
  // Shared: the io thread may still be inside set_value when this thread wakes.
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  net::post(ioc, [&f, done] {
    f();
    done->set_value();
  });
  fut.wait();
}

} // namespace

void server::stop(std::chrono::milliseconds grace) {
  auto& p = *impl_;
  if (p.stopped)
    return;
  p.stopped = true;
  run_on(p.ioc, [&] {
    p.stopping = true;
    beast::error_code ec;
    p.acceptor.close(ec);
    p.accept_retry.cancel();
  });
  {
    // Calls in flight are answered (or time out) first; new ones get 503 meanwhile.
    std::unique_lock<std::mutex> lock{p.mtx};
    p.cv.wait_for(lock, grace, [&] { return p.calls == 0; });
  }
  run_on(p.ioc, [&] { p.force_drain(); });
  {
    // The last answers are written (the connections then close themselves).
    std::unique_lock<std::mutex> lock{p.mtx};
    p.cv.wait_for(lock, std::chrono::seconds(2), [&] { return p.connections == 0; });
  }
  run_on(p.ioc, [&] {
    for (auto* s : p.sessions)
      s->close();
  });
  {
    std::unique_lock<std::mutex> lock{p.mtx};
    p.cv.wait_for(lock, std::chrono::seconds(2), [&] { return p.connections == 0; });
  }
  p.g->close();
  p.work.reset();
  p.ioc.stop();
  if (p.io_thread.joinable())
    p.io_thread.join();
}

} // namespace sonnet::http
