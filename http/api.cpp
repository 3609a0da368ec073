#include "http/api.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <vector>

#include "actors/request_rules.hpp"

namespace sonnet::http {

nlohmann::json error_body(const std::string& code, const std::string& message,
                          const std::string& field) {
  nlohmann::json e{{"code", code}, {"message", message}};
  if (!field.empty())
    e["field"] = field;
  return {{"error", std::move(e)}};
}

namespace {

api_error bad(std::string message, std::string field = {}) {
  return api_error{400, "bad_request", std::move(message), std::move(field)};
}

/// A whole decimal number in [0, 2^64 - 1], or nullopt (overflow included).
std::optional<uint64_t> parse_u64(const std::string& s) {
  if (s.empty() || s.size() > 20)
    return std::nullopt;
  uint64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    auto d = static_cast<uint64_t>(c - '0');
    if (x > (std::numeric_limits<uint64_t>::max() - d) / 10)
      return std::nullopt;
    x = x * 10 + d;
  }
  return x;
}

/// An integer field in [lo, hi]; JSON floats with a fraction or out-of-range values fail.
std::optional<int64_t> int_field(const nlohmann::json& v, int64_t lo, int64_t hi) {
  if (v.is_number_unsigned()) {
    auto x = v.get<uint64_t>();
    if (x > static_cast<uint64_t>(hi))
      return std::nullopt;
    auto y = static_cast<int64_t>(x);
    return y >= lo ? std::optional<int64_t>{y} : std::nullopt;
  }
  if (v.is_number_integer()) {
    auto x = v.get<int64_t>();
    return x >= lo && x <= hi ? std::optional<int64_t>{x} : std::nullopt;
  }
  return std::nullopt;
}

/// Finds where a body stops being JSON: the last object key read before the error, and the
/// position (NaN, Infinity, 1e999 and the like come here).
struct error_finder : nlohmann::json_sax<nlohmann::json> {
  std::string last_key;
  size_t pos = 0;
  bool failed = false;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t& k) override {
    last_key = k;
    return true;
  }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t p, const std::string&, const nlohmann::detail::exception&) override {
    pos = p;
    failed = true;
    return false;
  }
};

} // namespace

