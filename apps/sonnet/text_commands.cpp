// Subcommands that need only the text rules: format.

#include <iostream>

#include "apps/sonnet/commands.hpp"
#include "apps/sonnet/common.hpp"
#include "text/formatter.hpp"

namespace sonnet::cli {

int cmd_format(int argc, char** argv) {
  auto parsed = parse_command(argc, argv, "sonnet format < raw.txt",
                              "Cuts the first 14 clean lines (of at most 20) out of raw model\n"
                              "text on stdin, by the prototype's rules, and prints them.",
                              {});
  if (!parsed)
    return exit_ok;
  auto raw = read_stdin();
  auto lines = text::format(raw);
  if (!lines) {
    auto n = text::extract_lines(raw, 20).size();
    return report("format",
                  "not enough clean lines: found " + std::to_string(n) + ", a sonnet needs 14");
  }
  std::cout << text::join_lines(*lines) << "\n";
  return exit_ok;
}

} // namespace sonnet::cli
