// sonnetd: the sonnet service as a daemon. Publishes the service (standalone, front) or a
// model pool (worker) on --bind:--port and runs until SIGTERM/SIGINT, then drains and exits 0.
// With --http-port it also serves the HTTP/JSON API and the web page (http/server.hpp).

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <thread>

#include "caf/all.hpp"
#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include "actors/facade.hpp"
#include "actors/model_pool.hpp"
#include "actors/service.hpp"
#include "apps/sonnetd/config.hpp"
#include "apps/sonnetd/guardian.hpp"
#include "core/paths.hpp"
#include "core/regular_file.hpp"
#include "core/sha256.hpp"
#include "http/server.hpp"
#include "messages/errors.hpp"
#include "net/caf_guard.hpp"
#include "net/dialer.hpp"

using namespace sonnet;

namespace {

int fail(const std::string& msg, int code = 1) {
  std::cerr << "sonnetd: " << msg << std::endl;
  return code;
}

std::string default_model(const daemon::config& cfg) {
  if (!cfg.model.empty())
    return cfg.model;
  if (const char* env = std::getenv("SONNET_MODEL"); env && *env)
    return env;
  auto d = paths::default_model();
  return d.path.empty() ? "models/default.npz" : d.path;
}

/// Blocks until SIGTERM or SIGINT; returns its name. SIGHUP calls `on_hup` (the reload) and
/// waits on: its default action would kill the daemon without draining.
template <class F>
const char* wait_for_signal(const sigset_t& set, F on_hup) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0)
      continue;
    if (sig == SIGHUP) {
      on_hup();
      continue;
    }
    return sig == SIGTERM ? "SIGTERM" : "SIGINT";
  }
}

/// The actor system's destructor waits for every detached actor's thread, and in CAF 0.17 such a
/// thread can wait for good for its actor object to be freed (seen in about one shutdown in
/// four under load, with the release before this one too; the reference that keeps it is
/// CAF's). Everything is stored and closed by then, so a shutdown that takes longer than `t`
/// ends the process with exit code 0 and says so.
void exit_watchdog(std::chrono::seconds t) {
  std::thread([t] {
    std::this_thread::sleep_for(t);
    std::cout << "sonnetd: the actor system did not finish stopping in " << t.count()
              << " s (a CAF 0.17 detached thread waiting for its actor); exiting" << std::endl;
    std::_Exit(0);
  }).detach();
}

} // namespace

