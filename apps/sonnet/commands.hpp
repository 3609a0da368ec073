#pragma once
// The `sonnet` subcommands. Each returns the process exit code: 0 ok, 1 error, 2 usage.

#include <string>

namespace sonnet::cli {

constexpr int exit_ok = 0;
constexpr int exit_error = 1;
constexpr int exit_usage = 2;

int cmd_logits(int argc, char** argv);
int cmd_generate(int argc, char** argv);     // pipeline, or --raw for the model alone
int cmd_generate_raw(int argc, char** argv);
int cmd_vocab(int argc, char** argv);
int cmd_format(int argc, char** argv);
int cmd_dissonance(int argc, char** argv);
int cmd_query(const std::string& what, int argc, char** argv); // stats, recent, best, get
int cmd_chat(int argc, char** argv);
int cmd_replay(int argc, char** argv);

/// Reads all of standard input.
std::string read_stdin();

} // namespace sonnet::cli
