#include "http/bridge.hpp"

#include <memory>

#include "caf/all.hpp"

#include "apps/sonnet/json.hpp"
#include "messages/errors.hpp"

namespace sonnet::http {

void call::cancel() {
  if (waiter)
    caf::anon_send_exit(waiter, caf::exit_reason::user_shutdown);
}

namespace {

call_result convert(sonnet_reply& r) {
  call_result out;
  out.ok = true;
  out.body = to_json(r);
  out.lines = std::move(r.lines);
  out.tokens = r.tokens;
  return out;
}

call_result convert(cloud_stats& s) {
  return call_result{true, to_json(s), {}, {}, 0};
}

call_result convert(stored_sonnet& s) {
  return call_result{true, to_json(s), {}, {}, 0};
}

call_result convert(std::vector<stored_sonnet>& xs) {
  auto arr = nlohmann::json::array();
  for (const auto& x : xs)
    arr.push_back(to_json(x));
  return call_result{true, std::move(arr), {}, {}, 0};
}

/// Spawns the waiter: it sends one request and sets the promise with the reply or the error.
template <class Reply, class... Ts>
call ask(caf::actor_system& sys, const service_actor& svc, std::chrono::milliseconds timeout,
         Ts... xs) {
  auto promise = std::make_shared<std::promise<call_result>>();
  call c;
  c.result = promise->get_future();
  c.waiter = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    self->request(svc, timeout, xs...)
      .then(
        [=](Reply& r) {
          promise->set_value(convert(r));
          self->quit();
        },
        [=](caf::error& e) {
          call_result out;
          out.err = from_caf(e);
          promise->set_value(std::move(out));
          self->quit();
        });
    // A behavior keeps the actor alive until quit (or until an exit cancels it).
    return {[](int32_t) {}};
  });
  return c;
}

} // namespace

call call_generate(caf::actor_system& sys, const service_actor& svc, generate_request req,
                   std::chrono::milliseconds timeout) {
  return ask<sonnet_reply>(sys, svc, timeout, atom::generate_v, std::move(req));
}

void stream_buffer::push(int32_t part, std::string text) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    chunks_.emplace_back(part, std::move(text));
  }
  cv_.notify_all();
}

void stream_buffer::wake() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    woken_ = true;
  }
  cv_.notify_all();
}

std::vector<stream_buffer::chunk> stream_buffer::take(std::chrono::milliseconds t) {
  std::unique_lock<std::mutex> lock{mtx_};
  cv_.wait_for(lock, t, [&] { return woken_ || !chunks_.empty(); });
  return std::exchange(chunks_, {});
}

call call_generate_stream(caf::actor_system& sys, const service_actor& svc, generate_request req,
                          std::chrono::milliseconds timeout, std::shared_ptr<stream_buffer> buf) {
  auto promise = std::make_shared<std::promise<call_result>>();
  call c;
  c.result = promise->get_future();
  // The sink and the requester are one actor: the model's chunks reach it before the
  // service's reply does (each hop keeps the order), and killing it cancels the request.
  auto sink = sys.spawn([=](text_sink_actor::pointer self) -> text_sink_actor::behavior_type {
    self->request(svc, timeout, atom::generate_v, req, text_sink_actor{self})
      .then(
        [=](sonnet_reply& r) {
          promise->set_value(convert(r));
          buf->wake();
          self->quit();
        },
        [=](caf::error& e) {
          call_result out;
          out.err = from_caf(e);
          promise->set_value(std::move(out));
          buf->wake();
          self->quit();
        });
    return {
      [=](atom::chunk, int32_t part, std::string& text) { buf->push(part, std::move(text)); },
    };
  });
  c.waiter = caf::actor_cast<caf::actor>(sink);
  return c;
}

call call_stats(caf::actor_system& sys, const service_actor& svc,
                std::chrono::milliseconds timeout) {
  return ask<cloud_stats>(sys, svc, timeout, atom::stats_v);
}

call call_recent(caf::actor_system& sys, const service_actor& svc, int64_t n,
                 std::chrono::milliseconds timeout) {
  return ask<std::vector<stored_sonnet>>(sys, svc, timeout, atom::recent_v, n);
}

call call_best(caf::actor_system& sys, const service_actor& svc, int64_t n, double min_quality,
               std::chrono::milliseconds timeout) {
  return ask<std::vector<stored_sonnet>>(sys, svc, timeout, atom::best_v, n, min_quality);
}

call call_get(caf::actor_system& sys, const service_actor& svc, int64_t id,
              std::chrono::milliseconds timeout) {
  return ask<stored_sonnet>(sys, svc, timeout, atom::get_v, id);
}

} // namespace sonnet::http
