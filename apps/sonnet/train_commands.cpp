// sonnet train and sonnet eval: the command-line front end of the trainer (train/train.hpp).

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "apps/sonnet/commands.hpp"
#include "apps/sonnet/common.hpp"
#include "core/regular_file.hpp"
#include "train/train.hpp"

namespace sonnet::cli {

namespace {

namespace fs = std::filesystem;

/// A flag's value is out of its range: exit 1 with errc::invalid_argument.
struct bad_value {
  std::string message;
};

std::string num(double x, int precision = 6) {
  std::ostringstream o;
  o.precision(precision);
  o << x;
  return o.str();
}

int int_in(const args& a, const std::string& name, int64_t lo, int64_t hi, int fallback) {
  auto v = a.integer(name);
  if (!v)
    return fallback;
  if (*v < lo || *v > hi)
    throw bad_value{"--" + name + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi)
                    + "], got " + std::to_string(*v)};
  return static_cast<int>(*v);
}

/// --corpus, given once or more; missing is a usage error.
std::vector<std::string> corpora(const args& a) {
  auto c = a.all("corpus");
  if (c.empty())
    throw usage_error{"--corpus is required (give it once per text file)"};
  return c;
}

/// `s`, quoted for a POSIX shell when it needs it.
std::string shell_word(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s)
    plain = plain
            && (std::isalnum(static_cast<unsigned char>(c))
                || std::string{"_-./=:,+@%"}.find(c) != std::string::npos);
  if (plain)
    return s;
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return q + "'";
}

/// "41.2k", "812", "1.23M".
std::string rate(double x) {
  if (!std::isfinite(x))
    return "?";
  if (x >= 1e6)
    return num(x / 1e6, 3) + "M";
  if (x >= 1e3)
    return num(x / 1e3, 3) + "k";
  return num(std::round(x), 6);
}

/// "42s", "1m05s", "2h03m".
std::string duration(double s) {
  if (!std::isfinite(s) || s < 0)
    return "?";
  auto t = static_cast<int64_t>(std::llround(s));
  char buf[64];
  if (t < 60)
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(t));
  else if (t < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(t / 60),
                  static_cast<long long>(t % 60));
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(t / 3600),
                  static_cast<long long>(t / 60 % 60));
  return buf;
}

std::string loss(double x) {
  if (!std::isfinite(x))
    return "nan";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", x);
  return buf;
}

/// One line per progress report on stderr. On a terminal the lines between evaluations
/// overwrite each other ('\r'); a line with a held-out loss stays. Elsewhere (CI logs, files)
/// every report is a full line.
class progress_printer {
public:
  progress_printer() : tty_(::isatty(STDERR_FILENO) == 1) {}

  void operator()(const train::progress& p) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "train %.3f", p.train_loss);
    std::string line =
      "step " + std::to_string(p.step) + "/" + std::to_string(p.steps) + "  " + buf;
    if (p.val_loss >= 0) {
      std::snprintf(buf, sizeof buf, "  val %.3f", p.val_loss);
      line += buf;
    }
    line += "  " + rate(p.tokens_per_s) + " tok/s  elapsed " + duration(p.elapsed_s) + "  eta "
            + duration(p.eta_s);
    if (tty_) {
      const bool keep = p.val_loss >= 0;
      std::cerr << "\r" + line + "\033[K" + (keep ? "\n" : "") << std::flush;
      pending_ = !keep;
    } else {
      std::cerr << line + "\n" << std::flush;
    }
  }

  /// Ends an overwritten line before anything else is printed.
  void finish() {
    if (pending_)
      std::cerr << "\n" << std::flush;
    pending_ = false;
  }

private:
  bool tty_;
  bool pending_ = false;
};

// SIGINT/SIGTERM only set this flag (a lock-free atomic store is async-signal-safe); the
// trainer checks it between steps, writes a resumable checkpoint and returns. A second signal
// while it saves sets the flag again and nothing more: the files are written temp + rename.
std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_stop_signal(int) {
  stop_requested.store(true, std::memory_order_relaxed);
}

