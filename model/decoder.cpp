// --- decoder: one sequence, its window, KV cache and RNG -----------------------------------------
#include "model/detail.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace sonnet::model {

int default_stride(int block_size) {
  // Chosen from bench/model/window_loss (model/README.md): S = 3/8 of the window (24 for 64) had
  // the lowest held-out loss of the strides measured, at ~5x the exact mode's speed per token.
  return std::max(1, std::min(block_size - 1, block_size * 3 / 8));
}

// --- sequence: the state both decoders run the same code on ----------------------------------------

void init_sequence(const model::impl& m, sequence& s, window_mode mode, int stride, float* kv) {
  s.mode = mode;
  const int B = m.hp.block_size;
  s.stride = stride > 0 ? stride : default_stride(B);
  s.stride = std::max(1, std::min(s.stride, B - 1));
  if (B == 1)
    s.stride = 1;
  init_kv_cache(m, s.cache, kv);
  s.win.reserve(static_cast<std::size_t>(B) + 1);
  s.logits.assign(static_cast<std::size_t>(m.hp.vocab_size), 0.f);
  s.probs.reserve(static_cast<std::size_t>(m.hp.vocab_size));
  s.idx.reserve(static_cast<std::size_t>(m.hp.vocab_size));
  start_sequence(m, s, "\n", sampling{});
}

void start_sequence(const model::impl& m, sequence& s, std::string_view prompt,
                    const sampling& smp) {
  if (prompt.empty())
    prompt = "\n";
  const std::size_t B = static_cast<std::size_t>(m.hp.block_size);
  if (prompt.size() > B)
    prompt = prompt.substr(prompt.size() - B);
  s.win.clear();
  for (char c : prompt)
    s.win.push_back(m.vocab.encode_char(c));
  s.n_cached = 0;
  s.logits_valid = false;
  s.samp = smp;
  s.r.seed(smp.seed);
  s.generated = 0;
}

void push_token(const model::impl& m, sequence& s, int id) {
  if (id < 0 || id >= m.hp.vocab_size)
    id = m.vocab.encode_char(' ');
  const std::size_t B = static_cast<std::size_t>(m.hp.block_size);
  if (s.win.size() < B) {
    s.win.push_back(id);
  } else {
    // Window full: every cached position is stale once it slides. Keep the last `keep` chars
    // (including `id`) and recompute them in one batched pass on the next logits().
    const std::size_t keep = s.mode == window_mode::exact
                               ? B
                               : std::max<std::size_t>(1, B - static_cast<std::size_t>(s.stride));
    s.win.push_back(id); // capacity is B + 1: no allocation
    s.win.erase(s.win.begin(), s.win.end() - static_cast<std::ptrdiff_t>(keep));
    s.n_cached = 0;
  }
  s.logits_valid = false;
}

void append_rows(sequence& s, std::vector<step_row>& rows) {
  const int n = static_cast<int>(s.win.size());
  for (int p = s.n_cached; p < n; ++p)
    rows.push_back(step_row{s.win[static_cast<std::size_t>(p)], p, &s.cache, p == n - 1});
}

void take_logits(sequence& s, const float* logits) {
  std::copy(logits, logits + s.logits.size(), s.logits.data());
  s.n_cached = static_cast<int>(s.win.size());
  s.logits_valid = true;
}

int sample_and_push(const model::impl& m, sequence& s, const float* logits) {
  const int id = sample_token(logits, m.hp.vocab_size, s.samp, s.r, s.probs, s.idx);
  push_token(m, s, id);
  ++s.generated;
  return id;
}

// --- decoder: one sequence, the batch path with one row -------------------------------------------

struct decoder::state {
  std::shared_ptr<const model> owner;
  const model::impl* m = nullptr;
  page_buffer kv;
  sequence seq;
  step_workspace ws;
  std::vector<step_row> rows;
};

decoder::decoder(std::shared_ptr<const model> m, window_mode mode, int stride)
    : st_(std::make_unique<state>()) {
  auto& s = *st_;
  s.owner = std::move(m);
  s.m = &s.owner->internals();
  s.kv = page_buffer(static_cast<std::size_t>(kv_cache_floats(*s.m)) * sizeof(float));
  init_sequence(*s.m, s.seq, mode, stride, static_cast<float*>(s.kv.data()));
  reserve_step_workspace(*s.m, s.ws, s.m->hp.block_size); // a whole window
  s.rows.reserve(static_cast<std::size_t>(s.m->hp.block_size));
}

