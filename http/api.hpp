#pragma once
// The HTTP API's pure parts, without sockets or actors: request-body validation, query
// parsing, error bodies and the mapping of service errors to HTTP statuses. Everything a
// request needs is checked here BEFORE anything is sent to the service (CAF 0.17 cannot carry
// non-finite doubles, and a refused request must not reach the cloud).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "core/errc.hpp"
#include "messages/types.hpp"

namespace sonnet::http {

/// An error as the API returns it: status plus {"error": {"code", "message"}}.
struct api_error {
  int status = 400;
  std::string code;
  std::string message;
  /// The request field at fault, when there is one.
  std::string field;
};

enum class route_kind {
  page,
  healthz,
  metrics,
  stats,
  sonnets,
  stream,
  sonnet_by_id,
  series,
  phase,
  brain,
  unknown
};

/// Where a request goes.
struct route {
  route_kind kind = route_kind::unknown;
  /// Metrics label, e.g. "POST /v1/sonnets".
  std::string label = "unknown";
  /// The methods the path accepts (for 405 and Allow).
  std::string allow;
  bool method_ok = false;
};

/// The route table: the route of a path (without its query), unknown if there is none.
route route_of(boost::beast::http::verb method, const std::string& path);

/// A validated API request: what to ask the service.
struct api_request {
  /// POST /v1/sonnets and /v1/sonnets/stream.
  generate_request gen;
  bool streaming = false;
  /// GET /v1/sonnets: ?recent=N or ?best=N[&min_quality=Q]; GET /v1/sonnets/{id}: the id;
  /// GET /v1/cloud/series: ?points=N (default series_default_points).
  int64_t n = 0;
  double min_quality = 0;
  bool best = false;
};

/// Points of GET /v1/cloud/series without ?points: about one per pixel of the page's chart.
inline constexpr int64_t series_default_points = 400;

/// Validates the path, query and body of a request to an API route (stats, sonnets, stream,
/// sonnet_by_id, series, phase, brain) before anything reaches the service; a bad one -> 400 with the field at fault.
std::variant<api_request, api_error>
parse_api_request(route_kind kind, bool post, const std::string& path,
                  const std::map<std::string, std::string>& query, const std::string& body);

/// {"error": {"code": code, "message": message}}, plus "field" when given.
nlohmann::json error_body(const std::string& code, const std::string& message,
                          const std::string& field = {});

/// Parses and validates the body of POST /v1/sonnets:
/// {prompt: string, temperature?: number in [0, 5], temperature_policy?: "bands" | "phases", seed?: integer in [0, 2^64 - 1] (or a
///  string of its decimal digits, which JavaScript can carry exactly),
///  tokens?: integer in [1, 20000], candidates?: integer in [1, 16], top_k?: integer >= 0}.
/// Unknown fields, wrong types, NaN/infinite/negative numbers -> 400.
std::variant<generate_request, api_error> parse_generate(const std::string& body);

/// Splits "a=1&b=x%20y" into a map (percent-decoded, '+' as space). Later keys win.
std::map<std::string, std::string> parse_query(const std::string& query);

/// A whole non-negative decimal integer, or nullopt.
std::optional<int64_t> parse_int(const std::string& s);

/// A finite decimal number, or nullopt.
std::optional<double> parse_number(const std::string& s);

/// HTTP status of a service error (errc): bad input 400, no such sonnet 404, shutting down or
/// no model/worker 503, timeout 504, not_enough_lines 422, anything else 500.
int status_of(errc code);

} // namespace sonnet::http
