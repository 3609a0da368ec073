#include "actors/emergent_actor.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "caf/all.hpp"

#include "actors/brain_actor.hpp"
#include "actors/dream_actor.hpp"
#include "actors/phase_actor.hpp"
#include "actors/restart_budget.hpp"
#include "messages/errors.hpp"

namespace sonnet {

namespace {

/// One supervised part: its handle (null once given up) and its recent restarts.
template <class Handle>
struct part {
  Handle handle;
  restart_budget restarts;
};

struct emergent_state {
  emergent_config cfg;
  part<brain_actor> brain;
  part<phase_actor> phases;
  part<dream_actor> dream;
  std::vector<stored_sink_actor> subscribers;
  /// The parts end with the supervisor, whatever ends it (the state goes when it does).
  ~emergent_state() {
    for (auto p : {caf::actor_cast<caf::actor>(brain.handle), caf::actor_cast<caf::actor>(phases.handle),
                   caf::actor_cast<caf::actor>(dream.handle)})
      if (p)
        caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  static inline const char* name = "sonnet-emergent";
};

using self_ptr = emergent_actor::stateful_pointer<emergent_state>;

/// Restarts `p` with `spawn` from its saved state; gives up (null handle) when the budget is
/// spent or the state no longer loads.
template <class Handle, class Spawn>
void restart(self_ptr self, part<Handle>& p, const char* what, const caf::error& reason,
             Spawn spawn) {
  p.handle = nullptr;
  if (!p.restarts.take(self->state.cfg.max_restarts_per_minute)) {
    std::fprintf(stderr, "emergent: %s died (%s) too often; it stays down\n", what,
                 to_string(reason).c_str());
    return;
  }
  auto h = spawn();
  if (!h) {
    std::fprintf(stderr, "emergent: %s died (%s); its state does not load (%s); it stays down\n",
                 what, to_string(reason).c_str(), to_string(h.error()).c_str());
    return;
  }
  p.handle = *h;
  self->monitor(p.handle);
  std::fprintf(stderr, "emergent: %s died (%s); restarted from its saved state\n", what,
               to_string(reason).c_str());
}

caf::expected<brain_actor> start_brain(caf::actor_system& sys, const emergent_config& cfg) {
  auto s = initial_brain_state(cfg);
  if (!s)
    return to_caf(s.err());
  return spawn_brain(sys, cfg, *s);
}

caf::expected<phase_actor> start_phases(caf::actor_system& sys, const emergent_config& cfg) {
  auto r = initial_phase_record(cfg);
  if (!r)
    return to_caf(r.err());
  return spawn_phases(sys, cfg, std::move(*r));
}

caf::expected<dream_actor> start_dream(caf::actor_system& sys, const emergent_config& cfg) {
  return spawn_dream(sys, cfg);
}

/// A part went down (anything but the supervisor's own shutdown): restart it. Anyone else is a
/// subscriber leaving.
void on_down(self_ptr self, caf::down_msg& dm) {
  auto& st = self->state;
  auto& sys = self->system();
  auto cfg = st.cfg;
  if (st.brain.handle && dm.source == st.brain.handle.address())
    return restart(self, st.brain, "brain", dm.reason, [&] { return start_brain(sys, cfg); });
  if (st.phases.handle && dm.source == st.phases.handle.address())
    return restart(self, st.phases, "phases", dm.reason, [&] { return start_phases(sys, cfg); });
  if (st.dream.handle && dm.source == st.dream.handle.address())
    return restart(self, st.dream, "dream", dm.reason, [&] { return start_dream(sys, cfg); });
  auto& subs = st.subscribers;
  subs.erase(std::remove_if(subs.begin(), subs.end(),
                            [&](const stored_sink_actor& s) { return s.address() == dm.source; }),
             subs.end());
}

/// A part's step, this long at most: the parts learn in microseconds and save in milliseconds.
constexpr auto step_timeout = std::chrono::seconds(2);

/// One stored sonnet to the brain and the phases (answered once both have saved their step, so
/// a reply the service acknowledges is never lost to a crash), and to every subscriber (told,
/// never waited for).
caf::result<bool> fan_out(self_ptr self, const sonnet_stored& s) {
  auto& st = self->state;
  for (auto& sub : st.subscribers)
    self->send(sub, atom::stored_v, s);
  auto rp = self->make_response_promise<bool>();
  auto left = std::make_shared<int>(0);
  auto all_ok = std::make_shared<bool>(true);
  auto one_done = [=](bool ok) mutable {
    *all_ok = *all_ok && ok;
    if (--*left == 0)
      rp.deliver(*all_ok);
  };
  *left = (st.brain.handle ? 1 : 0) + (st.phases.handle ? 1 : 0);
  if (*left == 0)
    return false;
  if (st.brain.handle)
    self->request(st.brain.handle, step_timeout, atom::stored_v, s)
      .then([=](bool ok) mutable { one_done(ok); },
            [=](caf::error&) mutable { one_done(false); });
  if (st.phases.handle)
    self->request(st.phases.handle, step_timeout, atom::stored_v, s)
      .then([=](bool ok) mutable { one_done(ok || s.added_by != "user"); },
            [=](caf::error&) mutable { one_done(false); });
  return rp;
}

caf::error down(const char* what) {
  return make_caf_error(errc::emergent_off, std::string("the emergent layer's ") + what
                                              + " is down");
}

emergent_actor::behavior_type emergent_fn(self_ptr self, emergent_config cfg, brain_actor brain,
                                          phase_actor phases, dream_actor dream) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.brain.handle = std::move(brain);
  st.phases.handle = std::move(phases);
  st.dream.handle = std::move(dream);
  // Monitored, not linked: a link would pass on an exit_reason::kill, which no exit handler
  // can trap, and take the supervisor (and the service) down with the part.
  self->monitor(st.brain.handle);
  self->monitor(st.phases.handle);
  self->monitor(st.dream.handle);
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  return {
    [=](atom::stored, const sonnet_stored& s) { return fan_out(self, s); },
    [=](atom::score, std::string& text) -> caf::result<brain_report> {
      if (!self->state.brain.handle)
        return down("brain");
      return self->delegate(self->state.brain.handle, atom::score_v, std::move(text));
    },
    [=](atom::phase) -> caf::result<phase_info> {
      if (!self->state.phases.handle)
        return down("phase system");
      return self->delegate(self->state.phases.handle, atom::phase_v);
    },
    [=](atom::subscribe, stored_sink_actor& sub) {
      if (!sub)
        return;
      self->monitor(sub);
      self->state.subscribers.push_back(std::move(sub));
    },
    [=](atom::dream, std::string& mode,
        std::vector<std::string>& texts) -> caf::result<std::vector<std::string>> {
      if (!self->state.dream.handle)
        return down("dreamer");
      return self->delegate(self->state.dream.handle, atom::dream_v, std::move(mode),
                            std::move(texts));
    },
    [=](atom::get) {
      auto& st = self->state;
      return caf::make_result(st.brain.handle, st.phases.handle, st.dream.handle);
    },
  };
}

} // namespace

caf::expected<emergent_actor> spawn_emergent(caf::actor_system& sys, const emergent_config& cfg) {
  // Every state is loaded before anything is spawned: a bad file stops the start, untouched.
  auto brain = initial_brain_state(cfg);
  if (!brain)
    return to_caf(brain.err());
  auto record = initial_phase_record(cfg);
  if (!record)
    return to_caf(record.err());
  auto dream = spawn_dream(sys, cfg);
  if (!dream)
    return dream.error();
  return sys.spawn(emergent_fn, cfg, spawn_brain(sys, cfg, *brain),
                   spawn_phases(sys, cfg, std::move(*record)), std::move(*dream));
}

emergent_config with_state_beside(emergent_config cfg, const std::string& db_path) {
  if (db_path.empty() || db_path == ":memory:")
    return cfg;
  if (cfg.brain_path.empty())
    cfg.brain_path = db_path + ".brain.json";
  if (cfg.phases_path.empty())
    cfg.phases_path = db_path + ".phases.json";
  if (cfg.dream_path.empty())
    cfg.dream_path = db_path + ".dream.json";
  return cfg;
}

} // namespace sonnet
