// The model actor batches concurrent requests (continuous batching) and still answers each one
// with exactly the text a lone model::decoder gives for the same context and sampling.

#include "tests/actors/fixtures.hpp"

#include <chrono>
#include <thread>

#include "actors/model_actor.hpp"

namespace utf = boost::unit_test;
namespace sm = sonnet::model;
using sonnet::continuation;
using sonnet::continue_request;
using sonnet::test::shipped;
using sonnet::test::threaded_system;

namespace {

/// What a lone decoder makes of the request (with the echoed context when asked).
std::string lone(const continue_request& req, sm::window_mode mode = sm::window_mode::strided) {
  auto m = shipped();
  sm::decoder d(m, mode);
  d.start(req.context, {static_cast<float>(req.temperature), req.top_k, req.seed});
  std::string out;
  if (req.echo_context)
    out = m->vocab().decode(m->vocab().encode(req.context.empty() ? "\n" : req.context));
  return out + d.generate(req.n_tokens);
}

std::vector<continue_request> mixed_requests(int count) {
  const char* contexts[] = {
    "\n", "", "ROMEO:\n", "Shall I compare thee to a summer's day?\n",
    "JULIET:\nO Romeo, Romeo! wherefore art thou Romeo?\nDeny thy father and refuse thy name;\n"};
  std::vector<continue_request> out;
  for (int i = 0; i < count; ++i) {
    continue_request r;
    r.context = contexts[i % 5];
    r.n_tokens = 120 + 45 * (i % 4);
    r.temperature = i % 5 == 4 ? 0.0 : 0.6 + 0.1 * (i % 4);
    r.top_k = i % 3 == 2 ? 8 : 0;
    r.seed = 77 + 13 * static_cast<uint64_t>(i);
    r.echo_context = i % 2 == 0;
    out.push_back(r);
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(model_actor)

BOOST_AUTO_TEST_CASE(concurrent_requests_equal_a_lone_decoder) {
  threaded_system ts;
  auto actor = sonnet::spawn_model(ts.sys, shipped(), sonnet::model_settings{}, true);
  auto reqs = mixed_requests(10);
  using handle_t =
    decltype(ts.self->request(actor, std::chrono::seconds(120), sonnet::atom::generate_v, reqs[0]));
  std::vector<handle_t> handles;
  for (const auto& r : reqs) // all sent before the first reply: they share the batch
    handles.push_back(
      ts.self->request(actor, std::chrono::seconds(120), sonnet::atom::generate_v, r));
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    continuation got;
    handles[i].receive(
      [&](continuation& c) { got = std::move(c); },
      [&](caf::error& e) { BOOST_FAIL("request " << i << ": " << ts.sys.render(e)); });
    BOOST_CHECK_EQUAL(got.tokens, reqs[i].n_tokens);
    BOOST_CHECK_GE(got.ms, 0.0);
    BOOST_CHECK_MESSAGE(got.text == lone(reqs[i]), "request " << i << " (seed " << reqs[i].seed
                                                              << ") differs from a lone decoder");
  }
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(late_requests_join_and_finish_first) {
  threaded_system ts;
  sonnet::model_settings settings;
  settings.step_tokens = 4;
  auto actor = sonnet::spawn_model(ts.sys, shipped(), settings, true);
  continue_request big;
  big.context = "\n";
  big.n_tokens = 6000;
  big.seed = 5;
  auto long_one = ts.self->request(actor, std::chrono::seconds(120), sonnet::atom::generate_v, big);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  auto reqs = mixed_requests(4);
  for (auto& r : reqs) {
    continuation got;
    ts.self->request(actor, std::chrono::seconds(120), sonnet::atom::generate_v, r)
      .receive([&](continuation& c) { got = std::move(c); },
               [&](caf::error& e) { BOOST_FAIL(ts.sys.render(e)); });
    BOOST_CHECK(got.text == lone(r));
  }
  continuation got;
  long_one.receive([&](continuation& c) { got = std::move(c); },
                   [&](caf::error& e) { BOOST_FAIL(ts.sys.render(e)); });
  BOOST_CHECK(got.text == lone(big)); // the joins and leaves around it changed nothing
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(exact_window_batches_alike) {
  threaded_system ts;
  sonnet::model_settings settings;
  settings.window = sm::window_mode::exact;
  auto actor = sonnet::spawn_model(ts.sys, shipped(), settings, true);
  auto reqs = mixed_requests(3);
  for (auto& r : reqs)
    r.n_tokens = 90;
  using handle_t =
    decltype(ts.self->request(actor, std::chrono::seconds(120), sonnet::atom::generate_v, reqs[0]));
  std::vector<handle_t> handles;
  for (const auto& r : reqs)
    handles.push_back(
      ts.self->request(actor, std::chrono::seconds(120), sonnet::atom::generate_v, r));
  for (std::size_t i = 0; i < reqs.size(); ++i)
    handles[i].receive(
      [&](continuation& c) { BOOST_CHECK(c.text == lone(reqs[i], sm::window_mode::exact)); },
      [&](caf::error& e) { BOOST_FAIL(ts.sys.render(e)); });
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(bad_token_count_is_refused) {
  threaded_system ts;
  auto actor = sonnet::spawn_model(ts.sys, shipped(), sonnet::model_settings{}, true);
  continue_request r;
  r.n_tokens = 0;
  sonnet::error err;
  ts.self->request(actor, std::chrono::seconds(10), sonnet::atom::generate_v, r)
    .receive([&](continuation&) {}, [&](caf::error& e) { err = sonnet::from_caf(e); });
  BOOST_CHECK(err.code == sonnet::errc::invalid_argument);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(held_requests_fail_when_the_actor_dies) {
  threaded_system ts;
  auto actor = sonnet::spawn_model(ts.sys, shipped(), sonnet::model_settings{}, true);
  auto reqs = mixed_requests(3);
  for (auto& r : reqs)
    r.n_tokens = 50000; // seconds of work: still held when the kill arrives
  using handle_t =
    decltype(ts.self->request(actor, std::chrono::seconds(60), sonnet::atom::generate_v, reqs[0]));
  std::vector<handle_t> handles;
  for (const auto& r : reqs)
    handles.push_back(
      ts.self->request(actor, std::chrono::seconds(60), sonnet::atom::generate_v, r));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto t0 = std::chrono::steady_clock::now();
  caf::anon_send_exit(actor, caf::exit_reason::kill);
  for (auto& h : handles) {
    sonnet::error err;
    h.receive([&](continuation&) {}, [&](caf::error& e) { err = sonnet::from_caf(e); });
    BOOST_CHECK(err.code == sonnet::errc::model_unavailable);
  }
  BOOST_CHECK_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                 10.0);
}

BOOST_AUTO_TEST_CASE(streamed_chunks_are_the_reply_in_order) {
  threaded_system ts;
  auto actor = sonnet::spawn_model(ts.sys, shipped(), sonnet::model_settings{}, true);
  auto reqs = mixed_requests(3); // batched together: streaming must not change the text
  std::vector<sonnet::test::chunk_collector_actor> sinks;
  using handle_t =
    decltype(ts.self->request(actor, std::chrono::seconds(120), sonnet::atom::generate_v, reqs[0]));
  std::vector<handle_t> handles;
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    reqs[i].part = static_cast<int32_t>(i) + 3;
    sinks.push_back(sonnet::test::spawn_chunk_collector(ts.sys));
    handles.push_back(ts.self->request(actor, std::chrono::seconds(120), sonnet::atom::generate_v,
                                       reqs[i], sonnet::text_sink_actor{sinks.back()}));
  }
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    continuation got;
    handles[i].receive(
      [&](continuation& c) { got = std::move(c); },
      [&](caf::error& e) { BOOST_FAIL("request " << i << ": " << ts.sys.render(e)); });
    auto c = sonnet::test::collect(ts.self, sinks[i], reqs[i].part);
    BOOST_TEST_CONTEXT("request " << i) {
      BOOST_TEST(c.one_part);
      BOOST_TEST(c.chunks.size() > 2u); // a step of 16 tokens at a time, not the whole text
      BOOST_TEST(c.text == got.text);
      BOOST_TEST(got.text == lone(reqs[i]));
    }
  }
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(cancel_releases_the_jobs_sequences) {
  threaded_system ts;
  auto actor = sonnet::spawn_model(ts.sys, shipped(), sonnet::model_settings{}, true);
  auto reqs = mixed_requests(3);
  reqs[0].job = reqs[1].job = 7;
  reqs[0].n_tokens = reqs[1].n_tokens = 50000; // seconds of work each
  reqs[2].job = 8;
  using handle_t =
    decltype(ts.self->request(actor, std::chrono::seconds(120), sonnet::atom::generate_v, reqs[0]));
  std::vector<handle_t> handles;
  for (const auto& r : reqs)
    handles.push_back(
      ts.self->request(actor, std::chrono::seconds(120), sonnet::atom::generate_v, r));
  // Same sender, so the model has all three before the cancel.
  ts.self->send(actor, sonnet::atom::cancel_v, uint64_t{7});
  for (int i = 0; i < 2; ++i) {
    sonnet::error err;
    handles[i].receive([&](continuation&) {}, [&](caf::error& e) { err = sonnet::from_caf(e); });
    BOOST_TEST(err.code == sonnet::errc::cancelled);
  }
  continuation other;
  handles[2].receive([&](continuation& c) { other = std::move(c); },
                     [&](caf::error& e) { BOOST_FAIL(ts.sys.render(e)); });
  BOOST_TEST(other.text == lone(reqs[2])); // the other job is untouched
  auto st = sonnet::test::model_status_of(ts.self, actor);
  BOOST_TEST(st.cancelled == 2);
  BOOST_TEST(st.sequences == 0);
  // Far below the 100000 tokens the cancelled sequences asked for, and no longer growing.
  BOOST_TEST(st.tokens < 20000);
  BOOST_TEST(sonnet::test::model_status_of(ts.self, actor).tokens == st.tokens);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
