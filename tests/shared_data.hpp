#pragma once
// The reference checkpoint from ../shared (SONNET_SHARED_DIR, set per test target) and the
// precondition that skips a test, saying why and what to do, where it is absent.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

namespace sonnet::test {

inline const std::string reference_checkpoint = SONNET_SHARED_DIR "/data/shakespeare_gpt.npz";

/// Skips a test case when the reference checkpoint is not where the build says.
struct have_reference_model {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r{std::filesystem::exists(reference_checkpoint)};
    if (!r)
      r.message() << "skipped: " << reference_checkpoint
                  << " is absent (place the checkpoint there or configure with "
                     "-DSONNET_SHARED_DIR=DIR)";
    return r;
  }
};

} // namespace sonnet::test
