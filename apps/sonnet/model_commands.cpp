// Subcommands that use the model directly, without actors: logits, generate --raw, vocab.

#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>

#include "apps/sonnet/commands.hpp"
#include "apps/sonnet/common.hpp"

namespace sonnet::cli {

namespace {

result<std::shared_ptr<const model::model>> load(const settings& s, const model_choice& c) {
  auto m = model::load_model(s.model_path, c.load);
  if (!m) {
    auto e = m.err();
    e.message += " (model path from " + s.model_origin
                 + "; pass --model PATH to use another NanoGPT .npz)";
    return e;
  }
  return m;
}

} // namespace

int cmd_logits(int argc, char** argv) {
  auto specs = std::vector<option_spec>{
                 {"prompt", "TEXT", "the text to score (default: a newline)"},
                 {"json", "", "print {\"logits\": [...]} (the default output too)"},
               }
               + model_options();
  auto parsed = parse_command(argc, argv, "sonnet logits [--prompt TEXT] [--json] [model options]",
                              "Prints the model's logits for the character after the prompt.",
                              specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  auto s = resolve(a);
  if (!s)
    return report("logits", s.err());
  auto choice = parse_model_choice(a);
  auto m = load(*s, choice);
  if (!m)
    return report("logits", m.err());
  auto prompt = a.str("prompt").value_or("\n");
  if (prompt.empty())
    return report("logits", fail(errc::invalid_argument, "--prompt must not be empty"));
  auto logits = model::last_logits(**m, prompt);
  nlohmann::json out;
  out["logits"] = logits;
  std::cout << out.dump() << "\n";
  return exit_ok;
}

int cmd_generate_raw(int argc, char** argv) {
  auto specs = std::vector<option_spec>{
                 {"raw", "", "print the model's raw text"},
                 {"prompt", "TEXT", "text the model continues (default: a newline)"},
                 {"tokens", "N", "characters to generate (default 800)"},
                 {"seed", "S", "sampler seed (default 0)"},
                 {"temperature", "T", "sampling temperature (default 0.8; 0 = argmax)"},
                 {"top-k", "K", "sample among the K likeliest characters (0 = all)"},
               }
               + model_options();
  auto parsed = parse_command(
    argc, argv, "sonnet generate --raw [--tokens N] [--seed S] [--temperature T] [--top-k K]",
    "Prints raw model text: the model alone, no formatting, nothing stored.", specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  auto tokens = a.integer("tokens").value_or(800);
  if (tokens <= 0 || tokens > 1000000)
    return report("generate", fail(errc::invalid_argument, "--tokens must be in [1, 1000000]"));
  auto temperature = a.real("temperature").value_or(0.8);
  if (!std::isfinite(temperature) || temperature < 0)
    return report("generate",
                  fail(errc::invalid_argument, "--temperature must be a finite number >= 0"));
  auto top_k = a.integer("top-k").value_or(0);
  if (top_k < 0)
    return report("generate", fail(errc::invalid_argument, "--top-k must be >= 0"));
  auto s = resolve(a);
  if (!s)
    return report("generate", s.err());
  auto choice = parse_model_choice(a);
  auto m = load(*s, choice);
  if (!m)
    return report("generate", m.err());
  model::sampling sp;
  sp.temperature = static_cast<float>(temperature);
  sp.top_k = static_cast<int>(top_k);
  sp.seed = a.unsigned_integer("seed").value_or(0);
  model::decoder dec{*m, choice.window, choice.stride};
  dec.start(a.str("prompt").value_or("\n"), sp);
  std::cout << dec.generate(static_cast<int>(tokens)) << std::endl;
  return exit_ok;
}

int cmd_vocab(int argc, char** argv) {
  std::vector<option_spec> specs{
    {"corpus", "FILE", "the text the model was trained on"},
    {"out", "PATH", "where to write the vocabulary (e.g. beside the .npz as NAME.vocab)"},
  };
  auto parsed = parse_command(argc, argv, "sonnet vocab --corpus FILE --out PATH",
                              "Writes the sorted distinct characters of a training corpus: the "
                              "vocabulary a char-level checkpoint needs.",
                              specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  auto corpus = a.str("corpus");
  auto out = a.str("out");
  if (!corpus || !out)
    throw usage_error{"--corpus and --out are required"};
  auto r = model::write_vocab_from_corpus(*corpus, *out);
  if (!r)
    return report("vocab", r.err());
  std::cout << "wrote " << *out << "\n";
  return exit_ok;
}

} // namespace sonnet::cli
