#include "apps/sonnet/session.hpp"

#include "caf/all.hpp"

#include "actors/service.hpp"
#include "messages/errors.hpp"

namespace sonnet::cli {

struct session::impl {
  struct config : caf::actor_system_config {
    config() {
      register_types(*this);
      // Two cores here; the model and cloud run on their own threads anyway.
      set("scheduler.max-threads", 2);
    }
  };
  config cfg;
  caf::actor_system sys{cfg};
};

session::session() : impl_(std::make_unique<impl>()) {}

session::~session() {
  if (service_)
    caf::anon_send_exit(service_, caf::exit_reason::user_shutdown);
}

caf::actor_system& session::system() {
  return impl_->sys;
}

result<std::unique_ptr<session>> session::start(const settings& s, const model_choice* choice,
                                                bool read_only) {
  std::unique_ptr<session> out{new session};
  service_config sc;
  sc.db_path = s.db_path;
  sc.read_only = read_only;
  if (choice) {
    sc.model_path = s.model_path;
    sc.model_options = choice->load;
    sc.window = choice->window;
    sc.stride = choice->stride;
  }
  auto svc = spawn_service(out->impl_->sys, sc);
  if (!svc) {
    auto e = from_caf(svc.error());
    if (choice && (e.code == errc::bad_checkpoint || e.code == errc::bad_vocabulary
                   || e.code == errc::bad_weights))
      e.message += " (model path from " + s.model_origin
                   + "; pass --model PATH to use another NanoGPT .npz)";
    return e;
  }
  out->service_ = *svc;
  return out;
}

} // namespace sonnet::cli
