#pragma once
// Where the CLI finds its model and database: flag, then environment, then config file, then
// the default (the model this repository ships, models/default.npz; ./sonnets.db).

#include <map>
#include <string>

#include "apps/sonnet/args.hpp"
#include "core/result.hpp"

namespace sonnet::cli {

/// Keys of a config file in CAF's ini format (`key = "value"`, `[section]` → "section.key").
using config_map = std::map<std::string, std::string>;

/// Reads a config file: only the keys `model` and `db`, quoted strings; an unreadable file, an
/// unknown key or another value is an error naming the line and the key.
result<config_map> read_config(const std::string& path);

struct settings {
  std::string model_path;
  std::string db_path;
  /// Where model_path came from, for error messages and `sonnet info` ("--model",
  /// "SONNET_MODEL", the config file's path, "the default model").
  std::string model_origin;
  /// Run the emergent layer (brain, phases, dreams; their state files beside the cloud), and
  /// its background writers (MetaSonnet, Overthinkng): chat does.
  bool emergent = true;
  bool background = false;
  /// For the default model: which data directory rule found it (core/paths.hpp: "env",
  /// "install", "build", "source", "prefix"); empty when the path was given.
  std::string model_source;
};

/// Resolves the settings of one invocation.
result<settings> resolve(const args& a);

} // namespace sonnet::cli
