#pragma once
// One call that makes every message type, handle and error category known to an actor system.

namespace caf {
class actor_system_config;
}

namespace sonnet {

/// Registers the sonnet type-ID blocks and the "sonnet" error category with `cfg`.
/// Call before constructing the actor_system; every node must call it.
void register_types(caf::actor_system_config& cfg);

} // namespace sonnet
