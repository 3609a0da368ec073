// window_loss: held-out loss (nats/char) of the decoder's own decoding on the last 10% of
// tinyshakespeare.txt (split as reference.py: cut = int(0.9 * len(data))), teacher-forced:
// predict val[i+1] from what the decoder holds after val[..i].
//
//   window_loss [--variant as_trained|numpy_port] [--strides 8,16,24,32,48] [--threads 2]
//               [--limit N] [--no-exact] [--no-chunked] [--model PATH] [--text PATH]
//
// Rows: `exact` (last 64 chars, one batched pass per token), `strided S=..` (KV cache, slide by
// keeping 64-S chars), and `chunked-64` = non-overlapping 64-char windows with a fresh context
// each (contexts 1..64, 1742 x 64 = 111,488 predictions: the protocol of docs/DESIGN.md §3's 1.5888).
// The predictions are split into --threads contiguous pieces; each piece after the first starts
// with the preceding block_size chars as its prompt.
// Model: --model, else the prototype's reference checkpoint (the one DESIGN's figures are for)
// when ../shared has it, else models/default.npz. Text: --text, else data/tinyshakespeare.txt.
// After the table, each strided row is compared with the first one, prediction by prediction:
// the mean paired difference and its standard error over blocks of 1024 consecutive predictions
// (neighbouring predictions are correlated, so the per-char spread would understate it).

#include "model/model.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sm = sonnet::model;

namespace {

struct outcome {
  double loss_sum = 0;
  long count = 0;
  double ctx_sum = 0;
};

double nll(const std::vector<float>& lg, int y) {
  float mx = lg[0];
  for (float v : lg)
    mx = std::max(mx, v);
  double s = 0;
  for (float v : lg)
    s += std::exp(static_cast<double>(v - mx));
  return std::log(s) + mx - lg[static_cast<std::size_t>(y)];
}

// Predictions i in [a, b): target val[i+1].
// Predictions i in [a, b): target val[i+1]; each loss also goes to per[i] when per is given.
outcome run_piece(const std::shared_ptr<const sm::model>& m, const std::vector<int>& val,
                  const std::string& vtext, sm::window_mode mode, int stride, long a, long b,
                  std::vector<double>* per = nullptr) {
  outcome o;
  const long B = m->hp().block_size;
  sm::decoder d(m, mode, stride);
  long p0 = std::max(0L, a - B + 1);
  d.start(std::string_view(vtext).substr(static_cast<std::size_t>(p0),
                                         static_cast<std::size_t>(a - p0 + 1)),
          {});
  for (long i = a; i < b; ++i) {
    const int y = val[static_cast<std::size_t>(i + 1)];
    const double l = nll(d.logits(), y);
    o.loss_sum += l;
    if (per)
      (*per)[static_cast<std::size_t>(i)] = l;
    o.ctx_sum += static_cast<double>(d.context().size());
    ++o.count;
    d.push(y);
  }
  return o;
}

outcome run_chunked(const std::shared_ptr<const sm::model>& m, const std::vector<int>& val,
                    const std::string& vtext, long w0, long w1) {
  outcome o;
  const long B = m->hp().block_size;
  sm::decoder d(m, sm::window_mode::exact);
  for (long w = w0; w < w1; ++w) {
    d.start(std::string_view(vtext).substr(static_cast<std::size_t>(w * B), 1), {});
    for (long j = 0; j < B; ++j) {
      const int y = val[static_cast<std::size_t>(w * B + j + 1)];
      o.loss_sum += nll(d.logits(), y);
      o.ctx_sum += static_cast<double>(j + 1);
      ++o.count;
      d.push(y);
    }
  }
  return o;
}

template <class F>
outcome parallel(int threads, long n, F f) {
  std::vector<outcome> parts(static_cast<std::size_t>(threads));
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    long a = n * t / threads, b = n * (t + 1) / threads;
    ts.emplace_back([&, t, a, b] { parts[static_cast<std::size_t>(t)] = f(a, b); });
  }
  for (auto& t : ts)
    t.join();
  outcome all;
  for (const auto& p : parts) {
    all.loss_sum += p.loss_sum;
    all.count += p.count;
    all.ctx_sum += p.ctx_sum;
  }
  return all;
}

} // namespace

