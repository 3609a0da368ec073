#pragma once
// A guard in front of CAF's BASP port. Debian's CAF 0.17 trusts the length in every BASP
// header (one 32-byte packet claiming 4 GB makes it allocate 4 GB) and has no handshake
// deadline, no cap on idle connections and an accept loop that spins at the descriptor limit.
// The parser is not ours to fix, so the guard listens on the public address and relays every
// connection to CAF, published on a loopback-only port, checking each BASP header on the way
// in: nothing CAF reads has a length above the bound of its stage (before the handshake
// completed: max_handshake_payload; after: max_message).
//
// With TLS the guard sees only TLS records; it then enforces the deadline, the pending cap and
// the record size limit, and counts a connection as authenticated once CAF answered the peer's
// first application data (the TLS handshake, with a CA file, is the authentication).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sonnet::guard {

struct guard_config {
  /// The public address and port (0 = any free port).
  std::string bind = "127.0.0.1";
  uint16_t port = 0;
  /// Where CAF listens (always 127.0.0.1).
  uint16_t upstream_port = 0;
  bool tls = false;
  /// Connections that have not completed the handshake by then are closed.
  std::chrono::milliseconds handshake_timeout{5000};
  /// A peer silent this long after its handshake is cut (nodes send heartbeats every 250 ms);
  /// 0 = never. This replaces CAF's middleman.connection-timeout, which has to stay off: CAF
  /// 0.17 applies it to handshakes from their first tick and so kills every connection whose
  /// handshake takes longer than one heartbeat interval (any link with a 200 ms RTT).
  std::chrono::milliseconds silence_timeout{0};
  /// Connections still in their handshake; a new one beyond this closes the oldest.
  int max_pending = 64;
  /// Payload bounds: before the handshake completed (a CAF 0.17 client handshake is ~40
  /// bytes) and after.
  uint32_t max_handshake_payload = 64 * 1024;
  uint32_t max_message = 1u << 20;
  /// One line per notable event (refused header, descriptor shortage); may be empty.
  std::function<void(const std::string&)> log;
};

class caf_guard {
public:
  /// Binds and starts the guard's thread; on failure returns null and sets `err`.
  static std::unique_ptr<caf_guard> start(guard_config cfg, std::string& err);
  ~caf_guard(); // stops the thread and closes every connection
  caf_guard(const caf_guard&) = delete;
  caf_guard& operator=(const caf_guard&) = delete;

  /// The public port actually bound.
  uint16_t port() const;

  struct impl;

private:
  explicit caf_guard(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace sonnet::guard
