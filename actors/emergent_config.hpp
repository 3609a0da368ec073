#pragma once
// What the emergent layer (actors/emergent_actor.hpp) needs to start: where its state lives,
// its seed, and whether it may learn.

#include <cstdint>
#include <string>

namespace sonnet {

struct emergent_config {
  /// Off: the service runs without brain and phases (replies carry no brain score).
  bool enabled = true;
  /// State files, each written atomically after every change. Empty: kept in memory only.
  std::string brain_path;
  std::string phases_path;
  std::string dream_path;
  /// A sonnetbrain.json to start from when brain_path does not exist yet (e.g. the
  /// prototype's); empty: fresh weights drawn from `seed`.
  std::string brain_init;
  /// Seeds the fresh brain's weights, the dream encoders, and the PLASMA draws (each draw keyed
  /// by the update's number, so the same events give the same phases after a restart too).
  uint64_t seed = 18;
  /// Learn and save; false on a read-only cloud (nothing is written).
  bool learn = true;
  /// The background writers (actors/background_actors.hpp): MetaSonnet's reflections and
  /// Overthinkng's rings, after each user sonnet. Off by default (`generate`); `chat` turns
  /// them on, sonnetd when configured.
  bool metasonnet = false;
  bool overthinkng = false;
  /// At most this many reflections, and this many expansions, start per minute.
  int background_per_minute = 2;
  /// A part that dies is restarted from its saved state at most this often per minute; after
  /// that it stays down (errc::emergent_off) and the service goes on without it.
  int max_restarts_per_minute = 5;
};

/// The state files beside a cloud database: DB.brain.json, DB.phases.json, DB.dream.json;
/// none (memory only) for ":memory:" or an empty path. Paths already set are kept.
emergent_config with_state_beside(emergent_config cfg, const std::string& db_path);

} // namespace sonnet
