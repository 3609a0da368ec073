#pragma once
// sonnet::errc as a CAF error category, and the conversions at the actor boundary.

#include <string>

#include "caf/error.hpp"
#include "caf/make_message.hpp"
#include "caf/message.hpp"

#include "core/result.hpp"

CAF_ERROR_CODE_ENUM(sonnet::errc, "sonnet")

namespace sonnet {

/// Turns a plain-layer error into a caf::error carrying the message as context.
caf::error to_caf(const error& e);

/// Builds a caf::error in the "sonnet" category.
caf::error make_caf_error(errc code, std::string message);

/// True if `e` is the sonnet error `code`.
bool is(const caf::error& e, errc code);

/// Code and message of any caf::error. CAF's own timeouts and dead receivers map to
/// errc::timeout and errc::model_unavailable; anything else becomes errc::internal.
error from_caf(const caf::error& e);

} // namespace sonnet
