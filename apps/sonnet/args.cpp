#include "apps/sonnet/args.hpp"

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace sonnet::cli {

args::args(int argc, char** argv, int first, const std::vector<option_spec>& specs) {
  auto find = [&](const std::string& name) -> const option_spec* {
    for (auto& s : specs)
      if (s.name == name)
        return &s;
    return nullptr;
  };
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
      if (!a.empty() && a[0] == '-' && a != "-")
        throw usage_error{"unknown option '" + a + "'"};
      positional_.push_back(a);
      continue;
    }
    auto eq = a.find('=');
    auto name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    auto spec = find(name);
    if (!spec)
      throw usage_error{"unknown option '--" + name + "'"};
    if (spec->value_name.empty()) {
      if (eq != std::string::npos)
        throw usage_error{"option '--" + name + "' takes no value"};
      flags_.insert(name);
      continue;
    }
    if (eq != std::string::npos) {
      values_[name] = a.substr(eq + 1);
    } else {
      if (i + 1 >= argc)
        throw usage_error{"option '--" + name + "' needs a value (" + spec->value_name + ")"};
      values_[name] = argv[++i];
    }
    all_values_[name].push_back(values_[name]);
  }
}

std::vector<std::string> args::all(const std::string& name) const {
  auto i = all_values_.find(name);
  return i == all_values_.end() ? std::vector<std::string>{} : i->second;
}

std::optional<std::string> args::str(const std::string& name) const {
  auto i = values_.find(name);
  if (i == values_.end())
    return std::nullopt;
  return i->second;
}

std::optional<double> args::real(const std::string& name) const {
  auto s = str(name);
  if (!s)
    return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s->c_str(), &end);
  if (s->empty() || *end != '\0' || errno == ERANGE)
    throw usage_error{"option '--" + name + "' expects a number, got '" + *s + "'"};
  return v;
}

std::optional<int64_t> args::integer(const std::string& name) const {
  auto s = str(name);
  if (!s)
    return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s->c_str(), &end, 10);
  if (s->empty() || *end != '\0' || errno == ERANGE)
    throw usage_error{"option '--" + name + "' expects an integer, got '" + *s + "'"};
  return v;
}

std::optional<uint64_t> args::unsigned_integer(const std::string& name) const {
  auto s = str(name);
  if (!s)
    return std::nullopt;
  char* end = nullptr;
  errno = 0;
  // Digits only: strtoull would also take " -1" (as 2^64-1) and "+1".
  unsigned long long v = std::strtoull(s->c_str(), &end, 10);
  const bool digits = !s->empty() && (*s)[0] >= '0' && (*s)[0] <= '9';
  if (!digits || *end != '\0' || errno == ERANGE)
    throw usage_error{"option '--" + name + "' expects a non-negative integer in [0, "
                      + std::to_string(std::numeric_limits<uint64_t>::max()) + "], got '" + *s
                      + "'"};
  return v;
}

std::string describe(const std::vector<option_spec>& specs) {
  std::ostringstream out;
  for (auto& s : specs) {
    std::string left = "  --" + s.name + (s.value_name.empty() ? "" : " " + s.value_name);
    out << left;
    if (left.size() < 28)
      out << std::string(28 - left.size(), ' ');
    else
      out << "\n" << std::string(28, ' ');
    out << s.help << "\n";
  }
  return out.str();
}

} // namespace sonnet::cli
