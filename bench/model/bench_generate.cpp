// bench_generate: tokens/s of one stream generating N tokens from "\n" (as_trained, T=0.8),
// strided and exact windows, best of 3; and the Python prototype's loop in the same run
// (reference.py --bench-generate, OpenBLAS tuning variables unset), with the ratios.
//
//   bench_generate [--tokens 800] [--proto-tokens 200] [--no-proto] [--strides 8,16,32] [--model PATH]
//                  [--batch 1,4,16,32]
// --batch: also the aggregate tokens/s of model::batch_decoder advancing B sequences together
// (default stride, each sequence its own seed, best of 3), and per-sequence tokens/s.
// Also measures this core's FMA peak, the ceiling the GFLOP/s columns are read against.
// Model: --model, else the prototype's reference checkpoint (the weights its loop runs), else
// models/default.npz (the same sizes, so the same work per token).

#include "bench/fma_peak.hpp"
#include "model/model.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace sm = sonnet::model;
using sonnet::bench::fma_peak_gflops;
using sonnet::bench::vec;

namespace {

double best_of_3(const std::shared_ptr<const sm::model>& m, sm::window_mode mode, int stride,
                 int n) {
  double best = 0;
  sm::decoder d(m, mode, stride);
  for (int rep = 0; rep < 3; ++rep) {
    d.start("\n", {0.8f, 0, static_cast<uint64_t>(rep)});
    auto t0 = std::chrono::steady_clock::now();
    auto text = d.generate(n);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (text.size() != static_cast<std::size_t>(n))
      return 0;
    best = std::max(best, n / s);
  }
  return best;
}

double batch_best_of_3(const std::shared_ptr<const sm::model>& m, int b, int n) {
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    sm::batch_decoder d(m);
    for (int i = 0; i < b; ++i)
      d.add("\n", {0.8f, 0, static_cast<uint64_t>(rep * 1000 + i)}, n);
    auto t0 = std::chrono::steady_clock::now();
    d.step(n);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(b) * n / s);
  }
  return best;
}

double prototype_tokens_per_s(int n, std::string& raw) {
  std::string cmd = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "
                    + std::string(SONNET_SHARED_DIR) + "/reference/reference.py --bench-generate "
                    + std::to_string(n) + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p)
    return 0;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p))
    raw += buf;
  pclose(p);
  auto k = raw.find("\"tokens_per_s\":");
  if (k == std::string::npos)
    return 0;
  return std::strtod(raw.c_str() + k + 15, nullptr);
}

} // namespace

// FLOPs of one generated token in the strided window, from the model's shapes (one FMA = 2).
struct token_flops {
  double step = 0, recompute = 0, weight_bytes = 0;
  int context = 0, rows = 0;
  double total() const { return step + recompute; }
};

token_flops flops_per_token(const sm::hparams& hp, int S) {
  const double C = hp.n_embd, A = hp.n_head * hp.head_size, F = hp.n_ffwd, V = hp.vocab_size;
  const double L = hp.n_layer, B = hp.block_size;
  const double layer = 3 * A * C + A * C + C * F + F * C; // fused QKV, proj, fc1, fc2
  token_flops f;
  f.context = static_cast<int>(B - S / 2.0);
  f.weight_bytes = 4 * (L * layer + C * V);
  f.step = 2 * (L * layer + C * V) + L * 4 * A * f.context; // weights + QK and AV
  f.rows = static_cast<int>(B) - S;
  const double row = 2 * ((L - 1) * layer + 2 * A * C) + L * 4 * A * (f.rows / 2.0);
  f.recompute = f.rows * row / (S + 1);
  return f;
}

