#pragma once
// Shared helpers of the trainer tests: a scratch directory and a small corpus with structure.

#include "tests/shared_data.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace sonnet::test {

/// A per-process scratch directory, removed at exit.
inline const std::string& train_dir() {
  return process_temp_dir("sonnet_train_test_");
}

/// Writes `text` to train_dir()/name and returns the path.
inline std::string write_text(const std::string& name, const std::string& text) {
  const std::string p = train_dir() + "/" + name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

/// ~6 KB of rhymed, repetitive verse: easy to learn, far from uniform.
inline std::string small_verse() {
  const char* lines[] = {"shall i compare thee to a summer's day\n",
                         "thou art more lovely and more temperate\n",
                         "rough winds do shake the darling buds of may\n",
                         "and summer's lease hath all too short a date\n"};
  std::string s;
  for (int i = 0; i < 40; ++i)
    for (const char* l : lines)
      s += l;
  return s;
}

inline std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace sonnet::test

namespace sonnet::test {

/// The error message of a failed result, "" for a good one (for BOOST_TEST's message argument,
/// which is evaluated either way).
template <class R>
std::string why(const R& r) {
  return r.ok() ? std::string() : r.err().message;
}

} // namespace sonnet::test
