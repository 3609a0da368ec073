#define BOOST_TEST_MODULE fault_proxy
// sonnet_fault_proxy as a real process between a client and an echo server on loopback: each
// fault, checked from the client's side. Time checks are lower bounds only (the machine is
// shared and noisy; a slow run must not fail a case).
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <mutex>
#include <random>

#include "tests/cluster/process.hpp"

namespace fs = std::filesystem;
using namespace sonnet::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

double seconds_since(steady::time_point t0) {
  return std::chrono::duration<double>(steady::now() - t0).count();
}

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  int one = 1; // small probes must not wait for Nagle
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    auto k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k <= 0)
      return false;
    p += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

/// Reads exactly n bytes, or fewer if the stream ends or fails (errno tells which).
std::string recv_n(int fd, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    auto k = ::recv(fd, out.data() + got, n - got, 0);
    if (k <= 0)
      break;
    got += static_cast<size_t>(k);
  }
  out.resize(got);
  return out;
}

bool readable_within(int fd, std::chrono::milliseconds t) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(t.count())) > 0;
}

/// An echo server on loopback, a thread per connection; joined when it goes away.
class echo_server {
public:
  echo_server() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    BOOST_REQUIRE(::listen(fd_, 16) == 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~echo_server() {
    ::shutdown(fd_, SHUT_RDWR); // wakes accept()
    acceptor_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    for (int c : conns_)
      ::shutdown(c, SHUT_RDWR); // wakes the echo threads if the proxy left them open
    for (auto& t : threads_)
      t.join();
    for (int c : conns_)
      ::close(c);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

private:
  void accept_loop() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0)
        return;
      std::lock_guard<std::mutex> lock(mutex_);
      conns_.push_back(c);
      threads_.emplace_back([c] { echo(c); });
    }
  }
  static void echo(int c) {
    char buf[16384];
    for (ssize_t n; (n = ::recv(c, buf, sizeof buf, 0)) > 0;)
      if (!send_all(c, buf, static_cast<size_t>(n)))
        return;
    ::shutdown(c, SHUT_WR);
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
};

/// An echo server behind a fresh proxy, with one control connection kept open for all commands.
struct proxied_echo {
  echo_server echo;
  fs::path log =
    fs::temp_directory_path()
    / ("fault_proxy_test." + std::to_string(::getpid()) + "." + std::to_string(counter++) + ".log");
  std::unique_ptr<process> proxy;
  uint16_t port = 0;
  int control_fd = -1;
  std::vector<int> clients;
  static inline int counter = 0;

  proxied_echo() {
    fs::remove(log);
    proxy = std::make_unique<process>(
      std::vector<std::string>{FAULT_PROXY, "--listen", "127.0.0.1:0", "--to",
                               "127.0.0.1:" + std::to_string(echo.port()), "--control",
                               "127.0.0.1:0", "--seed", "7"},
      log.string());
    auto ports = proxy->wait_for("listening on 127.0.0.1:([0-9]+) control on", 10s);
    BOOST_REQUIRE_MESSAGE(ports, "proxy did not start: " << proxy->output());
    port = static_cast<uint16_t>(std::stoi(*ports));
    auto ctl = proxy->wait_for("control on 127.0.0.1:([0-9]+)", 1s);
    control_fd = connect_to(static_cast<uint16_t>(std::stoi(*ctl)));
  }
  ~proxied_echo() {
    proxy.reset(); // closes the proxied connections, so the echo threads end
    for (int c : clients)
      ::close(c);
    ::close(control_fd);
    fs::remove(log);
  }

  /// Sends a command and returns its one-line answer.
  std::string command(const std::string& line) {
    auto text = line + "\n";
    BOOST_REQUIRE(send_all(control_fd, text.data(), text.size()));
    std::string answer;
    char c;
    while (::recv(control_fd, &c, 1, 0) == 1 && c != '\n')
      answer += c;
    return answer;
  }
  int client() {
    clients.push_back(connect_to(port));
    return clients.back();
  }
  /// Sends `data` and reads its echo back (the sender runs alongside, so neither side's
  /// buffers have to hold it all).
  std::string round_trip(int fd, const std::string& data) {
    std::thread sender([&] { send_all(fd, data.data(), data.size()); });
    auto back = recv_n(fd, data.size());
    sender.join();
    return back;
  }
};

std::string random_bytes(size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng());
  return s;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(fault_proxy, proxied_echo)

BOOST_AUTO_TEST_CASE(pass_forwards_both_ways_intact) {
  auto data = random_bytes(1 << 20);
  int c = client();
  BOOST_CHECK(round_trip(c, data) == data); // not CHECK_EQUAL: a 1 MB diff helps no one
  BOOST_CHECK_EQUAL(command("pass"), "ok pass");
}

BOOST_AUTO_TEST_CASE(stats_count_connections_and_bytes) {
  int c = client();
  BOOST_CHECK_EQUAL(round_trip(c, std::string(1000, 'a')).size(), 1000u);
  client(); // a second, idle connection
  // The proxy accepts the second one, and counts a write once it completes, asynchronously.
  auto expected = "ok connections=2 open=2 up_bytes=1000 down_bytes=1000";
  auto t0 = steady::now();
  std::string s;
  while ((s = command("stats")) != expected && seconds_since(t0) < 5)
    std::this_thread::sleep_for(10ms);
  BOOST_CHECK_EQUAL(s, expected);
}