int main(int argc, char** argv) {
  std::string variant = "as_trained",
              model_path = std::string(SONNET_SHARED_DIR) + "/data/shakespeare_gpt.npz";
  if (!std::filesystem::exists(model_path))
    model_path = SONNET_DEFAULT_MODEL;
  std::string text_path = std::string(SONNET_SOURCE_DIR) + "/data/tinyshakespeare.txt";
  std::vector<int> strides = {8, 16, 24, 32, 48};
  int threads = 2;
  long limit = -1;
  bool do_exact = true, do_chunked = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--variant")
      variant = val();
    else if (a == "--strides") {
      strides.clear();
      std::stringstream ss(val());
      std::string s;
      while (std::getline(ss, s, ','))
        if (!s.empty())
          strides.push_back(std::stoi(s));
    } else if (a == "--threads")
      threads = std::max(1, std::stoi(val()));
    else if (a == "--limit")
      limit = std::stol(val());
    else if (a == "--no-exact")
      do_exact = false;
    else if (a == "--no-chunked")
      do_chunked = false;
    else if (a == "--model")
      model_path = val();
    else if (a == "--text")
      text_path = val();
    else {
      std::fprintf(
        stderr,
        "usage: %s [--variant as_trained|numpy_port] [--strides 8,16] [--threads N] [--limit N] "
        "[--no-exact] [--no-chunked] [--model PATH] [--text PATH]\n",
        argv[0]);
      return 2;
    }
  }
  sm::load_options o;
  o.variant = variant == "numpy_port" ? sm::numerics::numpy_port : sm::numerics::as_trained;
  auto m = sm::load_model(model_path, o);
  if (!m) {
    std::fprintf(stderr, "window_loss: %s\n", m.err().message.c_str());
    return 1;
  }
  std::ifstream f(text_path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "window_loss: cannot read %s\n", text_path.c_str());
    return 1;
  }
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::size_t cut = static_cast<std::size_t>(0.9 * static_cast<double>(text.size()));
  const std::string vtext = text.substr(cut);
  const std::vector<int> val = (*m)->vocab().encode(vtext);
  long n = static_cast<long>(val.size()) - 1;
  if (limit > 0)
    n = std::min(n, limit);
  const long B = (*m)->hp().block_size;
  std::printf("model %s; text %s\n", model_path.c_str(), text_path.c_str());
  std::printf("held-out: %zu chars after cut %zu; %ld predictions; variant %s; %d threads\n\n",
              vtext.size(), cut, n, variant.c_str(), threads);
  std::printf(
    "| decoding | predictions | mean context | loss (nats/char) | seconds | predictions/s |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  auto row = [&](const std::string& name, auto fn, long count) {
    auto t0 = std::chrono::steady_clock::now();
    outcome r = parallel(threads, count, fn);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("| %s | %ld | %.1f | %.4f | %.1f | %.0f |\n", name.c_str(), r.count,
                r.ctx_sum / r.count, r.loss_sum / r.count, s, r.count / s);
    std::fflush(stdout);
  };
  if (do_chunked) {
    long windows = (static_cast<long>(val.size()) - 1) / B;
    if (limit > 0)
      windows = std::min(windows, std::max(1L, limit / B));
    row(
      "chunked-" + std::to_string(B) + " (contexts 1.." + std::to_string(B) + ")",
      [&](long a, long b) { return run_chunked(*m, val, vtext, a, b); }, windows);
  }
  std::vector<std::vector<double>> per(strides.size(),
                                       std::vector<double>(static_cast<std::size_t>(n)));
  for (std::size_t k = 0; k < strides.size(); ++k)
    row(
      "strided S=" + std::to_string(strides[k]),
      [&](long a, long b) {
        return run_piece(*m, val, vtext, sm::window_mode::strided, strides[k], a, b, &per[k]);
      },
      n);
  if (do_exact)
    row(
      "exact",
      [&](long a, long b) { return run_piece(*m, val, vtext, sm::window_mode::exact, 0, a, b); },
      n);
  if (strides.size() > 1) {
    constexpr long block = 1024;
    const long nb = n / block;
    std::printf("\npaired with strided S=%d (blocks of %ld predictions, %ld blocks)\n\n",
                strides[0], block, nb);
    std::printf("| decoding | mean loss difference | standard error | difference / SE "
                "|\n|---|---:|---:|---:|\n");
    for (std::size_t k = 1; k < strides.size() && nb > 1; ++k) {
      std::vector<double> means(static_cast<std::size_t>(nb), 0.0);
      for (long i = 0; i < nb * block; ++i)
        means[static_cast<std::size_t>(i / block)] +=
          (per[k][static_cast<std::size_t>(i)] - per[0][static_cast<std::size_t>(i)]) / block;
      double mean = 0, var = 0;
      for (double x : means)
        mean += x / static_cast<double>(nb);
      for (double x : means)
        var += (x - mean) * (x - mean) / static_cast<double>(nb - 1);
      const double se = std::sqrt(var / static_cast<double>(nb));
      std::printf("| strided S=%d | %+.4f | %.4f | %+.1f |\n", strides[k], mean, se, mean / se);
    }
  }
  return 0;
}
