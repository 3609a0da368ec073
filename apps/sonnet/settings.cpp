#include "apps/sonnet/settings.hpp"

#include "core/paths.hpp"

#include <cstdlib>
#include <fstream>

namespace sonnet::cli {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

} // namespace

result<config_map> read_config(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return fail(errc::invalid_argument, path + ": cannot read config file");
  config_map out;
  std::string line, section;
  for (int n = 1; std::getline(in, line); ++n) {
    auto t = trim(line);
    if (t.empty() || t[0] == ';' || t[0] == '#')
      continue;
    if (t.front() == '[') {
      if (t.back() != ']')
        return fail(errc::invalid_argument, path + ":" + std::to_string(n) + ": bad section");
      section = trim(t.substr(1, t.size() - 2));
      if (section == "global")
        section.clear();
      continue;
    }
    auto eq = t.find('=');
    if (eq == std::string::npos)
      return fail(errc::invalid_argument,
                  path + ":" + std::to_string(n) + ": expected 'key = value'");
    auto key = trim(t.substr(0, eq));
    auto value = trim(t.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"') {
      auto close = value.find('"', 1);
      if (close == std::string::npos)
        return fail(errc::invalid_argument,
                    path + ":" + std::to_string(n) + ": unterminated string");
      value = value.substr(1, close - 1);
    } else if (auto c = value.find(';'); c != std::string::npos) {
      value = trim(value.substr(0, c));
    }
    out[section.empty() ? key : section + "." + key] = value;
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
    if (!c)
      return c.err();
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
