// bench_train: training tokens/s of our trainer and of PyTorch on CPU, same machine, same run,
// on the prototype's recipe (4 layers, 4 heads, width 128, block 64, batch 16, dropout 0.1,
// AdamW 1e-3), 1 and 2 threads each; the ratio against PyTorch's best; and the share of the FMA
// peak (this core's, times the threads) that forward + backward reach.
//
//   bench_train [--steps 200] [--torch-steps 100] [--corpus FILE] [--no-torch] [--threads 1,2]
//
// PyTorch runs bench/train/torch_train.py with Debian's /usr/bin/python3 (python3-torch), with
// OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset. Our tokens/s counts the training steps only
// (batch sampling, forward, backward, gradient reduction, AdamW), as the script does.

#include "bench/fma_peak.hpp"
#include "train/train.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace st = sonnet::train;

namespace {

// FLOPs per trained token (one FMA = 2): forward matrix products + attention's two T x T
// products per layer at full width (what the kernels compute, masked half included); backward
// twice the forward.
double flops_per_token(const st::shape& s) {
  const double C = s.n_embd, F = s.n_ffwd(), V = s.vocab_size, T = s.block_size;
  const double per_layer = 2 * (3 * C * C + C * C + 2 * C * F) + 2 * 2 * T * C;
  const double forward = s.n_layer * per_layer + 2 * C * V;
  return 3 * forward;
}

double torch_tokens_per_s(const std::string& corpus, int steps, int threads, std::string& version) {
  const std::string script = std::string(SONNET_SOURCE_DIR) + "/bench/train/torch_train.py";
  const std::string cmd = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 " + script
                          + " --corpus '" + corpus + "' --steps " + std::to_string(steps)
                          + " --threads " + std::to_string(threads) + " --json 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p)
    return 0;
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p))
    out += buf;
  pclose(p);
  auto num = [&](const char* key) {
    auto k = out.find(std::string("\"") + key + "\":");
    return k == std::string::npos ? 0.0
                                  : std::strtod(out.c_str() + k + std::strlen(key) + 3, nullptr);
  };
  auto v = out.find("\"torch_version\": \"");
  if (v != std::string::npos)
    version = out.substr(v + 18, out.find('"', v + 18) - v - 18);
  return num("tokens_per_s");
}

} // namespace

int main(int argc, char** argv) {
  int steps = 200, torch_steps = 100;
  bool torch = true;
  std::string corpus = std::string(SONNET_SOURCE_DIR) + "/data/tinyshakespeare.txt";
  std::vector<int> threads{1, 2};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_train: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--steps")
      steps = std::atoi(next().c_str());
    else if (a == "--torch-steps")
      torch_steps = std::atoi(next().c_str());
    else if (a == "--corpus")
      corpus = next();
    else if (a == "--no-torch")
      torch = false;
    else if (a == "--threads") {
      threads.clear();
      std::stringstream ss(next());
      for (std::string t; std::getline(ss, t, ',');)
        threads.push_back(std::atoi(t.c_str()));
    } else {
      std::fprintf(
        stderr, "usage: bench_train [--steps 200] [--torch-steps 100] [--corpus FILE] [--no-torch] "
                "[--threads 1,2]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  const double peak = sonnet::bench::fma_peak_gflops();
  st::shape size; // the recipe's
  const double fpt = flops_per_token(size);
  std::printf("recipe: 4 layers, 4 heads, width 128, block 64, batch 16, dropout 0.1, AdamW 1e-3; "
              "%.2f MFLOP per trained token\n",
              fpt / 1e6);
  std::printf("this core's FMA peak: %.0f GFLOP/s\n\n", peak);

  struct row {
    std::string who;
    int threads;
    double tps;
  };
  std::vector<row> rows;
  const std::string out = "/tmp/bench_train_" + std::to_string(::getpid()) + ".npz";
  for (int t : threads) {
    st::options o;
    o.cfg.steps = steps;
    o.cfg.threads = t;
    o.cfg.eval_interval = 0;
    o.corpora = {corpus};
    o.out = out;
    auto r = st::run_training(o, {}, nullptr);
    if (!r) {
      std::fprintf(stderr, "bench_train: %s\n", r.err().message.c_str());
      return 1;
    }
    rows.push_back({"ours", t, r->tokens_per_s});
    std::fprintf(stderr, "ours, %d thread(s): %.0f tokens/s\n", t, r->tokens_per_s);
  }
  std::remove(out.c_str());
  std::remove((out + ".state").c_str());
  std::string version = "?";
  double torch_best = 0;
  if (torch)
    for (int t : threads) {
      const double tps = torch_tokens_per_s(corpus, torch_steps, t, version);
      if (tps <= 0) {
        std::fprintf(stderr, "bench_train: the PyTorch run failed (is python3-torch installed? "
                             "apt-get install -y python3-torch); use --no-torch to skip it\n");
        return 1;
      }
      rows.push_back({"PyTorch " + version, t, tps});
      torch_best = std::max(torch_best, tps);
      std::fprintf(stderr, "PyTorch, %d thread(s): %.0f tokens/s\n", t, tps);
    }
  std::printf(
    "| trainer | threads | tokens/s | ms per step | GFLOP/s | of FMA peak | vs PyTorch's best |\n"
    "|---|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& r : rows) {
    const double gf = r.tps * fpt / 1e9;
    std::printf("| %s | %d | %.0f | %.1f | %.1f | %.0f%% | ", r.who.c_str(), r.threads, r.tps,
                1000.0 * 16 * 64 / r.tps, gf, 100 * gf / (peak * r.threads));
    if (torch_best > 0)
      std::printf("%.2fx |\n", r.tps / torch_best);
    else
      std::printf("– |\n");
  }
  return 0;
}
