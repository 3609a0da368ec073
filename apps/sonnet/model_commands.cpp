// Subcommands that use the model directly, without actors: logits, generate --raw, vocab, info.

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "apps/sonnet/commands.hpp"
#include "apps/sonnet/common.hpp"
#include "core/sha256.hpp"

namespace sonnet::cli {

namespace {

result<std::shared_ptr<const model::model>> load(const settings& s, const model_choice& c) {
  auto m = model::load_model(s.model_path, c.load);
  if (!m) {
    auto e = m.err();
    e.message +=
      " (model path from " + s.model_origin + "; pass --model PATH to use another NanoGPT .npz)";
    return e;
  }
  return m;
}

} // namespace

int cmd_logits(int argc, char** argv) {
  auto specs =
    std::vector<option_spec>{
      {"prompt", "TEXT", "the text to score (default: a newline)"},
      {"json", "", "print {\"logits\": [...]} (the default output too)"},
    }
    + model_options();
  auto parsed =
    parse_command(argc, argv, "sonnet logits [--prompt TEXT] [--json] [model options]",
                  "Prints the model's logits for the character after the prompt.", specs);
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
  auto specs =
    std::vector<option_spec>{
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

namespace {

// Weights and biases the forward pass uses (the heads' q/k/v have no bias; `tril` buffers and
// `attn_scale` are not parameters).
int64_t parameter_count(const model::hparams& hp) {
  const int64_t V = hp.vocab_size, C = hp.n_embd, B = hp.block_size,
                A = int64_t{hp.n_head} * hp.head_size, F = hp.n_ffwd;
  const int64_t layer = 2 * C + 3 * A * C + (A * C + C) + 2 * C + (C * F + F) + (F * C + C);
  return V * C + B * C + hp.n_layer * layer + 2 * C + (C * V + V);
}

} // namespace

int cmd_info(int argc, char** argv) {
  auto specs = std::vector<option_spec>{{"json", "", "print one JSON object"}} + model_options();
  auto parsed = parse_command(argc, argv, "sonnet info [--json] [model options]",
                              "Loads the model and prints its file (absolute path, where the "
                              "path came from, size,\nSHA-256), hyper-parameters, attention "
                              "scale, vocabulary source and numerics.",
                              specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  auto s = resolve(a);
  if (!s)
    return report("info", s.err());
  auto choice = parse_model_choice(a);
  auto m = load(*s, choice);
  if (!m)
    return report("info", m.err());
  std::error_code ec;
  const auto path = std::filesystem::absolute(s->model_path, ec).lexically_normal().string();
  const auto bytes = std::filesystem::file_size(s->model_path, ec);
  auto sha = sha256_file_hex(s->model_path, errc::bad_checkpoint);
  if (!sha)
    return report("info", sha.err());
  const auto& hp = (*m)->hp();
  const bool trained = (*m)->variant() == model::numerics::as_trained;
  const bool strided = choice.window == model::window_mode::strided;
  const int stride = strided ? model::decoder(*m, choice.window, choice.stride).stride() : 0;
  nlohmann::json j;
  j["path"] = path;
  j["origin"] = s->model_origin;
  j["found_by"] = s->model_source;
  j["file_bytes"] = ec ? 0 : bytes;
  j["sha256"] = *sha;
  j["vocab_size"] = hp.vocab_size;
  j["n_layer"] = hp.n_layer;
  j["n_head"] = hp.n_head;
  j["n_embd"] = hp.n_embd;
  j["head_size"] = hp.head_size;
  j["block_size"] = hp.block_size;
  j["n_ffwd"] = hp.n_ffwd;
  j["parameters"] = parameter_count(hp);
  j["attn_scale"] = (*m)->attn_scale();
  j["attn_scale_source"] = (*m)->attn_scale_source();
  j["attn_scale_from_checkpoint"] = (*m)->attn_scale_from_checkpoint();
  j["vocab_source"] = (*m)->vocab_source();
  j["variant"] = trained ? "as_trained" : "numpy_port";
  j["window"] = strided ? "strided" : "exact";
  j["stride"] = stride;
  if (a.flag("json")) {
    std::cout << j.dump() << "\n";
    return exit_ok;
  }
  char scale[32];
  std::snprintf(scale, sizeof scale, "%.9g", static_cast<double>((*m)->attn_scale()));
  std::cout << "model        " << path << "\n"
            << "from         " << s->model_origin
            << (s->model_source.empty() ? "" : " (found by the '" + s->model_source + "' rule)")
            << "\n"
            << "file         " << j["file_bytes"].get<uint64_t>() << " bytes, sha256 " << *sha
            << "\n"
            << "sizes        vocab_size " << hp.vocab_size << ", n_layer " << hp.n_layer
            << ", n_head " << hp.n_head << ", n_embd " << hp.n_embd << ", head_size "
            << hp.head_size << ", block_size " << hp.block_size << ", n_ffwd " << hp.n_ffwd << "\n"
            << "parameters   " << parameter_count(hp) << "\n"
            << "attn_scale   " << scale << " (" << (*m)->attn_scale_source() << ")\n"
            << "vocabulary   " << hp.vocab_size << " chars from " << (*m)->vocab_source() << "\n"
            << "numerics     " << (trained ? "as_trained" : "numpy_port") << ", window "
            << (strided ? "strided S=" + std::to_string(stride) : std::string("exact")) << "\n";
  return exit_ok;
}

} // namespace sonnet::cli
