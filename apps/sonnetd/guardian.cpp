#include "apps/sonnetd/guardian.hpp"

#include <memory>

#include "caf/all.hpp"
#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

namespace sonnet::daemon {

namespace {

template <class Handle>
caf::expected<uint16_t> publish_impl(const Handle& face, uint16_t port, const std::string& bind,
                                     bool tls) {
  if (tls)
    return caf::openssl::publish(face, port, bind.c_str(), true);
  return face.home_system().middleman().publish(face, port, bind.c_str(), true);
}

template <class Handle>
caf::actor guard(caf::actor_system& sys, Handle face, std::function<Handle()> respawn,
                 uint16_t port, std::string bind, bool tls) {
  // Detached: publish and unpublish block on the middleman.
  return sys.spawn<caf::detached>([=](caf::event_based_actor* self) -> caf::behavior {
    auto current = std::make_shared<Handle>(face);
    self->monitor(*current);
    self->set_down_handler([=](caf::down_msg& dm) {
      if (dm.source != current->address())
        return;
      // The TLS listener lives in the same BASP broker; 0.17's openssl::unpublish is unusable.
      self->system().middleman().unpublish(*current, port);
      *current = respawn();
      auto p = publish_impl(*current, port, bind, tls);
      if (!p) {
        caf::aout(self) << "sonnetd: cannot republish on port " << port << ": "
                        << self->system().render(p.error()) << std::endl;
        self->quit(p.error());
        return;
      }
      self->monitor(*current);
      caf::aout(self) << "sonnetd: a peer killed the published actor (" << caf::to_string(dm.reason)
                      << "); published a new one on port " << port << std::endl;
    });
    self->set_exit_handler([=](caf::exit_msg& msg) {
      self->demonitor(current->address());
      self->send_exit(*current, msg.reason);
      self->quit(msg.reason);
    });
    return {[](caf::unit_t) {}}; // nothing to answer; it lives for its handlers
  });
}

} // namespace

caf::expected<uint16_t> publish(const service_actor& face, uint16_t port, const std::string& bind,
                                bool tls) {
  return publish_impl(face, port, bind, tls);
}

caf::expected<uint16_t> publish(const model_actor& face, uint16_t port, const std::string& bind,
                                bool tls) {
  return publish_impl(face, port, bind, tls);
}

caf::actor guard_service(caf::actor_system& sys, service_actor face,
                         std::function<service_actor()> respawn, uint16_t port, std::string bind,
                         bool tls) {
  return guard(sys, std::move(face), std::move(respawn), port, std::move(bind), tls);
}

caf::actor guard_model(caf::actor_system& sys, model_actor face,
                       std::function<model_actor()> respawn, uint16_t port, std::string bind,
                       bool tls) {
  return guard(sys, std::move(face), std::move(respawn), port, std::move(bind), tls);
}

} // namespace sonnet::daemon
