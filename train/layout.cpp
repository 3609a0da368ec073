// The flat parameter vector: every tensor's name, shape and offset, and nanoGPT's initialisation.
#include "train/train.hpp"

#include <cmath>
#include <random>

namespace sonnet::train {

std::vector<tensor_info> layout(const shape& s) {
  const int V = s.vocab_size, C = s.n_embd, T = s.block_size, F = s.n_ffwd();
  std::vector<tensor_info> t;
  std::size_t at = 0;
  auto add = [&](std::string name, int rows, int cols) {
    t.push_back({std::move(name), rows, cols, at});
    at += static_cast<std::size_t>(rows) * cols;
  };
  add("embedding_table.weight", V, C);
  add("position_embedding_table.weight", T, C);
  for (int l = 0; l < s.n_layer; ++l) {
    const std::string b = "blocks." + std::to_string(l) + ".";
    add(b + "ln1.weight", C, 1);
    add(b + "ln1.bias", C, 1);
    // query, key, value adjacent: one (3C, C) matrix for the fused product.
    add(b + "sa.query", C, C);
    add(b + "sa.key", C, C);
    add(b + "sa.value", C, C);
    add(b + "sa.proj.weight", C, C);
    add(b + "sa.proj.bias", C, 1);
    add(b + "ln2.weight", C, 1);
    add(b + "ln2.bias", C, 1);
    add(b + "ffwd.net.0.weight", F, C);
    add(b + "ffwd.net.0.bias", F, 1);
    add(b + "ffwd.net.2.weight", C, F);
    add(b + "ffwd.net.2.bias", C, 1);
  }
  add("ln_f.weight", C, 1);
  add("ln_f.bias", C, 1);
  add("lm_head.weight", V, C);
  add("lm_head.bias", V, 1);
  return t;
}

std::size_t parameter_count(const shape& s) {
  auto t = layout(s);
  return t.back().offset + t.back().size();
}

checkpoint init_checkpoint(const shape& s, const std::string& vocab, float attn_scale,
                           uint64_t seed, init_scheme scheme) {
  checkpoint c;
  c.size = s;
  c.vocab = vocab;
  c.attn_scale = attn_scale;
  c.params.assign(parameter_count(s), 0.f);
  std::mt19937_64 gen(seed);
  // Box-Muller on our own uniforms: std::normal_distribution differs between standard libraries.
  auto normal = [&gen]() {
    constexpr double two_pi = 6.283185307179586;
    double u1 = (static_cast<double>(gen() >> 11) + 0.5) * 0x1.0p-53;
    double u2 = static_cast<double>(gen() >> 11) * 0x1.0p-53;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
  };
  auto uniform = [&gen](double bound) {
    return bound * (2.0 * static_cast<double>(gen() >> 11) * 0x1.0p-53 - 1.0);
  };
  const auto t = layout(s);
  for (std::size_t n = 0; n < t.size(); ++n) {
    const auto& ti = t[n];
    float* p = c.params.data() + ti.offset;
    const bool is_vector = ti.cols == 1;
    const bool ends_weight =
      ti.name.size() > 7 && ti.name.compare(ti.name.size() - 7, 7, ".weight") == 0;
    const bool embedding = ti.name.find("embedding_table") != std::string::npos;
    if (is_vector && ends_weight && ti.name.find("ln") != std::string::npos) {
      std::fill(p, p + ti.size(), 1.f); // LayerNorm gain
    } else if (is_vector && ti.name.find("ln") != std::string::npos) {
      // LayerNorm bias: 0
    } else if (scheme == init_scheme::gpt2) {
      if (!is_vector)
        for (std::size_t i = 0; i < ti.size(); ++i)
          p[i] = static_cast<float>(0.02 * normal());
    } else if (embedding) {
      for (std::size_t i = 0; i < ti.size(); ++i)
        p[i] = static_cast<float>(normal());
    } else {
      // A Linear's weight (out, in) and its bias, the tensor after it: both U(+-1/sqrt(in)).
      const int in = is_vector ? t[n - 1].cols : ti.cols;
      const double bound = 1.0 / std::sqrt(static_cast<double>(in));
      for (std::size_t i = 0; i < ti.size(); ++i)
        p[i] = static_cast<float>(uniform(bound));
    }
  }
  return c;
}

} // namespace sonnet::train
