// Checkpoints: NanoGPT's .npz (numpy.savez_compressed's layout) written atomically, read back
// through the model loader's checks; the optimiser's state beside it for --resume.
#include "train/train.hpp"

#include "model/model.hpp"
#include "model/npz.hpp"
#include "train/npz_writer.hpp"

#include <cmath>

namespace sonnet::train {

namespace {

std::size_t find_offset(const std::vector<tensor_info>& t, const std::string& name) {
  for (const auto& ti : t)
    if (ti.name == name)
      return ti.offset;
  return static_cast<std::size_t>(-1);
}

} // namespace

std::vector<array_slice> nanogpt_arrays(const shape& s) {
  const auto t = layout(s);
  const std::size_t C = static_cast<std::size_t>(s.n_embd),
                    HS = static_cast<std::size_t>(s.head_size());
  std::vector<array_slice> out;
  auto tensor = [&](const std::string& name) {
    const auto o = find_offset(t, name);
    for (const auto& ti : t)
      if (ti.offset == o)
        out.push_back({name,
                       ti.cols == 1 ? std::vector<std::size_t>{static_cast<std::size_t>(ti.rows)}
                                    : std::vector<std::size_t>{static_cast<std::size_t>(ti.rows),
                                                               static_cast<std::size_t>(ti.cols)},
                       o});
  };
  // The reference checkpoint's member order (EMERGENT-SPEC §11.3), tril buffers left out.
  tensor("embedding_table.weight");
  tensor("position_embedding_table.weight");
  for (int l = 0; l < s.n_layer; ++l) {
    const std::string b = "blocks." + std::to_string(l) + ".";
    for (int h = 0; h < s.n_head; ++h)
      for (const char* kind :
           {"key", "query", "value"}) // head h: rows [h*HS, (h+1)*HS) of the fused tensor
        out.push_back({b + "sa.heads." + std::to_string(h) + "." + kind + ".weight",
                       {HS, C},
                       find_offset(t, b + "sa." + kind) + static_cast<std::size_t>(h) * HS * C});
    for (const char* n : {"sa.proj.weight", "sa.proj.bias", "ffwd.net.0.weight", "ffwd.net.0.bias",
                          "ffwd.net.2.weight", "ffwd.net.2.bias", "ln1.weight", "ln1.bias",
                          "ln2.weight", "ln2.bias"})
      tensor(b + n);
  }
  for (const char* n : {"ln_f.weight", "ln_f.bias", "lm_head.weight", "lm_head.bias"})
    tensor(n);
  return out;
}

result<void> write_checkpoint(const checkpoint& c, const std::string& path) {
  const auto& s = c.size;
  if (c.params.size() != parameter_count(s))
    return fail(errc::invalid_argument, "parameter vector has the wrong size");
  const std::size_t T = static_cast<std::size_t>(s.block_size);
  // NanoGPT's causal-mask buffers, so torch's load_state_dict(strict=True) takes the file too.
  std::vector<float> tril(T * T, 0.f);
  for (std::size_t i = 0; i < T; ++i)
    for (std::size_t j = 0; j <= i; ++j)
      tril[i * T + j] = 1.f;
  std::vector<npy_member> ms;
  for (const auto& a : nanogpt_arrays(s)) {
    if (a.name.size() > 11 && a.name.compare(a.name.size() - 11, 11, ".key.weight") == 0)
      ms.push_back({a.name.substr(0, a.name.size() - 10) + "tril",
                    "<f4",
                    {T, T},
                    tril.data(),
                    T * T * sizeof(float)});
    ms.push_back({a.name, "<f4", a.shape, c.params.data() + a.offset, a.size() * sizeof(float)});
  }
  ms.push_back({"vocab", "|u1", {c.vocab.size()}, c.vocab.data(), c.vocab.size()});
  const float scale = c.attn_scale;
  ms.push_back({"attn_scale", "<f4", {1}, &scale, sizeof(float)});
  return write_npz(path, ms, 6);
}

result<checkpoint> read_checkpoint(const std::string& path) {
  auto m = model::load_model(path);
  if (!m)
    return m.err();
  const auto& hp = (*m)->hp();
  if (hp.n_head * hp.head_size != hp.n_embd || hp.n_ffwd != 4 * hp.n_embd)
    return fail(errc::bad_checkpoint,
                path + ": heads of " + std::to_string(hp.head_size) + " x "
                  + std::to_string(hp.n_head) + " and an MLP of " + std::to_string(hp.n_ffwd)
                  + " for n_embd " + std::to_string(hp.n_embd)
                  + ": the trainer needs heads x head_size = n_embd and MLP = 4 n_embd");
  auto ar = model::read_npz(path);
  if (!ar)
    return ar.err();
  checkpoint c;
  c.size = {hp.vocab_size, hp.n_layer, hp.n_head, hp.n_embd, hp.block_size};
  c.vocab = (*m)->vocab().chars();
  c.params.assign(parameter_count(c.size), 0.f);
  for (const auto& a : nanogpt_arrays(c.size)) {
    auto it = ar->find(a.name);
    if (it == ar->end() || it->second.values.size() != a.size())
      return fail(errc::bad_checkpoint,
                  path + ": array '" + a.name + "' missing or of the wrong size");
    std::copy(it->second.values.begin(), it->second.values.end(), c.params.data() + a.offset);
  }
  auto sc = ar->find("attn_scale");
  if (sc != ar->end()) {
    if (sc->second.values.size() != 1 || !std::isfinite(sc->second.values[0])
        || sc->second.values[0] <= 0)
      return fail(errc::bad_checkpoint,
                  path + ": array 'attn_scale' must hold one finite positive number");
    c.attn_scale = sc->second.values[0];
  } else {
    c.attn_scale = 1.0f / std::sqrt(static_cast<float>(hp.n_embd)); // the loader's as_trained rule
  }
  return c;
}

result<void> write_optimizer_state(const optimizer_state& s, const std::string& path) {
  const float step = static_cast<float>(s.step);
  std::vector<npy_member> ms{
    {"adam_m", "<f4", {s.m.size()}, s.m.data(), s.m.size() * sizeof(float)},
    {"adam_v", "<f4", {s.v.size()}, s.v.data(), s.v.size() * sizeof(float)},
    {"step", "<f4", {1}, &step, sizeof(float)},
    {"config", "|u1", {s.config_json.size()}, s.config_json.data(), s.config_json.size()},
  };
  return write_npz(path, ms, 0); // moments are noise to deflate: store them
}

result<optimizer_state> read_optimizer_state(const std::string& path) {
  auto ar = model::read_npz(path);
  if (!ar)
    return ar.err();
  optimizer_state s;
  auto get = [&](const char* name) -> const model::npy_array* {
    auto it = ar->find(name);
    return it == ar->end() ? nullptr : &it->second;
  };
  const auto *m = get("adam_m"), *v = get("adam_v"), *st = get("step"), *cfg = get("config");
  if (!m || !v || !st || !cfg || st->values.size() != 1 || m->values.size() != v->values.size())
    return fail(errc::bad_checkpoint,
                path + ": not an optimizer state (adam_m, adam_v, step, config)");
  s.m.assign(m->values.begin(), m->values.end());
  s.v.assign(v->values.begin(), v->values.end());
  s.step = static_cast<int64_t>(st->values[0]);
  s.config_json = cfg->bytes;
  return s;
}

} // namespace sonnet::train
