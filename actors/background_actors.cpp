#include "actors/background_actors.hpp"

#include <chrono>
#include <deque>
#include <cstdio>
#include <memory>
#include <random>

#include "caf/all.hpp"

#include "core/random_bits.hpp"
#include "emergent/metasonnet.hpp"
#include "emergent/overthink.hpp"
#include "messages/errors.hpp"

namespace sonnet {

namespace {

/// Background work takes no longer than a user's request could.
constexpr auto background_timeout = std::chrono::minutes(10);

/// An independent stream per (seed, purpose, sonnet id): splitmix64, as phase_draw.
uint64_t key(uint64_t seed, uint64_t purpose, int64_t id) {
  return splitmix64_mix(seed ^ (purpose * 0xD1B54A32D192ED03ull) ^ static_cast<uint64_t>(id));
}

/// What both writers share: the work waiting to be submitted, one request at a time, retried
/// while the service is busy with users.
struct writer_state {
  emergent_config cfg;
  service_control_actor service;
  std::unique_ptr<emergent::reflection_limiter> limiter;
  std::deque<background_request> queue;
  /// A request or a retry timer is outstanding.
  bool waiting = false;
  int tries = 0;
};

/// A busy service is asked again this often, at most max_tries times.
constexpr auto retry_every = std::chrono::milliseconds(500);
constexpr int max_tries = 120;

template <class State>
using writer_ptr = typename writer_actor::template stateful_pointer<State>;

template <class State>
void next_item(writer_ptr<State> self);

/// Submits the first queued request; the limiter's slot is given back when the queue is empty.
template <class State>
void pump(writer_ptr<State> self) {
  auto& st = self->state;
  if (st.waiting)
    return;
  if (st.queue.empty()) {
    st.limiter->done();
    return;
  }
  st.waiting = true;
  self->request(st.service, background_timeout, atom::generate_v, st.queue.front())
    .then([self](sonnet_reply&) { next_item(self); },
          [self](caf::error& e) {
            auto& st = self->state;
            if (is(e, errc::busy) && ++st.tries < max_tries) {
              self->delayed_send(self, retry_every, atom::step_v); // st.waiting stays set
              return;
            }
            next_item(self); // a copy, not valid, or busy for too long: not this one
          });
}

template <class State>
void next_item(writer_ptr<State> self) {
  auto& st = self->state;
  st.queue.pop_front();
  st.tries = 0;
  st.waiting = false;
  pump(self);
}

template <class State>
void init(writer_ptr<State> self, const emergent_config& cfg, service_control_actor service) {
  self->state.cfg = cfg;
  self->state.service = std::move(service);
  self->state.limiter = std::make_unique<emergent::reflection_limiter>(
    static_cast<size_t>(cfg.background_per_minute));
}

struct metasonnet_state : writer_state {
  emergent::bootstrap_buffer buffer;
  static inline const char* name = "sonnet-metasonnet";
};

void reflect(writer_ptr<metasonnet_state> self, const sonnet_stored& s) {
  auto& st = self->state;
  emergent::reflection_metrics m{s.dissonance, s.quality, s.p.arousal};
  st.buffer.feed(s.text, m);
  auto draw_key = key(st.cfg.seed, 1, s.id);
  if (!emergent::should_reflect(m, [&] { return unit_from_bits(splitmix64_mix(draw_key)); }))
    return;
  if (!st.limiter->try_start(std::chrono::steady_clock::now()))
    return;
  background_request bg;
  bg.added_by = emergent::reflection_added_by;
  bg.require_valid = true;
  bg.gen.prompt = emergent::reflection_prompt(st.buffer, s.text);
  bg.gen.temperature = emergent::reflection_temperature;
  bg.gen.has_temperature = true;
  bg.gen.tokens = emergent::reflection_tokens;
  bg.gen.seed = key(st.cfg.seed, 2, s.id);
  bg.gen.has_seed = true;
  st.queue.push_back(std::move(bg));
  pump(self);
}

struct overthinkng_state : writer_state {
  static inline const char* name = "sonnet-overthinkng";
};

/// How many of the newest sonnets are looked at to find 5 sources written by users.
constexpr int64_t source_window = 50;

void overthink(writer_ptr<overthinkng_state> self, const sonnet_stored& s) {
  auto& st = self->state;
  if (!st.limiter->try_start(std::chrono::steady_clock::now()))
    return;
  auto seed = key(st.cfg.seed, 3, s.id);
  self->request(st.service, background_timeout, atom::recent_v, source_window)
    .then(
      [self, seed](std::vector<stored_sonnet>& xs) {
        std::vector<emergent::overthink_source> sources;
        for (auto& x : xs)
          if (!emergent::is_overthink_added_by(x.added_by) && sources.size() < 5)
            sources.push_back({x.id, std::move(x.text)});
        std::mt19937_64 rng(seed);
        for (auto& p : emergent::expand(sources, emergent::rings.size(), rng)) {
          background_request bg;
          bg.added_by = std::move(p.added_by);
          bg.text = std::move(p.text);
          self->state.queue.push_back(std::move(bg));
        }
        pump(self);
      },
      [self](caf::error&) { self->state.limiter->done(); });
}

} // namespace

namespace {

/// A writer whose `on_user_sonnet` runs after each user sonnet (the prototype ran both after
/// the user's turns only); atom::step is its retry timer.
template <class State, class F>
writer_actor spawn_writer(caf::actor_system& sys, const emergent_config& cfg,
                          service_control_actor service, F on_user_sonnet) {
  return sys.spawn([=](writer_ptr<State> self) -> writer_actor::behavior_type {
    init(self, cfg, service);
    return {
      [self, on_user_sonnet](atom::stored, const sonnet_stored& s) {
        if (s.added_by == "user")
          on_user_sonnet(self, s);
      },
      [self](atom::step) {
        self->state.waiting = false;
        pump(self);
      },
    };
  });
}

} // namespace

writer_actor spawn_metasonnet(caf::actor_system& sys, const emergent_config& cfg,
                              service_control_actor service) {
  return spawn_writer<metasonnet_state>(sys, cfg, std::move(service), reflect);
}

writer_actor spawn_overthinkng(caf::actor_system& sys, const emergent_config& cfg,
                               service_control_actor service) {
  return spawn_writer<overthinkng_state>(sys, cfg, std::move(service), overthink);
}

} // namespace sonnet
