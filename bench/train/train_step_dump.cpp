// train_step_dump: one training step of ours, written for scripts/torch_step_check.py to compare
// with PyTorch's autograd on the same weights and batch (scripts/torch_check.sh runs both).
//
//   train_step_dump --weights W.npz --batch-out B.npz --out OURS.npz [--corpus FILE] [--batch 4]
//                   [--seed 1] [--lr 1e-3] [--weight-decay 0.01]
//
// The batch: `--batch` windows of block_size + 1 chars at seeded offsets of the corpus (random ids
// without one), written to B.npz as x, y (uint8, (b, T)). OURS.npz: `loss` (mean cross-entropy),
// `grad.<key>` (float64 network: d mean loss / d weight) and `after.<key>` (the weights after one
// step of train::adamw_step, float32 as in training), every key as NanoGPT names it.

#include "train/npz_writer.hpp"
#include "train/train.hpp"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace st = sonnet::train;

int main(int argc, char** argv) {
  std::string weights, batch_out, out, corpus;
  int b = 4;
  uint64_t seed = 1;
  double lr = 1e-3, wd = 0.01;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--weights")
      weights = v;
    else if (a == "--batch-out")
      batch_out = v;
    else if (a == "--out")
      out = v;
    else if (a == "--corpus")
      corpus = v;
    else if (a == "--batch")
      b = std::atoi(v.c_str());
    else if (a == "--seed")
      seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--lr")
      lr = std::atof(v.c_str());
    else if (a == "--weight-decay")
      wd = std::atof(v.c_str());
    else {
      std::fprintf(stderr, "train_step_dump: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (weights.empty() || batch_out.empty() || out.empty() || b < 1) {
    std::fprintf(stderr,
                 "usage: train_step_dump --weights W.npz --batch-out B.npz --out OURS.npz "
                 "[--corpus FILE] [--batch 4] [--seed 1] [--lr 1e-3] [--weight-decay 0.01]\n");
    return 2;
  }
  auto ck = st::read_checkpoint(weights);
  if (!ck) {
    std::fprintf(stderr, "train_step_dump: %s\n", ck.err().message.c_str());
    return 1;
  }
  const int T = ck->size.block_size, V = ck->size.vocab_size;
  std::vector<uint8_t> x(static_cast<std::size_t>(b) * T), y(x.size());
  std::mt19937_64 gen(seed);
  if (!corpus.empty()) {
    auto data = st::load_corpus({corpus}, 0.1, T, ck->vocab);
    if (!data) {
      std::fprintf(stderr, "train_step_dump: %s\n", data.err().message.c_str());
      return 1;
    }
    for (int w = 0; w < b; ++w) {
      const std::size_t at = gen() % (data->train.size() - static_cast<std::size_t>(T));
      for (int t = 0; t < T; ++t) {
        x[static_cast<std::size_t>(w * T + t)] = data->train[at + static_cast<std::size_t>(t)];
        y[static_cast<std::size_t>(w * T + t)] = data->train[at + static_cast<std::size_t>(t) + 1];
      }
    }
  } else {
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = static_cast<uint8_t>(gen() % static_cast<uint64_t>(V));
      y[i] = static_cast<uint8_t>(gen() % static_cast<uint64_t>(V));
    }
  }
  const std::size_t bs = static_cast<std::size_t>(b), ts = static_cast<std::size_t>(T);
  if (auto r = st::write_npz(
        batch_out,
        {{"x", "|u1", {bs, ts}, x.data(), x.size()}, {"y", "|u1", {bs, ts}, y.data(), y.size()}},
        0);
      !r) {
    std::fprintf(stderr, "train_step_dump: %s\n", r.err().message.c_str());
    return 1;
  }

  const std::size_t P = ck->params.size();
  std::vector<double> p(ck->params.begin(), ck->params.end()), g(P, 0.0);
  st::network<double> net(ck->size, ck->attn_scale);
  const double n = static_cast<double>(b) * T;
  const double loss = net.run(p.data(), x.data(), y.data(), b, g.data(), 1.0 / n, 0.0, 0, 0) / n;
  // The optimiser as training runs it: float32 weights, gradients and moments.
  std::vector<float> after(ck->params.begin(), ck->params.end()), gf(g.begin(), g.end()), m(P, 0.f),
    v(P, 0.f);
  st::adamw_step(after.data(), gf.data(), m.data(), v.data(), P, 1, lr, 0.9, 0.999, 1e-8, wd);
  std::vector<double> after_d(after.begin(), after.end());

  std::vector<st::npy_member> ms{{"loss", "<f8", {1}, &loss, sizeof loss}};
  for (const auto& a : st::nanogpt_arrays(ck->size))
    ms.push_back(
      {"grad." + a.name, "<f8", a.shape, g.data() + a.offset, a.size() * sizeof(double)});
  for (const auto& a : st::nanogpt_arrays(ck->size))
    ms.push_back(
      {"after." + a.name, "<f8", a.shape, after_d.data() + a.offset, a.size() * sizeof(double)});
  if (auto r = st::write_npz(out, ms, 0); !r) {
    std::fprintf(stderr, "train_step_dump: %s\n", r.err().message.c_str());
    return 1;
  }
  std::printf("loss %.12f over %d x %d; wrote %s and %s\n", loss, b, T, batch_out.c_str(),
              out.c_str());
  return 0;
}
