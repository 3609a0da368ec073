// --- checkpoint loading: hyper-parameters from names and shapes, validation, QKV fusion, vocab ---
#include "model/detail.hpp"
#include "model/npz.hpp"

#include "core/paths.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <new>
#include <stdexcept>
#include <set>
#include <sys/stat.h>

namespace sonnet::model {

model::model(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
model::~model() = default;
const hparams& model::hp() const {
  return impl_->hp;
}
const vocabulary& model::vocab() const {
  return impl_->vocab;
}
numerics model::variant() const {
  return impl_->variant;
}
const std::string& model::path() const {
  return impl_->path;
}
const std::string& model::vocab_source() const {
  return impl_->vocab_source;
}
float model::attn_scale() const {
  return impl_->attn_scale;
}
const std::string& model::attn_scale_source() const {
  return impl_->attn_scale_source;
}
bool model::attn_scale_from_checkpoint() const {
  return impl_->attn_scale_from_checkpoint;
}

namespace {

void pad_vector(Vector& v) {
  const Eigen::Index n = v.size();
  v.conservativeResize(padded(n));
  v.tail(v.size() - n).setZero();
}

} // namespace

namespace {

constexpr int max_dim = 1 << 16;
// The decoder keeps (block, block) attention scores and (n_layer, block, A) K/V caches.
constexpr int max_block = 4096;

// Parses "<digits>." at s[pos..]; returns the number or -1.
int index_at(const std::string& s, std::size_t pos, std::size_t& after) {
  int v = 0;
  std::size_t i = pos;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - pos < 6)
    v = v * 10 + (s[i++] - '0');
  if (i == pos || i >= s.size() || s[i] != '.')
    return -1;
  after = i + 1;
  return v;
}

// The packed weights are placed once every array has been checked: then their one arena
// (page_buffer) is sized exactly, and a bad checkpoint never allocates it.
struct packing_plan {
  struct matrix {
    packed_matrix* dst;
    Eigen::Index out, in;
  };
  struct rows {
    packed_matrix* dst;
    Eigen::Index first, count;
    const float* src; // a PyTorch (out, in) weight's rows, row-major
  };
  std::vector<matrix> matrices;
  std::vector<rows> parts;

  void add(packed_matrix& dst, std::size_t out, std::size_t in) {
    matrices.push_back({&dst, static_cast<Eigen::Index>(out), static_cast<Eigen::Index>(in)});
  }
  void add_rows(packed_matrix& dst, std::size_t first, const npy_array& a) {
    parts.push_back({&dst, static_cast<Eigen::Index>(first), static_cast<Eigen::Index>(a.shape[0]),
                     a.values.data()});
  }
  void place(weights& w) const {
    Eigen::Index total = 0;
    for (const auto& m : matrices)
      total += packed_matrix::floats(m.out, m.in);
    w.arena = page_buffer(static_cast<std::size_t>(total) * sizeof(float));
    auto* at = static_cast<float*>(w.arena.data());
    for (const auto& m : matrices) {
      *m.dst = packed_matrix::over(at, m.out, m.in);
      at += packed_matrix::floats(m.out, m.in);
    }
    for (const auto& p : parts)
      p.dst->pack_rows(p.first, p.src, p.count);
  }
};

struct loader {
  const npz_archive& ar;
  const std::string& path;

  result<const npy_array*> get(const std::string& name, std::vector<std::size_t> shape) const {
    auto it = ar.find(name);
    if (it == ar.end())
      return fail(errc::bad_checkpoint, path + ": missing array '" + name + "'");
    const npy_array& a = it->second;
    if (a.dtype == npy_dtype::u1)
      return fail(errc::bad_checkpoint,
                  path + ": array '" + name + "' has dtype uint8, expected float32 or float64");
    if (a.shape != shape)
      return fail(errc::bad_checkpoint, path + ": array '" + name + "' has shape "
                                          + shape_string(a.shape) + ", expected "
                                          + shape_string(shape));
    for (std::size_t i = 0; i < a.values.size(); ++i)
      if (!std::isfinite(a.values[i]))
        return fail(errc::bad_weights, path + ": array '" + name + "' holds a non-finite value ("
                                         + std::to_string(a.values[i]) + " at flat index "
                                         + std::to_string(i) + ")");
    return &a;
  }

  result<void> matrix(const std::string& name, std::size_t rows, std::size_t cols,
                      RowMatrix& out) const {
    auto a = get(name, {rows, cols});
    if (!a)
      return a.err();
    out = Eigen::Map<const RowMatrix>((*a)->values.data(), static_cast<Eigen::Index>(rows),
                                      static_cast<Eigen::Index>(cols));
    return {};
  }

  // A PyTorch (out, in) weight, to be packed for the kernel.
  result<void> packed(const std::string& name, std::size_t out_features, std::size_t in_features,
                      packed_matrix& out, packing_plan& plan) const {
    auto a = get(name, {out_features, in_features});
    if (!a)
      return a.err();
    plan.add(out, out_features, in_features);
    plan.add_rows(out, 0, **a);
    return {};
  }

  result<void> vector(const std::string& name, std::size_t n, Vector& out) const {
    auto a = get(name, {n});
    if (!a)
      return a.err();
    out = Eigen::Map<const Vector>((*a)->values.data(), static_cast<Eigen::Index>(n));
    return {};
  }

  // The 2-D shape of a required array, for inferring hyper-parameters.
  result<std::pair<std::size_t, std::size_t>> dims(const std::string& name) const {
    auto it = ar.find(name);
    if (it == ar.end())
      return fail(errc::bad_checkpoint, path + ": missing array '" + name + "'");
    const auto& s = it->second.shape;
    if (s.size() != 2 || s[0] == 0 || s[1] == 0 || s[0] > max_dim || s[1] > max_dim)
      return fail(errc::bad_checkpoint, path + ": array '" + name + "' has shape " + shape_string(s)
                                          + ", expected a non-empty 2-D matrix");
    return std::make_pair(s[0], s[1]);
  }
};

bool file_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

// Finds the vocabulary; returns its chars and where it came from.
result<std::pair<std::string, std::string>>
resolve_vocab(const npz_archive& ar, const std::string& path, const load_options& opts) {
  if (!opts.vocab_path.empty()) {
    auto b = read_file_bytes(opts.vocab_path, errc::bad_vocabulary);
    if (!b)
      return fail(errc::bad_vocabulary, "vocabulary for " + path + ": " + b.err().message
                                          + " (load_options::vocab_path)");
    return std::make_pair(std::string(b->begin(), b->end()), opts.vocab_path);
  }
  auto it = ar.find("vocab");
  if (it != ar.end()) {
    if (it->second.dtype != npy_dtype::u1)
      return fail(errc::bad_vocabulary, path + ": array 'vocab' must hold uint8 bytes");
    return std::make_pair(it->second.bytes, "array 'vocab' in " + path);
  }
  std::string base = path;
  if (base.size() >= 4 && base.compare(base.size() - 4, 4, ".npz") == 0)
    base.resize(base.size() - 4);
  std::string sidecar = base + ".vocab";
  std::string stem =
    base.substr(base.find_last_of('/') == std::string::npos ? 0 : base.find_last_of('/') + 1);
  std::string config = paths::find_data("configs/" + stem + ".vocab").path;
  for (const auto& cand : {sidecar, config}) {
    if (file_exists(cand)) {
      auto b = read_file_bytes(cand, errc::bad_vocabulary);
      if (!b)
        return b.err();
      return std::make_pair(std::string(b->begin(), b->end()), cand);
    }
  }
  return fail(errc::bad_vocabulary,
              path
                + ": no vocabulary found (tried load_options::vocab_path (empty), an array 'vocab' "
                  "in the checkpoint, "
                + sidecar + ", " + config
                + "); pass a vocabulary file or write one from the training corpus with "
                  "write_vocab_from_corpus (its sorted distinct bytes)");
}

} // namespace

namespace {
result<std::unique_ptr<model::impl>> load_model_impl(const std::string& npz_path,
                                                     const load_options& opts);
}

result<std::shared_ptr<const model>> load_model(const std::string& npz_path,
                                                const load_options& opts) {
  try {
    auto p = load_model_impl(npz_path, opts);
    if (!p)
      return p.err();
    return std::shared_ptr<const model>(new model(std::move(*p)));
  } catch (const std::bad_alloc&) {
    return fail(errc::bad_checkpoint, npz_path + ": out of memory while loading");
  } catch (const std::exception& e) {
    return fail(errc::bad_checkpoint, npz_path + ": " + e.what());
  }
}

namespace {

// --- hyper-parameters from names and shapes ---

using head_map = std::map<int, std::set<int>>; // layer -> head indices

/// The head indices each "blocks.<l>.sa.heads.<h>." array names, by layer.
head_map head_indices(const npz_archive& ar) {
  head_map heads;
  for (const auto& [name, arr] : ar) {
    if (name.compare(0, 7, "blocks.") != 0)
      continue;
    std::size_t after = 0;
    int l = index_at(name, 7, after);
    if (l < 0)
      continue;
    auto& hs = heads[l];
    static const std::string h = "sa.heads.";
    if (name.compare(after, h.size(), h) == 0) {
      std::size_t a2 = 0;
      int hh = index_at(name, after + h.size(), a2);
      if (hh >= 0)
        hs.insert(hh);
    }
  }
  return heads;
}

/// Sets n_layer and n_head; every layer must have the same heads 0..n_head-1.
result<void> check_heads(const head_map& heads, const std::string& npz_path, hparams& hp) {
  hp.n_layer = heads.empty() ? 0 : heads.rbegin()->first + 1;
  if (hp.n_layer == 0)
    return fail(errc::bad_checkpoint,
                npz_path + ": missing array 'blocks.0.ln1.weight' (no transformer blocks)");
  hp.n_head = heads.begin()->second.empty() ? 0 : *heads.begin()->second.rbegin() + 1;
  if (heads.begin()->first != 0 || hp.n_head == 0)
    return fail(errc::bad_checkpoint,
                npz_path + ": missing array 'blocks.0.sa.heads.0.key.weight'");
  for (int l = 0; l < hp.n_layer; ++l) {
    auto it = heads.find(l);
    if (it == heads.end())
      return fail(errc::bad_checkpoint,
                  npz_path + ": missing array 'blocks." + std::to_string(l) + ".ln1.weight'");
    if (it->second.empty())
      return fail(errc::bad_checkpoint, npz_path + ": missing array 'blocks." + std::to_string(l)
                                          + ".sa.heads.0.query.weight'");
    if (static_cast<int>(it->second.size()) != *it->second.rbegin() + 1) { // a gap in head indices
      int missing = 0;
      while (it->second.count(missing))
        ++missing;
      return fail(errc::bad_checkpoint, npz_path + ": missing array 'blocks." + std::to_string(l)
                                          + ".sa.heads." + std::to_string(missing)
                                          + ".query.weight'");
    }
    if (it->second.empty() || *it->second.rbegin() + 1 != hp.n_head)
      return fail(errc::bad_checkpoint,
                  npz_path + ": block " + std::to_string(l) + " has "
                    + std::to_string(it->second.empty() ? 0 : *it->second.rbegin() + 1)
                    + " attention heads, block 0 has " + std::to_string(hp.n_head));
  }
  return {};
}

result<void> infer_hparams(const loader& L, const std::string& npz_path, hparams& hp) {
  auto emb = L.dims("embedding_table.weight");
  if (!emb)
    return emb.err();
  auto pos = L.dims("position_embedding_table.weight");
  if (!pos)
    return pos.err();
  hp.vocab_size = static_cast<int>(emb->first);
  hp.n_embd = static_cast<int>(emb->second);
  hp.block_size = static_cast<int>(pos->first);
  if (auto r = check_heads(head_indices(L.ar), npz_path, hp); !r)
    return r.err();
  auto k0 = L.dims("blocks.0.sa.heads.0.key.weight");
  if (!k0)
    return k0.err();
  hp.head_size = static_cast<int>(k0->first);
  auto f0 = L.dims("blocks.0.ffwd.net.0.weight");
  if (!f0)
    return f0.err();
  hp.n_ffwd = static_cast<int>(f0->first);
  if (hp.block_size > max_block)
    return fail(errc::bad_checkpoint, npz_path + ": array 'position_embedding_table.weight' has "
                                        + std::to_string(hp.block_size) + " positions; at most "
                                        + std::to_string(max_block) + " are supported");
  if (static_cast<long>(hp.n_head) * hp.head_size > max_dim)
    return fail(errc::bad_checkpoint, npz_path + ": too many attention heads");
  return {};
}

// --- every array, shape-checked ---

/// The array sizes hparams imply, in the names the shape checks use.
struct sizes {
  std::size_t V, C, B, H, HS, A, F;
  explicit sizes(const hparams& hp)
      : V(hp.vocab_size), C(hp.n_embd), B(hp.block_size), H(hp.n_head), HS(hp.head_size), A(H * HS),
        F(hp.n_ffwd) {}
};

// The fused QKV matrix: rows [k*A + h*HS, k*A + (h+1)*HS) hold kind k of head h.
result<void> load_fused_qkv(const loader& L, const std::string& pre, const sizes& n,
                            layer_weights& lw, packing_plan& plan) {
  static const char* const kinds[3] = {"query", "key", "value"};
  std::vector<const npy_array*> parts(3 * n.H);
  for (std::size_t h = 0; h < n.H; ++h)
    for (std::size_t k = 0; k < 3; ++k) {
      auto a =
        L.get(pre + "sa.heads." + std::to_string(h) + "." + kinds[k] + ".weight", {n.HS, n.C});
      if (!a)
        return a.err();
      parts[k * n.H + h] = *a;
    }
  plan.add(lw.wqkv, 3 * n.A, n.C);
  for (std::size_t h = 0; h < n.H; ++h)
    for (std::size_t k = 0; k < 3; ++k)
      plan.add_rows(lw.wqkv, k * n.A + h * n.HS, *parts[k * n.H + h]);
  return {};
}

#define SONNET_TRY(expr)                                                                           \
  if (!(r = (expr)))                                                                               \
    return r.err();

result<void> load_layer(const loader& L, int l, const sizes& n, layer_weights& lw,
                        packing_plan& plan) {
  const std::string pre = "blocks." + std::to_string(l) + ".";
  result<void> r;
  SONNET_TRY(L.vector(pre + "ln1.weight", n.C, lw.ln1_w));
  SONNET_TRY(L.vector(pre + "ln1.bias", n.C, lw.ln1_b));
  SONNET_TRY(load_fused_qkv(L, pre, n, lw, plan));
  SONNET_TRY(L.packed(pre + "sa.proj.weight", n.C, n.A, lw.proj, plan));
  SONNET_TRY(L.vector(pre + "sa.proj.bias", n.C, lw.proj_b));
  pad_vector(lw.proj_b);
  SONNET_TRY(L.vector(pre + "ln2.weight", n.C, lw.ln2_w));
  SONNET_TRY(L.vector(pre + "ln2.bias", n.C, lw.ln2_b));
  SONNET_TRY(L.packed(pre + "ffwd.net.0.weight", n.F, n.C, lw.fc1, plan));
  SONNET_TRY(L.vector(pre + "ffwd.net.0.bias", n.F, lw.fc1_b));
  pad_vector(lw.fc1_b);
  SONNET_TRY(L.packed(pre + "ffwd.net.2.weight", n.C, n.F, lw.fc2, plan));
  SONNET_TRY(L.vector(pre + "ffwd.net.2.bias", n.C, lw.fc2_b));
  pad_vector(lw.fc2_b);
  return {};
}

/// Checks every array, then packs the weights into their one arena.
result<void> load_weights(const loader& L, const hparams& hp, weights& w) {
  const sizes n(hp);
  packing_plan plan;
  result<void> r;
  SONNET_TRY(L.matrix("embedding_table.weight", n.V, n.C, w.tok_emb));
  SONNET_TRY(L.matrix("position_embedding_table.weight", n.B, n.C, w.pos_emb));
  w.layers.resize(static_cast<std::size_t>(hp.n_layer));
  for (int l = 0; l < hp.n_layer; ++l)
    SONNET_TRY(load_layer(L, l, n, w.layers[static_cast<std::size_t>(l)], plan));
  SONNET_TRY(L.vector("ln_f.weight", n.C, w.lnf_w));
  SONNET_TRY(L.vector("ln_f.bias", n.C, w.lnf_b));
  SONNET_TRY(L.packed("lm_head.weight", n.V, n.C, w.lm_head, plan));
  SONNET_TRY(L.vector("lm_head.bias", n.V, w.lm_head_b));
  pad_vector(w.lm_head_b);
  plan.place(w);
  return {};
}

#undef SONNET_TRY

// --- attention scale ---

// A checkpoint that records its attention scale is run with it whatever the variant: the
// variants' rules describe the reference checkpoint's two histories, not other models.
result<void> choose_attn_scale(const npz_archive& ar, const std::string& npz_path, numerics variant,
                               model::impl& p) {
  if (auto it = ar.find("attn_scale"); it != ar.end()) {
    const npy_array& a = it->second;
    const std::string what = npz_path + ": array 'attn_scale' ";
    if (a.dtype == npy_dtype::u1)
      return fail(errc::bad_checkpoint, what + "has dtype uint8, expected float32 or float64");
    if (a.shape != std::vector<std::size_t>{1})
      return fail(errc::bad_checkpoint,
                  what + "has shape " + shape_string(a.shape) + ", expected (1,)");
    if (!std::isfinite(a.values[0]) || !(a.values[0] > 0.0f)) {
      char v[32];
      std::snprintf(v, sizeof v, "%g", static_cast<double>(a.values[0]));
      return fail(errc::bad_checkpoint, what + "holds " + v + ", expected a finite number > 0");
    }
    p.attn_scale = a.values[0];
    p.attn_scale_source = "array 'attn_scale' in " + npz_path;
    p.attn_scale_from_checkpoint = true;
  } else if (variant == numerics::as_trained) {
    p.attn_scale = 1.0f / std::sqrt(static_cast<float>(p.hp.n_embd));
    p.attn_scale_source = "as_trained: 1/sqrt(n_embd)";
  } else {
    p.attn_scale = 1.0f / std::sqrt(static_cast<float>(p.hp.head_size));
    p.attn_scale_source = "numpy_port: 1/sqrt(head_size)";
  }
  return {};
}

// --- vocabulary ---

/// The vocabulary must have one distinct byte per embedding row.
result<void> load_vocab(const npz_archive& ar, const std::string& npz_path,
                        const load_options& opts, model::impl& p) {
  auto voc = resolve_vocab(ar, npz_path, opts);
  if (!voc)
    return voc.err();
  const auto& [chars, source] = *voc;
  const std::size_t V = p.hp.vocab_size;
  if (chars.size() != V)
    return fail(errc::bad_vocabulary, "vocabulary " + source + " has "
                                        + std::to_string(chars.size()) + " chars but " + npz_path
                                        + " has " + std::to_string(V)
                                        + " embedding rows; use the vocabulary of the corpus the "
                                          "checkpoint was trained on");
  bool seen[256] = {};
  for (char c : chars) {
    auto u = static_cast<unsigned char>(c);
    if (seen[u])
      return fail(errc::bad_vocabulary,
                  "vocabulary " + source + " lists byte " + std::to_string(u) + " twice");
    seen[u] = true;
  }
  p.vocab = vocabulary(chars);
  p.vocab_source = source;
  return {};
}

result<std::unique_ptr<model::impl>> load_model_impl(const std::string& npz_path,
                                                     const load_options& opts) {
  auto ar_r = read_npz(npz_path);
  if (!ar_r)
    return ar_r.err();
  const npz_archive& ar = *ar_r;
  loader L{ar, npz_path};
  auto p = std::make_unique<model::impl>();
  p->path = npz_path;
  p->variant = opts.variant;
  if (auto r = infer_hparams(L, npz_path, p->hp); !r)
    return r.err();
  if (auto r = load_weights(L, p->hp, p->w); !r)
    return r.err();
  if (auto r = choose_attn_scale(ar, npz_path, opts.variant, *p); !r)
    return r.err();
  if (auto r = load_vocab(ar, npz_path, opts, *p); !r)
    return r.err();
  return p;
}

} // namespace

} // namespace sonnet::model
