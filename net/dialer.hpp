#pragma once
// The dialing side of a CAF link. CAF 0.17 connects with a blocking connect() on the
// middleman's one thread (a host behind a partition drops the SYN and stalls every other
// connection attempt of the process for about two minutes), and its connection-timeout kills
// any handshake slower than one heartbeat interval. So CAF dials a loopback port of the dialer
// instead, which never blocks, and the dialer makes the real connection: bounded by
// connect_timeout, and cut when the peer falls silent (heartbeats stop) for silence_timeout.
// A cut or failed link closes CAF's side, which CAF reports as the node going down.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sonnet::net {

struct dialer_config {
  std::chrono::milliseconds connect_timeout{3000};
  /// 0 = never cut a silent link.
  std::chrono::milliseconds silence_timeout{2000};
  /// One line per link cut or connection failure; may be empty.
  std::function<void(const std::string&)> log;
};

class dialer {
public:
  /// Starts the dialer's thread; on failure returns null and sets `err`.
  static std::unique_ptr<dialer> start(dialer_config cfg, std::string& err);
  ~dialer(); // stops the thread and closes every link
  dialer(const dialer&) = delete;
  dialer& operator=(const dialer&) = delete;

  /// The loopback port whose connections are relayed to host:port (one port per endpoint,
  /// made on first use). 0 with `err` set when no port can be opened.
  uint16_t route(const std::string& host, uint16_t port, std::string& err);

  struct impl;

private:
  explicit dialer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace sonnet::net
