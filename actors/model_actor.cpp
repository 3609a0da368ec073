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
  uint64_t job = 0;
  int32_t part = 0;
  text_sink_actor sink; // streaming only
  size_t streamed = 0;  // bytes of the generated text already sent to the sink
};

using pending_map = std::map<int, pending_request>; // batch id -> request

struct model_state {
  model_state() = default;
  std::shared_ptr<const model::model> m;
  model_settings settings;
  std::unique_ptr<model::batch_decoder> batch;
  /// Shared with the functor that fails the held requests when the actor dies.
  std::shared_ptr<pending_map> pending;
  bool stepping = false; // a `step` message is on its way
  int64_t cancelled = 0;
  static inline const char* name = "model";
};

using self_ptr = model_actor_impl::stateful_pointer<model_state>;

/// Sends the text generated since the last chunk. Anonymous: a detached actor must never be
/// the sender of a message to a remote node (CAF 0.17's BASP registry would keep it alive).
void stream_new_text(model_state& st, int id, pending_request& p) {
  if (!p.sink)
    return;
  const auto& text = st.batch->text(id);
  if (text.size() > p.streamed) {
    caf::anon_send(p.sink, atom::chunk_v, p.part, text.substr(p.streamed));
    p.streamed = text.size();
  }
}

void reply_finished(self_ptr self) {
  auto& st = self->state;
  auto& pending = *st.pending;
  for (auto it = pending.begin(); it != pending.end();) {
    stream_new_text(st, it->first, it->second);
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

caf::result<continuation> add_request(self_ptr self, const continue_request& req,
                                      text_sink_actor sink) {
  if (req.n_tokens <= 0)
    return make_caf_error(errc::invalid_argument, "n_tokens must be > 0");
  auto& st = self->state;
  pending_request p;
  p.t0 = clock_type::now();
  p.n_tokens = req.n_tokens;
  p.job = req.job;
  p.part = req.part;
  if (req.echo_context)
    p.prefix = st.m->vocab().decode(st.m->vocab().encode(req.context.empty() ? "\n" : req.context));
  if (sink && !p.prefix.empty())
    caf::anon_send(sink, atom::chunk_v, p.part, p.prefix);
  p.sink = std::move(sink);
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
}

model_actor_impl::behavior_type model_fn(self_ptr self, std::shared_ptr<const model::model> m,
                                         model_settings settings,
                                         std::shared_ptr<pending_map> pending) {
  auto& st = self->state;
  st.pending = std::move(pending);
  st.m = std::move(m);
  st.settings = settings;
  st.settings.step_tokens = std::max(1, st.settings.step_tokens);
  st.batch = std::make_unique<model::batch_decoder>(st.m, st.settings.window, st.settings.stride);
  return {
    [=](atom::generate, const continue_request& req) -> caf::result<continuation> {
      return add_request(self, req, text_sink_actor{});
    },
    [=](atom::generate, const continue_request& req, text_sink_actor& sink)
      -> caf::result<continuation> { return add_request(self, req, std::move(sink)); },
    [=](atom::cancel, uint64_t job) {
      // Released now, so the next step no longer computes them; their waiters learn it at once.
      auto& st = self->state;
      if (job == 0)
        return;
      for (auto it = st.pending->begin(); it != st.pending->end();) {
        if (it->second.job != job) {
          ++it;
          continue;
        }
        st.batch->release(it->first);
        it->second.rp.deliver(make_caf_error(errc::cancelled, "the request was cancelled"));
        st.cancelled += 1;
        it = st.pending->erase(it);
      }
    },
    [=](atom::status) {
      auto& st = self->state;
      return model_status{st.batch->size(), st.batch->tokens_total(), st.cancelled};
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
  model_actor_impl h = detached
                         ? sys.spawn<caf::detached>(model_fn, std::move(m), settings, pending)
                         : sys.spawn(model_fn, std::move(m), settings, pending);
  // Dying with requests held (killed, or an exception): each of them ends now. Attached here,
  // before the caller can monitor the actor: attachables run newest first, so monitors (the
  // pool's) learn of the death, and respawn, before these errors reach them.
  caf::actor_cast<caf::abstract_actor*>(h)->attach_functor([pending](const caf::error&) {
    for (auto& [id, p] : *pending)
      if (p.rp.pending())
        p.rp.deliver(
          make_caf_error(errc::model_unavailable, "the model actor stopped during the request"));
    pending->clear(); // the promises point back at the actor
  });
  return h; // the step message stays internal
}

} // namespace sonnet
