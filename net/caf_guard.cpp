#include "net/caf_guard.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <list>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace sonnet::guard {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

/// Splits one direction of a connection into frames and reports each header before any byte
/// of it is forwarded. BASP (CAF 0.17, caf/io/basp/header.hpp): 32 bytes, operation in byte 0,
/// payload_len at bytes 4..7 in network order (CAF's binary serializer; checked against a
/// capture of `sonnet --connect`). TLS: 5-byte record header, length at bytes 3..4.
class framer {
public:
  explicit framer(bool tls) : tls_(tls) {}

  /// Calls on_header(type, length) at each header (false refuses it) and on_end(type) when a
  /// frame is complete. Returns false on a refused header.
  template <class OnHeader, class OnEnd>
  bool feed(const uint8_t* p, size_t n, OnHeader&& on_header, OnEnd&& on_end) {
    const size_t hsize = tls_ ? 5 : 32;
    while (n > 0 || (in_frame_ && remaining_ == 0)) {
      if (in_frame_) {
        auto k = static_cast<size_t>(std::min<uint64_t>(remaining_, n));
        remaining_ -= k;
        p += k;
        n -= k;
        if (remaining_ > 0)
          break;
        in_frame_ = false;
        on_end(type_);
        continue;
      }
      auto k = std::min(hsize - have_, n);
      std::memcpy(hdr_.data() + have_, p, k);
      have_ += k;
      p += k;
      n -= k;
      if (have_ < hsize)
        break;
      have_ = 0;
      type_ = hdr_[0];
      remaining_ = tls_ ? (uint64_t{hdr_[3]} << 8) | hdr_[4]
                        : (uint64_t{hdr_[4]} << 24) | (uint64_t{hdr_[5]} << 16)
                            | (uint64_t{hdr_[6]} << 8) | hdr_[7];
      if (!on_header(type_, remaining_))
        return false;
      in_frame_ = true;
    }
    return true;
  }

private:
  bool tls_;
  std::array<uint8_t, 32> hdr_{};
  size_t have_ = 0;
  bool in_frame_ = false;
  uint8_t type_ = 0;
  uint64_t remaining_ = 0;
};

constexpr uint8_t basp_client_handshake = 1;
constexpr uint8_t basp_last_operation = 6; // heartbeat
constexpr uint8_t tls_application_data = 23;
constexpr uint64_t tls_max_record = 16384 + 2048; // RFC 5246 6.2.3

struct session;

} // namespace

struct caf_guard::impl {
  guard_config cfg;
  // Before io: destroying io destroys the sessions its handlers hold, which leave these.
  int sessions = 0;
  std::list<session*> pending; // oldest first
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer pause{io};
  tcp::endpoint upstream;
  uint16_t bound_port = 0;
  std::thread thread;
  /// A spare descriptor: at the descriptor limit it is closed to accept and close one waiting
  /// peer, so the listen queue moves and the loop does not spin on EMFILE.
  int reserve_fd = -1;
  /// Relayed connections; each costs three descriptors (two here, one in CAF), so their number
  /// is capped below RLIMIT_NOFILE: CAF's own accept loop spins at the limit too.
  int max_sessions = 0;
  std::chrono::steady_clock::time_point last_shortage_log{};

  void log(const std::string& line) {
    if (cfg.log)
      cfg.log(line);
  }
  /// At most one line a second: peers choose how often these happen.
  std::chrono::steady_clock::time_point last_refusal_log{};
  long refusals_unlogged = 0;
  void log_refusal(const std::string& what) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log < std::chrono::seconds(1)) {
      refusals_unlogged += 1;
      return;
    }
    last_refusal_log = now;
    log(what
        + (refusals_unlogged > 0
             ? " (and " + std::to_string(refusals_unlogged) + " refusals not logged)"
             : std::string{}));
    refusals_unlogged = 0;
  }
  void accept();
  void on_descriptor_shortage(const error_code& ec);
};

namespace {

struct session : std::enable_shared_from_this<session> {
  caf_guard::impl& g;
  tcp::socket peer;
  tcp::socket up;
  asio::steady_timer deadline;
  asio::steady_timer quiet;
  std::chrono::steady_clock::time_point last_heard{};
  std::array<uint8_t, 16384> from_peer{};
  std::array<uint8_t, 16384> from_up{};
  framer peer_frames;
  framer up_frames;
  std::list<session*>::iterator pending_pos;
  bool is_pending = true;
  bool authenticated = false;
  bool peer_sent_app_data = false; // TLS
  bool up_closed = false;
  bool closed = false;

