// libFuzzer: the .npz / .npy reader on arbitrary bytes, and the model loader on every archive
// the reader accepts (shape, dtype and vocabulary checks of model/weights.cpp).
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "model/model.hpp"
#include "model/npz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto npy = sonnet::model::parse_npy(data, size, "fuzz.npy");
  if (npy.ok())
    (void)npy->size();
  auto archive = sonnet::model::parse_npz(data, size, "fuzz.npz");
  if (!archive.ok())
    return 0;
  for (auto& [name, a] : *archive)
    (void)sonnet::model::shape_string(a.shape);
  // The reader accepted it: let load_model check arrays, shapes, values and vocabulary.
  static const std::string path = "/tmp/fuzz_npz_" + std::to_string(::getpid()) + ".npz";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    sonnet::model::load_options o;
    o.vocab_path = "/nonexistent/fuzz.vocab"; // only an array `vocab` inside the archive counts
    if (archive->count("vocab"))
      o.vocab_path.clear();
    (void)sonnet::model::load_model(path, o);
    std::remove(path.c_str());
  }
  return 0;
}
