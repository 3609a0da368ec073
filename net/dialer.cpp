#include "net/dialer.hpp"

#include <pthread.h>
#include <signal.h>

#include <array>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace sonnet::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

struct dialer::impl {
  dialer_config cfg;
  asio::io_context io;
  std::mutex mtx; // guards routes: route() is called from actor threads
  std::map<std::string, std::unique_ptr<tcp::acceptor>> routes;
  std::thread thread;

  void log(const std::string& line) {
    if (cfg.log)
      cfg.log(line);
  }
  void accept(tcp::acceptor& a, std::string host, uint16_t port);
};

namespace {

/// One relayed connection: CAF's loopback socket and the real one to the peer.
struct link : std::enable_shared_from_this<link> {
  dialer::impl& d;
  std::string host;
  uint16_t port;
  tcp::socket local;
  tcp::socket remote;
  tcp::resolver resolver;
  asio::steady_timer timer;
  steady::time_point last_heard{};
  std::array<uint8_t, 16384> from_local{};
  std::array<uint8_t, 16384> from_remote{};
  bool connected = false;
  bool closed = false;

  link(dialer::impl& dialer, tcp::socket s, std::string h, uint16_t p)
      : d(dialer), host(std::move(h)), port(p), local(std::move(s)), remote(dialer.io),
        resolver(dialer.io), timer(dialer.io) {}

  std::string where() const { return host + ":" + std::to_string(port); }

  void start() {
    auto self = shared_from_this();
    timer.expires_after(d.cfg.connect_timeout);
    timer.async_wait([self](const error_code& ec) {
      if (ec || self->closed || self->connected)
        return;
      self->d.log("link to " + self->where() + ": no connection after "
                  + std::to_string(self->d.cfg.connect_timeout.count()) + " ms");
      self->close();
    });
    resolver.async_resolve(host, std::to_string(port), tcp::resolver::numeric_service,
                           [self](const error_code& ec, tcp::resolver::results_type eps) {
                             if (ec || self->closed)
                               return self->fail("cannot resolve", ec);
                             self->connect(eps);
                           });
  }

  void connect(const tcp::resolver::results_type& eps) {
    auto self = shared_from_this();
    asio::async_connect(remote, eps, [self](const error_code& ec, const tcp::endpoint&) {
      if (ec || self->closed)
        return self->fail("cannot connect", ec);
      self->connected = true;
      error_code ignored;
      self->remote.set_option(tcp::no_delay(true), ignored);
      self->local.set_option(tcp::no_delay(true), ignored);
      self->last_heard = steady::now();
      self->watch_silence();
      self->pump(self->local, self->remote, self->from_local, false);
      self->pump(self->remote, self->local, self->from_remote, true);
    });
  }

  void fail(const char* what, const error_code& ec) {
    if (!closed && ec != asio::error::operation_aborted)
      d.log("link to " + where() + ": " + what + ": " + ec.message());
    close();
  }

  /// Cuts a link whose peer stopped talking: behind a partition no FIN or RST ever arrives.
  void watch_silence() {
    if (d.cfg.silence_timeout.count() <= 0)
      return;
    auto self = shared_from_this();
    timer.expires_at(last_heard + d.cfg.silence_timeout);
    timer.async_wait([self](const error_code& ec) {
      if (ec || self->closed)
        return;
      if (steady::now() - self->last_heard < self->d.cfg.silence_timeout)
        return self->watch_silence();
      self->d.log("link to " + self->where() + ": peer silent for "
                  + std::to_string(self->d.cfg.silence_timeout.count()) + " ms, cut");
      self->close();
    });
  }

  /// Copies `from` to `to` a chunk at a time; reading waits for the write, so a slow side
  /// pushes back through TCP instead of filling memory.
  void pump(tcp::socket& from, tcp::socket& to, std::array<uint8_t, 16384>& buf, bool heard) {
    auto self = shared_from_this();
    from.async_read_some(
      asio::buffer(buf), [self, &from, &to, &buf, heard](const error_code& ec, size_t n) {
        if (ec || self->closed)
          return self->close();
        if (heard)
          self->last_heard = steady::now();
        asio::async_write(to, asio::buffer(buf.data(), n),
                          [self, &from, &to, &buf, heard](const error_code& ec, size_t) {
                            if (ec)
                              return self->close();
                            self->pump(from, to, buf, heard);
                          });
      });
  }

  void close() {
    if (closed)
      return;
    closed = true;
    error_code ignored;
    local.close(ignored);
    remote.close(ignored);
    resolver.cancel();
    timer.cancel();
  }
};

} // namespace

void dialer::impl::accept(tcp::acceptor& a, std::string host, uint16_t port) {
  a.async_accept([this, &a, host, port](const error_code& ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted)
      return;
    if (!ec)
      std::make_shared<link>(*this, std::move(s), host, port)->start();
    accept(a, host, port);
  });
}

dialer::dialer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

dialer::~dialer() {
  impl_->io.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
}

uint16_t dialer::route(const std::string& host, uint16_t port, std::string& err) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  auto key = host + ":" + std::to_string(port);
  if (auto i = impl_->routes.find(key); i != impl_->routes.end())
    return i->second->local_endpoint().port();
  auto a = std::make_unique<tcp::acceptor>(impl_->io);
  error_code ec;
  tcp::endpoint ep{asio::ip::make_address_v4("127.0.0.1"), 0};
  a->open(ep.protocol(), ec);
  if (!ec)
    a->bind(ep, ec);
  if (!ec)
    a->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    err = "cannot open a loopback port for " + key + ": " + ec.message();
    return 0;
  }
  auto local_port = a->local_endpoint().port();
  auto& ref = *a;
  impl_->routes.emplace(key, std::move(a));
  asio::post(impl_->io, [this, &ref, host, port] { impl_->accept(ref, host, port); });
  return local_port;
}

std::unique_ptr<dialer> dialer::start(dialer_config cfg, std::string& err) {
  auto p = std::make_unique<impl>();
  p->cfg = std::move(cfg);
  auto raw = p.get();
  try {
    raw->thread = std::thread([raw] {
      // The process's main thread takes the signals; this one must not.
      sigset_t all;
      sigfillset(&all);
      pthread_sigmask(SIG_BLOCK, &all, nullptr);
      auto work = asio::make_work_guard(raw->io);
      raw->io.run();
    });
  } catch (const std::system_error& e) {
    err = std::string{"cannot start the dialer's thread: "} + e.what();
    return nullptr;
  }
  return std::unique_ptr<dialer>(new dialer(std::move(p)));
}

} // namespace sonnet::net
