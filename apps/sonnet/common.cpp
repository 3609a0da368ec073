#include "apps/sonnet/common.hpp"

#include <iostream>
#include <sstream>

#include "apps/sonnet/commands.hpp"

namespace sonnet::cli {

std::vector<option_spec> model_options() {
  return {
    {"model", "PATH", "NanoGPT char-level checkpoint (.npz)"},
    {"vocab", "PATH", "vocabulary file (default: in the .npz, beside it, or configs/)"},
    {"variant", "NAME", "as_trained (default) or numpy_port (the prototype's numerics)"},
    {"window", "MODE", "strided (default: KV cache, recompute every S tokens) or exact"},
    {"stride", "S", "window stride S for --window strided (default: the model's choice)"},
    {"config", "FILE", "config file (CAF ini format; keys: model, db)"},
  };
}

std::vector<option_spec> operator+(std::vector<option_spec> a, const std::vector<option_spec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string help_text(const std::string& usage, const std::string& summary,
                      const std::vector<option_spec>& specs) {
  std::ostringstream out;
  out << "usage: " << usage << "\n\n"
      << summary << "\n\noptions:\n"
      << describe(specs) << "  --help                    this text\n";
  return out.str();
}

std::optional<args> parse_command(int argc, char** argv, const std::string& usage,
                                  const std::string& summary,
                                  const std::vector<option_spec>& specs) {
  for (int i = 2; i < argc; ++i)
    if (std::string{argv[i]} == "--help" || std::string{argv[i]} == "-h") {
      std::cout << help_text(usage, summary, specs);
      return std::nullopt;
    }
  args a(argc, argv, 2, specs);
  if (!a.positional().empty())
    throw usage_error{"unexpected argument '" + a.positional().front() + "'"};
  return a;
}

model_choice parse_model_choice(const args& a) {
  model_choice c;
  if (auto v = a.str("variant")) {
    if (*v == "as_trained")
      c.load.variant = model::numerics::as_trained;
    else if (*v == "numpy_port")
      c.load.variant = model::numerics::numpy_port;
    else
      throw usage_error{"--variant must be as_trained or numpy_port, got '" + *v + "'"};
  }
  if (auto v = a.str("vocab"))
    c.load.vocab_path = *v;
  if (auto w = a.str("window")) {
    if (*w == "strided")
      c.window = model::window_mode::strided;
    else if (*w == "exact")
      c.window = model::window_mode::exact;
    else
      throw usage_error{"--window must be strided or exact, got '" + *w + "'"};
  }
  if (auto n = a.integer("max-sequences")) {
    if (*n < 1 || *n > 65536)
      throw usage_error{"--max-sequences must be in [1, 65536], got " + std::to_string(*n)};
    c.max_sequences = static_cast<int>(*n);
  }
  if (auto s = a.integer("stride")) {
    if (*s < 1)
      throw usage_error{"--stride must be >= 1"};
    c.stride = static_cast<int>(*s);
  }
  return c;
}

int report(const std::string& cmd, const std::string& message) {
  std::cerr << "sonnet " << cmd << ": " << message << "\n";
  return exit_error;
}

int report(const std::string& cmd, const error& e) {
  return report(cmd, std::string{to_string(e.code)} + ": " + e.message);
}

std::string read_stdin() {
  std::ostringstream buf;
  buf << std::cin.rdbuf();
  return buf.str();
}

temperature_policy parse_temperature_policy(const std::string& s) {
  if (s == "bands")
    return temperature_policy::bands;
  if (s == "phases")
    return temperature_policy::phases;
  throw usage_error{"--temperature-policy must be bands or phases, got '" + s + "'"};
}

std::vector<option_spec> read_only_query_options() {
  return {
    {"db", "PATH", "the sonnet cloud (default ./sonnets.db); opened read-only"},
    {"json", "", "JSON output"},
    {"config", "FILE", "config file (key: db)"},
  };
}

} // namespace sonnet::cli
