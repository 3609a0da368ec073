// The training loop: batches, data-parallel forward/backward on every thread, AdamW, periodic
// evaluation and checkpoints, interruption and resumption.
#include "train/train.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <thread>

namespace sonnet::train {

namespace {

using clock_type = std::chrono::steady_clock;

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Runs f(0..n-1), f(0) on the calling thread.
template <class F>
void parallel(int n, F&& f) {
  std::vector<std::thread> ts;
  for (int k = 1; k < n; ++k)
    ts.emplace_back([&f, k] { f(k); });
  f(0);
  for (auto& t : ts)
    t.join();
}

int thread_count(int requested) {
  if (requested > 0)
    return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// FNV-1a over bytes, continuing from `h`.
uint64_t fnv(const void* data, std::size_t n, uint64_t h = 1469598103934665603ULL) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (std::size_t i = 0; i < n; ++i)
    h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

uint64_t digest(const corpus& c) {
  return fnv(c.val.data(), c.val.size(),
             fnv(c.train.data(), c.train.size(), fnv(c.vocab.data(), c.vocab.size())));
}

// The weights a state file belongs to: checkpoint and state are renamed one after the other, so
// a crash between the two leaves a pair from different steps.
std::string weights_digest(const checkpoint& c) {
  return std::to_string(fnv(c.params.data(), c.params.size() * sizeof(float)));
}

// What a resumed run must share with the interrupted one.
std::string run_identity(const config& cfg, const shape& s, float attn_scale,
                         uint64_t corpus_digest) {
  nlohmann::json j{{"layers", s.n_layer},
                   {"heads", s.n_head},
                   {"embd", s.n_embd},
                   {"block", s.block_size},
                   {"vocab_size", s.vocab_size},
                   {"batch", cfg.batch},
                   {"lr", cfg.lr},
                   {"beta1", cfg.beta1},
                   {"beta2", cfg.beta2},
                   {"eps", cfg.eps},
                   {"weight_decay", cfg.weight_decay},
                   {"dropout", cfg.dropout},
                   {"seed", cfg.seed},
                   {"val_fraction", cfg.val_fraction},
                   {"attn_scale", attn_scale},
                   {"corpus_digest", std::to_string(corpus_digest)}};
  return j.dump();
}

result<void> check_config(const config& c) {
  auto bad = [](const std::string& m) { return fail(errc::invalid_argument, m); };
  const auto& s = c.size;
  if (s.n_layer < 1 || s.n_head < 1 || s.n_embd < 1 || s.block_size < 2)
    return bad("layers, heads and embd must be >= 1 and block >= 2");
  if (s.n_embd % s.n_head != 0)
    return bad("embd (" + std::to_string(s.n_embd) + ") must be a multiple of heads ("
               + std::to_string(s.n_head) + ")");
  if (c.steps < 1 || c.batch < 1)
    return bad("steps and batch must be >= 1");
  if (!(c.lr > 0) || !std::isfinite(c.lr))
    return bad("lr must be a finite number > 0");
  if (!(c.dropout >= 0 && c.dropout < 1))
    return bad("dropout must be in [0, 1)");
  if (!(c.val_fraction > 0 && c.val_fraction <= 0.5))
    return bad("val-fraction must be in (0, 0.5]");
  if (c.threads < 0)
    return bad("threads must be >= 0");
  return {};
}

} // namespace

double evaluate(const checkpoint& c, const std::vector<uint8_t>& ids, int max_windows,
                int threads) {
  const int T = c.size.block_size;
  if (ids.size() < static_cast<std::size_t>(T) + 1)
    return std::nan("");
  const int64_t all = static_cast<int64_t>((ids.size() - 1) / static_cast<std::size_t>(T));
  const int64_t n = max_windows > 0 && max_windows < all ? max_windows : all;
  const int nt = static_cast<int>(std::min<int64_t>(thread_count(threads), n));
  std::vector<double> sums(static_cast<std::size_t>(nt), 0.0);
  parallel(nt, [&](int k) {
    network<float> net(c.size, c.attn_scale);
    constexpr int chunk = 16;
    std::vector<uint8_t> x(static_cast<std::size_t>(chunk) * T), y(x.size());
    const int64_t lo = n * k / nt, hi = n * (k + 1) / nt;
    for (int64_t w0 = lo; w0 < hi; w0 += chunk) {
      const int b = static_cast<int>(std::min<int64_t>(chunk, hi - w0));
      for (int i = 0; i < b; ++i) {
        const int64_t window = (w0 + i) * all / n; // evenly spread when subsampling
        const uint8_t* src = ids.data() + window * T;
        std::memcpy(x.data() + static_cast<std::size_t>(i) * T, src, static_cast<std::size_t>(T));
        std::memcpy(y.data() + static_cast<std::size_t>(i) * T, src + 1,
                    static_cast<std::size_t>(T));
      }
      sums[static_cast<std::size_t>(k)] +=
        net.run(c.params.data(), x.data(), y.data(), b, nullptr, 0, 0, 0, 0);
    }
  });
  double total = 0;
  for (double s : sums)
    total += s;
  return total / static_cast<double>(n * T);
}

result<summary> run_training(const options& o,
                             const std::function<void(const progress&)>& on_progress,
                             const std::atomic<bool>* stop) {
  const auto started = clock_type::now();
  config cfg = o.cfg;
  if (auto r = check_config(cfg); !r)
    return r.err();
  if (o.out.empty())
    return fail(errc::invalid_argument, "no output path given");
  if (o.resume && !o.init.empty())
    return fail(errc::invalid_argument, "--resume continues the run at --out; it takes no --init");

  // --- model and corpus ---
  checkpoint ck;
  corpus data;
  optimizer_state opt;
  const std::string state_path = o.out + ".state";
  if (o.resume) {
    auto c = read_checkpoint(o.out);
    if (!c)
      return c.err();
    auto st = read_optimizer_state(state_path);
    if (!st)
      return st.err();
    ck = std::move(*c);
    opt = std::move(*st);
    // The interrupted run's settings win; only steps and threads come from this command.
    try {
      auto j = nlohmann::json::parse(opt.config_json);
      cfg.batch = j.at("batch");
      cfg.lr = j.at("lr");
      cfg.beta1 = j.at("beta1");
      cfg.beta2 = j.at("beta2");
      cfg.eps = j.at("eps");
      cfg.weight_decay = j.at("weight_decay");
      cfg.dropout = j.at("dropout");
      cfg.seed = j.at("seed");
      cfg.val_fraction = j.at("val_fraction");
    } catch (const std::exception& e) {
      return fail(errc::bad_checkpoint,
                  state_path + ": unreadable run settings (" + e.what() + ")");
    }
    if (opt.m.size() != ck.params.size())
      return fail(errc::bad_checkpoint, state_path + ": optimizer state does not match " + o.out);
  } else if (!o.init.empty()) {
    auto c = read_checkpoint(o.init);
    if (!c)
      return c.err();
    ck = std::move(*c);
    const auto& s = ck.size;
    const auto& w = cfg.size;
    if (o.size_given
        && (s.n_layer != w.n_layer || s.n_head != w.n_head || s.n_embd != w.n_embd
            || s.block_size != w.block_size))
      return fail(errc::invalid_argument,
                  o.init + " has layers " + std::to_string(s.n_layer) + ", heads "
                    + std::to_string(s.n_head) + ", embd " + std::to_string(s.n_embd) + ", block "
                    + std::to_string(s.block_size) + "; the size flags ask for "
                    + std::to_string(w.n_layer) + ", " + std::to_string(w.n_head) + ", "
                    + std::to_string(w.n_embd) + ", " + std::to_string(w.block_size)
                    + " (drop them to fine-tune at the checkpoint's size)");
  }
  {
    auto c = load_corpus(o.corpora, cfg.val_fraction,
                         o.resume || !o.init.empty() ? ck.size.block_size : cfg.size.block_size,
                         o.resume || !o.init.empty() ? ck.vocab : std::string());
    if (!c)
      return c.err();
    data = std::move(*c);
  }
  if (!o.resume && o.init.empty()) {
    shape s = cfg.size;
    s.vocab_size = static_cast<int>(data.vocab.size());
    const float scale = cfg.attn_scale > 0 ? static_cast<float>(cfg.attn_scale)
                                           : 1.0f / std::sqrt(static_cast<float>(s.head_size()));
    ck = init_checkpoint(s, data.vocab, scale, mix(cfg.seed ^ 0x1417), cfg.init);
  }
  cfg.size = ck.size;
  const std::string identity = run_identity(cfg, ck.size, ck.attn_scale, digest(data));
  if (o.resume) {
    auto stored = nlohmann::json::parse(opt.config_json);
    if (stored.value("weights", std::string()) != weights_digest(ck))
      return fail(errc::bad_checkpoint,
                  "--resume: " + o.out + " and " + state_path
                    + " are not from the same step (a crash "
                    + "between their writes?); continue from the weights alone with --init " + o.out
                    + " and another --out");
    stored.erase("steps");
    stored.erase("weights");
    if (stored.dump() != identity)
      return fail(errc::bad_corpus,
                  "--resume: the corpus or settings differ from the interrupted run's ("
                    + state_path + ")");
  } else {
    opt.m.assign(ck.params.size(), 0.f);
    opt.v.assign(ck.params.size(), 0.f);
    opt.step = 0;
  }
  if (opt.step >= cfg.steps)
    return fail(errc::invalid_argument, "--steps " + std::to_string(cfg.steps) + " is not past the "
                                          + std::to_string(opt.step) + " steps already taken");
  auto save = [&]() -> result<void> {
    auto j = nlohmann::json::parse(identity);
    j["steps"] = cfg.steps;
    j["weights"] = weights_digest(ck);
    opt.config_json = j.dump();
    if (auto r = write_checkpoint(ck, o.out); !r)
      return r;
    return write_optimizer_state(opt, state_path);
  };

  // --- the loop ---
  const int B = cfg.batch, T = ck.size.block_size;
  const int nt = std::min(thread_count(cfg.threads), B);
  const std::size_t P = ck.params.size();
  std::vector<network<float>> nets;
  for (int k = 0; k < nt; ++k)
    nets.emplace_back(ck.size, ck.attn_scale);
  std::vector<aligned_vector<float>> grads(static_cast<std::size_t>(nt), aligned_vector<float>(P));
  std::vector<double> losses(static_cast<std::size_t>(nt));
  std::vector<uint8_t> xs(static_cast<std::size_t>(B) * T), ys(xs.size());
  const uint64_t range = data.train.size() - static_cast<std::size_t>(T);
  const uint64_t batch_key = mix(cfg.seed ^ 0xba7c4), dropout_key = mix(cfg.seed ^ 0xd209);
  const int64_t first_step = opt.step;
  double step_seconds = 0, window_loss = 0;
  int window_steps = 0;
  auto last_report = clock_type::now();
  const int eval_windows = cfg.eval_windows > 0 ? cfg.eval_windows : 200;
  summary out;
  out.out = o.out;
  out.unknown_chars = data.unknown_chars;
  out.parameters = P;
  out.size = ck.size;
  out.attn_scale = ck.attn_scale;
  out.threads = nt;

  for (int64_t step = opt.step + 1; step <= cfg.steps; ++step) {
    if (stop && stop->load()) {
      if (auto r = save(); !r)
        return r.err();
      out.interrupted = true;
      break;
    }
    const auto t0 = clock_type::now();
    for (int i = 0; i < B; ++i) {
      const uint64_t at =
        mix(batch_key ^ mix(static_cast<uint64_t>(step) * static_cast<uint64_t>(B) + i)) % range;
      std::memcpy(xs.data() + static_cast<std::size_t>(i) * T, data.train.data() + at,
                  static_cast<std::size_t>(T));
      std::memcpy(ys.data() + static_cast<std::size_t>(i) * T, data.train.data() + at + 1,
                  static_cast<std::size_t>(T));
    }
    const double scale = 1.0 / (static_cast<double>(B) * T);
    parallel(nt, [&](int k) {
      const int lo = B * k / nt, hi = B * (k + 1) / nt;
      auto& g = grads[static_cast<std::size_t>(k)];
      std::fill(g.begin(), g.end(), 0.f);
      losses[static_cast<std::size_t>(k)] = nets[static_cast<std::size_t>(k)].run(
        ck.params.data(), xs.data() + static_cast<std::size_t>(lo) * T,
        ys.data() + static_cast<std::size_t>(lo) * T, hi - lo, g.data(), scale, cfg.dropout,
        dropout_key, static_cast<uint64_t>(step) * static_cast<uint64_t>(B) + lo);
    });
    double loss = 0;
    for (double l : losses)
      loss += l;
    loss *= scale;
    // Gradient sum (in thread order: the same bits for the same thread count), then AdamW, each
    // thread on its own slice of the parameters.
    std::vector<char> ok(static_cast<std::size_t>(nt), 1);
    auto slice = [&](int k) {
      return std::pair<std::size_t, std::size_t>{
        P * static_cast<std::size_t>(k) / static_cast<std::size_t>(nt),
        P * static_cast<std::size_t>(k + 1) / static_cast<std::size_t>(nt)};
    };
    parallel(nt, [&](int k) {
      const auto [lo, hi] = slice(k);
      float* g = grads[0].data();
      for (int t = 1; t < nt; ++t) {
        const float* gt = grads[static_cast<std::size_t>(t)].data();
        for (std::size_t i = lo; i < hi; ++i)
          g[i] += gt[i];
      }
      bool fine = true;
      for (std::size_t i = lo; i < hi; ++i)
        fine &= std::isfinite(g[i]);
      ok[static_cast<std::size_t>(k)] = fine;
    });
    if (!std::isfinite(loss) || std::count(ok.begin(), ok.end(), 0) > 0) {
      // No update yet: the weights are the last good ones.
      auto r = save();
      return fail(
        errc::training_diverged,
        "non-finite loss or gradient at step " + std::to_string(step) + "; "
          + (r ? "the last good checkpoint (step " + std::to_string(opt.step) + ") is at " + o.out
               : "writing the last good checkpoint failed: " + r.err().message)
          + "; try a lower --lr");
    }
    parallel(nt, [&](int k) {
      const auto [lo, hi] = slice(k);
      adamw_step(ck.params.data() + lo, grads[0].data() + lo, opt.m.data() + lo, opt.v.data() + lo,
                 hi - lo, step, cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, cfg.weight_decay);
      bool fine = true;
      for (std::size_t i = lo; i < hi; ++i)
        fine &= std::isfinite(ck.params[i]);
      ok[static_cast<std::size_t>(k)] = fine;
    });
    if (std::count(ok.begin(), ok.end(), 0) > 0)
      // An update that overflowed: these weights are lost, the last periodic checkpoint is not.
      return fail(errc::training_diverged, "non-finite weights after the update of step "
                                             + std::to_string(step)
                                             + "; the last periodic checkpoint at " + o.out
                                             + " (if one was written) is kept; try a lower --lr");
    opt.step = step;
    step_seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
    window_loss += loss;
    ++window_steps;

    const bool eval_now =
      cfg.eval_interval > 0 && step % cfg.eval_interval == 0 && step < cfg.steps;
    const auto now = clock_type::now();
    if (eval_now || std::chrono::duration<double>(now - last_report).count() >= 2.0) {
      progress p;
      p.step = step;
      p.steps = cfg.steps;
      p.train_loss = window_loss / window_steps;
      const double done = static_cast<double>(step - first_step);
      p.tokens_per_s = done * B * T / std::max(step_seconds, 1e-9);
      p.elapsed_s = std::chrono::duration<double>(now - started).count();
      p.eta_s = step_seconds / done * static_cast<double>(cfg.steps - step);
      if (eval_now) {
        p.val_loss = evaluate(ck, data.val, eval_windows, nt);
        if (auto r = save(); !r) // a crash from here on loses at most eval_interval steps
          return r.err();
      }
      if (on_progress)
        on_progress(p);
      window_loss = 0;
      window_steps = 0;
      last_report = clock_type::now();
    }
  }
  if (!out.interrupted)
    if (auto r = save(); !r)
      return r.err();

  out.steps = opt.step;
  const double done = static_cast<double>(opt.step - first_step);
  out.tokens_per_s = done > 0 ? done * B * T / std::max(step_seconds, 1e-9) : 0;
  // Both losses in eval mode (no dropout): all held-out windows, 1000 training windows.
  out.val_loss = evaluate(ck, data.val, 0, nt);
  out.train_loss = evaluate(ck, data.train, 1000, nt);
  out.seconds = std::chrono::duration<double>(clock_type::now() - started).count();
  return out;
}

} // namespace sonnet::train
