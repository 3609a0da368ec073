#define BOOST_TEST_MODULE reliability
// sonnetd killed with SIGKILL at a random moment while four clients generate, five rounds on
// the same database: every sonnet a client was told about is stored whole, the trigram table
// equals a recount from the texts, the file passes PRAGMA integrity_check, and the daemon
// restarts on it and keeps field coherence for what follows. The emergent layer's state files
// beside it always load, and hold a learning step for every acknowledged sonnet.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <sstream>

#include "emergent/brain.hpp"
#include "emergent/dream.hpp"
#include "emergent/phases.hpp"
#include "persistence/replay.hpp"
#include "tests/reliability/common.hpp"

namespace utf = boost::unit_test;
using namespace sonnet;
using namespace sonnet::test;
using namespace std::chrono_literals;

namespace {

struct crash_fixture : workspace {
  std::string db = file("crash.db");

  /// Starts sonnetd on the database and returns it with its address.
  std::pair<process*, std::string> daemon() {
    auto& p = start({SONNETD, "--port=0", "--db=" + db, "--model=" + default_model});
    auto addr = p.wait_for("listening on ([0-9.]+:[0-9]+)", 60s);
    BOOST_REQUIRE_MESSAGE(addr, "sonnetd did not start: " << p.output());
    return {&p, *addr};
  }

  /// Every invariant of the file, checked from outside.
  void check(const std::set<int64_t>& acknowledged, const std::string& when) {
    BOOST_TEST_CONTEXT(when) {
      BOOST_TEST(integrity(db) == "ok");
      for (auto id : acknowledged) {
        auto rows =
          query(db, "SELECT count(*) FROM sonnet_lines WHERE sonnet_id = " + std::to_string(id));
        BOOST_REQUIRE(rows);
        BOOST_TEST(rows->at(0).at(0) == "14", "sonnet " << id << " lines");
        auto s = query(db, "SELECT count(*) FROM sonnets WHERE id = " + std::to_string(id));
        BOOST_TEST(s->at(0).at(0) == "1", "acknowledged sonnet " << id << " is missing");
      }
      auto r = persistence::replay(db);
      if (!r.ok())
        BOOST_FAIL("replay: " << r.err().message);
      BOOST_TEST(r->clean(), "replay: " << r->mismatches.size() << " dissonance, "
                                        << r->trigram_mismatches.size() << " trigram, "
                                        << r->lines_mismatches.size() << " lines mismatches; "
                                        << r->baseline_mismatch);
      BOOST_TEST(r->foreign_sonnets == 0);
      check_emergent(acknowledged);
    }
  }

  /// The state files were written atomically (they load), and the brain and the phases saved
  /// their step for each acknowledged sonnet before it was acknowledged.
  /// A file that does not exist yet (killed before the first save) holds no step.
  void check_emergent(const std::set<int64_t>& acknowledged) {
    auto stored = std::stoll(query(db, "SELECT count(*) FROM sonnets")->at(0).at(0));
    uint64_t brain_steps = 0, phase_steps = 0;
    if (std::filesystem::exists(db + ".brain.json")) {
      auto brain = emergent::load_brain_state(db + ".brain.json");
      BOOST_REQUIRE_MESSAGE(brain, (brain ? "" : brain.err().message));
      brain_steps = brain->observations;
    }
    if (std::filesystem::exists(db + ".phases.json")) {
      auto phases = emergent::load_phase_record(db + ".phases.json");
      BOOST_REQUIRE_MESSAGE(phases, (phases ? "" : phases.err().message));
      phase_steps = phases->observations;
    }
    BOOST_TEST(brain_steps >= acknowledged.size());
    BOOST_TEST(static_cast<int64_t>(brain_steps) <= stored);
    BOOST_TEST(phase_steps >= acknowledged.size());
    BOOST_TEST(static_cast<int64_t>(phase_steps) <= stored);
    if (std::filesystem::exists(db + ".dream.json")) {
      auto dream = emergent::load_dream_state(db + ".dream.json");
      BOOST_TEST(dream.ok(), (dream ? "" : dream.err().message));
    }
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(crash, crash_fixture)

BOOST_AUTO_TEST_CASE(sigkill_under_load_loses_no_acknowledged_sonnet, *utf::timeout(360)) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> kill_ms(500, 2000);
  std::set<int64_t> acknowledged;
  int64_t stored_before = 0;
  const int rounds = 5;
  for (int round = 0; round < rounds; ++round) {
    auto [d, addr] = daemon();
    std::vector<process*> clients;
    for (int k = 0; k < 4; ++k)
      clients.push_back(
        &start({SONNET_CLI, "--connect=" + addr, "generate", "--count", "200", "--concurrency", "1",
                "--seed", std::to_string(100 * round + k + 1), "--json"}));
    auto delay = std::chrono::milliseconds(kill_ms(rng));
    std::this_thread::sleep_for(delay);
    d->signal(SIGKILL);
    BOOST_TEST(code(d->wait(10s)) == 128 + SIGKILL);
    size_t got = 0;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    for (auto* c : clients) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      auto rc = c->wait(std::max(left, std::chrono::milliseconds(1)));
      // A client whose daemon died ends by itself: its service gateway
      // (actors/service_gateway.cpp) fails what was in flight on the DOWN.
      BOOST_TEST(rc.has_value(), "client still waiting 5 s after its daemon died");
      if (!rc) {
        c->signal(SIGKILL);
        c->wait(5s);
      } else {
        BOOST_TEST(*rc == 1, "client after the kill: " << c->output());
      }
      auto ids = printed_ids(*c);
      got += ids.size();
      acknowledged.insert(ids.begin(), ids.end());
    }
    BOOST_TEST_MESSAGE("round " << round << ": killed after " << delay.count() << " ms, " << got
                                << " sonnets acknowledged");
    check(acknowledged, "after round " + std::to_string(round));
    auto n = query(db, "SELECT count(*) FROM sonnets");
    BOOST_REQUIRE(n);
    auto stored = std::stoll(n->at(0).at(0));
    BOOST_TEST(stored >= stored_before + static_cast<int64_t>(got));
    stored_before = stored;
  }
  // The daemon restarts on the file and what follows is coherent with everything before.
  auto max_id = query(db, "SELECT coalesce(max(id), 0) FROM sonnets");
  BOOST_REQUIRE(max_id);
  auto last_id = std::stoll(max_id->at(0).at(0));
  auto [d, addr] = daemon();
  auto& g = start({SONNET_CLI, "--connect=" + addr, "generate", "--count", "2", "--concurrency",
                   "2", "--seed", "9", "--json"});
  BOOST_TEST(code(g.wait(120s)) == 0, g.output());
  auto after = printed_ids(g);
  BOOST_TEST(after.size() == 2u);
  for (auto id : after)
    BOOST_TEST(id > last_id); // new ids come after every stored one
  acknowledged.insert(after.begin(), after.end());
  d->signal(SIGTERM);
  BOOST_TEST(code(d->wait(15s)) == 0, d->output());
  check(acknowledged, "at the end");
  auto n = query(db, "SELECT count(*) FROM sonnets");
  BOOST_TEST(std::stoll(n->at(0).at(0)) == stored_before + 2);
  BOOST_TEST_MESSAGE(acknowledged.size() << " acknowledged sonnets in " << rounds << " rounds");
}

BOOST_AUTO_TEST_SUITE_END()
