// Model swaps (atom::reload): under load, a pool swapped to another model mid-way finishes the
// jobs that began on the old model there (every round), starts later jobs on the new one,
// keeps its decode cap and queue, loses no round, and retires the old model's actors. The
// service loads a checkpoint off the scheduler, refuses a bad one and keeps serving.

#include "tests/actors/fixtures.hpp"
#include "tests/model/fixtures.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "actors/model_pool.hpp"
#include "core/sha256.hpp"

namespace sm = sonnet::model;
using sonnet::continuation;
using sonnet::continue_request;
using sonnet::test::threaded_system;

namespace {

std::shared_ptr<const sm::model> load(const std::string& path) {
  auto r = sm::load_model(path);
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.err().message));
  return *r;
}

/// The tiny random model: it writes only the characters of tiny_vocab, the shipped one writes
/// Shakespeare's (capitals, letters past 'h', punctuation): any 40 characters tell them apart.
const std::string& tiny_model_path() {
  static const std::string p =
    sonnet::test::temp_file("reload_tiny.npz", sonnet::test::tiny_npz(sonnet::test::tiny_arrays()));
  return p;
}

bool by_tiny(const std::string& text) {
  return text.find_first_not_of(sonnet::test::tiny_vocab) == std::string::npos;
}

/// One job's rounds and what each round's text was; rounds after `gate_after` wait for an
/// atom::step from the test.
struct job_log {
  std::mutex mx;
  std::condition_variable cv;
  std::vector<std::string> texts;
  std::vector<std::string> errors;
  bool done = false;
};

caf::actor run_job(caf::actor_system& sys, sonnet::model_pool_actor pool, uint64_t job, int rounds,
                   int gate_after, std::shared_ptr<job_log> log) {
  return sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto context = std::make_shared<std::string>("\n");
    auto round = std::make_shared<int>(0);
    auto next = std::make_shared<std::function<void()>>();
    auto finish = [=] {
      std::lock_guard<std::mutex> lk(log->mx);
      log->done = true;
      log->cv.notify_all();
      *next = nullptr; // breaks the cycle through the shared function
      self->quit();
    };
    *next = [=] {
      continue_request r;
      r.context = *context;
      r.n_tokens = 40;
      r.seed = job * 100 + static_cast<uint64_t>(*round);
      r.echo_context = *round == 0;
      r.job = job;
      self->request(pool, caf::infinite, sonnet::atom::generate_v, r)
        .then(
          [=](continuation& out) {
            {
              std::lock_guard<std::mutex> lk(log->mx);
              log->texts.push_back(*round == 0 ? out.text.substr(context->size()) : out.text);
              log->cv.notify_all();
            }
            *context += *round == 0 ? out.text.substr(context->size()) : out.text;
            *round += 1;
            if (*round == rounds)
              finish();
            else if (*round != gate_after)
              (*next)();
          },
          [=](caf::error& e) {
            {
              std::lock_guard<std::mutex> lk(log->mx);
              log->errors.push_back(to_string(sonnet::from_caf(e).code));
            }
            finish();
          });
    };
    (*next)();
    return {[=](sonnet::atom::step) { (*next)(); }};
  });
}

void wait_rounds(job_log& log, size_t n) {
  std::unique_lock<std::mutex> lk(log.mx);
  BOOST_REQUIRE(log.cv.wait_for(lk, std::chrono::minutes(5),
                                [&] { return log.texts.size() >= n || !log.errors.empty(); }));
}

void wait_done(job_log& log) {
  std::unique_lock<std::mutex> lk(log.mx);
  BOOST_REQUIRE(log.cv.wait_for(lk, std::chrono::minutes(5), [&] { return log.done; }));
}

} // namespace

BOOST_AUTO_TEST_SUITE(model_reload)

