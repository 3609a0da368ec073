#pragma once
// Helpers shared by the emergent layer's tests: where the prototype's state files are
// (../shared/data, SONNET_SHARED_DIR of the build), a precondition that skips a case when one
// is absent, and small file helpers for the save/load cases.

#include "tests/shared_data.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace sonnet::test {

inline const std::string shipped_brain = SONNET_SHARED_DIR "/data/sonnetbrain.json";
inline const std::string shipped_phases = SONNET_SHARED_DIR "/data/phase_transitions.json";

/// Skips a test case, saying why, when the prototype's file `path` is absent.
struct have_shared_file {
  std::string path;
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r{std::filesystem::exists(path)};
    if (!r)
      r.message() << "skipped: " << path
                  << " is absent (the prototype's data; configure with -DSONNET_SHARED_DIR=DIR)";
    return r;
  }
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spit(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

/// The error message of a failed result, "" for a good one (for BOOST_TEST_REQUIRE messages,
/// which are built before the check).
template <class Result>
std::string why(const Result& r) {
  return r.ok() ? std::string() : r.err().message;
}

/// A fresh path in this process's scratch directory.
inline std::string scratch_path(const std::string& name) {
  return process_temp_dir("sonnet_emergent_test_") + "/" + name;
}

} // namespace sonnet::test
