#pragma once
// How the CLI prints the service's replies as text (generate, chat, the emergent queries).

#include <chrono>
#include <ostream>
#include <string>

#include "caf/error.hpp"
#include "caf/optional.hpp"

#include "messages/types.hpp"

namespace sonnet::cli {

/// Clients wait longer than any stage of the service may take, so the service's own (finite)
/// timeouts always decide first.
inline constexpr auto client_timeout = std::chrono::seconds(3600);

/// "code: message" of a service error.
std::string describe(const caf::error& e);

/// x with 3 decimals, or "-" when empty.
std::string show(const caf::optional<double>& x);

/// The 14 lines, then one line of figures (id, dissonance, quality, brain, phase, ...).
void print_sonnet(std::ostream& out, const sonnet_reply& r);

/// /phase: the phase, its temperatures, stability, duration (the prototype's layout).
std::string render_phase(const phase_info& p);

/// /brain ID: the score and the raw features, one per line; id 0: the brain's counters.
std::string render_brain(const brain_report& b);

} // namespace sonnet::cli
