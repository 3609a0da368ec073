#pragma once
// Pieces several subcommands share: the model options and their parsing.

#include <optional>
#include <string>
#include <vector>

#include "apps/sonnet/args.hpp"
#include "apps/sonnet/settings.hpp"
#include "messages/types.hpp"
#include "model/model.hpp"

namespace sonnet::cli {

/// --model, --vocab, --variant, --window, --stride, --config.
std::vector<option_spec> model_options();

/// The help text of a command: usage line, summary, options.
std::string help_text(const std::string& usage, const std::string& summary,
                      const std::vector<option_spec>& specs);

/// Parses a command's options; prints its help and returns nullopt on --help.
/// Positional arguments are refused (no command takes any).
std::optional<args> parse_command(int argc, char** argv, const std::string& usage,
                                  const std::string& summary,
                                  const std::vector<option_spec>& specs);

/// Concatenates option lists.
std::vector<option_spec> operator+(std::vector<option_spec> a, const std::vector<option_spec>& b);

/// Parsed model options; throws usage_error on an unknown variant or window.
struct model_choice {
  model::load_options load;
  model::window_mode window = model::window_mode::strided;
  int stride = 0;
  /// Sequences decoded at once (--max-sequences of `generate`; actors/model_pool.hpp).
  int max_sequences = 64;
};
model_choice parse_model_choice(const args& a);

/// --db (opened read-only), --json, --config: the options every read-only query shares.
std::vector<option_spec> read_only_query_options();

/// --temperature-policy: "bands" or "phases"; throws usage_error on anything else.
temperature_policy parse_temperature_policy(const std::string& s);

/// Prints "sonnet <cmd>: <message>" to stderr and returns exit_error.
int report(const std::string& cmd, const std::string& message);

/// Prints "sonnet <cmd>: <code>: <message>" to stderr and returns exit_error.
int report(const std::string& cmd, const error& e);

} // namespace sonnet::cli
