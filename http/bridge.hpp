#pragma once
// From HTTP to actors: every API call becomes one typed request to the service, sent by a
// short-lived event-based actor (so nothing blocks a CAF scheduler thread). The answer comes
// back through a callback, called on a CAF thread: the server posts it to its io_context and
// never waits on it. To give up (client gone) the caller kills the actor; the service monitors
// the requester of a generate, so that kill also cancels the generation. A streaming
// generate's actor is also the request's text sink: each chunk goes to a second callback,
// every chunk before the result.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "core/result.hpp"
#include "messages/actors.hpp"

namespace sonnet::http {

/// The service's answer, already in JSON.
struct call_result {
  bool ok = false;
  nlohmann::json body;
  /// When !ok: the service's error (CAF timeouts map to errc::timeout).
  error err;
  /// generate only: the sonnet's lines and the tokens spent.
  std::vector<std::string> lines;
  int64_t tokens = 0;
};

/// Called once, on a CAF thread, unless the call is cancelled first.
using done_fn = std::function<void(call_result)>;
/// A streaming call's raw text: (candidate, text), on a CAF thread, in arrival order.
using chunk_fn = std::function<void(int32_t, std::string)>;

struct call {
  /// The actor waiting for the service; send it an exit to stop waiting.
  caf::actor waiter;
  /// Stops waiting: the reply, if it ever comes, is dropped.
  void cancel();
};

call call_generate(caf::actor_system& sys, const service_actor& svc, generate_request req,
                   std::chrono::milliseconds timeout, done_fn done);
call call_generate_stream(caf::actor_system& sys, const service_actor& svc, generate_request req,
                          std::chrono::milliseconds timeout, chunk_fn chunk, done_fn done);
call call_stats(caf::actor_system& sys, const service_actor& svc, std::chrono::milliseconds timeout,
                done_fn done);
call call_recent(caf::actor_system& sys, const service_actor& svc, int64_t n,
                 std::chrono::milliseconds timeout, done_fn done);
call call_best(caf::actor_system& sys, const service_actor& svc, int64_t n, double min_quality,
               std::chrono::milliseconds timeout, done_fn done);
/// The sonnet with its close reading (reading.hpp) as "reading".
call call_get(caf::actor_system& sys, const service_actor& svc, int64_t id,
              std::chrono::milliseconds timeout, done_fn done);
/// The cloud's dissonance and quality over id, in at most `points` points (columnar JSON).
call call_series(caf::actor_system& sys, const service_actor& svc, int64_t points,
                 std::chrono::milliseconds timeout, done_fn done);

/// The phase system's state (GET /v1/phase).
call call_phase(caf::actor_system& sys, const service_actor& svc, std::chrono::milliseconds timeout,
                done_fn done);
/// SonnetBrain on stored sonnet `id` (GET /v1/sonnets/{id}/brain).
call call_brain(caf::actor_system& sys, const service_actor& svc, int64_t id,
                std::chrono::milliseconds timeout, done_fn done);

} // namespace sonnet::http
