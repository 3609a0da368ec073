#pragma once
// The model pool: what the service (or a worker node) talks to instead of one model actor.
// Slots are either local model actors (each on its own thread, respawned when they die) or
// gateways to remote workers (see worker_gateway.hpp), which fail fast while disconnected.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "caf/fwd.hpp"

#include "actors/model_actor.hpp"
#include "messages/actors.hpp"

namespace sonnet {

struct pool_config {
  /// Local slots: the weights they share and how they decode; ignored when `remotes` is set.
  std::shared_ptr<const model::model> weights;
  model_settings settings;
  int local_actors = 2;
  bool detached = true;
  /// Remote slots: already-spawned gateways, one per worker.
  std::vector<model_actor> remotes;
  /// How often one round may be tried (on different slots) before its error is returned.
  /// 1 for local slots: a dead local model fails its requests, as the design asks.
  int max_attempts = 1;
  /// Per attempt; includes queueing on the slot.
  std::chrono::milliseconds round_timeout = std::chrono::minutes(10);
  /// Local slots: rounds (sequences, each with its KV cache) decoding at once across all of
  /// them; more wait at the pool in arrival order and start as others finish, so that a burst
  /// costs time, not memory. 0: no cap. Remote slots: each worker enforces its own.
  int max_sequences = default_max_sequences;
  static constexpr int default_max_sequences = 64;
  /// After a model swap (atom::reload): a job pinned to the old model with no round for this
  /// long is taken to have ended (the service says when its jobs end; a worker is not told),
  /// and the old model's actors exit once no pinned job is left.
  std::chrono::milliseconds pin_idle = std::chrono::minutes(2);
};

/// Spawns a pool. With neither weights nor remotes every round fails with model_unavailable.
model_pool_actor spawn_model_pool(caf::actor_system& sys, pool_config cfg);

} // namespace sonnet
