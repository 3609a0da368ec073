#define BOOST_TEST_MODULE actors
#include "tests/actors/fixtures.hpp"

#include <atomic>
#include <cmath>
#include <set>
#include <thread>

#include "actors/candidates.hpp"
#include "persistence/replay.hpp"
#include "persistence/sqlite_store.hpp"

using namespace sonnet;
using namespace sonnet::test;
namespace utf = boost::unit_test;

BOOST_FIXTURE_TEST_SUITE(service, threaded_system)

BOOST_AUTO_TEST_CASE(one_sonnet_end_to_end) {
  auto svc = start(make_config());
  auto r = generate(svc, seeded(1, "tell me about love"));
  BOOST_TEST(r.id == 1);
  BOOST_REQUIRE_EQUAL(r.lines.size(), 14u);
  std::string joined;
  for (size_t i = 0; i < r.lines.size(); ++i)
    joined += (i ? "\n" : "") + r.lines[i];
  BOOST_TEST(r.text == joined);
  BOOST_TEST(r.dissonance >= 0.7); // empty cloud: 0.7 + 0.3 * (1 - similarity)
  BOOST_TEST(r.p.novelty == 1.0);
  BOOST_TEST(r.temperature == 0.8);
  BOOST_TEST(r.tokens >= 800);
  auto st = stats(svc);
  BOOST_TEST(st.sonnet_count == 1);
  BOOST_TEST(st.vocab_size > 0);
}

// docs/DESIGN.md §2 invariant 1: every stored dissonance equals a recomputation against exactly the
// sonnets with smaller ids, however many requests ran at once. Invariant 2: every id replied
// to a client is in the file with all its lines.
BOOST_AUTO_TEST_CASE(field_coherence_under_16_concurrent_requests) {
  auto sc = make_config();
  auto svc = start(sc);
  constexpr int n = 16;
  using handle = decltype(self->request(svc, caf::infinite, atom::generate_v, generate_request{}));
  std::vector<handle> pending;
  for (int i = 0; i < n; ++i) // all 16 are in flight before the first reply is read
    pending.push_back(self->request(svc, std::chrono::seconds(600), atom::generate_v,
                                    seeded(100 + i, i % 2 ? "the sea" : "my love is a rose")));
  std::set<int64_t> ids;
  for (auto& h : pending)
    h.receive([&](sonnet_reply& r) { ids.insert(r.id); },
              [&](caf::error& e) { BOOST_FAIL("request failed: " << sys.render(e)); });
  BOOST_TEST(ids.size() == size_t{n});
  BOOST_TEST(*ids.begin() == 1);
  BOOST_TEST(*ids.rbegin() == n);
  auto report = persistence::replay(sc.db_path);
  BOOST_REQUIRE_MESSAGE(report.ok(),
                        "replay failed: " << (report.ok() ? "" : report.err().message));
  BOOST_TEST(report->sonnets_checked == n);
  BOOST_TEST(report->mismatches.empty());
  BOOST_TEST(report->trigram_mismatches.empty());
  BOOST_TEST(report->lines_mismatches.empty());
  auto db = persistence::open_sqlite(sc.db_path, persistence::open_mode::read_only);
  BOOST_REQUIRE(db.ok());
  for (auto id : ids) {
    auto s = (*db)->get(id);
    BOOST_REQUIRE(s.ok());
    BOOST_TEST(std::count(s->text.begin(), s->text.end(), '\n') == 13);
  }
}

