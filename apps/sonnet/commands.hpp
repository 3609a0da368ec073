#pragma once
// The `sonnet` subcommands. Each returns the process exit code: 0 ok, 1 error, 2 usage.

#include <string>

namespace sonnet::cli {

constexpr int exit_ok = 0;
constexpr int exit_error = 1;
constexpr int exit_usage = 2;

int cmd_logits(int argc, char** argv);
int cmd_generate(int argc, char** argv); // pipeline, or --raw for the model alone
int cmd_generate_raw(int argc, char** argv);
int cmd_vocab(int argc, char** argv);
int cmd_info(int argc, char** argv); // the model's file, hash, sizes, numerics
int cmd_format(int argc, char** argv);
int cmd_dissonance(int argc, char** argv);
int cmd_query(const std::string& what, int argc, char** argv); // stats, recent, best, get
int cmd_chat(int argc, char** argv);
int cmd_emergent(const std::string& what, int argc, char** argv); // phase, brain, dream
int cmd_replay(int argc, char** argv);
int cmd_load(int argc, char** argv);  // a steady stream of generate requests (load_command.cpp)
int cmd_train(int argc, char** argv); // train a model (train/), resumable
int cmd_eval(int argc, char** argv);  // a model's held-out loss on a corpus

/// Reads all of standard input.
std::string read_stdin();

} // namespace sonnet::cli
