#pragma once
// The one header a host program includes to run Sonnet Actors inside its own actor system:
//
//   caf::actor_system_config cfg;
//   sonnet::register_types(cfg);
//   sonnet::configure_scheduler(cfg);     // optional, see below
//   caf::actor_system sys{cfg};
//   sonnet::service_config sc;             // model, database, budgets
//   auto service = sonnet::spawn_service(sys, sc);   // caf::expected<service_actor>
//   caf::scoped_actor self{sys};
//   self->request(*service, caf::infinite, sonnet::atom::generate_v, sonnet::generate_request{...})
//
// Stop it with `anon_send_exit(service, caf::exit_reason::user_shutdown)`: it takes its actors
// down with it and closes the database. For a graceful stop, first send `atom::drain`: the
// reply comes once every request in flight has ended.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "actors/emergent_config.hpp"
#include "actors/request_rules.hpp"
#include "actors/worker_gateway.hpp"
#include "messages/actors.hpp"
#include "messages/register.hpp"
#include "model/model.hpp"

namespace sonnet {

/// Everything the service needs to start.
struct service_config {
  /// The .npz checkpoint; empty runs the service without a model (queries only).
  std::string model_path;
  /// A model already loaded (sonnetd loads it first to print its details); when set it is used
  /// instead of loading model_path.
  std::shared_ptr<const model::model> loaded_model;
  model::load_options model_options;
  model::window_mode window = model::window_mode::strided;
  int stride = 0;
  /// Model actors, each on its own thread, sharing one copy of the weights. Requests go to
  /// the one with the least work in flight. Default: one per core of this 2-core machine.
  int model_actors = 2;
  /// Sequences decoded at once across them (pool_config::max_sequences; 0: no cap).
  int max_sequences = 64;
  /// Worker nodes ("host:port") to send model rounds to instead of local model actors (the
  /// front node of a cluster); model_path is then not loaded.
  std::vector<std::string> workers;
  gateway_config gateway;
  /// Tries per round across workers, and the time one try may take (queueing included).
  int remote_attempts = 4;
  std::chrono::milliseconds remote_round_timeout = std::chrono::minutes(2);
  /// The sonnet cloud; created if missing.
  std::string db_path = "sonnets.db";
  /// Open the cloud read-only (queries only; generate then fails with db_read_only).
  bool read_only = false;
  budget_rules budget;
  /// Per model round (includes queueing behind other requests).
  std::chrono::milliseconds model_timeout = std::chrono::minutes(10);
  /// Per store, format or dissonance step.
  std::chrono::milliseconds step_timeout = std::chrono::seconds(60);
  /// Detach the model and cloud actors (production); tests may keep them on the scheduler.
  bool detached = true;
  /// The brain and phase actors (actors/emergent_actor.hpp); their state files default to
  /// beside db_path (with_state_beside).
  emergent_config emergent;
  /// Where a request's temperature comes from when it names neither a temperature nor a policy.
  temperature_policy policy = temperature_policy::bands;
};

/// Loads the model (or connects the workers), opens the cloud and spawns the service with its
/// actors. Fails (without spawning anything) on a bad model file or database. The handle
/// converts to the public `service_actor`.
caf::expected<service_control_actor> spawn_service(caf::actor_system& sys,
                                                   const service_config& cfg);

/// The scheduler our programs run the service on (call before constructing the actor_system):
/// two cooperative threads under work *sharing*. Inference and fsyncs run on detached threads,
/// so the cooperative actors get short bursts of work; CAF's default work stealing makes an idle
/// worker poll every 50 us for 25 ms after each job: `sonnet generate --count 16` spent 1.17 s
/// of user CPU with it and 0.87 s without, on 2 cores. Under sharing, idle workers sleep on a
/// condition variable. A host program may keep its own settings.
void configure_scheduler(caf::actor_system_config& cfg);

} // namespace sonnet
