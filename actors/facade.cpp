#include "actors/facade.hpp"

#include "caf/all.hpp"

namespace sonnet {

namespace {

/// Quits on exit messages from this node only; the target stays the owner's to stop.
template <class Self>
void refuse_remote_exits(Self* self) {
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (msg.source && msg.source.node() != self->node())
      return;
    self->quit(msg.reason);
  });
}

service_actor::behavior_type service_facade_fn(service_actor::pointer self, service_actor target) {
  refuse_remote_exits(self);
  return {
    [=](atom::generate, generate_request& r) -> caf::delegated<sonnet_reply> {
      return self->delegate(target, atom::generate_v, std::move(r));
    },
    [=](atom::generate, generate_request& r,
        text_sink_actor& sink) -> caf::delegated<sonnet_reply> {
      return self->delegate(target, atom::generate_v, std::move(r), std::move(sink));
    },
    [=](atom::dissonance, std::string& u, std::string& s) -> caf::delegated<judgement> {
      return self->delegate(target, atom::dissonance_v, std::move(u), std::move(s));
    },
    [=](atom::stats) -> caf::delegated<cloud_stats> {
      return self->delegate(target, atom::stats_v);
    },
    [=](atom::recent, int64_t n) -> caf::delegated<std::vector<stored_sonnet>> {
      return self->delegate(target, atom::recent_v, n);
    },
    [=](atom::best, int64_t n, double q) -> caf::delegated<std::vector<stored_sonnet>> {
      return self->delegate(target, atom::best_v, n, q);
    },
    [=](atom::get, int64_t id) -> caf::delegated<stored_sonnet> {
      return self->delegate(target, atom::get_v, id);
    },
    [=](atom::series, int64_t n) -> caf::delegated<cloud_series> {
      return self->delegate(target, atom::series_v, n);
    },
    [=](atom::phase) -> caf::delegated<phase_info> {
      return self->delegate(target, atom::phase_v);
    },
    [=](atom::brain, int64_t id) -> caf::delegated<brain_report> {
      return self->delegate(target, atom::brain_v, id);
    },
    [=](atom::dream, std::string& mode) -> caf::delegated<std::vector<std::string>> {
      return self->delegate(target, atom::dream_v, std::move(mode));
    },
    [=](atom::subscribe, stored_sink_actor& sub) {
      self->send(target, atom::subscribe_v, std::move(sub));
    },
  };
}

model_actor::behavior_type model_facade_fn(model_actor::pointer self, model_actor target) {
  refuse_remote_exits(self);
  return {
    [=](atom::generate, continue_request& r) -> caf::delegated<continuation> {
      return self->delegate(target, atom::generate_v, std::move(r));
    },
    [=](atom::generate, continue_request& r,
        text_sink_actor& sink) -> caf::delegated<continuation> {
      return self->delegate(target, atom::generate_v, std::move(r), std::move(sink));
    },
    [=](atom::cancel, uint64_t job) { self->send(target, atom::cancel_v, job); },
    [=](atom::status) -> caf::delegated<model_status> {
      return self->delegate(target, atom::status_v);
    },
  };
}

} // namespace

service_actor spawn_service_facade(caf::actor_system& sys, service_actor target) {
  return sys.spawn(service_facade_fn, std::move(target));
}

model_actor spawn_model_facade(caf::actor_system& sys, model_actor target) {
  return sys.spawn(model_facade_fn, std::move(target));
}

} // namespace sonnet
