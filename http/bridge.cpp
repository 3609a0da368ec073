#include "http/bridge.hpp"

#include <memory>

#include "caf/all.hpp"

#include "http/reading.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"

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
  out.body["reading"] = close_reading(*text::shared_dictionary(), r.lines);
  out.lines = std::move(r.lines);
  out.tokens = r.tokens;
  return out;
}

call_result convert(cloud_stats& s) {
  return call_result{true, to_json(s), {}, {}, 0};
}

/// GET /v1/sonnets/{id}: the row and its close reading (the page opens history in it).
call_result convert(stored_sonnet& s) {
  auto body = to_json(s);
  body["reading"] = close_reading(*text::shared_dictionary(), lines_of(s.text));
  return call_result{true, std::move(body), {}, {}, 0};
}

call_result convert(cloud_series& s) {
  return call_result{true, to_json(s), {}, {}, 0};
}

call_result convert(phase_info& p) {
  return call_result{true, to_json(p), {}, {}, 0};
}

call_result convert(brain_report& b) {
  return call_result{true, to_json(b), {}, {}, 0};
}

call_result convert(std::vector<stored_sonnet>& xs) {
  auto arr = nlohmann::json::array();
  for (const auto& x : xs)
    arr.push_back(to_json(x));
  return call_result{true, std::move(arr), {}, {}, 0};
}

/// Spawns the waiter: it sends one request and calls `done` with the reply or the error.
template <class Reply, class... Ts>
call ask(caf::actor_system& sys, const service_actor& svc, std::chrono::milliseconds timeout,
         done_fn done, Ts... xs) {
  call c;
  c.waiter = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    self->request(svc, timeout, xs...)
      .then(
        [=](Reply& r) {
          done(convert(r));
          self->quit();
        },
        [=](caf::error& e) {
          call_result out;
          out.err = from_caf(e);
          done(std::move(out));
          self->quit();
        });
    // A behavior keeps the actor alive until quit (or until an exit cancels it).
    return {[](int32_t) {}};
  });
  return c;
}

} // namespace

call call_generate(caf::actor_system& sys, const service_actor& svc, generate_request req,
                   std::chrono::milliseconds timeout, done_fn done) {
  return ask<sonnet_reply>(sys, svc, timeout, std::move(done), atom::generate_v, std::move(req));
}

call call_generate_stream(caf::actor_system& sys, const service_actor& svc, generate_request req,
                          std::chrono::milliseconds timeout, chunk_fn chunk, done_fn done) {
  call c;
  // The sink and the requester are one actor: the model's chunks reach it before the
  // service's reply does (each hop keeps the order), and killing it cancels the request.
  auto sink = sys.spawn([=](text_sink_actor::pointer self) -> text_sink_actor::behavior_type {
    self->request(svc, timeout, atom::generate_v, req, text_sink_actor{self})
      .then(
        [=](sonnet_reply& r) {
          done(convert(r));
          self->quit();
        },
        [=](caf::error& e) {
          call_result out;
          out.err = from_caf(e);
          done(std::move(out));
          self->quit();
        });
    return {
      [=](atom::chunk, int32_t part, std::string& text) { chunk(part, std::move(text)); },
    };
  });
  c.waiter = caf::actor_cast<caf::actor>(sink);
  return c;
}

call call_stats(caf::actor_system& sys, const service_actor& svc, std::chrono::milliseconds timeout,
                done_fn done) {
  return ask<cloud_stats>(sys, svc, timeout, std::move(done), atom::stats_v);
}

call call_recent(caf::actor_system& sys, const service_actor& svc, int64_t n,
                 std::chrono::milliseconds timeout, done_fn done) {
  return ask<std::vector<stored_sonnet>>(sys, svc, timeout, std::move(done), atom::recent_v, n);
}

call call_best(caf::actor_system& sys, const service_actor& svc, int64_t n, double min_quality,
               std::chrono::milliseconds timeout, done_fn done) {
  return ask<std::vector<stored_sonnet>>(sys, svc, timeout, std::move(done), atom::best_v, n,
                                         min_quality);
}

call call_get(caf::actor_system& sys, const service_actor& svc, int64_t id,
              std::chrono::milliseconds timeout, done_fn done) {
  return ask<stored_sonnet>(sys, svc, timeout, std::move(done), atom::get_v, id);
}

call call_series(caf::actor_system& sys, const service_actor& svc, int64_t points,
                 std::chrono::milliseconds timeout, done_fn done) {
  return ask<cloud_series>(sys, svc, timeout, std::move(done), atom::series_v, points);
}

call call_phase(caf::actor_system& sys, const service_actor& svc, std::chrono::milliseconds timeout,
                done_fn done) {
  return ask<phase_info>(sys, svc, timeout, std::move(done), atom::phase_v);
}

call call_brain(caf::actor_system& sys, const service_actor& svc, int64_t id,
                std::chrono::milliseconds timeout, done_fn done) {
  return ask<brain_report>(sys, svc, timeout, std::move(done), atom::brain_v, id);
}

} // namespace sonnet::http
