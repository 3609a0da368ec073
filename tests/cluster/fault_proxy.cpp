// sonnet_fault_proxy: a fault-injecting TCP relay for cluster tests (toxiproxy-style), because
// the test kernels have no netem qdisc. It sits between a front and a worker and, on command,
// delays, throttles, stalls, blackholes or resets the connections it relays.
//
//   sonnet_fault_proxy --listen HOST:PORT --to HOST:PORT --control HOST:PORT [--seed N]
//
// Addresses are numeric IPv4/IPv6; port 0 picks one. Once ready it prints
// `fault_proxy: listening on H:P control on H:P`, then a line per connection opened/closed.
// The control port takes one command per line and answers each with `ok ...` or `error ...`:
//   pass | delay MS | rate BYTES_PER_SEC | stall PROB MS | blackhole | reset | stats
//
// Memory is bounded: each direction holds at most one chunk (16 KiB) and does not read again
// until that chunk is written, so a slow or blackholed link backs up into TCP flow control
// instead of into this process. The price: under `delay MS` a direction carries at most one
// chunk per MS (16 KiB per 200 ms = 80 KiB/s), unlike a real long link with a large window.
// Enough for heartbeats and requests; not a model of bandwidth-delay product.

#include <algorithm>
#include <boost/asio.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr size_t chunk_size = 16 * 1024;

/// The faults in force; read afresh for every chunk, so a command applies to the next chunk.
struct faults {
  long delay_ms = 0;
  double rate = 0; // bytes per second per direction, 0 = unlimited
  double stall_prob = 0;
  long stall_ms = 0;
  bool blackhole = false;
};

struct totals {
  uint64_t connections = 0;
  uint64_t up_bytes = 0; // client -> target, as forwarded
  uint64_t down_bytes = 0;
};

/// What every connection shares: the faults, the random stream and the counters.
struct shared_state {
  faults f;
  std::mt19937_64 rng;
  totals t;
};

tcp::endpoint parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    throw std::runtime_error("expected HOST:PORT, got '" + text + "'");
  auto host = text.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port = std::stoul(text.substr(colon + 1));
  return {asio::ip::make_address(host), static_cast<unsigned short>(port)};
}

std::string to_string(const tcp::endpoint& ep) {
  std::ostringstream out;
  out << ep; // brackets IPv6 addresses, so the port stays unambiguous
  return out.str();
}

/// The peer's address, or "?" if it already went away (remote_endpoint() would throw).
std::string peer_name(const tcp::socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  return ec ? "?" : to_string(ep);
}

void say(const std::string& line) {
  std::cout << "fault_proxy: " << line << std::endl; // endl flushes: tests wait for the lines
}

class connection;

/// One direction of a connection: read a chunk, hold it as the faults say, write it, repeat.
class direction {
public:
  direction(connection& owner, tcp::socket& from, tcp::socket& to, uint64_t& counter)
      : owner_(owner), from_(from), to_(to), counter_(counter), timer_(from.get_executor()) {}

  void start() { read(); }
  /// Called on `pass`: a chunk parked by a blackhole goes on now.
  void resume() {
    if (parked_) {
      parked_ = false;
      write();
    }
  }
  bool done() const { return done_; }
  void cancel() { timer_.cancel(); }

private:
  void read();
  void hold(size_t n);
  void release();
  void write();
  clock_type::duration pacing(size_t n);

  connection& owner_;
  tcp::socket& from_;
  tcp::socket& to_;
  uint64_t& counter_;
  asio::steady_timer timer_;
  char buf_[chunk_size];
  size_t len_ = 0;
  bool parked_ = false;
  bool done_ = false;
  clock_type::time_point next_free_ = clock_type::now(); // rate limit: when the link is free
};

class connection : public std::enable_shared_from_this<connection> {
public:
  connection(tcp::socket client, shared_state& s, std::set<std::shared_ptr<connection>>& all)
      : client_(std::move(client)), target_(client_.get_executor()), state_(s), all_(all),
        up_(*this, client_, target_, s.t.up_bytes), down_(*this, target_, client_, s.t.down_bytes),
        name_(peer_name(client_)) {}

  /// Connects onward unless blackholed: then the client waits, connected to nothing, until
  /// `pass` (as a SYN to a partitioned host is retried until the partition heals).
  void start(const tcp::endpoint& to) {
    to_ = to;
    say("opened " + name_);
    if (!state_.f.blackhole)
      connect();
  }
  void resume() {
    if (!connecting_ && !target_.is_open())
      connect();
    up_.resume();
    down_.resume();
  }
  shared_state& state() { return state_; }
  std::shared_ptr<connection> self() { return shared_from_this(); }

