// Many writers, one coherent cloud: three in-process `sonnet generate` CLIs and one sonnetd (with
// its own client) write one cloud file at the same time, one CLI is killed -9 midway. Then
// `sonnet replay` finds every stored dissonance computed against exactly the sonnets with
// smaller ids, and every sonnet a client was told about is stored whole.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <set>
#include <sstream>
#include <thread>

#include "tests/reliability/common.hpp"

namespace utf = boost::unit_test;
using namespace sonnet::test;
using namespace std::chrono_literals;

namespace {} // namespace

BOOST_FIXTURE_TEST_SUITE(shared_cloud, workspace)

BOOST_AUTO_TEST_CASE(three_clis_and_a_daemon_write_one_coherent_cloud, *utf::timeout(400)) {
  const auto db = file("shared.db");
  auto& d = start({SONNETD, "--port=0", "--db=" + db, "--model=" + default_model});
  auto addr = d.wait_for("listening on ([0-9.]+:[0-9]+)", 60s);
  BOOST_REQUIRE_MESSAGE(addr, "sonnetd did not start: " << d.output());
  std::vector<process*> clis;
  for (int k = 0; k < 3; ++k)
    clis.push_back(
      &start({SONNET_CLI, "generate", "--db=" + db, "--model=" + default_model, "--count",
              k == 1 ? "1000" : "12", "--seed", std::to_string(10 * k + 1), "--json"}));
  auto& client = start({SONNET_CLI, "--connect=" + *addr, "generate", "--count", "12",
                        "--concurrency", "2", "--seed", "77", "--json"});
  // The victim dies once it has stored something, while the others are still writing. Polled
  // line by line: a regex over the whole log recursed per character and overflowed the stack.
  const auto deadline = std::chrono::steady_clock::now() + 240s;
  while (printed_ids(*clis[1]).size() < 3 && clis[1]->running()
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  BOOST_REQUIRE_MESSAGE(printed_ids(*clis[1]).size() >= 3, clis[1]->output());
  clis[1]->signal(SIGKILL);
  BOOST_TEST(code(clis[1]->wait(10s)) == 128 + SIGKILL);
  std::set<int64_t> acknowledged;
  int interleaved = 0; // writers whose ids are not one contiguous run: they really overlapped
  for (auto* p : {clis[0], clis[2], &client}) {
    BOOST_TEST(code(p->wait(300s)) == 0, p->output());
    auto ids = printed_ids(*p);
    BOOST_TEST(ids.size() == 12u);
    if (!ids.empty() && *ids.rbegin() - *ids.begin() + 1 > static_cast<int64_t>(ids.size()))
      ++interleaved;
    acknowledged.insert(ids.begin(), ids.end());
  }
  BOOST_TEST_MESSAGE(interleaved << " of 3 finished writers interleaved with others");
  auto victim = printed_ids(*clis[1]);
  BOOST_TEST(victim.size() >= 1u);
  acknowledged.insert(victim.begin(), victim.end());
  d.signal(SIGTERM);
  BOOST_TEST(code(d.wait(30s)) == 0, d.output());

  BOOST_TEST(integrity(db) == "ok");
  for (auto id : acknowledged) {
    auto rows =
      query(db, "SELECT count(*) FROM sonnet_lines WHERE sonnet_id = " + std::to_string(id));
    BOOST_REQUIRE(rows);
    BOOST_TEST(rows->at(0).at(0) == "14", "acknowledged sonnet " << id << " is not stored whole");
  }
  auto& replay = start({SONNET_CLI, "replay", "--db=" + db, "--json"});
  BOOST_TEST(code(replay.wait(120s)) == 0, replay.output());
  auto out = replay.output();
  auto j = nlohmann::json::parse(out.substr(0, out.find('\n')), nullptr, false);
  BOOST_REQUIRE_MESSAGE(!j.is_discarded(), out);
  BOOST_TEST(j["clean"].get<bool>(), out);
  BOOST_TEST(j["sonnets_checked"].get<int64_t>() >= static_cast<int64_t>(acknowledged.size()));
  BOOST_TEST_MESSAGE(acknowledged.size() << " acknowledged sonnets from 4 writers, "
                                         << j["sonnets_checked"] << " stored, replay clean");
}

BOOST_AUTO_TEST_SUITE_END()