// Invariant 3: while the model computes, the other actors keep answering.
BOOST_AUTO_TEST_CASE(stats_answered_while_the_model_is_busy) {
  auto svc = start(make_config());
  model_actor model;
  self->request(svc, std::chrono::seconds(10), atom::model_v)
    .receive([&](model_actor& m) { model = m; }, [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
  BOOST_REQUIRE(static_cast<bool>(model));
  std::atomic<bool> long_done{false};
  continue_request big;
  big.context = "\n";
  big.n_tokens = 60000; // seconds of work for the model thread
  big.seed = 1;
  auto waiter = sys.spawn([&, model, big](caf::event_based_actor* w) {
    w->request(model, std::chrono::seconds(600), atom::generate_v, big)
      .then([&](const continuation&) { long_done = true; },
            [&](const caf::error&) { long_done = true; });
  });
  // Give the long request time to reach the model, then ask the cloud through the service.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < 20; ++i) {
    auto st = stats(svc);
    BOOST_TEST(st.sonnet_count == 0);
  }
  judgement j;
  self
    ->request(svc, std::chrono::seconds(10), atom::dissonance_v, std::string{"love"},
              std::string{"love is not love"})
    .receive([&](judgement& x) { j = x; }, [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
  BOOST_TEST(j.dissonance >= 0.7);
  BOOST_TEST(!long_done.load()); // every answer above arrived while the model was still busy
  caf::anon_send_exit(model, caf::exit_reason::kill); // don't wait for the long request
  self->wait_for(waiter);
}

// Invariant 5: a request ends even when the model actor dies under it; the model comes back.
BOOST_AUTO_TEST_CASE(dead_model_fails_pending_requests_and_is_respawned) {
  // One model actor, and a first round long enough (seconds) that the kill below lands while
  // the sonnet's round is inside the model, whatever the machine's load.
  auto sc = make_config();
  sc.model_actors = 1;
  sc.budget.first_round = 60000;
  sc.budget.default_budget = 60000;
  sc.budget.max_budget = 60000;
  auto svc = start(sc);
  model_actor model;
  self->request(svc, std::chrono::seconds(10), atom::model_v)
    .receive([&](model_actor& m) { model = m; }, [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
  auto pending = self->request(svc, std::chrono::seconds(600), atom::generate_v, seeded(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill_after_current_message(model);
  error err;
  pending.receive([&](sonnet_reply&) {}, [&](caf::error& e) { err = from_caf(e); });
  BOOST_TEST(err.code == errc::model_unavailable);
  BOOST_TEST_MESSAGE("pending request ended with: " << err.message);
  // The service spawned a replacement; the next request succeeds and nothing was stored before.
  auto quick = seeded(6);
  quick.tokens = 2400;
  auto r = generate(svc, quick);
  BOOST_TEST(r.id == 1);
  model_actor replacement;
  self->request(svc, std::chrono::seconds(10), atom::model_v)
    .receive([&](model_actor& m) { replacement = m; },
             [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
  BOOST_TEST((replacement != model));
}

BOOST_AUTO_TEST_CASE(same_seed_same_sonnet) {
  auto a = start(make_config("a.db"));
  auto b = start(make_config("b.db"));
  auto ra = generate(a, seeded(42, "winter"));
  auto rb = generate(b, seeded(42, "winter"));
  auto rc = generate(b, seeded(43, "winter"));
  BOOST_TEST(ra.text == rb.text);
  BOOST_TEST(ra.dissonance == rb.dissonance);
  BOOST_TEST(rb.text != rc.text);
}

BOOST_AUTO_TEST_CASE(temperature_adapts_to_the_last_dissonance) {
  auto svc = start(make_config());
  auto first = generate(svc, seeded(1));
  BOOST_TEST(first.temperature == 0.8); // nothing judged yet
  auto second = generate(svc, seeded(2));
  auto d = first.dissonance;
  double expected = d < 0.3 ? 0.6 : d < 0.7 ? 0.8 : 1.0;
  BOOST_TEST(second.temperature == expected);
  auto fixed = seeded(3);
  fixed.temperature = 0.5;
  fixed.has_temperature = true;
  BOOST_TEST(generate(svc, fixed).temperature == 0.5);
}

BOOST_AUTO_TEST_CASE(too_small_a_budget_fails_cleanly_and_stores_nothing) {
  auto svc = start(make_config());
  auto req = seeded(1);
  req.tokens = 40; // far too few characters for 14 lines
  auto err = generate_error(svc, req);
  BOOST_TEST(err.code == errc::not_enough_lines);
  BOOST_TEST(err.message.find("40 tokens") != std::string::npos);
  BOOST_TEST(stats(svc).sonnet_count == 0);
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused_and_store_nothing) {
  auto svc = start(make_config());
  auto with_temperature = [](double t) {
    auto r = seeded(1);
    r.temperature = t;
    r.has_temperature = true;
    return r;
  };
  BOOST_TEST(generate_error(svc, with_temperature(std::nan(""))).code == errc::invalid_argument);
  BOOST_TEST(generate_error(svc, with_temperature(-0.1)).code == errc::invalid_argument);
  BOOST_TEST(generate_error(svc, with_temperature(INFINITY)).code == errc::invalid_argument);
  auto negative_budget = seeded(1);
  negative_budget.tokens = -5;
  BOOST_TEST(generate_error(svc, negative_budget).code == errc::invalid_argument);
  auto huge = seeded(1, std::string(1 << 20, 'a'));
  BOOST_TEST(generate_error(svc, huge).code == errc::prompt_too_long);
  auto bad_utf8 = seeded(1, "caf\xc3");
  BOOST_TEST(generate_error(svc, bad_utf8).code == errc::bad_encoding);
  BOOST_TEST(stats(svc).sonnet_count == 0);
}

BOOST_AUTO_TEST_CASE(continues_a_copy_of_the_prototype_cloud,
                     *utf::precondition(have_prototype_cloud{})) {
  auto copy = dir.file("python_cloud.db");
  std::filesystem::copy_file(prototype_cloud, copy);
  std::filesystem::permissions(copy, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add); // the original is read-only
  auto sc = make_config();
  sc.db_path = copy;
  auto svc = start(sc);
  BOOST_TEST(stats(svc).sonnet_count == 155);
  auto r = generate(svc, seeded(9, "shall I compare thee"));
  BOOST_TEST(r.id == 156);
  BOOST_TEST(r.p.novelty < 1.0); // the prototype's vocabulary is known to the cloud
  BOOST_TEST(stats(svc).sonnet_count == 156);
  auto report = persistence::replay(copy);
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(report->sonnets_checked == 1);
  BOOST_TEST(report->foreign_sonnets == 155);
  BOOST_TEST(report->clean());
}

BOOST_AUTO_TEST_CASE(spawn_refuses_a_bad_model_file) {
  auto bad = dir.file("bad.npz");
  std::ofstream(bad) << "this is not a zip archive";
  auto sc = make_config();
  sc.model_path = bad;
  auto svc = spawn_service(sys, sc);
  BOOST_REQUIRE(!svc);
  auto e = from_caf(svc.error());
  BOOST_TEST(e.code == errc::bad_checkpoint);
  BOOST_TEST(e.message.find(bad) != std::string::npos);
  BOOST_TEST(!std::filesystem::exists(sc.db_path)); // nothing created
}

BOOST_AUTO_TEST_CASE(spawn_refuses_a_file_that_is_not_a_cloud) {
  auto path = dir.file("notes.db");
  std::ofstream(path) << "plain text, not SQLite";
  auto sc = make_config();
  sc.model_path.clear();
  sc.db_path = path;
  auto svc = spawn_service(sys, sc);
  BOOST_REQUIRE(!svc);
  BOOST_TEST(from_caf(svc.error()).code == errc::not_a_sonnet_cloud);
}

BOOST_AUTO_TEST_CASE(query_only_service_refuses_generate) {
  auto sc = make_config();
  sc.model_path.clear();
  auto svc = start(sc);
  BOOST_TEST(generate_error(svc, seeded(1)).code == errc::model_unavailable);
  BOOST_TEST(stats(svc).sonnet_count == 0);
}

BOOST_AUTO_TEST_CASE(streamed_chunks_are_the_raw_text_in_order) {
  auto svc = start(make_config());
  auto sink = spawn_chunk_collector(sys);
  auto req = seeded(21, "the sea at night");
  sonnet_reply r;
  self->request(svc, std::chrono::seconds(600), atom::generate_v, req, text_sink_actor{sink})
    .receive([&](sonnet_reply& x) { r = std::move(x); },
             [&](caf::error& e) { BOOST_FAIL("generate failed: " << sys.render(e)); });
  auto c = collect(self, sink, 0);
  BOOST_TEST(c.one_part);
  BOOST_TEST(c.chunks.size() > 10u); // step by step, not at the end
  // The raw text as the service's rounds make it, each round by a lone decoder.
  auto m = model::load_model(test_model());
  BOOST_REQUIRE(m);
  budget_rules rules;
  std::string raw = (*m)->vocab().decode((*m)->vocab().encode(generation_context(req.prompt)));
  int32_t spent = 0;
  for (int round = 0; spent < r.tokens; ++round) {
    auto n = next_round(spent, token_budget(req, rules), rules);
    BOOST_REQUIRE(n > 0);
    model::decoder d(*m);
    d.start(spent == 0 ? generation_context(req.prompt) : raw,
            {static_cast<float>(r.temperature), req.top_k,
             round_seed(candidate_seed(req.seed, 0), round)});
    raw += d.generate(n);
    spent += n;
  }
  BOOST_TEST(c.text == raw);
  // And the sonnet is what the formatter makes of exactly that text.
  auto f = best_formatted({c.text});
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(f->first.lines == r.lines, boost::test_tools::per_element());
  BOOST_TEST(stats(svc).sonnet_count == 1);
}

BOOST_AUTO_TEST_CASE(a_requester_that_goes_away_cancels_its_request) {
  auto sc = make_config();
  sc.model_actors = 1; // so the one model actor's counters are the whole story
  auto svc = start(sc);
  model_actor model;
  self->request(svc, std::chrono::seconds(60), atom::model_v)
    .receive([&](model_actor& x) { model = x; }, [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
  auto req = seeded(5, "the sea");
  req.candidates = 16;
  service_actor face = svc;
  // Stands for an HTTP connection's bridge actor: it asks, then dies (the client left).
  auto requester = sys.spawn([=](caf::event_based_actor* a) -> caf::behavior {
    a->request(face, caf::infinite, atom::generate_v, req)
      .then([](sonnet_reply&) {}, [](caf::error&) {});
    return {[](int32_t) {}};
  });
  caf::anon_send_exit(requester, caf::exit_reason::kill);
  // The service sees the DOWN (right behind the request, or at once if the requester was
  // already gone when it monitored it) and tells the model to drop all 16 sequences.
  model_status st;
  for (int i = 0; i < 6000 && st.cancelled < 16; ++i) {
    st = model_status_of(self, model);
    if (st.cancelled < 16)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  BOOST_TEST(st.cancelled == 16);
  BOOST_TEST(st.sequences == 0);
  BOOST_TEST(st.tokens < 16 * 800); // the first round (800 tokens each) never completed
  int64_t drained = -1;
  self->request(svc, std::chrono::seconds(60), atom::drain_v)
    .receive([&](int64_t n) { drained = n; }, [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
  BOOST_TEST(drained == 0); // the request already ended
  BOOST_TEST(stats(svc).sonnet_count == 0);
  BOOST_TEST(model_status_of(self, model).tokens == st.tokens); // no more steps
}

BOOST_AUTO_TEST_SUITE_END()
