#include "actors/model_pool.hpp"

#include <algorithm>
#include <set>

#include "caf/all.hpp"

#include "messages/errors.hpp"

namespace sonnet {

namespace {

struct pool_state {
  pool_state() = default;
  pool_config cfg;
  std::vector<model_actor> slots;
  std::vector<int> in_flight;
  bool stopping = false;
  static inline const char* name = "model-pool";
};

using pool_ptr = model_pool_actor::stateful_pointer<pool_state>;

void start_local(pool_ptr self, size_t i) {
  auto& st = self->state;
  st.slots[i] = spawn_model(self->system(), st.cfg.weights, st.cfg.settings, st.cfg.detached);
  st.in_flight[i] = 0;
  // Monitored, not linked: a dead model is replaced, it does not take the pool down.
  self->monitor(st.slots[i]);
}

/// Errors worth another slot: the slot's actor or worker went away or did not answer.
bool retryable(const caf::error& e) {
  return is(e, errc::model_unavailable) || is(e, errc::no_worker) || is(e, errc::timeout)
         || e == caf::sec::request_receiver_down || e == caf::sec::request_timeout;
}

void attempt(pool_ptr self, std::shared_ptr<continue_request> req,
             caf::typed_response_promise<continuation> rp, int attempts_left,
             std::shared_ptr<std::set<size_t>> tried) {
  auto& st = self->state;
  if (st.slots.empty()) {
    rp.deliver(make_caf_error(errc::model_unavailable, "no model loaded and no workers"));
    return;
  }
  // Least work in flight among the slots this round has not failed on yet; ties: lowest slot.
  if (tried->size() >= st.slots.size())
    tried->clear();
  size_t slot = st.slots.size();
  for (size_t i = 0; i < st.slots.size(); ++i)
    if (!tried->count(i) && (slot == st.slots.size() || st.in_flight[i] < st.in_flight[slot]))
      slot = i;
  auto target = st.slots[slot];
  st.in_flight[slot] += 1;
  // A respawned slot has a new actor; only count down the one we sent to.
  auto done = [self, slot, target] {
    auto& s = self->state;
    if (s.slots[slot] == target && s.in_flight[slot] > 0)
      s.in_flight[slot] -= 1;
  };
  self->request(target, st.cfg.round_timeout, atom::generate_v, *req)
    .then(
      [=](continuation& out) mutable {
        done();
        rp.deliver(std::move(out));
      },
      [=](caf::error& e) mutable {
        done();
        if (attempts_left > 1 && retryable(e) && !self->state.stopping) {
          tried->insert(slot);
          attempt(self, req, rp, attempts_left - 1, tried);
          return;
        }
        rp.deliver(is(e, errc::model_unavailable) || is(e, errc::no_worker)
                       || e.category() != caf::atom("sonnet")
                     ? to_caf(from_caf(e))
                     : e);
      });
}

model_pool_actor::behavior_type pool_fn(pool_ptr self, pool_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (!st.cfg.remotes.empty()) {
    st.slots = st.cfg.remotes;
    st.in_flight.assign(st.slots.size(), 0);
    for (auto& r : st.slots)
      self->link_to(r); // gateways live and die with the pool
  } else if (st.cfg.weights) {
    auto n = static_cast<size_t>(std::max(1, st.cfg.local_actors));
    st.slots.resize(n);
    st.in_flight.resize(n);
    for (size_t i = 0; i < n; ++i)
      start_local(self, i);
  }
  self->set_down_handler([=](caf::down_msg& dm) {
    // Requests the dead model held have already failed (CAF answers them with
    // request_receiver_down); later ones go to the replacement.
    auto& s = self->state;
    for (size_t i = 0; i < s.slots.size(); ++i)
      if (dm.source == s.slots[i].address() && !s.stopping)
        start_local(self, i);
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    self->state.stopping = true;
    for (auto& m : self->state.slots)
      self->send_exit(m, msg.reason);
    self->quit(msg.reason);
  });
  return {
    [=](atom::generate, continue_request& req) -> caf::result<continuation> {
      auto rp = self->make_response_promise<continuation>();
      attempt(self, std::make_shared<continue_request>(std::move(req)), rp,
              std::max(1, self->state.cfg.max_attempts), std::make_shared<std::set<size_t>>());
      return rp;
    },
    [=](atom::model) -> model_actor {
      auto& slots = self->state.slots;
      return slots.empty() ? model_actor{} : slots.front();
    },
  };
}

} // namespace

model_pool_actor spawn_model_pool(caf::actor_system& sys, pool_config cfg) {
  return sys.spawn(pool_fn, std::move(cfg));
}

} // namespace sonnet
