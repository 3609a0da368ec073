// profile_decode: a fixed decoding workload to run under perf / callgrind.
//   profile_decode BATCH TOKENS [MODEL]   (BATCH 1 uses model::decoder, else model::batch_decoder;
//                                          MODEL defaults to models/default.npz)
#include "model/model.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace sm = sonnet::model;

int main(int argc, char** argv) {
  const int b = argc > 1 ? std::stoi(argv[1]) : 1;
  const int n = argc > 2 ? std::stoi(argv[2]) : 4000;
  std::string path = argc > 3 ? argv[3] : std::string(SONNET_DEFAULT_MODEL);
  auto m = sm::load_model(path);
  if (!m) {
    std::fprintf(stderr, "%s\n", m.err().message.c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  if (b == 1) {
    sm::decoder d(*m);
    d.start("\n", {0.8f, 0, 1});
    d.generate(n);
  } else {
    sm::batch_decoder d(*m);
    for (int i = 0; i < b; ++i)
      d.add("\n", {0.8f, 0, static_cast<uint64_t>(i)}, n);
    d.step(n);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%d x %d tokens: %.0f tokens/s\n", b, n, b * n / s);
  return 0;
}