int main(int argc, char** argv) {
  // Signals are taken by sigwait in main; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // --config=FILE names the config file (CAF calls it --config-file).
  std::string config_file;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--config=", 0) == 0)
      config_file = a.substr(9);
    else
      args.push_back(a);
  }
  // CAF quietly runs on defaults when the file it is given is missing; we refuse instead.
  // A FIFO or device would block CAF's read: only a regular file is read at all.
  if (!config_file.empty())
    if (auto ok = check_regular_file(config_file, errc::invalid_argument); !ok)
      return fail("cannot read config file " + ok.err().message, 2);
  daemon::config cfg;
  if (auto err = cfg.parse(args, config_file.empty() ? nullptr : config_file.c_str()))
    return fail("bad configuration: " + caf::to_string(err), 2);
  if (cfg.cli_helptext_printed)
    return 0;
  if (!cfg.remainder.empty())
    return fail("unexpected argument '" + cfg.remainder.front() + "'", 2);
  if (auto problem = daemon::check(cfg); !problem.empty())
    return fail(problem, 2);
  if (!cfg.cluster_key.empty())
    cfg.set("middleman.app-identifiers",
            std::vector<std::string>{"sonnet-actors/" + cfg.cluster_key});
  cfg.load<caf::io::middleman>();
  // TLS between nodes when a certificate is configured ([openssl] certificate, key, cafile).
  // With a CA file, peers must present a certificate it signed: only the cluster's nodes
  // (and clients holding such a certificate) can talk to this node.
  bool tls = !cfg.openssl_certificate.empty();
  if (tls)
    cfg.load<caf::openssl::manager>();
  auto link_timeout = daemon::take_link_timeout(cfg);
  // Declared before the actor system, so that they outlive it: the middleman's last writes
  // (error replies at shutdown) still pass through them.
  std::unique_ptr<guard::caf_guard> caf_port;
  std::unique_ptr<net::dialer> dialer;
  if (cfg.role == "front") {
    net::dialer_config dc;
    dc.silence_timeout = link_timeout;
    dc.log = [](const std::string& line) { std::cout << "sonnetd: " << line << std::endl; };
    std::string err;
    dialer = net::dialer::start(dc, err);
    if (!dialer)
      return fail(err);
  }
  caf::actor_system sys{cfg};

  service_actor service_face;    // what clients reach (standalone, front)
  model_actor model_face;        // what front nodes reach (worker)
  service_control_actor service; // standalone and front
  model_pool_actor pool;         // worker
  std::string model_path = default_model(cfg);
  // Nodes with a model load it here, so that the start line can say which model answers: its
  // file, content hash and attention scale.
  std::shared_ptr<const model::model> weights;
  std::string model_sha;
  if (cfg.role != "front") {
    auto m = model::load_model(model_path);
    if (!m)
      return fail(std::string{to_string(m.err().code)} + ": " + m.err().message);
    auto sha = sha256_file_hex(model_path, errc::bad_checkpoint);
    if (!sha)
      return fail(std::string{to_string(sha.err().code)} + ": " + sha.err().message);
    weights = std::move(*m);
    model_sha = *sha;
  }
  if (cfg.role == "worker") {
    pool_config pc;
    pc.weights = weights;
    pc.local_actors = cfg.model_actors;
    pc.max_sequences = cfg.max_sequences;
    pool = spawn_model_pool(sys, std::move(pc));
    model_face = spawn_model_facade(sys, pool);
  } else {
    service_config sc;
    sc.db_path = cfg.db;
    sc.emergent.enabled = cfg.emergent == "on";
    sc.emergent.metasonnet = cfg.metasonnet == "on";
    sc.emergent.overthinkng = cfg.overthinkng == "on";
    sc.emergent.brain_init = cfg.brain_init;
    sc.emergent.seed = static_cast<uint64_t>(cfg.emergent_seed);
    sc.policy = cfg.temperature_policy == "phases" ? temperature_policy::phases
                                                   : temperature_policy::bands;
    sc.model_actors = cfg.model_actors;
    sc.max_sequences = cfg.max_sequences;
    if (cfg.role == "front") {
      sc.workers = daemon::worker_list(cfg);
      sc.gateway.tls = tls;
      sc.gateway.dial =
        [d = dialer.get()](const std::string& host,
                           uint16_t port) -> caf::expected<std::pair<std::string, uint16_t>> {
        std::string err;
        auto local = d->route(host, port, err);
        if (local == 0)
          return make_caf_error(errc::no_worker, err);
        return std::make_pair(std::string{"127.0.0.1"}, local);
      };
    } else {
      sc.model_path = model_path;
      sc.loaded_model = weights;
    }
    auto s = spawn_service(sys, sc);
    if (!s) {
      auto e = from_caf(s.error());
      return fail(std::string{to_string(e.code)} + ": " + e.message);
    }
    service = *s;
    service_face = spawn_service_facade(sys, service);
  }
  caf::actor guardian;
  auto stop_all = [&] {
    // The guardian owns the published facade: stopping the facade behind its back would make
    // it republish one while the middleman shuts down.
    if (guardian)
      caf::anon_send_exit(guardian, caf::exit_reason::user_shutdown);
    else if (service_face)
      caf::anon_send_exit(service_face, caf::exit_reason::user_shutdown);
    else if (model_face)
      caf::anon_send_exit(model_face, caf::exit_reason::user_shutdown);
    if (service)
      caf::anon_send_exit(service, caf::exit_reason::user_shutdown);
    if (pool)
      caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
  };
  // CAF listens on loopback only, on a free port; peers reach it through the guard on
  // --bind:--port (net/caf_guard.hpp), which bounds what an unauthenticated peer can make CAF
  // allocate. Published typed, so that clients' remote_actor<T> can check the interface.
  const std::string inner = "127.0.0.1";
  auto port = service_face ? daemon::publish(service_face, 0, inner, tls)
                           : daemon::publish(model_face, 0, inner, tls);
  if (!port) {
    stop_all();
    return fail("cannot listen on " + inner + ": " + sys.render(port.error()));
  }
  {
    guard::guard_config gc;
    gc.bind = cfg.bind;
    gc.port = cfg.port;
    gc.upstream_port = *port;
    gc.tls = tls;
    gc.handshake_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.handshake_timeout);
    gc.max_pending = cfg.max_pending_connections;
    gc.max_message = static_cast<uint32_t>(cfg.max_message_size);
    gc.silence_timeout = link_timeout;
    gc.log = [](const std::string& line) {
      std::cout << "sonnetd: caf port: " << line << std::endl;
    };
    std::string err;
    caf_port = guard::caf_guard::start(gc, err);
    if (!caf_port) {
      stop_all();
      return fail("cannot listen on " + cfg.bind + ":" + std::to_string(cfg.port) + ": " + err);
    }
  }
  if (service_face)
    guardian = daemon::guard_service(
      sys, service_face, [&sys, service] { return spawn_service_facade(sys, service); }, *port,
      inner, tls);
  else
    guardian = daemon::guard_model(
      sys, model_face, [&sys, pool] { return spawn_model_facade(sys, pool); }, *port, inner, tls);
  std::cout << "sonnetd: " << cfg.role << " listening on " << cfg.bind << ":" << caf_port->port()
            << (tls ? " tls" : "");
  if (cfg.role != "worker")
    std::cout << " db=" << cfg.db;
  if (cfg.role == "front")
    std::cout << " workers=" << cfg.workers;
  else
    std::cout << " model=" << model_path << " model-sha256=" << model_sha.substr(0, 12)
              << " attn-scale=" << weights->attn_scale() << " model-actors=" << cfg.model_actors;
  std::cout << std::endl;

  // The HTTP API talks to the service itself (not the published facade).
  std::unique_ptr<http::server> web;
  if (auto http_port = daemon::http_port(cfg); http_port && service) {
    http::server_config hc;
    hc.bind = cfg.http_bind.empty() ? cfg.bind : cfg.http_bind;
    hc.port = *http_port;
    hc.max_in_flight = cfg.http_max_in_flight;
    hc.request_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http_request_timeout);
    hc.max_connections = cfg.http_max_connections;
    hc.max_connections_per_address = cfg.http_max_connections_per_address;
    hc.head_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http_head_timeout);
    hc.unacked_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http_unacked_timeout);
    hc.body_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http_body_timeout);
    auto started = http::server::start(sys, service, hc);
    if (!started) {
      stop_all();
      return fail("http: " + started.err().message);
    }
    web = std::move(*started);
    std::cout << "sonnetd: http listening on " << hc.bind << ":" << web->port() << std::endl;
  }

  // SIGHUP: re-reads the config file (flags given on the command line still win) and, when the
  // model's path or content changed, loads the new checkpoint and swaps it into the pool: jobs
  // under way finish on the old model, new ones use the new one. Only the model reloads.
  auto reload = [&] {
    std::cout << "sonnetd: SIGHUP: re-reading "
              << (config_file.empty() ? std::string{"the command line"} : config_file)
              << "; only the model reloads (model, SONNET_MODEL), other settings need a restart"
              << std::endl;
    if (cfg.role == "front") {
      std::cout << "sonnetd: reload: a front node has no model to reload" << std::endl;
      return;
    }
    auto refuse = [&](const std::string& why) {
      std::cout << "sonnetd: reload refused: " << why << "; still serving model=" << model_path
                << " model-sha256=" << model_sha.substr(0, 12) << std::endl;
    };
    daemon::config fresh;
    if (!config_file.empty())
      if (auto ok = check_regular_file(config_file, errc::invalid_argument); !ok)
        return refuse("cannot read config file " + ok.err().message);
    if (auto err = fresh.parse(args, config_file.empty() ? nullptr : config_file.c_str()))
      return refuse("bad configuration in " + config_file + ": " + caf::to_string(err));
    if (auto problem = daemon::check(fresh); !problem.empty())
      return refuse("bad configuration in " + config_file + ": " + problem);
    auto path = default_model(fresh);
    auto sha = sha256_file_hex(path, errc::bad_checkpoint);
    if (!sha)
      return refuse(path + ": " + sha.err().message);
    if (path == model_path && *sha == model_sha) {
      std::cout << "sonnetd: reload: model unchanged (model=" << path
                << " model-sha256=" << sha->substr(0, 12) << ")" << std::endl;
      return;
    }
    auto t0 = std::chrono::steady_clock::now();
    caf::scoped_actor self{sys};
    std::string new_sha;
    std::string error;
    auto failed = [&](const caf::error& e) {
      auto err = from_caf(e);
      error = std::string{to_string(err.code)} + ": " + err.message;
    };
    if (service) {
      // The service loads it on a thread of its own and swaps it into its pool.
      self->request(service, caf::infinite, atom::reload_v, path)
        .receive([&](std::string& x) { new_sha = std::move(x); }, failed);
    } else {
      // A worker: loaded here, on the main thread, then handed to the pool.
      auto m = model::load_model(path);
      if (!m)
        return refuse(path + ": " + std::string{to_string(m.err().code)} + ": " + m.err().message);
      self->request(pool, caf::infinite, atom::reload_v, model_swap{std::move(*m), *sha})
        .receive([&](int32_t) { new_sha = *sha; }, failed);
    }
    if (!error.empty())
      return refuse(path + ": " + error);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
    std::cout << "sonnetd: reloaded model=" << path << " model-sha256=" << new_sha.substr(0, 12)
              << " (was " << model_path << " model-sha256=" << model_sha.substr(0, 12) << ") in "
              << static_cast<long>(ms.count()) << " ms" << std::endl;
    model_path = path;
    model_sha = new_sha;
  };
  auto sig = wait_for_signal(signals, reload);
  std::cout << "sonnetd: " << sig << ", shutting down" << std::endl;
  if (web) {
    // HTTP first: no new connections; calls in flight are answered (within drain-timeout),
    // then every connection is closed. Only then does the service drain.
    web->stop(std::chrono::duration_cast<std::chrono::milliseconds>(cfg.drain_timeout));
    web.reset();
    std::cout << "sonnetd: http stopped" << std::endl;
  }
  if (service) {
    // Refuse new requests, let those in flight finish (or time out), then close the cloud.
    caf::scoped_actor self{sys};
    bool drained = true;
    self->request(service, cfg.drain_timeout, atom::drain_v)
      .receive([](int64_t n) { std::cout << "sonnetd: drained " << n << " requests" << std::endl; },
               [&](const caf::error& e) {
                 std::cout << "sonnetd: drain did not finish (" << sys.render(e)
                           << "); failing what is left" << std::endl;
                 drained = false;
               });
    if (!drained) {
      // The service answers every request still open with shutting_down as it exits; wait
      // for that, then give the middleman a moment to write the answers out.
      self->monitor(service);
      caf::anon_send_exit(service, caf::exit_reason::user_shutdown);
      self->receive([](const caf::down_msg&) {}, caf::after(std::chrono::seconds(5)) >> [] {});
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  stop_all();
  exit_watchdog(std::chrono::seconds(3));
  return 0;
}
