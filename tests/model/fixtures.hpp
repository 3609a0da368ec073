#pragma once
// Shared helpers of the model tests: a temp directory, a tiny random NanoGPT checkpoint written
// with npz_writer.hpp, the shipped model, and the precondition that skips the tests comparing
// with the prototype when its reference checkpoint is absent.

#include "model/model.hpp"
#include "tests/model/npz_writer.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <unistd.h>

#include "tests/shared_data.hpp"

namespace sonnet::test {

inline const std::string shared_dir = SONNET_SHARED_DIR;
inline const std::string& checkpoint_path = reference_checkpoint;

using have_checkpoint = have_reference_model;

/// A per-process scratch directory, removed at exit.
inline const std::string& temp_dir() {
  return process_temp_dir("sonnet_model_test_");
}

struct array_spec {
  std::vector<std::size_t> shape;
  std::vector<float> values;
};
using array_map = std::map<std::string, array_spec>;

/// Sizes of a tiny NanoGPT (another size than the Shakespeare one).
struct tiny_spec {
  int vocab = 10, n_embd = 8, n_head = 2, n_layer = 1, block = 16, ffwd = 32;
};

inline const std::string tiny_vocab = "\n abcdefgh";

/// Random weights (fixed seed) in the Shakespeare checkpoint's naming scheme.
inline array_map tiny_arrays(const tiny_spec& t = {}, unsigned seed = 7) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.f, 0.5f);
  array_map m;
  auto add = [&](const std::string& name, std::vector<std::size_t> shape, float base = 0.f,
                 float scale = 1.f) {
    std::size_t n = 1;
    for (auto d : shape)
      n *= d;
    array_spec a{shape, std::vector<float>(n)};
    for (auto& v : a.values)
      v = base + scale * nd(gen);
    m[name] = std::move(a);
  };
  const std::size_t V = t.vocab, C = t.n_embd, H = t.n_head, HS = C / H, B = t.block, F = t.ffwd;
  add("embedding_table.weight", {V, C});
  add("position_embedding_table.weight", {B, C});
  for (int l = 0; l < t.n_layer; ++l) {
    std::string p = "blocks." + std::to_string(l) + ".";
    add(p + "ln1.weight", {C}, 1.f, 0.1f);
    add(p + "ln1.bias", {C}, 0.f, 0.1f);
    for (std::size_t h = 0; h < H; ++h) {
      std::string q = p + "sa.heads." + std::to_string(h) + ".";
      add(q + "key.weight", {HS, C});
      add(q + "query.weight", {HS, C});
      add(q + "value.weight", {HS, C});
      m[q + "tril"] = array_spec{{B, B}, std::vector<float>(B * B, 1.f)};
    }
    add(p + "sa.proj.weight", {C, C});
    add(p + "sa.proj.bias", {C}, 0.f, 0.1f);
    add(p + "ln2.weight", {C}, 1.f, 0.1f);
    add(p + "ln2.bias", {C}, 0.f, 0.1f);
    add(p + "ffwd.net.0.weight", {F, C});
    add(p + "ffwd.net.0.bias", {F}, 0.f, 0.1f);
    add(p + "ffwd.net.2.weight", {C, F}, 0.f, 0.2f);
    add(p + "ffwd.net.2.bias", {C}, 0.f, 0.1f);
  }
  add("ln_f.weight", {C}, 1.f, 0.1f);
  add("ln_f.bias", {C}, 0.f, 0.1f);
  add("lm_head.weight", {V, C});
  add("lm_head.bias", {V}, 0.f, 0.1f);
  return m;
}

struct npz_options {
  bool deflate = true;
  bool f8 = false;
  bool with_vocab = true;
  std::string vocab = tiny_vocab;
};

inline bytes tiny_npz(const array_map& arrays, const npz_options& o = {}) {
  zip_writer z;
  for (const auto& [name, a] : arrays)
    z.add(name + ".npy", o.f8 ? npy_f8(a.shape, a.values) : npy_f4(a.shape, a.values), o.deflate);
  if (o.with_vocab)
    z.add("vocab.npy", npy_u1(o.vocab), o.deflate);
  return z.finish();
}

/// Writes `b` to temp_dir()/name and returns the path.
inline std::string temp_file(const std::string& name, const bytes& b) {
  std::string p = temp_dir() + "/" + name;
  write_file(p, b);
  return p;
}

inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float m = a.size() == b.size() ? 0.f : 1e30f;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

} // namespace sonnet::test