decoder::~decoder() = default;
decoder::decoder(decoder&&) noexcept = default;
decoder& decoder::operator=(decoder&&) noexcept = default;

void decoder::start(std::string_view prompt, const sampling& smp) {
  start_sequence(*st_->m, st_->seq, prompt, smp);
}

const std::vector<float>& decoder::logits() {
  auto& s = *st_;
  auto& q = s.seq;
  if (!q.logits_valid) {
    s.rows.clear();
    append_rows(q, s.rows);
    forward_step(*s.m, s.ws, s.rows.data(), static_cast<int>(s.rows.size()));
    take_logits(q, s.ws.logits.data());
  }
  return q.logits;
}

void decoder::push(int id) {
  push_token(*st_->m, st_->seq, id);
}

int decoder::next() {
  const auto& lg = logits();
  return sample_and_push(*st_->m, st_->seq, lg.data());
}

std::string decoder::generate(int n_tokens) {
  std::string out;
  out.reserve(static_cast<std::size_t>(std::max(0, n_tokens)));
  for (int i = 0; i < n_tokens; ++i)
    out.push_back(st_->m->vocab.at(next()));
  return out;
}

int decoder::tokens_generated() const {
  return st_->seq.generated;
}

std::string decoder::context() const {
  return st_->m->vocab.decode(st_->seq.win);
}
window_mode decoder::mode() const {
  return st_->seq.mode;
}
int decoder::stride() const {
  return st_->seq.stride;
}
const model& decoder::get_model() const {
  return *st_->owner;
}

// --- batch_decoder: many sequences, one forward_step per token ------------------------------------
//
// A step gathers the rows of every sequence that needs logits (one row after a token, the window
// after a slide) into forward_step calls of at most max_step_rows rows, a sequence never split
// across calls; window recomputes so share the weight reads with everything else.

struct batch_decoder::state {
  struct slot {
    sequence seq;
    bool used = false;
    bool finished = false;
    int target = 0;
    std::string text;
  };
  std::shared_ptr<const model> owner;
  const model::impl* m = nullptr;
  window_mode mode = window_mode::strided;
  int stride = 0;
  std::vector<std::unique_ptr<slot>> slots; // index = id; released slots are reused
  std::vector<page_buffer> kv_slabs;        // slot i's K/V cache: kv_slabs[i / kv_slab_caches]
  step_workspace ws;
  std::vector<step_row> rows; // one forward_step call's rows
  std::vector<int> row_slot;  // the slots of its head rows, in order
  std::vector<int> active;    // unfinished slots, in id order of addition
  int used = 0;
  int64_t tokens = 0; // generated since construction

  slot& at(int id) {
    if (id < 0 || id >= static_cast<int>(slots.size())
        || !slots[static_cast<std::size_t>(id)]->used)
      throw std::out_of_range("batch_decoder: no sequence " + std::to_string(id));
    return *slots[static_cast<std::size_t>(id)];
  }
};

batch_decoder::batch_decoder(std::shared_ptr<const model> m, window_mode mode, int stride)
    : st_(std::make_unique<state>()) {
  auto& s = *st_;
  s.owner = std::move(m);
  s.m = &s.owner->internals();
  s.mode = mode;
  s.stride = stride;
  const int cap = max_step_rows(s.m->hp);
  reserve_step_workspace(*s.m, s.ws, cap);
  s.rows.reserve(static_cast<std::size_t>(cap));
}

batch_decoder::~batch_decoder() = default;
batch_decoder::batch_decoder(batch_decoder&&) noexcept = default;
batch_decoder& batch_decoder::operator=(batch_decoder&&) noexcept = default;