std::variant<generate_request, api_error> parse_generate(const std::string& body) {
  // nlohmann's parser: no hand-written JSON. Invalid JSON (including NaN, which JSON has no
  // literal for) is refused here.
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    error_finder f;
    nlohmann::json::sax_parse(body, &f);
    if (!f.failed || f.pos > body.size())
      return bad("the body is not valid JSON (it ends early)");
    if (!f.last_key.empty() && f.last_key.size() <= 64)
      return bad(f.last_key + ": not a valid JSON value (at byte " + std::to_string(f.pos)
                   + "; NaN, Infinity and numbers beyond double are not JSON)",
                 f.last_key);
    return bad("the body is not valid JSON (at byte " + std::to_string(f.pos) + ")");
  }
  if (!j.is_object())
    return bad("the body must be a JSON object");
  budget_rules rules;
  generate_request req;
  req.candidates = 1;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& key = it.key();
    const auto& v = it.value();
    if (key == "prompt") {
      if (!v.is_string())
        return bad("prompt must be a string", "prompt");
      req.prompt = v.get<std::string>();
    } else if (key == "temperature") {
      if (v.is_null())
        continue;
      if (!v.is_number())
        return bad("temperature must be a number", "temperature");
      auto t = v.get<double>();
      // 1e999 parses to infinity; CAF 0.17 would loop forever packing it.
      if (!std::isfinite(t) || t < 0 || t > rules.max_temperature)
        return bad("temperature must be a finite number in [0, 5]", "temperature");
      req.temperature = t;
      req.has_temperature = true;
    } else if (key == "temperature_policy") {
      if (v.is_null())
        continue;
      if (v == "bands")
        req.temperature_policy = static_cast<int32_t>(temperature_policy::bands);
      else if (v == "phases")
        req.temperature_policy = static_cast<int32_t>(temperature_policy::phases);
      else
        return bad("temperature_policy must be \"bands\" or \"phases\"", "temperature_policy");
    } else if (key == "seed") {
      if (v.is_null())
        continue;
      // The full unsigned 64-bit range; above it nlohmann gives a float, refused here.
      std::optional<uint64_t> x;
      if (v.is_number_unsigned())
        x = v.get<uint64_t>();
      else if (v.is_number_integer() && v.get<int64_t>() >= 0)
        x = static_cast<uint64_t>(v.get<int64_t>());
      else if (v.is_string())
        x = parse_u64(v.get<std::string>());
      if (!x)
        return bad("seed must be an integer in [0, 18446744073709551615]", "seed");
      req.seed = *x;
      req.has_seed = true;
    } else if (key == "tokens") {
      if (v.is_null())
        continue;
      auto x = int_field(v, 1, rules.max_budget);
      if (!x)
        return bad("tokens must be an integer in [1, " + std::to_string(rules.max_budget) + "]",
                   "tokens");
      req.tokens = static_cast<int32_t>(*x);
    } else if (key == "candidates") {
      if (v.is_null())
        continue;
      auto x = int_field(v, 1, rules.max_candidates);
      if (!x)
        return bad("candidates must be an integer in [1, " + std::to_string(rules.max_candidates)
                     + "]",
                   "candidates");
      req.candidates = static_cast<int32_t>(*x);
    } else if (key == "top_k") {
      if (v.is_null())
        continue;
      auto x = int_field(v, 0, 1 << 20);
      if (!x)
        return bad("top_k must be a non-negative integer", "top_k");
      req.top_k = static_cast<int32_t>(*x);
    } else {
      return bad("unknown field '" + key + "'", key);
    }
  }
  if (!j.contains("prompt"))
    return bad("prompt is required (it may be empty)", "prompt");
  // The service's own rules (prompt length, UTF-8, ranges), checked here too so that nothing
  // invalid is ever sent.
  if (auto ok = validate(req, rules); !ok)
    return api_error{400, to_string(ok.err().code), ok.err().message, {}};
  return req;
}

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

} // namespace

std::map<std::string, std::string> parse_query(const std::string& query) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= query.size()) {
    auto end = query.find('&', pos);
    if (end == std::string::npos)
      end = query.size();
    auto item = query.substr(pos, end - pos);
    if (!item.empty()) {
      auto eq = item.find('=');
      if (eq == std::string::npos)
        out[decode(item)] = "";
      else
        out[decode(item.substr(0, eq))] = decode(item.substr(eq + 1));
    }
    pos = end + 1;
  }
  return out;
}

std::optional<int64_t> parse_int(const std::string& s) {
  if (s.empty() || s.size() > 18)
    return std::nullopt;
  int64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    x = x * 10 + (c - '0');
  }
  return x;
}

std::optional<double> parse_number(const std::string& s) {
  if (s.empty() || s.size() > 64)
    return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double x = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(x))
    return std::nullopt;
  return x;
}

int status_of(errc code) {
  switch (code) {
  case errc::invalid_argument:
  case errc::prompt_too_long:
  case errc::bad_encoding:
    return 400;
  case errc::no_such_sonnet:
    return 404;
  case errc::not_enough_lines:
    return 422;
  case errc::model_unavailable:
  case errc::shutting_down:
  case errc::no_worker:
  case errc::db_read_only:
  case errc::emergent_off:
    return 503;
  case errc::timeout:
    return 504;
  default:
    return 500;
  }
}