BOOST_AUTO_TEST_CASE(jobs_keep_their_model_across_a_swap_and_the_old_one_retires) {
  threaded_system ts;
  sonnet::pool_config pc;
  pc.weights = load(sonnet::test::test_model());
  pc.local_actors = 2;
  pc.max_sequences = 3; // 8 jobs: rounds queue at the pool on both sides of the swap
  auto pool = sonnet::spawn_model_pool(ts.sys, std::move(pc));
  constexpr int rounds = 4, jobs = 8, gate = 2;
  std::vector<std::shared_ptr<job_log>> logs;
  std::vector<caf::actor> drivers;
  for (int j = 0; j < jobs; ++j)
    logs.push_back(std::make_shared<job_log>());
  // Jobs 1-4 start on the shipped model and stop after 2 rounds, until the swap is done.
  for (int j = 0; j < jobs / 2; ++j)
    drivers.push_back(run_job(ts.sys, pool, static_cast<uint64_t>(j + 1), rounds, gate, logs[j]));
  for (int j = 0; j < jobs / 2; ++j)
    wait_rounds(*logs[j], gate);
  sonnet::model_actor old_actor;
  ts.self->request(pool, std::chrono::seconds(30), sonnet::atom::model_v)
    .receive([&](sonnet::model_actor& m) { old_actor = m; },
             [&](caf::error& e) { BOOST_FAIL(ts.sys.render(e)); });
  ts.self->monitor(old_actor);
  int32_t pinned = -1;
  auto t0 = std::chrono::steady_clock::now();
  ts.self
    ->request(pool, std::chrono::seconds(30), sonnet::atom::reload_v,
              sonnet::model_swap{load(tiny_model_path()), ""})
    .receive([&](int32_t n) { pinned = n; }, [&](caf::error& e) { BOOST_FAIL(ts.sys.render(e)); });
  const double swap_ms =
    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("swap answered after " << swap_ms
                                            << " ms; jobs pinned to the old model: " << pinned);
  BOOST_TEST(pinned == jobs / 2);
  // Jobs 5-8 start now, while jobs 1-4 take their remaining rounds.
  for (int j = jobs / 2; j < jobs; ++j)
    drivers.push_back(run_job(ts.sys, pool, static_cast<uint64_t>(j + 1), rounds, -1, logs[j]));
  for (int j = 0; j < jobs / 2; ++j)
    caf::anon_send(drivers[static_cast<size_t>(j)], sonnet::atom::step_v);
  for (auto& l : logs)
    wait_done(*l);
  for (int j = 0; j < jobs; ++j) {
    auto& l = *logs[static_cast<size_t>(j)];
    std::lock_guard<std::mutex> lk(l.mx);
    BOOST_TEST(l.errors.empty(), "job " << j + 1 << ": " << (l.errors.empty() ? "" : l.errors[0]));
    BOOST_TEST(l.texts.size() == static_cast<size_t>(rounds), "job " << j + 1);
    for (size_t r = 0; r < l.texts.size(); ++r) {
      BOOST_TEST(l.texts[r].size() == 40u, "job " << j + 1 << " round " << r);
      if (j < jobs / 2)
        BOOST_TEST(!by_tiny(l.texts[r]), "job " << j + 1 << " round " << r << " old model");
      else
        BOOST_TEST(by_tiny(l.texts[r]), "job " << j + 1 << " round " << r << " new model");
    }
  }
  // The old model's actors exit once its jobs have ended (the service says so with a cancel).
  bool old_down = false;
  ts.self->receive([&](const caf::down_msg&) { old_down = true; },
                   caf::after(std::chrono::milliseconds(200)) >> [] {});
  BOOST_TEST(!old_down); // its jobs may still come back for more rounds
  for (int j = 0; j < jobs / 2; ++j)
    caf::anon_send(pool, sonnet::atom::cancel_v, static_cast<uint64_t>(j + 1));
  ts.self->receive([&](const caf::down_msg& dm) { old_down = dm.source == old_actor.address(); },
                   caf::after(std::chrono::minutes(1)) >> [] {});
  BOOST_TEST(old_down);
  // The new model keeps serving; its first actor is a tiny-model actor.
  sonnet::model_actor now;
  ts.self->request(pool, std::chrono::seconds(30), sonnet::atom::model_v)
    .receive([&](sonnet::model_actor& m) { now = m; }, [&](caf::error&) {});
  BOOST_TEST((now && now != old_actor));
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(an_idle_pin_expires_and_the_old_model_retires) {
  threaded_system ts;
  sonnet::pool_config pc;
  pc.weights = load(sonnet::test::test_model());
  pc.local_actors = 1;
  pc.pin_idle = std::chrono::milliseconds(100); // a worker is never told that a job ended
  auto pool = sonnet::spawn_model_pool(ts.sys, std::move(pc));
  auto log = std::make_shared<job_log>();
  run_job(ts.sys, pool, 7, 1, -1, log);
  wait_done(*log);
  sonnet::model_actor old_actor;
  ts.self->request(pool, std::chrono::seconds(30), sonnet::atom::model_v)
    .receive([&](sonnet::model_actor& m) { old_actor = m; }, [&](caf::error&) {});
  ts.self->monitor(old_actor);
  ts.self
    ->request(pool, std::chrono::seconds(30), sonnet::atom::reload_v,
              sonnet::model_swap{load(tiny_model_path()), ""})
    .receive([&](int32_t n) { BOOST_TEST(n == 1); },
             [&](caf::error& e) { BOOST_FAIL(ts.sys.render(e)); });
  bool old_down = false;
  ts.self->receive([&](const caf::down_msg&) { old_down = true; },
                   caf::after(std::chrono::minutes(1)) >> [] {});
  BOOST_TEST(old_down);
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(a_pool_of_remote_workers_has_no_model_to_swap) {
  threaded_system ts;
  sonnet::pool_config pc;
  pc.remotes.push_back(ts.sys.spawn([]() -> sonnet::model_actor::behavior_type {
    return {
      [](sonnet::atom::generate, continue_request&) { return continuation{}; },
      [](sonnet::atom::generate, continue_request&, sonnet::text_sink_actor&) {
        return continuation{};
      },
      [](sonnet::atom::cancel, uint64_t) {},
      [](sonnet::atom::status) { return sonnet::model_status{}; },
    };
  }));
  auto pool = sonnet::spawn_model_pool(ts.sys, std::move(pc));
  ts.self
    ->request(pool, std::chrono::seconds(30), sonnet::atom::reload_v,
              sonnet::model_swap{load(tiny_model_path()), ""})
    .receive([&](int32_t) { BOOST_FAIL("a pool of remotes swapped a model"); },
             [&](caf::error& e) {
               BOOST_TEST(sonnet::from_caf(e).code == sonnet::errc::model_unavailable);
             });
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()

// -- the service ----------------------------------------------------------------------------

namespace {

struct service_reload : threaded_system {
  sonnet::service_config small_rounds() {
    auto sc = make_config();
    sc.budget.first_round = 300; // several rounds per sonnet
    sc.budget.more_round = 200;
    return sc;
  }

  /// The reply of a reload: the SHA-256, or "error: <code>: <message>".
  std::string reload(const sonnet::service_control_actor& svc, const std::string& path) {
    std::string out;
    self->request(svc, std::chrono::minutes(2), sonnet::atom::reload_v, path)
      .receive([&](std::string& sha) { out = sha; },
               [&](caf::error& e) {
                 auto err = sonnet::from_caf(e);
                 out = "error: " + std::string{to_string(err.code)} + ": " + err.message;
               });
    return out;
  }

  sonnet::model_actor first_model(const sonnet::service_control_actor& svc) {
    sonnet::model_actor m;
    self->request(svc, std::chrono::seconds(30), sonnet::atom::model_v)
      .receive([&](sonnet::model_actor& x) { m = x; }, [&](caf::error&) {});
    return m;
  }
};

sonnet::generate_request seeded(uint64_t seed) {
  sonnet::generate_request r;
  r.prompt = "the sea";
  r.seed = seed;
  r.has_seed = true;
  return r;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(service_model_reload, service_reload)

BOOST_AUTO_TEST_CASE(a_reload_under_load_fails_no_request_and_retires_the_old_model) {
  auto svc = start(small_rounds());
  auto copy = dir.file("copy.npz");
  std::filesystem::copy_file(sonnet::test::test_model(), copy);
  auto old_actor = first_model(svc);
  self->monitor(old_actor);
  constexpr int n = 8;
  auto ok = std::make_shared<std::atomic<int>>(0);
  auto failed = std::make_shared<std::vector<std::string>>();
  auto mx = std::make_shared<std::mutex>();
  for (int i = 0; i < n; ++i)
    sys.spawn([=](caf::event_based_actor* client) {
      client->request(svc, caf::infinite, sonnet::atom::generate_v, seeded(100 + i))
        .then(
          [=](sonnet::sonnet_reply&) {
            std::lock_guard<std::mutex> lk(*mx);
            *ok += 1;
          },
          [=](caf::error& e) {
            std::lock_guard<std::mutex> lk(*mx);
            failed->push_back(to_string(sonnet::from_caf(e).code));
          });
    });
  // Mid-way: some requests' first round is under way.
  sonnet::model_status st;
  for (int tries = 0; tries < 10000 && st.tokens == 0; ++tries) {
    self->request(old_actor, std::chrono::seconds(30), sonnet::atom::status_v)
      .receive([&](sonnet::model_status& s) { st = s; }, [&](caf::error&) {});
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  auto t0 = std::chrono::steady_clock::now();
  auto sha = reload(svc, copy);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
  BOOST_TEST_MESSAGE("reload (load + hash + swap) took " << ms.count() << " ms");
  auto expected = sonnet::sha256_file_hex(copy);
  BOOST_REQUIRE(expected);
  BOOST_TEST(sha == *expected);
  auto ended = [&] {
    std::lock_guard<std::mutex> lk(*mx);
    return *ok + static_cast<int>(failed->size());
  };
  for (int i = 0; i < 10000 && ended() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    std::lock_guard<std::mutex> lk(*mx);
    BOOST_TEST(*ok == n);
    BOOST_TEST(failed->empty(), (failed->empty() ? "" : failed->front()));
  }
  // Its jobs all ended: the old model's actors exit.
  bool down = false;
  self->receive([&](const caf::down_msg& dm) { down = dm.source == old_actor.address(); },
                caf::after(std::chrono::minutes(1)) >> [] {});
  BOOST_TEST(down);
  BOOST_TEST((first_model(svc) != old_actor));
  generate(svc, seeded(9)); // the new model serves
}

BOOST_AUTO_TEST_CASE(a_bad_model_is_refused_and_the_old_one_keeps_serving) {
  auto svc = start(small_rounds());
  auto before = first_model(svc);
  auto missing = dir.file("missing.npz");
  auto r = reload(svc, missing);
  BOOST_TEST(r.rfind("error: ", 0) == 0u, r);
  BOOST_TEST(r.find("missing.npz") != std::string::npos, r);
  auto junk = dir.file("junk.npz");
  std::ofstream(junk) << "not a checkpoint";
  r = reload(svc, junk);
  BOOST_TEST(r.rfind("error: ", 0) == 0u, r);
  BOOST_TEST_MESSAGE("refused: " << r);
  BOOST_TEST((first_model(svc) == before));
  generate(svc, seeded(5));
}

BOOST_AUTO_TEST_SUITE_END()
