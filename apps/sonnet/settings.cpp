#include "apps/sonnet/settings.hpp"

#include "core/paths.hpp"
#include "core/regular_file.hpp"

#include <cstdlib>
#include <sstream>

namespace sonnet::cli {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

} // namespace

result<config_map> read_config(const std::string& path) {
  auto bytes = read_regular_file(path, errc::invalid_argument, std::size_t{1} << 20);
  if (!bytes)
    return fail(errc::invalid_argument, "cannot read config file " + bytes.err().message);
  std::istringstream in(std::string(bytes->begin(), bytes->end()));
  config_map out;
  std::string line, section;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string at = path + ":" + std::to_string(n) + ": ";
    auto t = trim(line);
    if (t.empty() || t[0] == ';' || t[0] == '#')
      continue;
    if (t.front() == '[') {
      if (t.back() != ']')
        return fail(errc::invalid_argument, at + "bad section");
      section = trim(t.substr(1, t.size() - 2));
      if (section == "global")
        section.clear();
      continue;
    }
    auto eq = t.find('=');
    if (eq == std::string::npos)
      return fail(errc::invalid_argument, at + "expected 'key = value'");
    auto key = trim(t.substr(0, eq));
    auto value = trim(t.substr(eq + 1));
    const auto full = section.empty() ? key : section + "." + key;
    // Only the keys the CLI reads: a misspelt key would otherwise be ignored in silence.
    if (full != "model" && full != "db")
      return fail(errc::invalid_argument, at + "unknown key '" + full + "' (keys: model, db)");
    if (value.size() < 2 || value.front() != '"')
      return fail(errc::invalid_argument,
                  at + "key '" + full + "' expects a quoted string, got '" + value + "'");
    auto close = value.find('"', 1);
    if (close == std::string::npos)
      return fail(errc::invalid_argument, at + "unterminated string");
    auto rest = trim(value.substr(close + 1));
    if (!rest.empty() && rest[0] != ';' && rest[0] != '#')
      return fail(errc::invalid_argument,
                  at + "key '" + full + "': unexpected '" + rest + "' after the string");
    out[full] = value.substr(1, close - 1);
  }
  return out;
}

result<settings> resolve(const args& a) {
  config_map conf;
  std::string conf_path;
  if (auto p = a.str("config"))
    conf_path = *p;
  else if (const char* env = std::getenv("SONNET_CONFIG"))
    conf_path = env;
  if (!conf_path.empty()) {
    auto c = read_config(conf_path);
    if (!c) // a bad config file is a usage error (exit 2), as for sonnetd
      throw usage_error{c.err().message};
    conf = std::move(*c);
  }
  settings s;
  if (auto m = a.str("model")) {
    s.model_path = *m;
    s.model_origin = "--model";
  } else if (const char* env = std::getenv("SONNET_MODEL"); env && *env) {
    s.model_path = env;
    s.model_origin = "SONNET_MODEL";
  } else if (conf.count("model")) {
    s.model_path = conf["model"];
    s.model_origin = conf_path;
  } else {
    auto d = paths::default_model();
    s.model_path = d.path.empty() ? "models/default.npz" : d.path;
    s.model_origin = "the default model";
    s.model_source = d.source;
  }
  if (auto d = a.str("db"))
    s.db_path = *d;
  else if (conf.count("db"))
    s.db_path = conf["db"];
  else
    s.db_path = "sonnets.db";
  return s;
}

} // namespace sonnet::cli
