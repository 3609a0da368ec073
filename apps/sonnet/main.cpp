// sonnet: the command-line client. Runs the actor pipeline in-process.

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "apps/sonnet/args.hpp"
#include "apps/sonnet/commands.hpp"
#include "apps/sonnet/session.hpp"

namespace {

const char* usage = R"(usage: sonnet <command> [options]

Writes 14-line Shakespearean sonnets with a character-level transformer, judges each against
the "sonnet cloud" of everything written before, and stores it in a SQLite file.

commands:
  generate     generate sonnets through the actor pipeline (stored in --db)
  generate --raw
               print raw model text (no formatting, nothing stored)
  logits       print the model's next-character logits for a prompt
  format       raw text on stdin -> the 14-line sonnet (exit 1 if there are too few lines)
  dissonance   sonnet on stdin -> its dissonance against the cloud, as JSON (nothing stored)
  stats        the cloud's count, average quality and dissonance, vocabulary size
  recent       the newest sonnets
  best         the best sonnets by quality
  get          one sonnet by id
  chat         an interactive session, like the prototype's REPL
  phase        the phase system's state: phase, temperatures, counters
  brain        SonnetBrain's score and features of a stored sonnet
  dream        latent dreams of the newest sonnets (walk, drift, centroid)
  load         a steady stream of generate requests, for testing and benchmarking a cluster
  replay       recompute every stored dissonance in id order and report mismatches
  vocab        write a model's vocabulary sidecar from its training corpus
  info         the model's file, SHA-256, hyper-parameters and numerics
  train        train a char-level model on text files (resumable: SIGINT/SIGTERM, --resume)
  eval         a model's held-out loss on text files, in nats per char

Run `sonnet <command> --help` for the options of a command.
With --connect=HOST:PORT every command except format, replay, logits, generate --raw, vocab,
info, train and eval talks to a running sonnetd instead of running the pipeline in-process.
--connect=A,B,C lists several fronts (standalone or front nodes sharing one cloud):
  * the first that answers is used; each address gets at most 3 s for its TCP connect and
    3 s for CAF's handshake (a host that never answers cannot hold the command longer);
  * when that front dies, every generate in flight on it fails with no_worker, naming the
    front ("front A went down while the request was in flight; not retried"): a generate is
    never re-sent, since the front may have stored it. A query in flight (stats, recent,
    best, get, dissonance, phase, brain, dream) is sent once more to the next front that answers;
  * later requests go to the next address that answers, in list order (the dead one last);
  * when none answers: exit 1, naming each address and why.
Model: --model, else $SONNET_MODEL, else `model` in --config/$SONNET_CONFIG, else the
default model: models/default.npz in $SONNET_DATA_DIR, in PREFIX/share/sonnet-actors beside
an installed binary, or in the source tree (`sonnet info` shows which). Database: --db, else `db` in
the config file, else ./sonnets.db.
)";

} // namespace

int main(int argc, char** argv) {
  using namespace sonnet::cli;
  // --connect=HOST:PORT (anywhere on the line) sends every request to a running sonnetd.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--connect=", 0) == 0) {
      session::set_remote(a.substr(10));
    } else if (a == "--connect") {
      if (i + 1 >= argc) {
        std::cerr << "sonnet: --connect needs HOST:PORT[,HOST:PORT...]\n";
        return exit_usage;
      }
      session::set_remote(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  argc = static_cast<int>(rest.size());
  rest.push_back(nullptr);
  argv = rest.data();
  if (argc < 2) {
    std::cerr << usage;
    return exit_usage;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << usage;
    return exit_ok;
  }
  try {
    if (cmd == "generate")
      return cmd_generate(argc, argv);
    if (cmd == "logits")
      return cmd_logits(argc, argv);
    if (cmd == "format")
      return cmd_format(argc, argv);
    if (cmd == "dissonance")
      return cmd_dissonance(argc, argv);
    if (cmd == "stats" || cmd == "recent" || cmd == "best" || cmd == "get")
      return cmd_query(cmd, argc, argv);
    if (cmd == "chat")
      return cmd_chat(argc, argv);
    if (cmd == "phase" || cmd == "brain" || cmd == "dream")
      return cmd_emergent(cmd, argc, argv);
    if (cmd == "load")
      return cmd_load(argc, argv);
    if (cmd == "replay")
      return cmd_replay(argc, argv);
    if (cmd == "vocab")
      return cmd_vocab(argc, argv);
    if (cmd == "info")
      return cmd_info(argc, argv);
    if (cmd == "train")
      return cmd_train(argc, argv);
    if (cmd == "eval")
      return cmd_eval(argc, argv);
  } catch (const usage_error& e) {
    std::cerr << "sonnet " << cmd << ": " << e.message << "\n"
              << "Run `sonnet " << cmd << " --help` for its options.\n";
    return exit_usage;
  }
  std::cerr << "sonnet: unknown command '" << cmd << "'\n\n" << usage;
  return exit_usage;
}
