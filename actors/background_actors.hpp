#pragma once
// The emergent layer's background writers, subscribed to the stored-sonnet events:
//  * MetaSonnet (emergent/metasonnet.hpp), the "inner voice": after a user's sonnet it may
//    write a reflection, prompted with the bootstrap snippets of striking sonnets (the
//    prototype built that prompt and dropped it), stored if it validates;
//  * Overthinkng (emergent/overthink.hpp): after a user's sonnet it builds the three rings of
//    variations of the newest user sonnets and stores the best of each ring.
// Both submit background_request to the service: the same formatter, judge and store as a
// user's request, marked with who wrote it, refused (errc::busy) while any request is in flight
// so they never go ahead of a user; a refused one is tried again every half second, for at most
// a minute. Rate-limited (background_per_minute), one at a time, and
// seeded: their draws are keyed by (seed, the event's sonnet id), so a replay repeats them.

#include "caf/fwd.hpp"

#include "actors/emergent_config.hpp"
#include "messages/actors.hpp"

namespace sonnet {

/// A background writer: stored sonnets in; atom::step is its own retry timer.
using writer_actor = stored_sink_actor::extend<caf::reacts_to<atom::step>>;

/// Spawns MetaSonnet, writing through `service`.
writer_actor spawn_metasonnet(caf::actor_system& sys, const emergent_config& cfg,
                                   service_control_actor service);

/// Spawns Overthinkng, writing through `service`.
writer_actor spawn_overthinkng(caf::actor_system& sys, const emergent_config& cfg,
                                    service_control_actor service);

} // namespace sonnet
