#include "actors/model_actor.hpp"

#include <chrono>

#include "caf/all.hpp"

#include "messages/errors.hpp"

namespace sonnet {

namespace {

struct model_state {
  model_state() = default;
  std::shared_ptr<const model::model> m;
  model_settings settings;
  static inline const char* name = "model";
};

model_actor::behavior_type model_fn(model_actor::stateful_pointer<model_state> self,
                                    std::shared_ptr<const model::model> m,
                                    model_settings settings) {
  self->state.m = std::move(m);
  self->state.settings = settings;
  return {
    [=](atom::generate, const continue_request& req) -> caf::result<continuation> {
      if (req.n_tokens <= 0)
        return make_caf_error(errc::invalid_argument, "n_tokens must be > 0");
      auto t0 = std::chrono::steady_clock::now();
      auto& st = self->state;
      // A decoder per request: its KV cache and RNG belong to this sequence alone.
      model::decoder dec{st.m, st.settings.window, st.settings.stride};
      model::sampling s;
      s.temperature = static_cast<float>(req.temperature);
      s.top_k = req.top_k;
      s.seed = req.seed;
      dec.start(req.context, s);
      continuation out;
      if (req.echo_context)
        out.text = st.m->vocab().decode(st.m->vocab().encode(req.context.empty() ? "\n" : req.context));
      out.text += dec.generate(req.n_tokens);
      out.tokens = req.n_tokens;
      out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                 .count();
      return out;
    },
  };
}

} // namespace

model_actor spawn_model(caf::actor_system& sys, std::shared_ptr<const model::model> m,
                        model_settings settings, bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(model_fn, std::move(m), settings);
  return sys.spawn(model_fn, std::move(m), settings);
}

} // namespace sonnet
