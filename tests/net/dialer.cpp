#define BOOST_TEST_MODULE net
// net/dialer: relays both ways, one loopback port per endpoint, and closes the dialing side
// when the connection cannot be made in time or the peer falls silent. Plain sockets stand in
// for CAF and for the peer.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net/dialer.hpp"

using namespace sonnet;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

/// A listening socket on 127.0.0.1 with the given backlog; returns {fd, port}.
std::pair<int, uint16_t> listener(int backlog) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::listen(fd, backlog);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return {fd, ntohs(sa.sin_port)};
}

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Reads up to n bytes, waiting at most `t` in all; "" on EOF or timeout.
std::string read_some(int fd, size_t n, std::chrono::milliseconds t) {
  std::string out;
  auto deadline = steady::now() + t;
  while (out.size() < n && steady::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0)
      continue;
    char buf[4096];
    auto got = ::read(fd, buf, std::min(sizeof buf, n - out.size()));
    if (got <= 0)
      break;
    out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

/// Seconds until the peer closes `fd` (EOF or reset), at most `t`; -1 if it stays open.
double seconds_until_closed(int fd, std::chrono::milliseconds t) {
  auto t0 = steady::now();
  while (steady::now() - t0 < t) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char c;
      if (::read(fd, &c, 1) <= 0)
        return std::chrono::duration<double>(steady::now() - t0).count();
    }
  }
  return -1;
}

std::unique_ptr<net::dialer> start(std::chrono::milliseconds connect_timeout,
                                   std::chrono::milliseconds silence) {
  net::dialer_config cfg;
  cfg.connect_timeout = connect_timeout;
  cfg.silence_timeout = silence;
  std::string err;
  auto d = net::dialer::start(cfg, err);
  BOOST_REQUIRE_MESSAGE(d, err);
  return d;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dialer)

BOOST_AUTO_TEST_CASE(relays_both_ways_with_one_port_per_endpoint) {
  auto d = start(3s, 0ms);
  auto [lfd, port] = listener(8);
  std::string err;
  auto local = d->route("127.0.0.1", port, err);
  BOOST_REQUIRE(local != 0);
  BOOST_TEST(d->route("127.0.0.1", port, err) == local);
  BOOST_TEST(d->route("127.0.0.1", static_cast<uint16_t>(port + 1), err) != local);
  int c = connect_to(local);
  BOOST_REQUIRE(c >= 0);
  int peer = ::accept(lfd, nullptr, nullptr);
  BOOST_REQUIRE(peer >= 0);
  std::string up(100000, 'u'), down(50000, 'd');
  std::thread writer([&] { BOOST_TEST(::write(c, up.data(), up.size()) == ssize_t(up.size())); });
  BOOST_TEST(read_some(peer, up.size(), 10s) == up);
  writer.join();
  BOOST_TEST(::write(peer, down.data(), down.size()) == ssize_t(down.size()));
  BOOST_TEST(read_some(c, down.size(), 10s) == down);
  // The peer hangs up: so does the dialing side.
  ::close(peer);
  BOOST_TEST(seconds_until_closed(c, 5s) >= 0);
  ::close(c);
  ::close(lfd);
}

BOOST_AUTO_TEST_CASE(a_connection_that_cannot_be_made_closes_in_time) {
  // A listener whose queue is full drops further SYNs, as a host behind a partition does:
  // connect() would wait for minutes.
  auto [lfd, port] = listener(0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(f, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    fillers.push_back(f);
  }
  std::this_thread::sleep_for(200ms);
  auto d = start(1500ms, 0ms);
  std::string err;
  auto local = d->route("127.0.0.1", port, err);
  int c = connect_to(local);
  BOOST_REQUIRE(c >= 0); // the loopback side never blocks
  auto s = seconds_until_closed(c, 20s);
  BOOST_TEST(s >= 1.3); // not before the connect timeout...
  BOOST_TEST(s >= 0);   // ...but closed, not left hanging
  ::close(c);
  for (int f : fillers)
    ::close(f);
  ::close(lfd);
}

BOOST_AUTO_TEST_CASE(a_silent_peer_is_cut) {
  auto d = start(3s, 1s);
  auto [lfd, port] = listener(8);
  std::string err;
  int c = connect_to(d->route("127.0.0.1", port, err));
  int peer = ::accept(lfd, nullptr, nullptr);
  BOOST_REQUIRE(peer >= 0);
  // A peer that keeps talking stays connected past the silence timeout...
  auto last_word = steady::now();
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(300ms);
    last_word = steady::now();
    BOOST_TEST(::write(peer, "h", 1) == 1);
    BOOST_TEST(read_some(c, 1, 2s) == "h");
  }
  // ...one that stops is cut, the dialing side closed.
  auto s = seconds_until_closed(c, 10s);
  BOOST_REQUIRE(s >= 0);
  auto silent = std::chrono::duration<double>(steady::now() - last_word).count();
  BOOST_TEST(silent >= 0.95, silent);
  ::close(c);
  ::close(peer);
  ::close(lfd);
}

BOOST_AUTO_TEST_SUITE_END()
