#pragma once
// The models tests run: the checkpoint this repository ships (models/default.npz, always there),
// and the prototype's reference checkpoint from ../shared (SONNET_SHARED_DIR, set per test
// target) with the precondition that skips a test, saying why and what to do, where it is absent.
// Use the reference only to compare with the prototype; any other test takes the default model.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <unistd.h>
#include <string>

namespace sonnet::test {

/// The shipped model (SONNET_DEFAULT_MODEL of the build).
inline const std::string default_model = SONNET_SOURCE_DIR "/models/default.npz";

inline const std::string reference_checkpoint = SONNET_SHARED_DIR "/data/shakespeare_gpt.npz";

/// The prototype's own cloud (155 sonnets), for the tests that read or continue it.
inline const std::string prototype_cloud = SONNET_SHARED_DIR "/data/python_cloud_sonnets.db";

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

/// Skips a test case when the prototype's cloud is not where the build says.
struct have_prototype_cloud {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r{std::filesystem::exists(prototype_cloud)};
    if (!r)
      r.message() << "skipped: " << prototype_cloud
                  << " is absent (configure with -DSONNET_SHARED_DIR=DIR pointing at the "
                     "prototype's data)";
    return r;
  }
};

/// The process's scratch directory under the system's temp dir, named `prefix` + pid (the first
/// call's prefix: there is one per process), made on first use and removed at exit.
inline const std::string& process_temp_dir(const char* prefix) {
  static struct holder {
    std::string path;
    explicit holder(const char* p) {
      path = (std::filesystem::temp_directory_path() / (p + std::to_string(::getpid()))).string();
      std::filesystem::create_directories(path);
    }
    ~holder() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } h(prefix);
  return h.path;
}

} // namespace sonnet::test
