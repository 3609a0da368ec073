#include "http/metrics.hpp"

#include <sstream>

namespace sonnet::http {

constexpr std::array<double, 12> metrics::buckets;

void metrics::request(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++requests_[{route, status}];
  auto& h = latency_[route];
  for (size_t i = 0; i < buckets.size(); ++i)
    if (seconds <= buckets[i])
      ++h.counts[i];
  ++h.count;
  h.sum += seconds;
}

void metrics::error(const std::string& kind) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++errors_[kind];
}

namespace {

// Label values are our own route names and error codes; escape anyway.
std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

} // namespace

std::string metrics::render() const {
  std::ostringstream out;
  std::lock_guard<std::mutex> guard{mtx_};
  out << "# HELP sonnet_http_requests_total HTTP requests answered, by route and status.\n"
         "# TYPE sonnet_http_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out << "sonnet_http_requests_total{route=\"" << esc(key.first) << "\",status=\"" << key.second
        << "\"} " << n << "\n";
  out << "# HELP sonnet_http_errors_total HTTP request errors, by kind.\n"
         "# TYPE sonnet_http_errors_total counter\n";
  for (const auto& [kind, n] : errors_)
    out << "sonnet_http_errors_total{kind=\"" << esc(kind) << "\"} " << n << "\n";
  out << "# HELP sonnet_http_requests_in_flight Requests waiting for the service.\n"
         "# TYPE sonnet_http_requests_in_flight gauge\n"
         "sonnet_http_requests_in_flight "
      << in_flight_.load() << "\n";
  out << "# HELP sonnet_tokens_generated_total Model tokens spent on sonnets served over HTTP.\n"
         "# TYPE sonnet_tokens_generated_total counter\n"
         "sonnet_tokens_generated_total "
      << tokens_.load() << "\n";
  out << "# HELP sonnet_http_generate_cancelled_total Generate requests cancelled because the "
         "client went away (the model stops on them; nothing is stored).\n"
         "# TYPE sonnet_http_generate_cancelled_total counter\n"
         "sonnet_http_generate_cancelled_total "
      << cancelled_.load() << "\n";
  out << "# HELP sonnet_http_request_duration_seconds Time from request read to reply, by "
         "route.\n"
         "# TYPE sonnet_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    auto r = esc(route);
    for (size_t i = 0; i < buckets.size(); ++i)
      out << "sonnet_http_request_duration_seconds_bucket{route=\"" << r << "\",le=\"" << buckets[i]
          << "\"} " << h.counts[i] << "\n";
    out << "sonnet_http_request_duration_seconds_bucket{route=\"" << r << "\",le=\"+Inf\"} "
        << h.count << "\n";
    out << "sonnet_http_request_duration_seconds_sum{route=\"" << r << "\"} " << h.sum << "\n";
    out << "sonnet_http_request_duration_seconds_count{route=\"" << r << "\"} " << h.count << "\n";
  }
  return out.str();
}

} // namespace sonnet::http