route route_of(boost::beast::http::verb method, const std::string& path) {
  namespace bhttp = boost::beast::http;
  auto make = [&](route_kind k, const std::string& tmpl, std::vector<bhttp::verb> allowed) {
    route r;
    r.kind = k;
    for (auto v : allowed) {
      if (!r.allow.empty())
        r.allow += ", ";
      r.allow += std::string(bhttp::to_string(v));
      if (v == method)
        r.method_ok = true;
    }
    r.label = std::string(bhttp::to_string(method)) + " " + tmpl;
    return r;
  };
  using bhttp::verb;
  if (path == "/")
    return make(route_kind::page, "/", {verb::get});
  if (path == "/healthz")
    return make(route_kind::healthz, path, {verb::get});
  if (path == "/metrics")
    return make(route_kind::metrics, path, {verb::get});
  if (path == "/v1/stats")
    return make(route_kind::stats, path, {verb::get});
  if (path == "/v1/sonnets")
    return make(route_kind::sonnets, path, {verb::get, verb::post});
  if (path == "/v1/cloud/series")
    return make(route_kind::series, path, {verb::get});
  if (path == "/v1/sonnets/stream")
    return make(route_kind::stream, path, {verb::post});
  if (path == "/v1/phase")
    return make(route_kind::phase, path, {verb::get});
  const std::string prefix = "/v1/sonnets/";
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0)
    return route{};
  auto slash = path.find('/', prefix.size());
  if (slash == std::string::npos)
    return make(route_kind::sonnet_by_id, "/v1/sonnets/{id}", {verb::get});
  if (path.compare(slash, std::string::npos, "/brain") == 0 && slash > prefix.size())
    return make(route_kind::brain, "/v1/sonnets/{id}/brain", {verb::get});
  return route{};
}

namespace {

/// "recent must be ..., got '...'": says which field and what was wrong with it.
std::string got(const std::string& v) {
  return ", got '" + (v.size() > 40 ? v.substr(0, 40) + "..." : v) + "'";
}

/// GET /v1/sonnets: exactly one of ?recent=N or ?best=N[&min_quality=Q].
std::optional<api_error> parse_listing(const std::map<std::string, std::string>& query,
                                       api_request& out) {
  auto rec = query.find("recent");
  auto bst = query.find("best");
  if ((rec == query.end()) == (bst == query.end()))
    return bad("give exactly one of ?recent=N or ?best=N[&min_quality=Q]", "recent");
  out.best = bst != query.end();
  const auto& field = out.best ? bst->first : rec->first;
  const auto& value = out.best ? bst->second : rec->second;
  auto v = parse_int(value);
  if (!v || *v < 1 || *v > 1000)
    return bad(field + " must be an integer in [1, 1000]" + got(value), field);
  out.n = *v;
  if (auto q = query.find("min_quality"); q != query.end()) {
    if (!out.best)
      return bad("min_quality goes with ?best=N", "min_quality");
    auto x = parse_number(q->second);
    if (!x)
      return bad("min_quality must be a finite number" + got(q->second), "min_quality");
    out.min_quality = *x;
  }
  return std::nullopt;
}

} // namespace

std::variant<api_request, api_error>
parse_api_request(route_kind kind, bool post, const std::string& path,
                  const std::map<std::string, std::string>& query, const std::string& body) {
  api_request out;
  switch (kind) {
  case route_kind::sonnets:
  case route_kind::stream:
    if (post) {
      auto parsed = parse_generate(body);
      if (auto* e = std::get_if<api_error>(&parsed))
        return std::move(*e);
      out.gen = std::get<generate_request>(std::move(parsed));
      auto st = query.find("stream");
      out.streaming = kind == route_kind::stream
                      || (st != query.end() && (st->second == "1" || st->second == "true"));
    } else if (auto e = parse_listing(query, out)) {
      return std::move(*e);
    }
    break;
  case route_kind::series: {
    out.n = series_default_points;
    if (auto p = query.find("points"); p != query.end()) {
      auto v = parse_int(p->second);
      if (!v || *v < 1 || *v > max_series_points)
        return bad("points must be an integer in [1, " + std::to_string(max_series_points) + "]"
                     + got(p->second),
                   "points");
      out.n = *v;
    }
    break;
  }
  case route_kind::sonnet_by_id:
  case route_kind::brain: {
    auto id = path.substr(std::string("/v1/sonnets/").size());
    if (kind == route_kind::brain)
      id = id.substr(0, id.find('/'));
    auto v = parse_int(id);
    if (!v || *v < 1)
      return bad("the sonnet id must be a positive integer" + got(id), "id");
    out.n = *v;
    break;
  }
  default:
    break;
  }
  return out;
}

} // namespace sonnet::http
