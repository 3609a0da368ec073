// The dissonance actor's group commit: sonnets that arrive while a transaction is outstanding go
// to the cloud together, each judged (by the cloud, inside the transaction) against every sonnet
// stored before it; a failed transaction stores nothing and the next ones are judged without it.

#include "tests/actors/fixtures.hpp"

#include <mutex>
#include <thread>

#include "actors/dissonance_actor.hpp"
#include "text/dissonance.hpp"

using namespace sonnet;
using namespace sonnet::test;

namespace {

/// What the stand-in cloud saw, shared with the test thread.
struct cloud_log {
  std::mutex mu;
  std::vector<size_t> batches; // size of each transaction, in order
  int64_t next_id = 0;
  text::vocabulary vocab{"the", "sea", "and", "of"};
};

judgement to_message(const text::judgement& j) {
  return {j.dissonance, pulse{j.p.novelty, j.p.arousal, j.p.entropy}};
}

/// A cloud that judges like the real one (each against the committed cloud and the batch's
/// earlier sonnets), answers each transaction after `delay` (so judges pile up behind it) and
/// fails the transactions whose index is in `fail` (storing nothing of them).
cloud_actor spawn_slow_cloud(caf::actor_system& sys, std::shared_ptr<cloud_log> log,
                             std::chrono::milliseconds delay, std::set<size_t> fail) {
  return sys.spawn<caf::detached>([=](cloud_actor::pointer) -> cloud_actor::behavior_type {
    return {
      [=](atom::judge, const std::vector<judge_request>& rs) -> caf::result<std::vector<judged>> {
        std::this_thread::sleep_for(delay);
        std::lock_guard<std::mutex> g{log->mu};
        log->batches.push_back(rs.size());
        if (fail.count(log->batches.size() - 1))
          return make_caf_error(errc::db_error, "injected failure");
        std::vector<judged> out;
        for (const auto& r : rs) {
          out.push_back({++log->next_id,
                         to_message(text::compute_dissonance(r.user_input, r.text, log->vocab))});
          text::add_to_vocabulary(log->vocab, text::trigrams(r.text));
        }
        return out;
      },
      [=](atom::dissonance, const std::string& u, const std::string& t) {
        std::lock_guard<std::mutex> g{log->mu};
        return to_message(text::compute_dissonance(u, t, log->vocab));
      },
      [=](atom::stats) -> caf::result<cloud_stats> { return cloud_stats{}; },
      [=](atom::recent, int64_t) { return std::vector<stored_sonnet>{}; },
      [=](atom::best, int64_t, double) { return std::vector<stored_sonnet>{}; },
      [=](atom::get, int64_t) -> caf::result<stored_sonnet> {
        return make_caf_error(errc::no_such_sonnet, "none");
      },
      [=](atom::series, int64_t) { return cloud_series{}; },
      [=](atom::get, const std::string&) { return int64_t{0}; },
    };
  });
}

const std::vector<std::string> texts = {
  "alpha beta gamma delta and the sea",    "alpha beta gamma epsilon of the sea",
  "zeta eta theta alpha beta gamma",       "the sea the sea the sea of alpha",
  "iota kappa lambda mu nu xi omicron pi", "rho sigma tau upsilon alpha beta gamma",
};

judge_request request(size_t i) {
  judge_request r;
  r.user_input = "my love is the sea";
  r.text = texts[i];
  r.quality = 0.5;
  r.temperature = 0.8;
  r.seed = i;
  return r;
}

/// Dissonances of `order` judged one after another, each against the ones before.
std::vector<double> sequential(const std::vector<size_t>& order) {
  text::vocabulary v{"the", "sea", "and", "of"};
  std::vector<double> out;
  for (auto i : order) {
    auto r = request(i);
    out.push_back(text::compute_dissonance(r.user_input, r.text, v).dissonance);
    text::add_to_vocabulary(v, text::trigrams(r.text));
  }
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(dissonance_actor_tests, threaded_system)

BOOST_AUTO_TEST_CASE(judges_during_a_commit_share_the_next_transaction) {
  auto log = std::make_shared<cloud_log>();
  auto d = spawn_dissonance(sys, spawn_slow_cloud(sys, log, std::chrono::milliseconds(150), {}),
                            std::chrono::seconds(30));
  using handle = decltype(self->request(d, caf::infinite, atom::judge_v, judge_request{}));
  std::vector<handle> hs;
  for (size_t i = 0; i < texts.size(); ++i) // all sent before the first commit can return
    hs.push_back(self->request(d, std::chrono::seconds(30), atom::judge_v, request(i)));
  auto expect = sequential({0, 1, 2, 3, 4, 5});
  for (size_t i = 0; i < hs.size(); ++i)
    hs[i].receive(
      [&](judged& j) {
        BOOST_CHECK_EQUAL(j.id, static_cast<int64_t>(i + 1)); // ids in judging order
        BOOST_CHECK_EQUAL(j.j.dissonance, expect[i]);         // bit-identical to one by one
      },
      [&](caf::error& e) { BOOST_FAIL("judge " << i << " failed: " << sys.render(e)); });
  std::lock_guard<std::mutex> g{log->mu};
  // The first goes alone at once (no added latency when requests come one at a time); the
  // five judged while it was committing go together.
  BOOST_CHECK(log->batches == (std::vector<size_t>{1, 5}));
  caf::anon_send_exit(d, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(a_failed_transaction_is_forgotten_and_the_next_judged_without_it) {
  auto log = std::make_shared<cloud_log>();
  auto d = spawn_dissonance(sys, spawn_slow_cloud(sys, log, std::chrono::milliseconds(150), {0}),
                            std::chrono::seconds(30));
  using handle = decltype(self->request(d, caf::infinite, atom::judge_v, judge_request{}));
  std::vector<handle> hs;
  for (size_t i = 0; i < texts.size(); ++i)
    hs.push_back(self->request(d, std::chrono::seconds(30), atom::judge_v, request(i)));
  hs[0].receive([&](judged&) { BOOST_FAIL("the failed transaction's sonnet was acknowledged"); },
                [&](caf::error& e) { BOOST_CHECK(is(e, errc::db_error)); });
  // Judged as if sonnet 0 had never been written: its words are not in the cloud.
  auto expect = sequential({1, 2, 3, 4, 5});
  auto first_guess = sequential({0, 1, 2, 3, 4, 5});
  BOOST_REQUIRE(expect[0] != first_guess[1]); // the test can tell the two apart
  for (size_t i = 1; i < hs.size(); ++i)
    hs[i].receive(
      [&](judged& j) {
        BOOST_CHECK_EQUAL(j.id, static_cast<int64_t>(i));
        BOOST_CHECK_EQUAL(j.j.dissonance, expect[i - 1]);
      },
      [&](caf::error& e) { BOOST_FAIL("judge " << i << " failed: " << sys.render(e)); });
  // The vocabulary holds what the cloud holds: sonnet 0's own word "delta" is unknown again.
  self
    ->request(d, std::chrono::seconds(30), atom::dissonance_v, std::string{"my love"},
              std::string{"delta delta delta"})
    .receive([&](judgement& j) { BOOST_CHECK_EQUAL(j.p.novelty, 1.0); },
             [&](caf::error& e) { BOOST_FAIL("query failed: " << sys.render(e)); });
  std::lock_guard<std::mutex> g{log->mu};
  BOOST_CHECK(log->batches == (std::vector<size_t>{1, 5}));
  caf::anon_send_exit(d, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
