// The emergent layer inside the service: brain scores in replies, online learning saved beside
// the cloud, phases fed by stored sonnets and used as temperatures, events to subscribers, and
// the supervisor restarting a part that dies. Each expectation is recomputed with the pure
// logic (emergent/) from the replies, so the actors are checked against the spec's rules.

#include "tests/actors/fixtures.hpp"

#include <future>
#include <set>
#include <thread>

#include "actors/brain_actor.hpp"
#include "actors/phase_actor.hpp"
#include "emergent/brain.hpp"
#include "emergent/overthink.hpp"
#include "emergent/phases.hpp"
#include "persistence/replay.hpp"
#include "tests/emergent/emergent_test.hpp"

using namespace sonnet;
using namespace sonnet::test;
using namespace std::chrono_literals;

namespace {

/// A subscriber that keeps every event; `get` answers their ids and texts.
using event_log_actor =
  stored_sink_actor::extend<caf::replies_to<atom::get>::with<std::vector<sonnet_stored>>>;

event_log_actor spawn_event_log(caf::actor_system& sys) {
  return sys.spawn([](event_log_actor::pointer) -> event_log_actor::behavior_type {
    auto events = std::make_shared<std::vector<sonnet_stored>>();
    return {
      [=](atom::stored, sonnet_stored& e) { events->push_back(std::move(e)); },
      [=](atom::get) { return *events; },
    };
  });
}

struct emergent_fixture : threaded_system {
  template <class T, class Handle, class... Ts>
  T ask(const Handle& h, Ts... xs) {
    T out;
    self->request(h, 60s, xs...)
      .receive([&](T& x) { out = std::move(x); },
               [&](caf::error& e) { BOOST_FAIL("request failed: " << sys.render(e)); });
    return out;
  }

  template <class T, class Handle, class... Ts>
  error ask_error(const Handle& h, Ts... xs) {
    error out;
    self->request(h, 60s, xs...).receive([&](const T&) {}, [&](caf::error& e) {
      out = from_caf(e);
    });
    return out;
  }