int batch_decoder::add(std::string_view prompt, const sampling& smp, int n_tokens) {
  auto& s = *st_;
  std::size_t id = 0;
  while (id < s.slots.size() && s.slots[id]->used)
    ++id;
  if (id == s.slots.size()) {
    const Eigen::Index floats = kv_cache_floats(*s.m);
    if (id % kv_slab_caches == 0)
      s.kv_slabs.emplace_back(static_cast<std::size_t>(floats * kv_slab_caches) * sizeof(float));
    float* kv = static_cast<float*>(s.kv_slabs.back().data())
                + floats * static_cast<Eigen::Index>(id % kv_slab_caches);
    s.slots.push_back(std::make_unique<state::slot>());
    init_sequence(*s.m, s.slots.back()->seq, s.mode, s.stride, kv);
  }
  auto& sl = *s.slots[id];
  sl.used = true;
  sl.target = std::max(0, n_tokens);
  sl.finished = sl.target == 0;
  sl.text.clear();
  sl.text.reserve(static_cast<std::size_t>(sl.target));
  start_sequence(*s.m, sl.seq, prompt, smp);
  ++s.used;
  if (!sl.finished)
    s.active.push_back(static_cast<int>(id));
  // Sized for every sequence held, so steps never allocate.
  s.row_slot.reserve(s.slots.size());
  s.active.reserve(s.slots.size());
  return static_cast<int>(id);
}

int batch_decoder::step(int k) {
  auto& s = *st_;
  const auto& m = *s.m;
  const int cap = max_step_rows(m.hp);
  auto run = [&] {
    if (s.rows.empty())
      return;
    forward_step(m, s.ws, s.rows.data(), static_cast<int>(s.rows.size()));
    for (std::size_t i = 0; i < s.row_slot.size(); ++i)
      take_logits(s.slots[static_cast<std::size_t>(s.row_slot[i])]->seq,
                  s.ws.logits.data() + static_cast<Eigen::Index>(i) * s.ws.logits.cols());
    s.rows.clear();
    s.row_slot.clear();
  };
  for (int t = 0; t < k && !s.active.empty(); ++t) {
    for (int id : s.active) {
      auto& q = s.slots[static_cast<std::size_t>(id)]->seq;
      if (q.logits_valid)
        continue;
      if (static_cast<int>(s.rows.size()) + pending_rows(q) > cap)
        run();
      append_rows(q, s.rows);
      s.row_slot.push_back(id);
    }
    run();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < s.active.size(); ++i) {
      const int id = s.active[i];
      auto& sl = *s.slots[static_cast<std::size_t>(id)];
      sl.text.push_back(m.vocab.at(sample_and_push(m, sl.seq, sl.seq.logits.data())));
      if (sl.seq.generated >= sl.target)
        sl.finished = true;
      else
        s.active[kept++] = id;
    }
    s.tokens += static_cast<int64_t>(s.active.size());
    s.active.resize(kept);
  }
  return static_cast<int>(s.active.size());
}

bool batch_decoder::finished(int id) const {
  return st_->at(id).finished;
}
int batch_decoder::tokens_generated(int id) const {
  return st_->at(id).seq.generated;
}
const std::string& batch_decoder::text(int id) const {
  return st_->at(id).text;
}

std::string batch_decoder::release(int id) {
  auto& s = *st_;
  auto& sl = s.at(id);
  std::string out = std::move(sl.text);
  sl.text = std::string();
  sl.used = false;
  sl.finished = false;
  --s.used;
  auto it = std::find(s.active.begin(), s.active.end(), id);
  if (it != s.active.end())
    s.active.erase(it);
  return out;
}

int batch_decoder::size() const {
  return st_->used;
}
int batch_decoder::unfinished() const {
  return static_cast<int>(st_->active.size());
}
int64_t batch_decoder::tokens_total() const {
  return st_->tokens;
}
window_mode batch_decoder::mode() const {
  return st_->mode;
}
int batch_decoder::stride() const {
  const int B = st_->m->hp.block_size;
  if (B == 1)
    return 1;
  return std::max(1, std::min(st_->stride > 0 ? st_->stride : default_stride(B), B - 1));
}
const model& batch_decoder::get_model() const {
  return *st_->owner;
}

std::vector<float> last_logits(const model& mdl, std::string_view prompt) {
  const auto& m = mdl.internals();
  page_buffer kv(static_cast<std::size_t>(kv_cache_floats(m)) * sizeof(float));
  sequence s; // a fresh one: start_sequence keeps the prompt's last block_size chars
  init_sequence(m, s, window_mode::exact, 0, static_cast<float*>(kv.data()));
  start_sequence(m, s, prompt, sampling{});
  step_workspace ws;
  reserve_step_workspace(m, ws, pending_rows(s));
  std::vector<step_row> rows;
  append_rows(s, rows);
  forward_step(m, ws, rows.data(), static_cast<int>(rows.size()));
  return std::vector<float>(ws.logits.data(), ws.logits.data() + m.hp.vocab_size);
}

} // namespace sonnet::model
