#pragma once
// Internal to emergent/: the checks both state files need while reading JSON. Every error is
// errc::bad_state_file and names the file and the field, so a user can fix the file by hand.

#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sonnet::emergent::detail {

using json = nlohmann::json;

inline error bad_field(const std::string& origin, const std::string& what) {
  return fail(errc::bad_state_file, origin + ": " + what);
}

/// The error of the first failed result among `rs`, or nullptr if all succeeded (so a parser
/// reads every field, then reports the first bad one).
template <class... Results>
const error* first_error(const Results&... rs) {
  const error* found = nullptr;
  ((found = found != nullptr ? found : (rs.ok() ? nullptr : &rs.err())), ...);
  return found;
}

/// The document, if `text` is JSON with an object at the top.
inline result<json> parse_json_object(std::string_view text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number no double holds ("1e999").
    return bad_field(origin, std::string("not valid JSON (truncated or corrupt?): ") + e.what());
  }
  if (!doc.is_object())
    return bad_field(origin, "the top level is not a JSON object");
  return doc;
}

inline bool is_finite_number(const json& v) {
  return v.is_number() && std::isfinite(v.get<double>());
}

/// A finite number under `key`, or `fallback` when the key is absent.
inline result<double> finite_field(const json& obj, const char* key, double fallback,
                                   const std::string& origin) {
  const auto it = obj.find(key);
  if (it == obj.end())
    return fallback;
  if (!is_finite_number(*it))
    return bad_field(origin, std::string("`") + key + "` must be a finite number");
  return it->get<double>();
}

/// A non-negative integer under `key`, or 0 when the key is absent.
inline result<std::uint64_t> count_field(const json& obj, const char* key,
                                         const std::string& origin) {
  const auto it = obj.find(key);
  if (it == obj.end())
    return std::uint64_t{0};
  if (!it->is_number_unsigned())
    return bad_field(origin, std::string("`") + key + "` must be a non-negative integer");
  return it->get<std::uint64_t>();
}

/// An array of finite numbers under `key`, or an empty one when the key is absent.
inline result<std::vector<double>> numbers_field(const json& obj, const char* key,
                                                 const std::string& origin) {
  const auto it = obj.find(key);
  if (it == obj.end())
    return std::vector<double>{};
  if (!it->is_array())
    return bad_field(origin, std::string("`") + key + "` must be an array of numbers");
  std::vector<double> values;
  for (const json& v : *it) {
    if (!is_finite_number(v))
      return bad_field(origin, std::string("`") + key + "[" + std::to_string(values.size()) +
                                 "]` is not a finite number");
    values.push_back(v.get<double>());
  }
  return values;
}

} // namespace sonnet::emergent::detail
