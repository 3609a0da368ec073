#pragma once
// Fixtures for actor tests: a threaded actor system with the sonnet types, a scratch
// directory, and the model the repository ships.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "caf/all.hpp"

#include "actors/service.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "model/model.hpp"
#include "tests/shared_data.hpp"

namespace sonnet::test {

inline std::string test_model() {
  return default_model;
}

/// A fresh directory, removed afterwards.
struct scratch_dir {
  std::filesystem::path path;
  scratch_dir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path()
           / ("sonnet-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

struct test_config : caf::actor_system_config {
  test_config() {
    register_types(*this);
    set("scheduler.max-threads", 2);
  }
};

/// A threaded actor system, a scoped actor to talk from, and a scratch directory.
struct threaded_system {
  scratch_dir dir; // first: outlives the actor system, which closes the database
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  service_config make_config(const std::string& db = "cloud.db") const {
    service_config sc;
    sc.model_path = test_model();
    sc.db_path = dir.file(db);
    return sc;
  }

  service_control_actor start(const service_config& sc) {
    auto svc = spawn_service(sys, sc);
    if (!svc)
      BOOST_FAIL("spawn_service failed: " << sys.render(svc.error()));
    services.push_back(*svc);
    return *svc;
  }

  /// Generates one sonnet and returns the reply, or fails the test.
  sonnet_reply generate(const service_actor& svc, generate_request req) {
    sonnet_reply out;
    self->request(svc, std::chrono::seconds(600), atom::generate_v, std::move(req))
      .receive([&](sonnet_reply& r) { out = std::move(r); },
               [&](caf::error& e) { BOOST_FAIL("generate failed: " << sys.render(e)); });
    return out;
  }

  /// The error a generate request ends with (errc::none if it succeeded).
  error generate_error(const service_actor& svc, generate_request req) {
    error out;
    self->request(svc, std::chrono::seconds(600), atom::generate_v, std::move(req))
      .receive([&](sonnet_reply&) {}, [&](caf::error& e) { out = from_caf(e); });
    return out;
  }

  cloud_stats stats(const service_actor& svc) {
    cloud_stats out;
    self->request(svc, std::chrono::seconds(60), atom::stats_v)
      .receive([&](cloud_stats& s) { out = s; },
               [&](caf::error& e) { BOOST_FAIL("stats failed: " << sys.render(e)); });
    return out;
  }

  ~threaded_system() {
    for (auto& s : services)
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  }

  std::vector<service_control_actor> services;
};

/// Kills `h` as soon as its current message is done: an urgent exit jumps the mailbox queue,
/// so every request still queued there is left pending when it dies.
template <class Handle>
void kill_after_current_message(const Handle& h) {
  auto ptr = caf::actor_cast<caf::strong_actor_ptr>(h);
  ptr->enqueue(nullptr, caf::make_message_id(caf::message_priority::high),
               caf::make_message(caf::exit_msg{ptr->address(), caf::exit_reason::kill}), nullptr);
}

/// A text sink that keeps every chunk; `get` answers them in arrival order as "part|text".
/// Ask it after the request's reply: the chunks were sent before the reply, so they are in its
/// mailbox before the question.
using chunk_collector_actor =
  text_sink_actor::extend<caf::replies_to<atom::get>::with<std::vector<std::string>>>;

inline chunk_collector_actor spawn_chunk_collector(caf::actor_system& sys) {
  return sys.spawn([](chunk_collector_actor::pointer) -> chunk_collector_actor::behavior_type {
    auto chunks = std::make_shared<std::vector<std::string>>();
    return {
      [=](atom::chunk, int32_t part, std::string& text) {
        chunks->push_back(std::to_string(part) + "|" + text);
      },
      [=](atom::get) { return *chunks; },
    };
  });
}

/// The chunks a collector holds, and their texts concatenated (all must be of `part`).
struct collected {
  std::vector<std::string> chunks;
  std::string text;
  bool one_part = true;
};

inline collected collect(caf::scoped_actor& self, const chunk_collector_actor& c,
                         int32_t part = 0) {
  collected out;
  self->request(c, std::chrono::seconds(60), atom::get_v)
    .receive([&](std::vector<std::string>& xs) { out.chunks = std::move(xs); },
             [&](caf::error&) { BOOST_FAIL("the chunk collector did not answer"); });
  const auto tag = std::to_string(part) + "|";
  for (const auto& x : out.chunks) {
    out.one_part = out.one_part && x.compare(0, tag.size(), tag) == 0;
    out.text += x.substr(x.find('|') + 1);
  }
  return out;
}

/// The model actor's counters.
template <class Handle>
model_status model_status_of(caf::scoped_actor& self, const Handle& h) {
  model_status out;
  self->request(h, std::chrono::seconds(60), atom::status_v)
    .receive([&](model_status& x) { out = x; },
             [&](caf::error&) { BOOST_FAIL("the model actor did not answer its status"); });
  return out;
}

inline generate_request seeded(uint64_t seed, std::string prompt = "") {
  generate_request r;
  r.prompt = std::move(prompt);
  r.seed = seed;
  r.has_seed = true;
  return r;
}

/// The test model, loaded once per test executable.
inline std::shared_ptr<const model::model> shipped() {
  static std::shared_ptr<const model::model> m = [] {
    auto r = model::load_model(test_model());
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.err().message));
    return *r;
  }();
  return m;
}

} // namespace sonnet::test