/// Installs the handlers for its lifetime; restores the previous ones (the defaults) after.
class stop_signals {
public:
  stop_signals() {
    stop_requested.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~stop_signals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  stop_signals(const stop_signals&) = delete;
  stop_signals& operator=(const stop_signals&) = delete;

private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

/// The step reached and the step target of the run whose state is beside `out` (OUT.state).
struct run_state {
  int64_t step = 0;
  int steps = 0;
};
std::optional<run_state> state_beside(const std::string& out) {
  std::error_code ec;
  if (!fs::exists(out + ".state", ec))
    return std::nullopt;
  auto st = train::read_optimizer_state(out + ".state");
  if (!st)
    return std::nullopt;
  try {
    auto j = nlohmann::json::parse(st->config_json);
    auto steps = j.at("steps").get<int64_t>();
    if (steps >= 1 && steps <= INT_MAX)
      return run_state{st->step, static_cast<int>(steps)};
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

/// Refuses an --out the run could not write, before any training time is spent on it.
void check_out(const std::string& out, const std::vector<std::string>& corpora) {
  if (out.empty())
    throw bad_value{"--out must not be empty"};
  std::error_code ec;
  if (fs::is_directory(out, ec))
    throw bad_value{"--out " + out + " is a directory; give a file name such as " + out
                    + "/model.npz"};
  auto dir = fs::path(out).parent_path();
  if (dir.empty())
    dir = ".";
  if (!fs::is_directory(dir, ec))
    throw bad_value{"--out " + out + ": directory " + dir.string() + " does not exist"};
  // A probe, not access(2): root passes access() on read-only mounts and /proc. The trainer
  // writes OUT.tmp and renames it, so that is the file to try.
  const std::string probe = out + ".tmp";
  const bool existed = fs::exists(probe, ec);
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw bad_value{"--out " + out + ": cannot write " + probe + " (" + std::strerror(errno) + ")"};
  ::close(fd);
  if (!existed)
    ::unlink(probe.c_str());
  for (auto& c : corpora)
    if (fs::equivalent(out, c, ec))
      throw bad_value{"--out " + out + " is the corpus " + c + "; it would be overwritten"};
}

std::vector<option_spec> train_specs() {
  const train::config d;
  return {
    {"corpus", "FILE", "training text; repeat for several files"},
    {"out", "FILE.npz", "the checkpoint to write (and FILE.npz.state, for --resume)"},
    {"init", "FILE.npz", "fine-tune this checkpoint (keeps its vocabulary and size)"},
    {"resume", "",
     "continue the interrupted run at --out with its settings\n" + std::string(28, ' ')
       + "(--steps defaults to its target)"},
    {"layers", "N", "transformer blocks, 1..64 (default " + std::to_string(d.size.n_layer) + ")"},
    {"heads", "N",
     "attention heads, must divide --embd (default " + std::to_string(d.size.n_head) + ")"},
    {"embd", "N", "embedding width, 1..4096 (default " + std::to_string(d.size.n_embd) + ")"},
    {"block", "N", "context length, 2..4096 (default " + std::to_string(d.size.block_size) + ")"},
    {"steps", "N", "optimizer steps (default " + std::to_string(d.steps) + ")"},
    {"batch", "N", "windows per step, 1..65536 (default " + std::to_string(d.batch) + ")"},
    {"lr", "X", "AdamW learning rate, > 0 (default " + num(d.lr) + ")"},
    {"dropout", "X", "dropout probability in [0, 1) (default " + num(d.dropout) + ")"},
    {"seed", "S",
     "seed of the weights, batches and dropout (default " + std::to_string(d.seed) + ")"},
    {"threads", "N", "worker threads, 0..256 (default 0 = every core)"},
    {"val-fraction", "X",
     "held-out tail of each corpus, in (0, 0.5] (default " + num(d.val_fraction) + ")"},
    {"init-scheme", "NAME",
     "a fresh run's weights: gpt2 (N(0, 0.02), nanoGPT's) or torch (PyTorch's\n"
       + std::string(28, ' ') + "layer defaults; default "
       + std::string(d.init == train::init_scheme::gpt2 ? "gpt2" : "torch") + ")"},
    {"attn-scale", "X",
     "a fresh run's attention scale, > 0 (default 1/sqrt(head size), what the\n"
       + std::string(28, ' ') + "prototype's inference uses)"},
    {"eval-interval", "N",
     "steps between held-out evaluations and checkpoints\n" + std::string(28, ' ')
       + "(0 = only at the end; default " + std::to_string(d.eval_interval) + ")"},
    {"json", "", "print the summary as one JSON object"},
  };
}

// --- options -------------------------------------------------------------------------------

/// --layers, --heads, --embd, --block.
void read_size(const args& a, train::config& c) {
  c.size.n_layer = int_in(a, "layers", 1, 64, c.size.n_layer);
  c.size.n_head = int_in(a, "heads", 1, 4096, c.size.n_head);
  c.size.n_embd = int_in(a, "embd", 1, 4096, c.size.n_embd);
  c.size.block_size = int_in(a, "block", 2, 4096, c.size.block_size);
  if (c.size.n_embd % c.size.n_head != 0)
    throw bad_value{"--heads (" + std::to_string(c.size.n_head) + ") must divide --embd ("
                    + std::to_string(c.size.n_embd) + ")"};
}

/// Everything else of the run: steps, batch, optimizer, seed, threads, evaluation, init.
void read_schedule(const args& a, train::config& c) {
  c.steps = int_in(a, "steps", 1, INT_MAX, c.steps);
  c.batch = int_in(a, "batch", 1, 65536, c.batch);
  if (auto lr = a.real("lr")) {
    if (!std::isfinite(*lr) || *lr <= 0)
      throw bad_value{"--lr must be a finite number > 0, got " + *a.str("lr")};
    c.lr = *lr;
  }
  if (auto p = a.real("dropout")) {
    if (!(*p >= 0 && *p < 1))
      throw bad_value{"--dropout must be in [0, 1), got " + *a.str("dropout")};
    c.dropout = *p;
  }
  if (auto s = a.unsigned_integer("seed"))
    c.seed = *s;
  c.threads = int_in(a, "threads", 0, 256, c.threads);
  if (auto f = a.real("val-fraction")) {
    if (!(*f > 0 && *f <= 0.5))
      throw bad_value{"--val-fraction must be in (0, 0.5], got " + *a.str("val-fraction")};
    c.val_fraction = *f;
  }
  c.eval_interval = int_in(a, "eval-interval", 0, INT_MAX, c.eval_interval);
  if (auto scheme = a.str("init-scheme")) {
    if (*scheme == "gpt2")
      c.init = train::init_scheme::gpt2;
    else if (*scheme == "torch")
      c.init = train::init_scheme::torch;
    else
      throw bad_value{"--init-scheme must be gpt2 or torch, got " + *scheme};
  }
  if (auto x = a.real("attn-scale")) {
    if (!std::isfinite(*x) || *x <= 0)
      throw bad_value{"--attn-scale must be a finite number > 0, got " + *a.str("attn-scale")};
    c.attn_scale = *x;
  }
}

/// The options, checked in the order the flags are documented; throws bad_value / usage_error.
train::options read_train_options(const args& a) {
  train::options o;
  const bool size_flags[] = {a.has("layers"), a.has("heads"), a.has("embd"), a.has("block")};
  o.corpora = corpora(a);
  auto out = a.str("out");
  if (!out)
    throw usage_error{"--out is required (the checkpoint to write, e.g. model.npz)"};
  o.out = *out;
  o.init = a.str("init").value_or("");
  o.resume = a.flag("resume");
  if (a.has("init") && o.init.empty())
    throw bad_value{"--init must not be empty"};
  read_size(a, o.cfg);
  o.size_given = size_flags[0] || size_flags[1] || size_flags[2] || size_flags[3];
  read_schedule(a, o.cfg);
  check_out(o.out, o.corpora);
  return o;
}

// Every input a regular file, before any work: a FIFO would block, a device never end.
result<void> check_inputs(const train::options& o) {
  for (const auto& c : o.corpora)
    if (auto ok = check_regular_file(c, errc::bad_corpus); !ok)
      return ok.err();
  if (!o.init.empty())
    if (auto ok = check_regular_file(o.init, errc::bad_checkpoint); !ok)
      return ok.err();
  return {};
}

/// --resume keeps the interrupted run's settings (its step target too, unless --steps is
/// given); a fresh run over an interrupted one says so.
void note_interrupted_run(const args& a, train::options& o) {
  if (o.resume) {
    std::vector<std::string> ignored;
    for (auto f : {"layers", "heads", "embd", "block", "batch", "lr", "dropout", "seed",
                   "val-fraction", "init-scheme", "attn-scale"})
      if (a.has(f))
        ignored.push_back(std::string("--") + f);
    if (!ignored.empty()) {
      std::string list;
      for (auto& f : ignored)
        list += (list.empty() ? "" : ", ") + f;
      std::cerr << "sonnet train: note: --resume keeps the interrupted run's settings; ignoring "
                << list << "\n";
    }
    if (!a.has("steps"))
      if (auto st = state_beside(o.out))
        o.cfg.steps = st->steps;
  } else if (auto st = state_beside(o.out); st && st->step < st->steps) {
    std::cerr << "sonnet train: note: " << o.out << " is an interrupted run (step " << st->step
              << " of " << st->steps << "); this run starts afresh and replaces it (pass --resume "
              << "to continue that one)\n";
  }
}

// --- the run and its summary -------------------------------------------------------------------

/// Trains with progress on stderr; SIGINT/SIGTERM stop it with a resumable checkpoint.
result<train::summary> train_with_progress(const train::options& o) {
  progress_printer printer;
  result<train::summary> r = fail(errc::internal, "not run");
  {
    stop_signals guard;
    r = train::run_training(
      o, [&](const train::progress& p) { printer(p); }, &stop_requested);
  }
  printer.finish();
  return r;
}

void print_summary_json(const train::summary& s) {
  nlohmann::json j{
    {"train_loss", s.train_loss},      {"val_loss", s.val_loss},     {"steps", s.steps},
    {"tokens_per_s", s.tokens_per_s},  {"seconds", s.seconds},       {"out", s.out},
    {"interrupted", s.interrupted},    {"parameters", s.parameters}, {"layers", s.size.n_layer},
    {"heads", s.size.n_head},          {"embd", s.size.n_embd},      {"block", s.size.block_size},
    {"vocab_size", s.size.vocab_size}, {"attn_scale", s.attn_scale}, {"threads", s.threads},
    {"unknown_chars", s.unknown_chars}};
  std::cout << j.dump() << std::endl;
}

void print_summary_text(const train::summary& s, const train::options& o) {
  std::cout << (s.interrupted ? "stopped at step " + std::to_string(s.steps) + " of "
                                  + std::to_string(o.cfg.steps)
                              : "trained " + std::to_string(s.steps) + " steps")
            << ": train loss " << loss(s.train_loss) << ", val loss " << loss(s.val_loss)
            << " nats/char\n"
            << rate(s.tokens_per_s) << " tokens/s, " << num(s.seconds, 4) << " s, " << s.threads
            << (s.threads == 1 ? " thread\n" : " threads\n") << "wrote " << s.out << ": "
            << s.parameters << " parameters (layers " << s.size.n_layer << ", heads "
            << s.size.n_head << ", embd " << s.size.n_embd << ", block " << s.size.block_size
            << ", vocabulary " << s.size.vocab_size << ")\n";
  if (s.unknown_chars > 0)
    std::cout << s.unknown_chars
              << " corpus chars outside the model's vocabulary were read as ' '\n";
  std::cout << std::flush;
}

/// After an interruption: where the checkpoint is and the command that continues it.
void print_resume_hint(const args& a, const train::options& o, const train::summary& s) {
  const std::string state = s.out + ".state";
  std::string cmd = "sonnet train";
  for (auto& c : o.corpora)
    cmd += " --corpus " + shell_word(c);
  cmd += " --out " + shell_word(s.out) + " --resume --steps " + std::to_string(o.cfg.steps);
  if (a.has("threads"))
    cmd += " --threads " + std::to_string(o.cfg.threads);
  if (a.has("eval-interval"))
    cmd += " --eval-interval " + std::to_string(o.cfg.eval_interval);
  (a.flag("json") ? std::cerr : std::cout)
    << "interrupted: checkpoint " << s.out << ", optimizer state " << state << "\n"
    << "resume with: " << cmd << std::endl;
}

} // namespace

int cmd_train(int argc, char** argv) {
  auto specs = train_specs();
  auto parsed = parse_command(
    argc, argv,
    "sonnet train --corpus FILE [--corpus FILE ...] --out FILE.npz [--init FILE.npz] [--resume]\n"
    "                    [--layers N --heads N --embd N --block N] [--steps N --batch N --lr X\n"
    "                    --dropout X --seed S --threads N --val-fraction X --eval-interval N]\n"
    "                    [--init-scheme gpt2|torch] [--attn-scale X] [--json]",
    "Trains a char-level NanoGPT on the corpora and writes a checkpoint `sonnet generate --model`\n"
    "reads (vocabulary included). Progress goes to stderr. SIGINT or SIGTERM stops the run after\n"
    "the current step with a resumable checkpoint (continue it with --resume).",
    specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  train::options o;
  try {
    o = read_train_options(a);
  } catch (const bad_value& e) {
    return report("train", fail(errc::invalid_argument, e.message));
  }
  if (auto ok = check_inputs(o); !ok)
    return report("train", ok.err());
  note_interrupted_run(a, o);
  auto r = train_with_progress(o);
  if (!r)
    return report("train", r.err());
  const auto& s = *r;
  if (a.flag("json"))
    print_summary_json(s);
  else
    print_summary_text(s, o);
  if (s.interrupted)
    print_resume_hint(a, o, s);
  return exit_ok;
}

int cmd_eval(int argc, char** argv) {
  std::vector<option_spec> specs{
    {"model", "FILE.npz",
     "the checkpoint (default: $SONNET_MODEL, `model` in --config,\n" + std::string(28, ' ')
       + "else the default model)"},
    {"corpus", "FILE", "text to score; repeat for several files"},
    {"val-fraction", "X",
     "score the last X of each file, in (0, 1) (default 0.1:\n" + std::string(28, ' ')
       + "the tail `sonnet train` held out)"},
    {"threads", "N", "worker threads, 0..256 (default 0 = every core)"},
    {"json", "", "print one JSON object"},
    {"config", "FILE", "config file (key: model)"},
  };
  auto parsed = parse_command(
    argc, argv,
    "sonnet eval [--model FILE.npz] --corpus FILE [--corpus FILE ...] [--val-fraction X]\n"
    "                   [--threads N] [--json]",
    "Prints a model's mean held-out loss in nats per char: the held-out tail of each corpus\n"
    "(split as `sonnet train` splits it) in windows of the model's context length.",
    specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  auto paths = corpora(a);
  double val_fraction = 0.1;
  int threads = 0;
  try {
    if (auto f = a.real("val-fraction")) {
      if (!(*f > 0 && *f < 1))
        throw bad_value{"--val-fraction must be in (0, 1), got " + *a.str("val-fraction")};
      val_fraction = *f;
    }
    threads = int_in(a, "threads", 0, 256, 0);
  } catch (const bad_value& e) {
    return report("eval", fail(errc::invalid_argument, e.message));
  }
  for (const auto& c : paths)
    if (auto ok = check_regular_file(c, errc::bad_corpus); !ok)
      return report("eval", ok.err());
  auto where = resolve(a);
  if (!where)
    return report("eval", where.err());
  auto ck = train::read_checkpoint(where->model_path);
  if (!ck) {
    auto e = ck.err();
    if (e.message.find(where->model_path) == std::string::npos)
      e.message = where->model_path + ": " + e.message;
    e.message += " (model path from " + where->model_origin + ")";
    return report("eval", e);
  }
  auto data = train::load_corpus(paths, val_fraction, ck->size.block_size, ck->vocab);
  if (!data)
    return report("eval", data.err());
  const double l = train::evaluate(*ck, data->val, 0, threads);
  const auto T = static_cast<std::size_t>(ck->size.block_size);
  const int64_t chars = static_cast<int64_t>((data->val.size() - 1) / T * T);
  if (a.flag("json")) {
    nlohmann::json j{{"loss", l},
                     {"chars", chars},
                     {"model", where->model_path},
                     {"corpora", paths},
                     {"val_fraction", val_fraction},
                     {"unknown_chars", data->unknown_chars}};
    std::cout << j.dump() << std::endl;
    return exit_ok;
  }
  std::cout << "loss " << loss(l) << " nats/char over " << chars
            << " chars of held-out text (the last " << num(val_fraction * 100) << "% of "
            << (paths.size() == 1 ? paths[0] : "each of " + std::to_string(paths.size()) + " files")
            << "; " << loss(l / std::log(2.0)) << " bits/char; model " << where->model_path
            << ")\n";
  if (data->unknown_chars > 0)
    std::cout << data->unknown_chars << " chars outside the model's vocabulary were read as ' '\n";
  std::cout << std::flush;
  return exit_ok;
}

} // namespace sonnet::cli
