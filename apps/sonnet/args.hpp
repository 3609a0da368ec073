#pragma once
// A small, strict command-line parser: `--name value`, `--name=value`, boolean `--flag`.
// Unknown flags and malformed numbers are usage errors (exit code 2). A flag given twice keeps
// its last value for str()/real()/integer(); all() returns every value, in order.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sonnet::cli {

struct option_spec {
  std::string name;       // without the leading "--"
  std::string value_name; // empty for a boolean flag
  std::string help;
};

/// A usage error: bad flag, missing or malformed value.
struct usage_error {
  std::string message;
};

class args {
public:
  /// Parses argv[first..argc) against `specs`; throws usage_error.
  args(int argc, char** argv, int first, const std::vector<option_spec>& specs);

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> str(const std::string& name) const;
  /// Every value of a repeatable option (`--corpus a --corpus b`), in command-line order.
  std::vector<std::string> all(const std::string& name) const;
  std::optional<double> real(const std::string& name) const; // accepts nan/inf: checked later
  std::optional<int64_t> integer(const std::string& name) const;
  std::optional<uint64_t> unsigned_integer(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

/// Prints `specs` as an aligned option list.
std::string describe(const std::vector<option_spec>& specs);

} // namespace sonnet::cli