  /// A direction ended cleanly: pass the FIN on, and close once both directions ended.
  void finished(tcp::socket& to) {
    error_code ec;
    to.shutdown(tcp::socket::shutdown_send, ec);
    if (up_.done() && down_.done())
      close(false);
  }
  /// Closes both sides; with `abort`, with RST (linger 0) rather than FIN.
  void close(bool abort) {
    if (closed_)
      return;
    closed_ = true;
    for (auto* s : {&client_, &target_})
      close_socket(*s, abort);
    up_.cancel();
    down_.cancel();
    say("closed " + name_);
    all_.erase(self());
  }

private:
  void connect() {
    connecting_ = true;
    target_.async_connect(to_, [this, keep = self()](error_code ec) {
      connecting_ = false;
      if (closed_)
        return;
      if (ec) {
        say("cannot connect to " + to_string(to_) + ": " + ec.message());
        return close(true); // the client sees the refusal as a reset
      }
      up_.start();
      down_.start();
    });
  }
  static void close_socket(tcp::socket& s, bool abort) {
    error_code ec;
    if (!s.is_open())
      return;
    if (abort)
      s.set_option(asio::socket_base::linger(true, 0), ec);
    s.close(ec);
  }

  tcp::socket client_;
  tcp::socket target_;
  tcp::endpoint to_;
  shared_state& state_;
  std::set<std::shared_ptr<connection>>& all_;
  direction up_;
  direction down_;
  std::string name_;
  bool connecting_ = false;
  bool closed_ = false;
};

void direction::read() {
  // Under a rate limit the link moves 50 ms worth of bytes at a time, as a slow line does:
  // a whole 16 KiB chunk at 800 B/s would hold everything behind it (heartbeats too) for 20 s.
  auto rate = owner_.state().f.rate;
  auto want =
    rate > 0 ? std::clamp(static_cast<size_t>(rate / 20), size_t{64}, chunk_size) : chunk_size;
  from_.async_read_some(asio::buffer(buf_, want),
                        [this, keep = owner_.self()](error_code ec, size_t n) {
                          if (ec == asio::error::operation_aborted)
                            return;
                          if (ec == asio::error::eof) {
                            done_ = true;
                            return owner_.finished(to_);
                          }
                          if (ec)
                            return owner_.close(true); // pass a reset on as a reset
                          hold(n);
                        });
}

/// How long the rate limit holds an n-byte chunk: the link carries one chunk after another.
clock_type::duration direction::pacing(size_t n) {
  auto rate = owner_.state().f.rate;
  auto now = clock_type::now();
  if (rate <= 0) {
    next_free_ = now;
    return {};
  }
  auto start = std::max(now, next_free_);
  next_free_ = start
               + std::chrono::duration_cast<clock_type::duration>(
                 std::chrono::duration<double>(static_cast<double>(n) / rate));
  return next_free_ - now; // sent when the link has carried it, not when it may begin
}

/// Holds the chunk for delay + stall + rate pacing, in one timer: the faults add up.
void direction::hold(size_t n) {
  len_ = n;
  auto& s = owner_.state();
  auto wait = clock_type::duration(std::chrono::milliseconds(s.f.delay_ms)) + pacing(n);
  if (s.f.stall_prob > 0 && std::bernoulli_distribution(s.f.stall_prob)(s.rng))
    wait += std::chrono::milliseconds(s.f.stall_ms);
  if (wait <= clock_type::duration::zero())
    return release();
  timer_.expires_after(wait);
  timer_.async_wait([this, keep = owner_.self()](error_code ec) {
    if (!ec)
      release();
  });
}

/// A blackhole keeps the held chunk rather than dropping it: a partition delays TCP data (the
/// sender retransmits until it heals) but never loses bytes out of the middle of a stream, and
/// dropping would corrupt the framing of BASP, which no real network failure does.
void direction::release() {
  if (owner_.state().f.blackhole)
    parked_ = true;
  else
    write();
}

void direction::write() {
  asio::async_write(to_, asio::buffer(buf_, len_),
                    [this, keep = owner_.self()](error_code ec, size_t n) {
                      if (ec == asio::error::operation_aborted)
                        return;
                      if (ec)
                        return owner_.close(true);
                      counter_ += n;
                      read();
                    });
}

