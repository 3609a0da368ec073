#include "actors/model_actor.hpp"

#include <chrono>
#include <map>

#include "caf/all.hpp"

#include "messages/errors.hpp"

namespace sonnet {

namespace {

/// The model actor as it is spawned: its public interface plus the internal step message.
using model_actor_impl = model_actor::extend<caf::reacts_to<atom::step>>;

using clock_type = std::chrono::steady_clock;

struct pending_request {
  caf::typed_response_promise<continuation> rp;
  std::string prefix; // the echoed context, or empty
  int32_t n_tokens = 0;
  clock_type::time_point t0;
};

using pending_map = std::map<int, pending_request>; // batch id -> request

struct model_state {
  model_state() = default;
  std::shared_ptr<const model::model> m;
  model_settings settings;
  std::unique_ptr<model::batch_decoder> batch;
  /// Shared with the functor that fails the held requests when the actor dies.
  std::shared_ptr<pending_map> pending;
  bool stepping = false;                  // a `step` message is on its way
  static inline const char* name = "model";
};

using self_ptr = model_actor_impl::stateful_pointer<model_state>;

void reply_finished(self_ptr self) {
  auto& st = self->state;
  auto& pending = *st.pending;
  for (auto it = pending.begin(); it != pending.end();) {
    if (!st.batch->finished(it->first)) {
      ++it;
      continue;
    }
    continuation out;
    out.text = std::move(it->second.prefix);
    out.text += st.batch->release(it->first);
    out.tokens = it->second.n_tokens;
    out.ms = std::chrono::duration<double, std::milli>(clock_type::now() - it->second.t0).count();
    it->second.rp.deliver(std::move(out));
    it = pending.erase(it);
  }
}

model_actor_impl::behavior_type model_fn(self_ptr self, std::shared_ptr<const model::model> m,
                                         model_settings settings, std::shared_ptr<pending_map> pending) {
  auto& st = self->state;
  st.pending = std::move(pending);
  st.m = std::move(m);
  st.settings = settings;
  st.settings.step_tokens = std::max(1, st.settings.step_tokens);
  st.batch = std::make_unique<model::batch_decoder>(st.m, st.settings.window, st.settings.stride);
  return {
    [=](atom::generate, const continue_request& req) -> caf::result<continuation> {
      if (req.n_tokens <= 0)
        return make_caf_error(errc::invalid_argument, "n_tokens must be > 0");
      auto& st = self->state;
      pending_request p;
      p.t0 = clock_type::now();
      p.n_tokens = req.n_tokens;
      if (req.echo_context)
        p.prefix = st.m->vocab().decode(st.m->vocab().encode(req.context.empty() ? "\n" : req.context));
      model::sampling s;
      s.temperature = static_cast<float>(req.temperature);
      s.top_k = req.top_k;
      s.seed = req.seed;
      // The sequence joins the batch; it starts decoding with the next step.
      const int id = st.batch->add(req.context, s, req.n_tokens);
      p.rp = self->make_response_promise<continuation>();
      auto rp = p.rp;
      st.pending->emplace(id, std::move(p));
      if (!st.stepping) {
        st.stepping = true;
        self->send(self, atom::step_v);
      }
      return rp;
    },
    [=](atom::step) {
      auto& st = self->state;
      const int left = st.batch->step(st.settings.step_tokens);
      reply_finished(self);
      if (left > 0)
        self->send(self, atom::step_v); // behind whatever arrived meanwhile
      else
        st.stepping = false;
    },
  };
}

} // namespace

model_actor spawn_model(caf::actor_system& sys, std::shared_ptr<const model::model> m,
                        model_settings settings, bool detached) {
  auto pending = std::make_shared<pending_map>();
  model_actor_impl h = detached ? sys.spawn<caf::detached>(model_fn, std::move(m), settings, pending)
                                : sys.spawn(model_fn, std::move(m), settings, pending);
  // Dying with requests held (killed, or an exception): each of them ends now. Attached here,
  // before the caller can monitor the actor: attachables run newest first, so monitors (the
  // pool's) learn of the death, and respawn, before these errors reach them.
  caf::actor_cast<caf::abstract_actor*>(h)->attach_functor([pending](const caf::error&) {
    for (auto& [id, p] : *pending)
      if (p.rp.pending())
        p.rp.deliver(make_caf_error(errc::model_unavailable, "the model actor stopped during the request"));
    pending->clear(); // the promises point back at the actor
  });
  return h; // the step message stays internal
}

} // namespace sonnet
