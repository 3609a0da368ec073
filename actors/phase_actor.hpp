#pragma once
// The phase actor: PhaseTransitions (emergent/phases.hpp) behind a mailbox. One update per
// stored user sonnet (its dissonance, novelty and quality; the prototype's one update per
// turn: background writers' sonnets do not count), the state saved after each, atomically.

#include "caf/fwd.hpp"

#include "actors/emergent_config.hpp"
#include "core/result.hpp"
#include "emergent/phases.hpp"
#include "messages/actors.hpp"

namespace sonnet {

/// The phase system's starting record: phases_path if it exists, else the prototype's fresh
/// state. A file that does not parse is errc::bad_state_file (and is left as it is).
result<emergent::phase_record> initial_phase_record(const emergent_config& cfg);

/// The PLASMA draw of the update that makes `observations` updates: a uniform number in [0, 1)
/// from (seed, observations) alone, so a replay of the same events draws the same numbers.
double phase_draw(uint64_t seed, uint64_t observations);

/// Spawns a phase actor starting from `record`.
phase_actor spawn_phases(caf::actor_system& sys, const emergent_config& cfg,
                         emergent::phase_record record);

/// The prototype's get_phase_info() of a record.
phase_info phase_info_of(const emergent::phase_record& r);

} // namespace sonnet