int main(int argc, char** argv) {
  int n = 800, proto_n = 200;
  bool proto = true;
  std::vector<int> extra_strides = {8, 32};
  std::vector<int> batches;
  std::string path = std::string(SONNET_SHARED_DIR) + "/data/shakespeare_gpt.npz";
  if (!std::filesystem::exists(path))
    path = SONNET_DEFAULT_MODEL;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--tokens")
      n = std::stoi(val());
    else if (a == "--proto-tokens")
      proto_n = std::stoi(val());
    else if (a == "--no-proto")
      proto = false;
    else if (a == "--model")
      path = val();
    else if (a == "--batch") {
      std::stringstream ss(val());
      std::string s;
      while (std::getline(ss, s, ','))
        if (!s.empty())
          batches.push_back(std::stoi(s));
    } else if (a == "--strides") {
      extra_strides.clear();
      std::stringstream ss(val());
      std::string s;
      while (std::getline(ss, s, ','))
        if (!s.empty())
          extra_strides.push_back(std::stoi(s));
    } else {
      std::fprintf(
        stderr,
        "usage: %s [--tokens N] [--proto-tokens N] [--no-proto] [--strides 8,32] [--model PATH]\n",
        argv[0]);
      return 2;
    }
  }
  auto m = sm::load_model(path);
  if (!m) {
    std::fprintf(stderr, "bench_generate: %s\n", m.err().message.c_str());
    return 1;
  }
  const int S = sm::default_stride((*m)->hp().block_size);
  const auto fl = flops_per_token((*m)->hp(), S);
  const double peak = fma_peak_gflops();
  struct row {
    std::string name;
    double tps;
    double target; // ratio bar, 0 = none
    int stride;    // 0 = exact
  };
  std::vector<row> rows;
  rows.push_back({"strided S=" + std::to_string(S) + " (default)",
                  best_of_3(*m, sm::window_mode::strided, S, n), 30, S});
  for (int s : extra_strides)
    if (s != S)
      rows.push_back(
        {"strided S=" + std::to_string(s), best_of_3(*m, sm::window_mode::strided, s, n), 0, s});
  rows.push_back({"exact", best_of_3(*m, sm::window_mode::exact, 0, n), 2, 0});
  double proto_tps = 0;
  std::string raw;
  if (proto)
    proto_tps = prototype_tokens_per_s(proto_n, raw);
  std::printf("model %s\n", path.c_str());
  std::printf("one stream, %d tokens from \"\\n\", as_trained, temperature 0.8, best of 3\n", n);
  if (proto) {
    if (proto_tps > 0)
      std::printf("prototype (reference.py --bench-generate %d, numpy + OpenBLAS): %.1f tokens/s\n",
                  proto_n, proto_tps);
    else
      std::printf("prototype run failed: %s\n", raw.c_str());
  }
  std::printf("\n| decoding | tokens/s | ms/token | x prototype | target | GFLOP/s "
              "|\n|---|---:|---:|---:|---|---:|\n");
  for (const auto& r : rows) {
    std::string ratio = proto_tps > 0 ? std::to_string(r.tps / proto_tps).substr(0, 6) : "-";
    std::string target =
      r.target > 0 ? (">= " + std::to_string(static_cast<int>(r.target)) + "x"
                      + (proto_tps > 0 ? (r.tps / proto_tps >= r.target ? " met" : " MISSED") : ""))
                   : "";
    const std::string gflops =
      r.stride > 0
        ? std::to_string(r.tps * flops_per_token((*m)->hp(), r.stride).total() / 1e9).substr(0, 5)
        : "-";
    std::printf("| %s | %.0f | %.3f | %s | %s | %s |\n", r.name.c_str(), r.tps, 1000.0 / r.tps,
                ratio.c_str(), target.c_str(), gflops.c_str());
  }
  if (proto_tps > 0)
    std::printf("| prototype (Python, numpy_port) | %.1f | %.3f | 1 | | |\n", proto_tps,
                1000.0 / proto_tps);
  if (!batches.empty()) {
    std::printf("\nbatched (model::batch_decoder, one thread, default stride, %d tokens per "
                "sequence, best of 3)\n\n"
                "| sequences | tokens/s (all) | tokens/s per sequence | x one stream | GFLOP/s | "
                "of FMA peak |\n"
                "|---:|---:|---:|---:|---:|---:|\n",
                n);
    double one = 0;
    for (int b : batches) {
      double t = batch_best_of_3(*m, b, n);
      if (one == 0)
        one = t / b;
      std::printf("| %d | %.0f | %.0f | %.2f | %.1f | %.0f%% |\n", b, t, t / b, t / one,
                  t * fl.total() / 1e9, 100 * t * fl.total() / 1e9 / peak);
    }
  }
  std::printf(
    "\narithmetic (default stride S=%d): %.2f MFLOP per token = %.2f in the token step (one row "
    "through every weight matrix, %.1f MB of weights, plus attention over ~%d cached positions) "
    "+ %.2f in window recomputes (%d rows every %d tokens = %.2f rows per token, the last layer "
    "only to K/V); batching shares the weight reads, not the FLOPs\n",
    S, fl.total() / 1e6, fl.step / 1e6, fl.weight_bytes / 1e6, fl.context, fl.recompute / 1e6,
    fl.rows, S + 1, fl.rows / (S + 1.0));
  std::printf(
    "\nthis core's FMA peak (16 independent %zu-float FMA chains, best of 3): %.0f GFLOP/s\n",
    sizeof(vec) / sizeof(float), peak);
  return 0;
}
