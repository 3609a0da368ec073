#include "core/paths.hpp"

#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

// Set by core/CMakeLists.txt; empty when unknown (then that rule is skipped).
#ifndef SONNET_BUILD_DATA_DIR
#define SONNET_BUILD_DATA_DIR ""
#endif
#ifndef SONNET_SOURCE_DATA_DIR
#define SONNET_SOURCE_DATA_DIR ""
#endif
#ifndef SONNET_PREFIX_DATA_DIR
#define SONNET_PREFIX_DATA_DIR ""
#endif

namespace sonnet::paths {

namespace {

std::string& host_dir() {
  static std::string dir;
  return dir;
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

/// The directory above the running binary's (/proc/self/exe): its install prefix when it lives
/// in PREFIX/bin. "" when it cannot be read.
std::string exe_prefix() {
  std::string buf(4096, '\0');
  auto n = ::readlink("/proc/self/exe", buf.data(), buf.size());
  if (n <= 0 || static_cast<size_t>(n) >= buf.size())
    return {};
  buf.resize(static_cast<size_t>(n));
  for (int up = 0; up < 2; ++up) { // drop the file name, then bin/
    auto slash = buf.rfind('/');
    if (slash == std::string::npos)
      return {};
    buf.resize(slash);
  }
  return buf;
}

} // namespace

void set_data_dir(std::string dir) {
  host_dir() = std::move(dir);
}

std::vector<std::pair<std::string, std::string>> data_dirs() {
  std::vector<std::pair<std::string, std::string>> out;
  if (const char* env = std::getenv("SONNET_DATA_DIR"); env && *env)
    out.emplace_back(env, "env");
  if (!host_dir().empty())
    out.emplace_back(host_dir(), "host");
  if (auto prefix = exe_prefix(); !prefix.empty())
    out.emplace_back(prefix + "/share/sonnet-actors", "install");
  for (auto [dir, rule] :
       {std::pair{SONNET_BUILD_DATA_DIR, "build"}, std::pair{SONNET_SOURCE_DATA_DIR, "source"},
        std::pair{SONNET_PREFIX_DATA_DIR, "prefix"}})
    if (*dir)
      out.emplace_back(dir, rule);
  return out;
}

found find_data(std::string_view relative) {
  for (auto& [dir, rule] : data_dirs()) {
    auto p = dir + "/" + std::string(relative);
    if (exists(p))
      return {p, rule};
  }
  return {};
}

found default_model() {
  return find_data("models/default.npz");
}

found config_dir() {
  return find_data("configs");
}

found compiled_dictionary() {
  return find_data("cmudict-0.4.bin");
}

} // namespace sonnet::paths
