// core/regular_file: anything but a regular file is refused at once, without reading or blocking.
#include <boost/test/unit_test.hpp>

#include "core/regular_file.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace sonnet;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path dir = fs::temp_directory_path() / ("sonnet-regular-" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(dir); }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

BOOST_AUTO_TEST_SUITE(regular_file_checks)

BOOST_AUTO_TEST_CASE(reads_a_regular_file_and_enforces_the_limit) {
  temp_dir t;
  auto p = (t.dir / "a.txt").string();
  std::ofstream(p) << "hello";
  auto b = read_regular_file(p, errc::invalid_argument, 100);
  BOOST_REQUIRE(b);
  BOOST_TEST(std::string(b->begin(), b->end()) == "hello");
  auto small = read_regular_file(p, errc::invalid_argument, 4);
  BOOST_REQUIRE(!small);
  BOOST_TEST(small.err().message.find("too large") != std::string::npos);
  auto empty = (t.dir / "empty").string();
  std::ofstream{empty};
  auto e = read_regular_file(empty, errc::invalid_argument, 100);
  BOOST_REQUIRE(e);
  BOOST_TEST(e->empty());
}

BOOST_AUTO_TEST_CASE(refuses_a_directory_a_fifo_and_a_device_at_once) {
  temp_dir t;
  auto fifo = (t.dir / "fifo").string();
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::pair<std::string, std::string> cases[] = {
    {t.dir.string(), "directory"}, {fifo, "FIFO"}, {"/dev/zero", "character device"}};
  for (auto& [path, what] : cases) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = read_regular_file(path, errc::bad_checkpoint, std::size_t{1} << 30);
    BOOST_TEST(ms_since(t0) < 1000.0, path);
    BOOST_REQUIRE(!r);
    BOOST_TEST((r.err().code == errc::bad_checkpoint));
    BOOST_TEST(r.err().message.find(path) != std::string::npos, r.err().message);
    BOOST_TEST(r.err().message.find(what) != std::string::npos, r.err().message);
    BOOST_TEST(!check_regular_file(path, errc::invalid_argument));
  }
}

BOOST_AUTO_TEST_CASE(a_missing_file_names_the_path) {
  auto r = check_regular_file("/nonexistent/sonnet/x", errc::invalid_argument);
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.err().message.find("/nonexistent/sonnet/x: cannot open") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
