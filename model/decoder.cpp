// --- decoder: one sequence, its window, KV cache and RNG -----------------------------------------
#include "model/detail.hpp"

#include <algorithm>

namespace sonnet::model {

int default_stride(int block_size) {
  // Chosen from bench/model/window_loss (model/README.md): S = 3/8 of the window (24 for 64) had
  // the lowest held-out loss of the strides measured, at ~5x the exact mode's speed per token.
  return std::max(1, std::min(block_size - 1, block_size * 3 / 8));
}

struct decoder::state {
  std::shared_ptr<const model> owner;
  const model::impl* m = nullptr;
  window_mode mode = window_mode::strided;
  int stride = 1;
  run_state rs;
  std::vector<int> win; // tokens at positions 0 .. win.size()-1; capacity block_size
  int n_cached = 0;     // positions whose K/V are valid
  bool logits_valid = false;
  sampling samp;
  rng r{};
  int generated = 0;
  std::vector<float> probs;
  std::vector<int> idx;
};

decoder::decoder(std::shared_ptr<const model> m, window_mode mode, int stride)
    : st_(std::make_unique<state>()) {
  auto& s = *st_;
  s.owner = std::move(m);
  s.m = &s.owner->internals();
  s.mode = mode;
  const int B = s.m->hp.block_size;
  s.stride = stride > 0 ? stride : default_stride(B);
  s.stride = std::max(1, std::min(s.stride, B - 1));
  if (B == 1)
    s.stride = 1;
  init_run_state(*s.m, s.rs);
  s.win.reserve(static_cast<std::size_t>(B) + 1);
  s.probs.reserve(static_cast<std::size_t>(s.m->hp.vocab_size));
  s.idx.reserve(static_cast<std::size_t>(s.m->hp.vocab_size));
  start("\n", sampling{});
}

decoder::~decoder() = default;
decoder::decoder(decoder&&) noexcept = default;
decoder& decoder::operator=(decoder&&) noexcept = default;

void decoder::start(std::string_view prompt, const sampling& smp) {
  auto& s = *st_;
  if (prompt.empty())
    prompt = "\n";
  const std::size_t B = static_cast<std::size_t>(s.m->hp.block_size);
  if (prompt.size() > B)
    prompt = prompt.substr(prompt.size() - B);
  s.win.clear();
  for (char c : prompt)
    s.win.push_back(s.m->vocab.encode_char(c));
  s.n_cached = 0;
  s.logits_valid = false;
  s.samp = smp;
  s.r.seed(smp.seed);
  s.generated = 0;
}

const std::vector<float>& decoder::logits() {
  auto& s = *st_;
  if (!s.logits_valid) {
    const int n = static_cast<int>(s.win.size());
    if (n - s.n_cached == 1)
      forward_token(*s.m, s.rs, s.win[static_cast<std::size_t>(n - 1)], n - 1);
    else
      forward_rows(*s.m, s.rs, s.win.data() + s.n_cached, s.n_cached, n);
    s.n_cached = n;
    s.logits_valid = true;
  }
  return s.rs.logits;
}

void decoder::push(int id) {
  auto& s = *st_;
  if (id < 0 || id >= s.m->hp.vocab_size)
    id = s.m->vocab.encode_char(' ');
  const std::size_t B = static_cast<std::size_t>(s.m->hp.block_size);
  if (s.win.size() < B) {
    s.win.push_back(id);
  } else {
    // Window full: every cached position is stale once it slides. Keep the last `keep` chars
    // (including `id`) and recompute them in one batched pass on the next logits().
    const std::size_t keep =
        s.mode == window_mode::exact ? B : std::max<std::size_t>(1, B - static_cast<std::size_t>(s.stride));
    s.win.push_back(id); // capacity is B + 1: no allocation
    s.win.erase(s.win.begin(), s.win.end() - static_cast<std::ptrdiff_t>(keep));
    s.n_cached = 0;
  }
  s.logits_valid = false;
}

int decoder::next() {
  auto& s = *st_;
  const auto& lg = logits();
  int id = sample_token(lg.data(), static_cast<int>(lg.size()), s.samp, s.r, s.probs, s.idx);
  push(id);
  ++s.generated;
  return id;
}

std::string decoder::generate(int n_tokens) {
  std::string out;
  out.reserve(static_cast<std::size_t>(std::max(0, n_tokens)));
  for (int i = 0; i < n_tokens; ++i)
    out.push_back(st_->m->vocab.at(next()));
  return out;
}

int decoder::tokens_generated() const { return st_->generated; }

std::string decoder::context() const { return st_->m->vocab.decode(st_->win); }
window_mode decoder::mode() const { return st_->mode; }
int decoder::stride() const { return st_->stride; }
const model& decoder::get_model() const { return *st_->owner; }

std::vector<float> last_logits(const model& mdl, std::string_view prompt) {
  const auto& m = mdl.internals();
  if (prompt.empty())
    prompt = "\n";
  const std::size_t B = static_cast<std::size_t>(m.hp.block_size);
  if (prompt.size() > B)
    prompt = prompt.substr(prompt.size() - B);
  std::vector<int> toks = m.vocab.encode(prompt);
  run_state rs;
  init_run_state(m, rs);
  forward_rows(m, rs, toks.data(), 0, static_cast<int>(toks.size()));
  return rs.logits;
}

} // namespace sonnet::model