/// The control port: one session per connection, one command per line.
class control_session : public std::enable_shared_from_this<control_session> {
public:
  using handler = std::function<std::string(const std::string&)>;
  control_session(tcp::socket s, handler h) : socket_(std::move(s)), handle_(std::move(h)) {}
  void start() { read(); }

private:
  void read() {
    asio::async_read_until(socket_, in_, '\n', [self = shared_from_this()](error_code ec, size_t) {
      if (ec)
        return;
      std::istream lines(&self->in_);
      std::string line;
      std::getline(lines, line);
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      self->reply(self->handle_(line) + "\n");
    });
  }
  void reply(std::string text) {
    out_ = std::move(text);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](error_code ec, size_t) {
                        if (!ec)
                          self->read();
                      });
  }

  tcp::socket socket_;
  handler handle_;
  asio::streambuf in_;
  std::string out_;
};

class proxy {
public:
  proxy(asio::io_context& io, const tcp::endpoint& listen, tcp::endpoint to,
        const tcp::endpoint& control, uint64_t seed)
      : listener_(io, listen), controller_(io, control), to_(std::move(to)) {
    state_.rng.seed(seed);
  }

  void start() {
    say("listening on " + to_string(listener_.local_endpoint()) + " control on "
        + to_string(controller_.local_endpoint()));
    accept();
    accept_control();
  }
  void stop() {
    error_code ec;
    listener_.close(ec);
    controller_.close(ec);
    abort_all(false);
  }

private:
  void accept() {
    listener_.async_accept([this](error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted)
        return;
      if (!ec) {
        ++state_.t.connections;
        auto c = std::make_shared<connection>(std::move(s), state_, all_);
        all_.insert(c);
        c->start(to_);
      }
      accept();
    });
  }
  void accept_control() {
    controller_.async_accept([this](error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted)
        return;
      if (!ec)
        std::make_shared<control_session>(std::move(s), [this](const std::string& line) {
          return command(line);
        })->start();
      accept_control();
    });
  }
  void abort_all(bool abort) {
    auto copy = all_; // close() erases from all_
    for (auto& c : copy)
      c->close(abort);
  }

  std::string command(const std::string& line);
  std::string stats() const;

  tcp::acceptor listener_;
  tcp::acceptor controller_;
  tcp::endpoint to_;
  shared_state state_;
  std::set<std::shared_ptr<connection>> all_;
};

std::string proxy::stats() const {
  std::ostringstream out;
  out << "ok connections=" << state_.t.connections << " open=" << all_.size()
      << " up_bytes=" << state_.t.up_bytes << " down_bytes=" << state_.t.down_bytes;
  return out.str();
}

std::string proxy::command(const std::string& line) {
  std::istringstream in(line);
  std::string verb;
  in >> verb;
  auto& f = state_.f;
  faults next = f;
  if (verb == "pass") {
    f = faults{};
    for (auto& c : std::set<std::shared_ptr<connection>>(all_))
      c->resume();
    return "ok pass";
  }
  if (verb == "stats")
    return stats();
  if (verb == "reset") {
    auto n = all_.size();
    abort_all(true);
    return "ok reset " + std::to_string(n);
  }
  if (verb == "blackhole")
    next.blackhole = true;
  else if (verb == "delay")
    in >> next.delay_ms;
  else if (verb == "rate")
    in >> next.rate;
  else if (verb == "stall")
    in >> next.stall_prob >> next.stall_ms;
  else
    return "error unknown command '" + verb + "'";
  if (!in || next.delay_ms < 0 || next.rate < 0 || next.stall_ms < 0 || next.stall_prob < 0
      || next.stall_prob > 1)
    return "error bad arguments: '" + line + "'";
  f = next;
  return "ok " + line;
}

struct options {
  std::string listen, to, control = "127.0.0.1:0";
  uint64_t seed = 1;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--listen")
      o.listen = value;
    else if (key == "--to")
      o.to = value;
    else if (key == "--control")
      o.control = value;
    else if (key == "--seed")
      o.seed = std::stoull(value);
    else
      throw std::runtime_error("unknown option " + key);
  }
  if (argc % 2 == 0 || o.listen.empty() || o.to.empty())
    throw std::runtime_error("usage: sonnet_fault_proxy --listen HOST:PORT --to HOST:PORT "
                             "[--control HOST:PORT] [--seed N]");
  return o;
}

} // namespace

int main(int argc, char** argv) {
  try {
    auto o = parse(argc, argv);
    asio::io_context io(1);
    proxy p(io, parse_endpoint(o.listen), parse_endpoint(o.to), parse_endpoint(o.control), o.seed);
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](error_code, int) {
      say("stopping");
      p.stop(); // closes every connection with a FIN; then the loop runs out of work
      io.stop();
    });
    p.start();
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fault_proxy: " << e.what() << std::endl;
    return 2;
  }
}
