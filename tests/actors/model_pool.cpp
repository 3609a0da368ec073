// The model pool's decode cap: with max_sequences C, never more than C sequences are held by
// its model actors, however many rounds arrive; the others wait in arrival order and all end.

#include "tests/actors/fixtures.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "actors/model_pool.hpp"

namespace sm = sonnet::model;
using sonnet::continuation;
using sonnet::continue_request;
using sonnet::test::shipped;
using sonnet::test::threaded_system;

namespace {

sonnet::model_pool_actor spawn_pool(caf::actor_system& sys, int actors, int cap) {
  sonnet::pool_config pc;
  pc.weights = shipped();
  pc.local_actors = actors;
  pc.max_sequences = cap;
  return sonnet::spawn_model_pool(sys, std::move(pc));
}

continue_request round(uint64_t job, uint64_t seed, int32_t tokens) {
  continue_request r;
  r.context = "\n";
  r.n_tokens = tokens;
  r.temperature = 0.8;
  r.seed = seed;
  r.job = job;
  return r;
}

/// Sends every round from one actor and records the order of the answers (index, or -1-index
/// for an error), then wakes the test.
struct answers {
  std::mutex mx;
  std::condition_variable cv;
  std::vector<int> order;
  std::vector<std::string> errors;

  void wait_for(std::size_t n) {
    std::unique_lock<std::mutex> lk(mx);
    BOOST_REQUIRE(cv.wait_for(lk, std::chrono::minutes(5), [&] { return order.size() >= n; }));
  }
};

void send_all(caf::actor_system& sys, const sonnet::model_pool_actor& pool,
              std::vector<continue_request> rounds, std::shared_ptr<answers> out) {
  sys.spawn([pool, rounds, out](caf::event_based_actor* self) {
    for (int i = 0; i < static_cast<int>(rounds.size()); ++i)
      self->request(pool, caf::infinite, sonnet::atom::generate_v, rounds[static_cast<size_t>(i)])
        .then(
          [out, i](continuation&) {
            std::lock_guard<std::mutex> lk(out->mx);
            out->order.push_back(i);
            out->cv.notify_all();
          },
          [out, i](caf::error& e) {
            std::lock_guard<std::mutex> lk(out->mx);
            out->order.push_back(-1 - i);
            auto err = sonnet::from_caf(e);
            out->errors.push_back(std::string{to_string(err.code)} + ": " + err.message);
            out->cv.notify_all();
          });
  });
}

int32_t held(caf::scoped_actor& self, const sonnet::model_pool_actor& pool) {
  int32_t n = -1;
  self->request(pool, std::chrono::seconds(30), sonnet::atom::status_v)
    .receive([&](sonnet::model_status& s) { n = s.sequences; }, [&](caf::error&) { n = -1; });
  return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(model_pool_cap)

BOOST_AUTO_TEST_CASE(never_holds_more_than_the_cap_and_every_round_ends) {
  threaded_system ts;
  constexpr int cap = 3, requests = 4, candidates = 4; // N x K = 16 > C
  auto pool = spawn_pool(ts.sys, 2, cap);
  std::vector<continue_request> rounds;
  for (int r = 0; r < requests; ++r)
    for (int c = 0; c < candidates; ++c)
      rounds.push_back(round(static_cast<uint64_t>(r + 1), static_cast<uint64_t>(10 * r + c), 40));
  auto out = std::make_shared<answers>();
  send_all(ts.sys, pool, rounds, out);
  int32_t most = 0;
  for (;;) {
    most = std::max(most, held(ts.self, pool));
    std::lock_guard<std::mutex> lk(out->mx);
    if (out->order.size() == rounds.size())
      break;
  }
  BOOST_TEST_MESSAGE("most sequences held at once: " << most << " (cap " << cap << ")");
  BOOST_TEST(most <= cap);
  BOOST_TEST(most >= 1);
  BOOST_TEST(out->errors.empty(), (out->errors.empty() ? "" : out->errors.front()));
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(waiting_rounds_start_in_arrival_order) {
  threaded_system ts;
  auto pool = spawn_pool(ts.sys, 2, 1);
  // Shorter rounds later: without the FIFO cap they would overtake the long first ones.
  std::vector<continue_request> rounds;
  for (int i = 0; i < 6; ++i)
    rounds.push_back(round(static_cast<uint64_t>(i + 1), static_cast<uint64_t>(i), 120 - 15 * i));
  auto out = std::make_shared<answers>();
  send_all(ts.sys, pool, rounds, out);
  out->wait_for(rounds.size());
  std::vector<int> expected{0, 1, 2, 3, 4, 5};
  BOOST_TEST(out->order == expected, boost::test_tools::per_element());
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(cancel_ends_waiting_rounds_at_once) {
  threaded_system ts;
  auto pool = spawn_pool(ts.sys, 1, 1);
  // Round 0 (job 1) decodes for long; rounds 1 and 2 (job 2) wait behind it.
  std::vector<continue_request> rounds{round(1, 1, 20000), round(2, 2, 50), round(2, 3, 50)};
  auto out = std::make_shared<answers>();
  send_all(ts.sys, pool, rounds, out);
  while (held(ts.self, pool) < 1)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  caf::anon_send(pool, sonnet::atom::cancel_v, uint64_t{2});
  out->wait_for(2);
  {
    std::lock_guard<std::mutex> lk(out->mx);
    BOOST_TEST(out->order.size() == 2u); // the long round is still decoding
    for (auto& e : out->errors)
      BOOST_TEST(e.find("cancelled") != std::string::npos, e);
  }
  caf::anon_send(pool, sonnet::atom::cancel_v, uint64_t{1});
  out->wait_for(3);
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
