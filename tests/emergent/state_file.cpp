// The state files' writer: whole files only, also with several writers on one path (processes
// sharing a cloud save the same DB.brain.json).

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "emergent/state_file.hpp"
#include "tests/emergent/emergent_test.hpp"

using namespace sonnet;
using namespace sonnet::emergent;
using namespace sonnet::test;

BOOST_AUTO_TEST_SUITE(state_file)

BOOST_AUTO_TEST_CASE(concurrent_writers_on_one_path_leave_a_whole_file) {
  const auto path = scratch_path("shared.json");
  // Texts of different lengths: a torn write (two writers in one temp file) would show as a
  // text that is none of them.
  std::vector<std::string> texts;
  for (int w = 0; w < 4; ++w)
    texts.push_back(std::string(1000 + 3000 * w, static_cast<char>('a' + w)));
  BOOST_REQUIRE(write_state_file(path, texts[0]));
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, torn{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < 150; ++i)
        if (!write_state_file(path, texts[w]))
          ++failures;
    });
  std::thread reader([&] {
    const std::set<std::string> whole(texts.begin(), texts.end());
    while (!done) {
      auto got = read_state_file(path);
      if (!got || whole.count(*got) == 0)
        ++torn;
    }
  });
  for (auto& t : writers)
    t.join();
  done = true;
  reader.join();
  BOOST_TEST(failures == 0);
  BOOST_TEST(torn == 0);
  BOOST_TEST(!std::filesystem::exists(path + ".tmp"));
}

BOOST_AUTO_TEST_SUITE_END()
