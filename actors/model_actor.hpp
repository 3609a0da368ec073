#pragma once
// The model actor: a mailbox in front of one loaded checkpoint. Spawned detached by the
// service so that inference never occupies a cooperative scheduler thread.
//
// Continuous batching: every request becomes one sequence of a model::batch_decoder; the actor
// advances all of them together, `step_tokens` tokens per internal `step` message, and re-sends
// itself `step` while any is unfinished. Requests that arrive meanwhile join between steps, and
// each is answered as soon as it has its n_tokens. A request's text is the text a lone
// model::decoder gives for the same context, seed, temperature and top_k. When the actor dies
// every request it holds fails with errc::model_unavailable.
//
// Streaming: a request with a text sink gets its new text after every step (anonymous sends,
// in order, before the reply). Cancel: atom::cancel with a job id releases that job's sequences
// from the batch at once (they take no further steps) and fails their requests.

#include <memory>

#include "caf/fwd.hpp"

#include "messages/actors.hpp"
#include "model/model.hpp"

namespace sonnet {

/// How the model actor decodes.
struct model_settings {
  model::window_mode window = model::window_mode::strided;
  /// Window stride S; 0 means the model's default.
  int stride = 0;
  /// Tokens every held sequence advances per `step` message: more means fewer messages,
  /// fewer means new requests join (and other messages are handled) sooner.
  int step_tokens = 16;
};

/// Spawns a model actor over `m`.
/// @param detached true for its own thread (production); false lets a test scheduler drive it.
model_actor spawn_model(caf::actor_system& sys, std::shared_ptr<const model::model> m,
                        model_settings settings, bool detached);

} // namespace sonnet
