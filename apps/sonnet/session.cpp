#include "apps/sonnet/session.hpp"

#include <cstdlib>

#include "caf/all.hpp"
#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include "actors/service.hpp"
#include "apps/sonnet/failover.hpp"
#include "messages/errors.hpp"

namespace sonnet::cli {

namespace {

std::string remote_target;

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

} // namespace

struct session::impl {
  struct config : caf::actor_system_config {
    bool tls = false;
    explicit config(bool network) {
      register_types(*this);
      configure_scheduler(*this);
      if (network) {
        set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(250)});
        // Off: the dialer cuts a silent front instead (failover.cpp, link_timeout).
        set("middleman.connection-timeout", caf::timespan{0});
        if (const char* key = std::getenv("SONNET_CLUSTER_KEY"); key && *key)
          set("middleman.app-identifiers",
              std::vector<std::string>{std::string{"sonnet-actors/"} + key});
        load<caf::io::middleman>();
        // A client of a TLS cluster presents a certificate the cluster's CA signed.
        if (const char* cert = std::getenv("SONNET_TLS_CERT"); cert && *cert) {
          openssl_certificate = cert;
          openssl_key = env_or_empty("SONNET_TLS_KEY");
          openssl_cafile = env_or_empty("SONNET_TLS_CA");
          load<caf::openssl::manager>();
          tls = true;
        }
      }
    }
  };
  explicit impl(bool network) : cfg(network) {}
  config cfg;
  caf::actor_system sys{cfg};
};

session::session(bool network)
    : impl_(std::make_unique<impl>(network)), log_(std::make_shared<front_log>()) {
  if (!network)
    log_->set_current("in-process");
}

std::string session::front_of(int64_t sonnet_id) const {
  auto f = log_->front_of(sonnet_id);
  return f.empty() ? log_->current() : f;
}

std::string session::current_front() const {
  return log_->current();
}

void session::set_remote(std::string host_port) {
  remote_target = std::move(host_port);
}

bool session::remote() {
  return !remote_target.empty();
}

session::~session() {
  if (service_)
    caf::anon_send_exit(service_, caf::exit_reason::user_shutdown);
}

caf::actor_system& session::system() {
  return impl_->sys;
}

result<std::unique_ptr<session>> session::start(const settings& s, const model_choice* choice,
                                                bool read_only) {
  if (remote()) {
    auto fronts = split_fronts(remote_target);
    if (!fronts)
      return fronts.err();
    std::unique_ptr<session> out{new session(true)};
    auto& sys = out->impl_->sys;
    auto link = connect_first(sys, out->impl_->cfg.tls, *fronts, 0);
    if (!link)
      return link.err();
    // Through the failover actor: a front that goes away fails our requests at once (CAF
    // 0.17 would leave them to their timeout), and later ones go to the next front.
    out->service_ = spawn_failover(sys, out->impl_->cfg.tls, std::move(*fronts), *link, out->log_);
    return out;
  }
  std::unique_ptr<session> out{new session(false)};
  service_config sc;
  sc.db_path = s.db_path;
  sc.read_only = read_only;
  sc.emergent.enabled = s.emergent;
  sc.emergent.metasonnet = s.background;
  sc.emergent.overthinkng = s.background;
  if (choice) {
    sc.model_path = s.model_path;
    sc.model_options = choice->load;
    sc.window = choice->window;
    sc.stride = choice->stride;
    sc.max_sequences = choice->max_sequences;
  }
  auto svc = spawn_service(out->impl_->sys, sc);
  if (!svc) {
    auto e = from_caf(svc.error());
    if (choice
        && (e.code == errc::bad_checkpoint || e.code == errc::bad_vocabulary
            || e.code == errc::bad_weights))
      e.message +=
        " (model path from " + s.model_origin + "; pass --model PATH to use another NanoGPT .npz)";
    return e;
  }
  out->service_ = *svc;
  return out;
}

/// Resolves the settings and starts the service: with the model for generating (read-write),
/// without it for queries (read-only, so a query never creates or changes a cloud).
result<std::unique_ptr<session>> open_session(const args& a, bool generating, bool background) {
  auto s = resolve(a);
  if (!s)
    return s.err();
  s->background = background;
  if (auto e = a.str("emergent")) {
    if (*e != "on" && *e != "off")
      throw usage_error{"--emergent must be on or off, got '" + *e + "'"};
    s->emergent = *e == "on";
  }
  if (!generating)
    return session::start(*s, nullptr, true);
  auto choice = parse_model_choice(a);
  return session::start(*s, &choice, false);
}

} // namespace sonnet::cli