  session(caf_guard::impl& guard, tcp::socket s)
      : g(guard), peer(std::move(s)), up(guard.io), deadline(guard.io), quiet(guard.io),
        peer_frames(guard.cfg.tls), up_frames(guard.cfg.tls) {
    g.sessions += 1;
    pending_pos = g.pending.insert(g.pending.end(), this);
  }
  ~session() {
    leave_pending();
    g.sessions -= 1;
  }

  void leave_pending() {
    if (is_pending) {
      g.pending.erase(pending_pos);
      is_pending = false;
    }
  }

  void start() {
    auto self = shared_from_this();
    deadline.expires_after(g.cfg.handshake_timeout);
    deadline.async_wait([self](const error_code& ec) {
      if (!ec && !self->authenticated)
        self->close();
    });
    up.async_connect(g.upstream, [self](const error_code& ec) {
      if (ec || self->closed)
        return self->close();
      error_code ignored;
      self->up.set_option(tcp::no_delay(true), ignored);
      self->peer.set_option(tcp::no_delay(true), ignored);
      self->read_peer();
      self->read_up();
    });
  }

  void authenticate() {
    authenticated = true;
    leave_pending();
    deadline.cancel();
    last_heard = std::chrono::steady_clock::now();
    if (g.cfg.silence_timeout.count() > 0)
      watch_silence();
  }

  /// Cuts a peer that stopped talking: behind a partition no FIN or RST ever arrives.
  void watch_silence() {
    auto self = shared_from_this();
    quiet.expires_at(last_heard + g.cfg.silence_timeout);
    quiet.async_wait([self](const error_code& ec) {
      if (ec || self->closed)
        return;
      if (std::chrono::steady_clock::now() - self->last_heard < self->g.cfg.silence_timeout)
        return self->watch_silence();
      self->g.log_refusal("closed a connection: peer silent for "
                          + std::to_string(self->g.cfg.silence_timeout.count()) + " ms");
      self->close();
    });
  }

  bool check_peer(const uint8_t* p, size_t n) {
    if (g.cfg.tls)
      return peer_frames.feed(
        p, n,
        [this](uint8_t type, uint64_t len) {
          if (type < 20 || type > 24 || len > tls_max_record)
            return false;
          if (type == tls_application_data)
            peer_sent_app_data = true;
          return true;
        },
        [](uint8_t) {});
    return peer_frames.feed(
      p, n,
      [this](uint8_t op, uint64_t len) {
        if (!authenticated) // a CAF 0.17 client opens with its handshake
          return op == basp_client_handshake && len <= g.cfg.max_handshake_payload;
        return op <= basp_last_operation && len <= g.cfg.max_message;
      },
      [this](uint8_t op) {
        if (!authenticated && op == basp_client_handshake)
          authenticate();
      });
  }

  void read_peer() {
    auto self = shared_from_this();
    peer.async_read_some(asio::buffer(from_peer), [self](const error_code& ec, size_t n) {
      if (ec || self->closed)
        return self->close();
      self->last_heard = std::chrono::steady_clock::now();
      if (self->up_closed) // CAF is gone; wait for the peer to hang up (or the deadline)
        return self->read_peer();
      if (!self->check_peer(self->from_peer.data(), n)) {
        self->g.log_refusal(self->g.cfg.tls ? "closed a connection: bad TLS record header"
                                            : "closed a connection: BASP header out of bounds "
                                              "or out of order");
        return self->close();
      }
      asio::async_write(self->up, asio::buffer(self->from_peer.data(), n),
                        [self](const error_code& ec, size_t) {
                          if (ec)
                            return self->close();
                          self->read_peer();
                        });
    });
  }

  void read_up() {
    auto self = shared_from_this();
    up.async_read_some(asio::buffer(from_up), [self](const error_code& ec, size_t n) {
      if (ec || self->closed)
        return self->close_upstream();
      if (self->g.cfg.tls && !self->authenticated) {
        // CAF (OpenSSL) sends application data after the peer's only once the peer's side
        // of the TLS handshake checked out.
        auto ok = self->up_frames.feed(
          self->from_up.data(), n,
          [&](uint8_t type, uint64_t) {
            if (type == tls_application_data && self->peer_sent_app_data)
              self->authenticate();
            return true;
          },
          [](uint8_t) {});
        (void)ok;
      }
      asio::async_write(self->peer, asio::buffer(self->from_up.data(), n),
                        [self](const error_code& ec, size_t) {
                          if (ec)
                            return self->close();
                          self->read_up();
                        });
    });
  }

