// sonnet_compile_dictionary SOURCE OUT: parses a pronouncing dictionary in text form once, at
// build time, and writes its compiled form (text/pronouncing.hpp), which every process then
// reads in a few milliseconds instead of parsing ~5 MB of text at start-up.
#include "text/pronouncing.hpp"

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: sonnet_compile_dictionary SOURCE OUT\n");
    return 2;
  }
  auto d = sonnet::text::dictionary::load(argv[1]);
  if (!d) {
    std::fprintf(stderr, "sonnet_compile_dictionary: %s\n", d.err().message.c_str());
    return 1;
  }
  if (auto r = (*d)->save_compiled(argv[2]); !r) {
    std::fprintf(stderr, "sonnet_compile_dictionary: %s\n", r.err().message.c_str());
    return 1;
  }
  std::printf("%s: %zu words from %s\n", argv[2], (*d)->size(), argv[1]);
  return 0;
}
