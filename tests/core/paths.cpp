// Where the shipped data files are found: the search order of core/paths.hpp.
#include <boost/test/unit_test.hpp>

#include "core/paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace sonnet;

namespace {

/// A data directory holding `relative`, removed at the end; $SONNET_DATA_DIR restored.
struct data_dir_fixture {
  fs::path root = fs::temp_directory_path() / ("sonnet-paths-" + std::to_string(::getpid()));
  std::string saved_env;
  bool had_env = false;
  data_dir_fixture() {
    if (const char* e = std::getenv("SONNET_DATA_DIR")) {
      had_env = true;
      saved_env = e;
    }
    ::unsetenv("SONNET_DATA_DIR");
    fs::create_directories(root / "a" / "models");
    fs::create_directories(root / "b" / "models");
    std::ofstream(root / "a" / "models" / "default.npz") << "a";
    std::ofstream(root / "b" / "models" / "default.npz") << "b";
  }
  ~data_dir_fixture() {
    paths::set_data_dir("");
    if (had_env)
      ::setenv("SONNET_DATA_DIR", saved_env.c_str(), 1);
    else
      ::unsetenv("SONNET_DATA_DIR");
    fs::remove_all(root);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(data_paths, data_dir_fixture)

BOOST_AUTO_TEST_CASE(the_tree_finds_the_shipped_files) {
  // A test binary lives in the build tree: the build or source rule finds the default model.
  auto m = paths::default_model();
  BOOST_TEST(!m.path.empty());
  BOOST_TEST((m.source == "build" || m.source == "source"));
  BOOST_TEST(fs::exists(m.path));
  BOOST_TEST(paths::find_data("no/such/file").path.empty());
}

BOOST_AUTO_TEST_CASE(env_comes_first_then_the_host_dir) {
  paths::set_data_dir((root / "b").string());
  auto m = paths::default_model();
  BOOST_TEST(m.source == "host");
  BOOST_TEST(m.path == (root / "b" / "models" / "default.npz").string());

  ::setenv("SONNET_DATA_DIR", (root / "a").c_str(), 1);
  m = paths::default_model();
  BOOST_TEST(m.source == "env");
  BOOST_TEST(m.path == (root / "a" / "models" / "default.npz").string());
  BOOST_TEST(paths::data_dirs().front().first == (root / "a").string());
}

BOOST_AUTO_TEST_CASE(a_dir_without_the_file_is_skipped) {
  ::setenv("SONNET_DATA_DIR", (root / "a").c_str(), 1);
  fs::remove(root / "a" / "models" / "default.npz");
  paths::set_data_dir((root / "b").string());
  BOOST_TEST(paths::default_model().source == "host");
}

BOOST_AUTO_TEST_SUITE_END()
