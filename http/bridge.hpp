#pragma once
// From HTTP to actors: every API call becomes one typed request to the service, sent by a
// short-lived event-based actor (so nothing blocks a CAF scheduler thread). The caller — a
// connection thread — waits on the future; to give up (client gone) it kills the actor. The
// service monitors the requester of a generate, so that kill also cancels the generation.
// A streaming generate's actor is the request's text sink: it queues the chunks the model
// sends for the connection thread to write.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
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

struct call {
  std::future<call_result> result;
  /// The actor waiting for the service; send it an exit to stop waiting.
  caf::actor waiter;
  /// Stops waiting: the reply, if it ever comes, is dropped.
  void cancel();
};

call call_generate(caf::actor_system& sys, const service_actor& svc, generate_request req,
                   std::chrono::milliseconds timeout);

/// Raw text received by a streaming call and not yet written: (candidate, text) in arrival
/// order. Filled by the bridge actor, emptied by the connection thread.
class stream_buffer {
public:
  using chunk = std::pair<int32_t, std::string>;
  void push(int32_t part, std::string text);
  /// Wakes take(): the call's result is ready.
  void wake();
  /// Waits up to `t` for chunks (or wake), then takes every chunk received.
  std::vector<chunk> take(std::chrono::milliseconds t);

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<chunk> chunks_;
  bool woken_ = false;
};

/// A generate whose raw text arrives in `buf` while the model writes it; every chunk is in
/// `buf` before the result is set.
call call_generate_stream(caf::actor_system& sys, const service_actor& svc, generate_request req,
                          std::chrono::milliseconds timeout, std::shared_ptr<stream_buffer> buf);
call call_stats(caf::actor_system& sys, const service_actor& svc,
                std::chrono::milliseconds timeout);
call call_recent(caf::actor_system& sys, const service_actor& svc, int64_t n,
                 std::chrono::milliseconds timeout);
call call_best(caf::actor_system& sys, const service_actor& svc, int64_t n, double min_quality,
               std::chrono::milliseconds timeout);
call call_get(caf::actor_system& sys, const service_actor& svc, int64_t id,
              std::chrono::milliseconds timeout);

} // namespace sonnet::http