  /// CAF closed: what it wrote has been passed on; FIN to the peer, and a moment for the peer
  /// to read it before the socket goes (closing with unread input would send RST).
  void close_upstream() {
    if (closed || up_closed)
      return close();
    up_closed = true;
    error_code ignored;
    up.close(ignored);
    peer.shutdown(tcp::socket::shutdown_send, ignored);
    leave_pending();
    auto self = shared_from_this();
    deadline.expires_after(std::chrono::seconds(2));
    deadline.async_wait([self](const error_code& ec) {
      if (!ec)
        self->close();
    });
  }

  void close() {
    if (closed)
      return;
    closed = true;
    leave_pending();
    error_code ignored;
    peer.close(ignored);
    up.close(ignored);
    deadline.cancel();
    quiet.cancel();
  }
};

bool descriptor_shortage(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec.value() == ENFILE || ec.value() == ENOBUFS
         || ec.value() == ENOMEM;
}

} // namespace

void caf_guard::impl::on_descriptor_shortage(const error_code& ec) {
  if (reserve_fd >= 0) {
    ::close(reserve_fd);
    reserve_fd = -1;
  }
  int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0)
    ::close(fd);
  reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto now = std::chrono::steady_clock::now();
  if (now - last_shortage_log > std::chrono::seconds(10)) {
    last_shortage_log = now;
    log("accept: " + ec.message() + "; refusing connections for a moment");
  }
  // Pause instead of retrying at once: the listen queue stays readable while descriptors are
  // short, and an immediate retry spins a core.
  pause.expires_after(std::chrono::milliseconds(100));
  pause.async_wait([this](const error_code& e) {
    if (!e)
      accept();
  });
}

void caf_guard::impl::accept() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted)
      return;
    if (ec) {
      if (descriptor_shortage(ec))
        return on_descriptor_shortage(ec);
      return accept(); // ECONNABORTED and the like concern one peer only
    }
    if (sessions >= max_sessions && pending.empty()) {
      error_code ignored;
      s.close(ignored); // every slot holds an authenticated peer
      return accept();
    }
    // Beyond a cap the oldest handshake goes, not the newest: a real client finishes its
    // handshake in milliseconds, so idle connections cannot lock it out.
    if (static_cast<int>(pending.size()) >= cfg.max_pending || sessions >= max_sessions)
      pending.front()->close();
    std::make_shared<session>(*this, std::move(s))->start();
    accept();
  });
}

caf_guard::caf_guard(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

caf_guard::~caf_guard() {
  impl_->io.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
  if (impl_->reserve_fd >= 0)
    ::close(impl_->reserve_fd);
}

uint16_t caf_guard::port() const {
  return impl_->bound_port;
}

std::unique_ptr<caf_guard> caf_guard::start(guard_config cfg, std::string& err) {
  auto p = std::make_unique<impl>();
  p->cfg = std::move(cfg);
  error_code ec;
  tcp::resolver resolver{p->io};
  auto eps = resolver.resolve(p->cfg.bind, std::to_string(p->cfg.port),
                              tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || eps.empty()) {
    err = "cannot resolve " + p->cfg.bind + ": " + ec.message();
    return nullptr;
  }
  tcp::endpoint ep = *eps.begin();
  p->acceptor.open(ep.protocol(), ec);
  if (!ec)
    p->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec)
    p->acceptor.bind(ep, ec);
  if (!ec)
    p->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    err = ec.message();
    return nullptr;
  }
  p->bound_port = p->acceptor.local_endpoint(ec).port();
  p->upstream = tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), p->cfg.upstream_port);
  p->reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  // Three descriptors per relayed connection; the rest of the process (model, database, HTTP,
  // CAF's own sockets) keeps a margin.
  rlimit rl{};
  long nofile = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    nofile = static_cast<long>(std::min<rlim_t>(rl.rlim_cur, 1 << 20));
  long margin = std::min(128L, nofile / 2);
  p->max_sessions = static_cast<int>(std::max(1L, (nofile - margin) / 3));
  auto raw = p.get();
  raw->accept();
  raw->thread = std::thread([raw] {
    // The daemon's main thread takes the signals; this one must not.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    raw->io.run();
  });
  return std::unique_ptr<caf_guard>(new caf_guard(std::move(p)));
}

} // namespace sonnet::guard
