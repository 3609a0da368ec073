#pragma once
// The HTTP server's counters, rendered in Prometheus' text exposition format (version 0.0.4).
// Thread-safe: connection threads and CAF threads update it; /metrics reads it.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace sonnet::http {

class metrics {
public:
  /// Upper bounds (seconds) of the latency histogram's buckets; +Inf is implied.
  static constexpr std::array<double, 12> buckets{0.001, 0.005, 0.01, 0.05, 0.1, 0.25,
                                                  0.5,   1,     2.5,  5,    10,  30};

  /// One finished request: its route label ("POST /v1/sonnets"), status and duration.
  void request(const std::string& route, int status, double seconds);
  /// One error by kind (an error code such as "bad_request", "timeout", "client_disconnect").
  void error(const std::string& kind);
  void tokens(int64_t n) { tokens_ += n; }
  /// A generate cancelled because its client went away.
  void cancelled() { ++cancelled_; }
  void enter() { ++in_flight_; }
  void leave() { --in_flight_; }
  int64_t in_flight() const { return in_flight_.load(); }

  /// The text served at /metrics.
  std::string render() const;

private:
  struct histogram {
    std::array<uint64_t, buckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mtx_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, uint64_t> errors_;
  std::map<std::string, histogram> latency_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> tokens_{0};
  std::atomic<int64_t> cancelled_{0};
};

} // namespace sonnet::http
