#pragma once
// The model actor: a mailbox in front of one loaded checkpoint. Spawned detached by the
// service so that inference never occupies a cooperative scheduler thread.

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
};

/// Spawns a model actor over `m`.
/// @param detached true for its own thread (production); false lets a test scheduler drive it.
model_actor spawn_model(caf::actor_system& sys, std::shared_ptr<const model::model> m,
                        model_settings settings, bool detached);

} // namespace sonnet