  /// The supervisor's parts now.
  std::tuple<brain_actor, phase_actor, dream_actor> parts(const service_control_actor& svc) {
    auto e = ask<emergent_actor>(svc, atom::get_v);
    std::tuple<brain_actor, phase_actor, dream_actor> out;
    self->request(e, 60s, atom::get_v)
      .receive([&](brain_actor b, phase_actor p,
                   dream_actor d) { out = {std::move(b), std::move(p), std::move(d)}; },
               [&](caf::error& err) { BOOST_FAIL("parts: " << sys.render(err)); });
    return out;
  }
};

emergent::sonnet_brain fresh_brain(uint64_t seed) {
  std::mt19937_64 rng(seed);
  return emergent::sonnet_brain(emergent::fresh_brain_state(rng));
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(emergent_layer, emergent_fixture)

BOOST_AUTO_TEST_CASE(each_reply_carries_the_brain_score_and_the_brain_learns_from_it) {
  auto sc = make_config();
  auto svc = start(sc);
  auto brain = fresh_brain(sc.emergent.seed);
  for (uint64_t seed : {11u, 12u, 13u}) {
    auto r = generate(svc, seeded(seed, "love and time"));
    BOOST_REQUIRE(r.brain);
    // Scored before learning from it: the score of the brain that learned from the earlier ones.
    BOOST_TEST(*r.brain == brain.score(r.text));
    BOOST_REQUIRE(brain.learn(r.text, r.quality));
  }
  // The counters come through the same mailbox after the events: all three steps are in.
  auto status = ask<brain_report>(svc, atom::brain_v, int64_t{0});
  BOOST_TEST(status.observations == 3);
  BOOST_TEST(status.last_loss == brain.state().last_loss);
  auto saved = emergent::load_brain_state(sc.db_path + ".brain.json");
  BOOST_REQUIRE_MESSAGE(saved, why(saved));
  BOOST_TEST(saved->observations == 3u);
  BOOST_TEST((saved->parameters == brain.state().parameters)); // bit for bit
}

BOOST_AUTO_TEST_CASE(brain_of_a_stored_sonnet_names_its_features) {
  auto svc = start(make_config());
  auto r = generate(svc, seeded(5));
  auto b = ask<brain_report>(svc, atom::brain_v, r.id);
  BOOST_TEST(b.id == r.id);
  BOOST_REQUIRE(b.features.size() == 8u);
  auto f = emergent::extract_features(r.text);
  BOOST_TEST(b.features[0] == f.line_count);
  BOOST_TEST(b.features[1] == f.avg_syllables);
  BOOST_TEST(b.features[7] == 0.5); // the prototype's constant novelty
  BOOST_TEST(b.score >= 0.0);
  BOOST_TEST(b.score <= 1.0);
  BOOST_TEST(ask_error<brain_report>(svc, atom::brain_v, int64_t{9999}).code == errc::no_such_sonnet);
}

BOOST_AUTO_TEST_CASE(phases_follow_the_stored_sonnets_and_set_the_temperature) {
  auto sc = make_config();
  auto svc = start(sc);
  emergent::phase_transitions model([&] { return 0.0; });
  uint64_t key = 0;
  model = emergent::phase_transitions([&] { return phase_draw(sc.emergent.seed, key); });
  for (uint64_t seed = 20; seed < 26; ++seed) {
    auto req = seeded(seed, "the night");
    req.temperature_policy = static_cast<int32_t>(temperature_policy::phases);
    auto expected_t = model.state().temperature_sonnet;
    auto r = generate(svc, req);
    BOOST_TEST(r.phase == emergent::to_string(model.state().current));
    BOOST_TEST(r.temperature == expected_t);
    key = model.record().observations + 1;
    BOOST_REQUIRE(model.update({r.dissonance, r.p.novelty, r.quality}));
  }
  auto info = ask<phase_info>(svc, atom::phase_v);
  BOOST_TEST(info.observations == 6);
  BOOST_TEST(info.phase == emergent::to_string(model.state().current));
  BOOST_TEST(info.temperature_sonnet == model.state().temperature_sonnet);
  BOOST_TEST(info.transition_prob == model.state().transition_prob);
  auto saved = emergent::load_phase_record(sc.db_path + ".phases.json");
  BOOST_REQUIRE_MESSAGE(saved, why(saved));
  BOOST_TEST(saved->observations == 6u);
  BOOST_TEST((saved->quality_history == model.record().quality_history));
}

BOOST_AUTO_TEST_CASE(bands_and_explicit_temperatures_ignore_the_phase) {
  auto svc = start(make_config());
  auto r = generate(svc, seeded(1));
  BOOST_TEST(r.phase.empty()); // the service's default policy is bands
  auto req = seeded(2);
  req.temperature_policy = static_cast<int32_t>(temperature_policy::phases);
  req.temperature = 0.6;
  req.has_temperature = true;
  r = generate(svc, req);
  BOOST_TEST(r.phase.empty());
  BOOST_TEST(r.temperature == 0.6);
  req.temperature_policy = 7;
  BOOST_TEST(generate_error(svc, req).code == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(subscribers_hear_every_stored_sonnet_in_order) {
  auto svc = start(make_config());
  auto log = spawn_event_log(sys);
  self->send(svc, atom::subscribe_v, stored_sink_actor{log});
  std::vector<sonnet_reply> replies;
  for (uint64_t seed : {31u, 32u, 33u})
    replies.push_back(generate(svc, seeded(seed, "winter")));
  std::vector<sonnet_stored> events;
  for (int i = 0; i < 100 && events.size() < replies.size(); ++i) {
    events = ask<std::vector<sonnet_stored>>(log, atom::get_v);
    std::this_thread::sleep_for(20ms);
  }
  BOOST_REQUIRE(events.size() == replies.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    BOOST_TEST(events[i].id == replies[i].id);
    BOOST_TEST(events[i].text == replies[i].text);
    BOOST_TEST(events[i].quality == replies[i].quality);
    BOOST_TEST(events[i].dissonance == replies[i].dissonance);
    BOOST_TEST(events[i].added_by == "user");
    BOOST_TEST((events[i].brain == replies[i].brain));
  }
  caf::anon_send_exit(log, caf::exit_reason::kill);
  generate(svc, seeded(34)); // a dead subscriber is dropped, nothing else changes
}

BOOST_AUTO_TEST_CASE(a_stuck_subscriber_does_not_hold_up_stores) {
  auto svc = start(make_config());
  auto release = std::make_shared<std::promise<void>>();
  auto released = release->get_future().share();
  // Detached: it blocks its own thread, not the scheduler's, until the test lets it go.
  auto stuck = sys.spawn<caf::detached>(
    [released](stored_sink_actor::pointer) -> stored_sink_actor::behavior_type {
      return {[released](atom::stored, const sonnet_stored&) { released.wait(); }};
    });
  self->send(svc, atom::subscribe_v, stuck);
  auto a = generate(svc, seeded(41));
  auto b = generate(svc, seeded(42));
  BOOST_TEST(b.id == a.id + 1);
  BOOST_TEST(ask<phase_info>(svc, atom::phase_v).observations == 2);
  release->set_value();
  caf::anon_send_exit(stuck, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(a_part_that_dies_is_restarted_from_its_saved_state) {
  auto sc = make_config();
  sc.emergent.max_restarts_per_minute = 2;
  auto svc = start(sc);
  generate(svc, seeded(51));
  generate(svc, seeded(52));
  BOOST_TEST(ask<brain_report>(svc, atom::brain_v, int64_t{0}).observations == 2);
  for (int kill = 1; kill <= 2; ++kill) {
    auto [brain, phases, dream] = parts(svc);
    BOOST_REQUIRE(brain);
    caf::anon_send_exit(brain, caf::exit_reason::kill);
    brain_actor next;
    for (int i = 0; i < 200 && (!next || next == brain); ++i) {
      std::this_thread::sleep_for(10ms);
      next = std::get<0>(parts(svc));
    }
    BOOST_REQUIRE_MESSAGE(next && next != brain, "restart " << kill << " did not happen");
    // Restarted from the file: nothing acknowledged was lost.
    BOOST_TEST(ask<brain_report>(svc, atom::brain_v, int64_t{0}).observations == 2);
  }
  auto r = generate(svc, seeded(53));
  BOOST_TEST(static_cast<bool>(r.brain));
  // The third death within a minute is over the budget: the brain stays down, the service not.
  caf::anon_send_exit(std::get<0>(parts(svc)), caf::exit_reason::kill);
  brain_actor gone = std::get<0>(parts(svc));
  for (int i = 0; i < 200 && gone; ++i) {
    std::this_thread::sleep_for(10ms);
    gone = std::get<0>(parts(svc));
  }
  BOOST_REQUIRE(!gone);
  BOOST_TEST(ask_error<brain_report>(svc, atom::brain_v, int64_t{0}).code == errc::emergent_off);
  r = generate(svc, seeded(54));
  BOOST_TEST(!r.brain);
  BOOST_TEST(ask<phase_info>(svc, atom::phase_v).observations == 4);
}

BOOST_AUTO_TEST_CASE(a_bad_state_file_stops_the_start_and_is_left_as_it_was) {
  auto sc = make_config();
  const std::string junk = "{\"observations\": 3, \"parameters\": [1, 2]}";
  spit(sc.db_path + ".brain.json", junk);
  auto svc = spawn_service(sys, sc);
  BOOST_REQUIRE(!svc);
  BOOST_TEST(from_caf(svc.error()).code == errc::bad_state_file);
  BOOST_TEST(slurp(sc.db_path + ".brain.json") == junk);
  spit(sc.db_path + ".phases.json", "{\"phase\": \"SOLID\"}");
  std::filesystem::remove(sc.db_path + ".brain.json");
  svc = spawn_service(sys, sc);
  BOOST_REQUIRE(!svc);
  BOOST_TEST(from_caf(svc.error()).code == errc::bad_state_file);
}

BOOST_AUTO_TEST_CASE(without_the_emergent_layer_replies_have_no_brain) {
  auto sc = make_config();
  sc.emergent.enabled = false;
  auto svc = start(sc);
  auto r = generate(svc, seeded(61));
  BOOST_TEST(!r.brain);
  BOOST_TEST(ask_error<phase_info>(svc, atom::phase_v).code == errc::emergent_off);
  BOOST_TEST(!std::filesystem::exists(sc.db_path + ".brain.json"));
}

BOOST_AUTO_TEST_CASE(a_read_only_service_reads_the_state_and_writes_nothing) {
  auto sc = make_config();
  {
    auto svc = start(sc);
    generate(svc, seeded(71));
    // Both parts have taken (and saved) their step: nothing more will be written.
    BOOST_TEST(ask<phase_info>(svc, atom::phase_v).observations == 1);
    BOOST_TEST(ask<brain_report>(svc, atom::brain_v, int64_t{0}).observations == 1);
  }
  auto before = slurp(sc.db_path + ".brain.json");
  auto ro = sc;
  ro.read_only = true;
  ro.model_path.clear();
  auto svc = start(ro);
  BOOST_TEST(ask<phase_info>(svc, atom::phase_v).observations == 1);
  BOOST_TEST(ask<brain_report>(svc, atom::brain_v, int64_t{1}).observations == 1);
  BOOST_TEST(slurp(sc.db_path + ".brain.json") == before);
}


BOOST_AUTO_TEST_CASE(background_work_never_goes_ahead_of_a_user_request) {
  auto svc = start(make_config());
  auto first = generate(svc, seeded(81, "the rose"));
  // A long user request, then background work while it runs: refused (one mailbox, in order).
  auto long_req = seeded(82);
  long_req.candidates = 8;
  long_req.tokens = 2400;
  self->send(svc, atom::generate_v, long_req); // its reply arrives as an ordinary message
  background_request bg;
  bg.added_by = "overthinkng_echo";
  bg.text = "A line of words that no one wrote before\n" + first.text;
  auto busy = ask_error<sonnet_reply>(svc, atom::generate_v, bg);
  BOOST_TEST(busy.code == errc::busy);
  bool user_done = false;
  self->receive([&](sonnet_reply&) { user_done = true; }, caf::after(600s) >> [] {});
  BOOST_REQUIRE(user_done);
  // Idle now: the exact copy of a stored sonnet is refused, new text is stored as its writer.
  background_request copy = bg;
  copy.text = first.text;
  BOOST_TEST(ask_error<sonnet_reply>(svc, atom::generate_v, copy).code == errc::invalid_argument);
  background_request anon = bg;
  anon.added_by = "user";
  BOOST_TEST(ask_error<sonnet_reply>(svc, atom::generate_v, anon).code == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(background_writers_store_through_the_same_path_and_keep_the_cloud_coherent) {
  auto sc = make_config();
  sc.emergent.metasonnet = true;
  sc.emergent.overthinkng = true;
  sc.emergent.background_per_minute = 10;
  auto svc = start(sc);
  auto log = spawn_event_log(sys);
  self->send(svc, atom::subscribe_v, stored_sink_actor{log});
  std::vector<stored_sonnet> rows;
  auto background_rows = [&] {
    return std::count_if(rows.begin(), rows.end(), [](auto& r) { return r.added_by != "user"; });
  };
  // Until the background writers have had their turn: something of theirs is stored and
  // nothing has changed for 2 s (retries of a busy service come every 0.5 s). Generous limits:
  // a sanitized build writes a reflection in seconds.
  auto wait_quiet = [&](bool want_background, int polls) {
    size_t seen = 0;
    for (int quiet = 0, i = 0; quiet < polls && i < 6000; ++i) {
      std::this_thread::sleep_for(20ms);
      rows = ask<std::vector<stored_sonnet>>(svc, atom::recent_v, int64_t{1000});
      quiet = rows.size() == seen && (!want_background || background_rows() > 0) ? quiet + 1 : 0;
      seen = rows.size();
    }
  };
  for (uint64_t seed : {91u, 92u, 93u}) {
    generate(svc, seeded(seed, "the moon and the sea"));
    wait_quiet(false, 25);
  }
  wait_quiet(true, 100);
  std::set<std::string> writers, texts;
  for (auto& r : rows) {
    writers.insert(r.added_by);
    BOOST_TEST(texts.insert(r.text).second, "#" << r.id << " is a copy"); // never a copy
  }
  BOOST_TEST(writers.count("user") == 1u);
  BOOST_TEST(writers.size() >= 2u, "no background writer stored anything");
  BOOST_TEST(std::count_if(rows.begin(), rows.end(), [](auto& r) { return r.added_by == "user"; })
             == 3);
  for (auto& w : writers)
    BOOST_TEST((w == "user" || w == "metasonnet" || emergent::is_overthink_added_by(w)), w);
  // Every row went through the judge: lines and trigrams derived, dissonance recomputable.
  auto rep = persistence::replay(sc.db_path);
  BOOST_REQUIRE_MESSAGE(rep, why(rep));
  BOOST_TEST(rep->clean());
  BOOST_TEST(rep->sonnets_checked == static_cast<int64_t>(rows.size()));
  // The events name the writers; the brain learned from every stored row, the phases from
  // the user's only (the prototype's one update per turn).
  auto events = ask<std::vector<sonnet_stored>>(log, atom::get_v);
  BOOST_TEST(events.size() == rows.size());
  BOOST_TEST(ask<brain_report>(svc, atom::brain_v, int64_t{0}).observations
             == static_cast<int64_t>(rows.size()));
  BOOST_TEST(ask<phase_info>(svc, atom::phase_v).observations == 3);
}

BOOST_AUTO_TEST_SUITE_END()