BOOST_AUTO_TEST_CASE(commands_are_checked) {
  BOOST_CHECK_EQUAL(command("bogus").rfind("error", 0), 0u);
  BOOST_CHECK_EQUAL(command("delay").rfind("error", 0), 0u);
  BOOST_CHECK_EQUAL(command("stall 1.5 10").rfind("error", 0), 0u);
  BOOST_CHECK_EQUAL(command("stall 0.5 10"), "ok stall 0.5 10");
}

BOOST_AUTO_TEST_CASE(delay_holds_each_direction) {
  int c = client();
  BOOST_REQUIRE_EQUAL(round_trip(c, "warm"), "warm"); // the onward connection is up
  BOOST_REQUIRE_EQUAL(command("delay 200"), "ok delay 200");
  auto t0 = steady::now();
  BOOST_CHECK_EQUAL(round_trip(c, "ping"), "ping");
  BOOST_CHECK_GE(seconds_since(t0), 0.38); // 200 ms each way
}

BOOST_AUTO_TEST_CASE(stall_with_certainty_holds_every_chunk) {
  int c = client();
  BOOST_REQUIRE_EQUAL(command("stall 1 150"), "ok stall 1 150");
  auto t0 = steady::now();
  BOOST_CHECK_EQUAL(round_trip(c, "ping"), "ping");
  BOOST_CHECK_GE(seconds_since(t0), 0.28);
}

BOOST_AUTO_TEST_CASE(rate_throttles_throughput) {
  int c = client();
  BOOST_REQUIRE_EQUAL(command("rate 100000"), "ok rate 100000");
  auto data = random_bytes(300000);
  auto t0 = steady::now();
  BOOST_CHECK(round_trip(c, data) == data);
  BOOST_CHECK_GE(seconds_since(t0), 2.5); // the echo crossed the throttle at least once
}

BOOST_AUTO_TEST_CASE(blackhole_holds_data_until_pass) {
  int old_conn = client();
  BOOST_REQUIRE_EQUAL(round_trip(old_conn, "warm"), "warm");
  BOOST_REQUIRE_EQUAL(command("blackhole"), "ok blackhole");
  int new_conn = client(); // accepted, but not connected onward
  BOOST_REQUIRE(send_all(old_conn, "ping", 4));
  BOOST_REQUIRE(send_all(new_conn, "pong", 4));
  // Neither an answer nor an EOF or reset: poll reports those as readable too.
  BOOST_CHECK(!readable_within(old_conn, 1000ms));
  BOOST_CHECK(!readable_within(new_conn, 10ms));
  BOOST_REQUIRE_EQUAL(command("pass"), "ok pass");
  BOOST_CHECK(readable_within(old_conn, 10s));
  BOOST_CHECK_EQUAL(recv_n(old_conn, 4), "ping");
  BOOST_CHECK(readable_within(new_conn, 10s));
  BOOST_CHECK_EQUAL(recv_n(new_conn, 4), "pong");
}

// A blackholed proxy must push back rather than buffer: a sender that never reads finds its
// socket full after a few MB of kernel buffers, and everything it did send arrives after pass.
BOOST_AUTO_TEST_CASE(blackhole_applies_backpressure) {
  int c = client();
  BOOST_REQUIRE_EQUAL(round_trip(c, "warm"), "warm");
  BOOST_REQUIRE_EQUAL(command("blackhole"), "ok blackhole");
  auto data = random_bytes(64 << 20);
  size_t sent = 0;
  auto progress = steady::now(); // stop once the socket stayed full for half a second
  while (sent < data.size() && seconds_since(progress) < 0.5) {
    auto k = ::send(c, data.data() + sent, data.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (k > 0) {
      sent += static_cast<size_t>(k);
      progress = steady::now();
    } else {
      std::this_thread::sleep_for(20ms); // full: give the proxy a chance to take more
    }
  }
  BOOST_TEST_MESSAGE("sent " << sent << " bytes into the blackhole");
  BOOST_CHECK_LT(sent, size_t{48} << 20); // unbounded buffering would have taken all 64 MB
  BOOST_REQUIRE_EQUAL(command("pass"), "ok pass");
  BOOST_CHECK(recv_n(c, sent) == data.substr(0, sent));
}

BOOST_AUTO_TEST_CASE(reset_aborts_with_rst) {
  int c = client();
  BOOST_REQUIRE_EQUAL(round_trip(c, "warm"), "warm");
  BOOST_CHECK_EQUAL(command("reset"), "ok reset 1");
  char b;
  errno = 0;
  auto n = ::recv(c, &b, 1, 0);
  BOOST_CHECK_EQUAL(n, -1); // 0 would be a clean EOF
  BOOST_CHECK_EQUAL(errno, ECONNRESET);
}

BOOST_AUTO_TEST_CASE(sigterm_exits_cleanly) {
  int c = client();
  BOOST_REQUIRE_EQUAL(round_trip(c, "warm"), "warm");
  proxy->signal(SIGTERM);
  BOOST_CHECK_EQUAL(proxy->wait(10s).value_or(-1), 0);
  BOOST_CHECK_EQUAL(recv_n(c, 1), ""); // the client is closed, not left hanging
}

BOOST_AUTO_TEST_SUITE_END()
