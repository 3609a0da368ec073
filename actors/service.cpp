#include "actors/service.hpp"

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <system_error>
#include <thread>

#include "caf/all.hpp"

#include "actors/cloud_actor.hpp"
#include "actors/dissonance_actor.hpp"
#include "actors/formatter_actor.hpp"
#include "actors/model_pool.hpp"
#include "actors/round_request.hpp"
#include "actors/worker_gateway.hpp"
#include "messages/errors.hpp"
#include "persistence/sqlite_store.hpp"
#include "persistence/store.hpp"
#include "core/sha256.hpp"
#include "text/formatter.hpp"
#include "text/pronouncing.hpp"

namespace sonnet {

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

struct job;

struct service_state {
  service_state() = default;
  service_config cfg;
  model_pool_actor pool;
  formatter_actor formatter;
  dissonance_actor dissonance;
  cloud_actor cloud;
  /// Dissonance of the last sonnet this service stored; drives the adaptive temperature.
  std::optional<double> last_dissonance;
  /// Generate requests accepted and not yet answered.
  int64_t in_flight = 0;
  /// Set by drain: generate is refused, and these are answered when in_flight reaches 0.
  bool draining = false;
  int64_t drained = 0;
  std::vector<caf::typed_response_promise<int64_t>> drain_waiters;
  /// Jobs in flight by id, and by requester (monitored while it has jobs here).
  std::map<uint64_t, std::shared_ptr<job>> jobs;
  std::map<caf::actor_addr, std::set<uint64_t>> owners;
  /// Job ids start at a random point: a worker's pool may serve more than one front node.
  uint64_t next_job = 0;
  static inline const char* name = "sonnet-service";
};

using self_ptr = service_control_actor::stateful_pointer<service_state>;

/// One generate request on its way through the pipeline.
struct job {
  uint64_t id = 0;
  /// Who asked; when it goes down before judging, the job is cancelled.
  caf::actor_addr owner;
  /// Streaming: where each candidate's raw text goes while the model writes it.
  text_sink_actor sink;
  /// Set once the sonnet went to the dissonance actor: it will be stored, too late to cancel.
  bool judging = false;
  generate_request req;
  caf::typed_response_promise<sonnet_reply> rp;
  /// Per candidate: the budget, and what each has spent so far (all advance together).
  int32_t budget = 0;
  int32_t spent = 0;
  int round = 0;
  double temperature = 0.8;
  uint64_t seed = 0;
  /// One raw text per candidate.
  std::vector<std::string> raws;
  /// Replies of the current round still outstanding, and whether the round already failed.
  size_t waiting = 0;
  bool failed = false;
  timings t;
  clock_type::time_point start = clock_type::now();
};

using job_ptr = std::shared_ptr<job>;

/// Every request ends here, with a sonnet or an error; drain waits for the count to reach 0.
/// `j` by value: callers may pass the map's own entry (the down handler's cancel_job), which
/// st.jobs.erase below destroys (ASan: heap-use-after-free on j->owner).
template <class T>
void finish(self_ptr self, job_ptr j, T&& outcome) {
  j->rp.deliver(std::forward<T>(outcome));
  auto& st = self->state;
  // No more rounds: the pool drops the job's pin to its model (see atom::reload); a no-op for
  // the model actors, since none of its rounds is in flight any more.
  self->send(st.pool, atom::cancel_v, j->id);
  st.jobs.erase(j->id);
  if (auto o = st.owners.find(j->owner); o != st.owners.end()) {
    o->second.erase(j->id);
    if (o->second.empty()) {
      self->demonitor(j->owner);
      st.owners.erase(o);
    }
  }
  st.in_flight -= 1;
  if (st.draining && st.in_flight == 0) {
    for (auto& w : st.drain_waiters)
      w.deliver(st.drained);
    st.drain_waiters.clear();
  }
}

void fail_job(self_ptr self, const job_ptr& j, const caf::error& e) {
  // Errors from CAF itself (dead receiver, timeout) become sonnet errors with a clear text.
  finish(self, j, e.category() == caf::atom("sonnet") ? e : to_caf(from_caf(e)));
}

void format_round(self_ptr self, job_ptr j);

/// The requester went away: its model sequences are released (the pool tells the model
/// actors), and the request ends without storing anything. Too late once judging began.
void cancel_job(self_ptr self, const job_ptr& j) {
  if (j->judging || j->failed)
    return;
  j->failed = true;
  self->send(self->state.pool, atom::cancel_v, j->id);
  finish(self, j, make_caf_error(errc::cancelled, "the requester went away"));
}

void model_round(self_ptr self, job_ptr j) {
  auto n = next_round(j->spent, j->budget, self->state.cfg.budget);
  if (n == 0) {
    fail_job(self, j,
             make_caf_error(errc::not_enough_lines, "no 14 clean lines in "
                                                      + std::to_string(j->spent)
                                                      + " tokens (the request's budget)"));
    return;
  }
  // Every candidate is continued by the same number of tokens; the pool spreads them over
  // its model actors, so candidates run in parallel.
  auto t0 = clock_type::now();
  j->waiting = j->raws.size();
  for (size_t c = 0; c < j->raws.size(); ++c) {
    continue_request req;
    req.context = j->spent == 0 ? generation_context(j->req.prompt) : j->raws[c];
    req.n_tokens = n;
    req.temperature = j->temperature;
    req.top_k = j->req.top_k;
    req.seed = round_seed(candidate_seed(j->seed, static_cast<int>(c)), j->round);
    req.echo_context = j->spent == 0;
    req.job = j->id;
    req.part = static_cast<int32_t>(c);
    // The pool applies its own per-attempt timeouts; this one only guarantees an end.
    auto& pool = self->state.pool;
    auto handle = request_round(self, pool, caf::infinite, std::move(req), j->sink);
    handle.then(
      [=](continuation& out) {
        if (j->failed)
          return;
        j->raws[c] += out.text;
        if (--j->waiting > 0)
          return;
        j->t.model_ms += ms_since(t0);
        j->spent += n;
        j->round += 1;
        format_round(self, j);
      },
      [=](caf::error& e) {
        if (j->failed)
          return;
        j->failed = true;
        self->send(self->state.pool, atom::cancel_v, j->id); // the other candidates stop too
        fail_job(self, j, e);
      });
  }
}

void judge_round(self_ptr self, job_ptr j, formatted f) {
  judge_request r;
  r.user_input = j->req.prompt;
  r.text = text::join_lines(f.lines);
  r.quality = f.quality;
  r.temperature = j->temperature;
  r.seed = j->seed;
  auto t0 = clock_type::now();
  j->judging = true;
  self->request(self->state.dissonance, self->state.cfg.step_timeout, atom::judge_v, r)
    .then(
      [=](judged& out) mutable {
        j->t.judge_ms = ms_since(t0);
        j->t.total_ms = ms_since(j->start);
        self->state.last_dissonance = out.j.dissonance;
        sonnet_reply reply;
        reply.id = out.id;
        reply.text = std::move(r.text);
        reply.lines = std::move(f.lines);
        reply.dissonance = out.j.dissonance;
        reply.p = out.j.p;
        reply.quality = f.quality;
        reply.structure = f.structure;
        reply.meter = f.meter;
        reply.rhyme_pairs = f.rhyme_pairs;
        reply.valid = f.valid;
        reply.analysis = std::move(f.analysis);
        reply.temperature = j->temperature;
        reply.seed = j->seed;
        reply.candidates = static_cast<int32_t>(j->raws.size());
        reply.chosen = f.chosen;
        reply.tokens = j->spent * static_cast<int32_t>(j->raws.size());
        reply.t = j->t;
        finish(self, j, std::move(reply));
      },
      [=](caf::error& e) { fail_job(self, j, e); });
}

void format_round(self_ptr self, job_ptr j) {
  auto t0 = clock_type::now();
  self->request(self->state.formatter, self->state.cfg.step_timeout, atom::format_v, j->raws)
    .then(
      [=](formatted& f) {
        j->t.format_ms += ms_since(t0);
        if (!j->failed) // cancelled meanwhile
          judge_round(self, j, std::move(f));
      },
      [=](caf::error& e) {
        j->t.format_ms += ms_since(t0);
        if (j->failed)
          return;
        // Too few clean lines is not a failure yet: ask the model for more text.
        if (is(e, errc::not_enough_lines))
          model_round(self, j);
        else
          fail_job(self, j, e);
      });
}

/// Asks the cloud and answers the client ourselves. Not `delegate`: the detached cloud actor
/// must never reply to a remote node directly, or CAF 0.17's BASP registry keeps a reference
/// to it and its thread outlives the actor system's shutdown (seen as a hang on SIGTERM).
/// Loads a checkpoint on its own thread (50-300 ms: never on a scheduler thread) and replies
/// the loaded model and the file's SHA-256, or the load's error.
caf::behavior loader_fn(caf::event_based_actor*, model::load_options opts) {
  return {
    [=](atom::reload, const std::string& path) -> caf::result<model_swap> {
      auto m = model::load_model(path, opts);
      if (!m)
        return to_caf(m.err());
      auto sha = sha256_file_hex(path, errc::bad_checkpoint);
      if (!sha)
        return to_caf(sha.err());
      return model_swap{std::move(*m), std::move(*sha)};
    },
  };
}

caf::result<std::string> reload_model(self_ptr self, std::string path) {
  auto& st = self->state;
  if (!st.cfg.workers.empty())
    return make_caf_error(errc::model_unavailable,
                          "no local model to reload: model rounds go to the workers");
  if (path.empty())
    path = st.cfg.model_path;
  if (path.empty())
    return make_caf_error(errc::invalid_argument, "reload: no model path given or configured");
  auto rp = self->make_response_promise<std::string>();
  auto loader = self->spawn<caf::detached>(loader_fn, st.cfg.model_options);
  self->request(loader, caf::infinite, atom::reload_v, path)
    .then(
      [=](model_swap& sw) mutable {
        self->send_exit(loader, caf::exit_reason::user_shutdown);
        auto sha = sw.sha256;
        self->request(self->state.pool, caf::infinite, atom::reload_v, std::move(sw))
          .then(
            [=](int32_t) mutable {
              self->state.cfg.model_path = path;
              rp.deliver(sha);
            },
            [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      },
      [=](caf::error& e) mutable {
        self->send_exit(loader, caf::exit_reason::user_shutdown);
        rp.deliver(std::move(e));
      });
  return rp;
}

template <class T, class... Ts>
caf::result<T> ask_cloud(self_ptr self, Ts... xs) {
  auto rp = self->make_response_promise<T>();
  self->request(self->state.cloud, self->state.cfg.step_timeout, xs...)
    .then([=](T& x) mutable { rp.deliver(std::move(x)); },
          [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

caf::result<sonnet_reply> start_job(self_ptr self, generate_request req, text_sink_actor sink) {
  auto& st = self->state;
  if (st.draining)
    return make_caf_error(errc::shutting_down, "the service is shutting down");
  if (auto ok = validate(req, st.cfg.budget); !ok)
    return to_caf(ok.err());
  if (st.cfg.read_only)
    return make_caf_error(errc::db_read_only, "the cloud was opened read-only");
  // Before make_response_promise, which moves the sender out of the current message.
  auto sender = self->current_sender();
  auto j = std::make_shared<job>();
  j->id = st.next_job++;
  if (j->id == 0) // 0 means "no job" to the model
    j->id = st.next_job++;
  j->sink = std::move(sink);
  j->rp = self->make_response_promise<sonnet_reply>();
  j->budget = token_budget(req, st.cfg.budget);
  j->temperature = choose_temperature(req, st.last_dissonance);
  j->seed = req.has_seed ? req.seed : std::random_device{}();
  j->raws.resize(static_cast<size_t>(candidate_count(req)));
  j->req = std::move(req);
  // Cancel on disconnect: the request lives as long as its requester (an HTTP connection's
  // bridge actor, a CLI, a remote client's proxy). Monitoring it needs no cancel message from
  // clients and also covers requesters that die without saying so; below the service an
  // explicit cancel with the job id goes to the pool, which may reach remote workers.
  if (sender) {
    j->owner = caf::actor_cast<caf::actor_addr>(sender);
    auto& mine = st.owners[j->owner];
    if (mine.empty())
      self->monitor(sender);
    mine.insert(j->id);
  }
  st.jobs.emplace(j->id, j);
  st.in_flight += 1;
  model_round(self, j);
  return j->rp;
}

service_control_actor::behavior_type
service_fn(self_ptr self, service_config cfg, model_pool_actor pool,
           std::shared_ptr<std::unique_ptr<persistence::store>> store) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.pool = std::move(pool);
  st.cloud = spawn_cloud(self->system(), std::move(*store), st.cfg.detached);
  st.dissonance = spawn_dissonance(self->system(), st.cloud, st.cfg.step_timeout);
  st.formatter = spawn_formatter(self->system());
  // Linked: the pipeline lives and dies as one; the cloud closes its database on the way out.
  self->link_to(st.pool);
  self->link_to(st.cloud);
  self->link_to(st.dissonance);
  self->link_to(st.formatter);
  st.next_job = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto o = st.owners.find(dm.source);
    if (o == st.owners.end())
      return;
    auto ids = o->second; // cancel_job edits the map
    for (auto id : ids)
      if (auto i = st.jobs.find(id); i != st.jobs.end())
        cancel_job(self, i->second);
  });
  // Stopped with requests still open (the drain timeout ran out, or a linked actor died):
  // every requester gets an error answer instead of a reply that never comes.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (!msg.reason) // a normal exit of a linked actor, as by default
      return;
    auto& st = self->state;
    auto jobs = st.jobs; // finish() edits the map
    for (auto& [id, j] : jobs) {
      if (j->failed)
        continue;
      j->failed = true;
      finish(self, j,
             make_caf_error(errc::shutting_down, "the service stopped before this request "
                                                 "finished"));
    }
    for (auto& w : st.drain_waiters)
      w.deliver(st.drained);
    st.drain_waiters.clear();
    self->quit(msg.reason);
  });
  return {
    [=](atom::generate, generate_request& req) -> caf::result<sonnet_reply> {
      return start_job(self, std::move(req), text_sink_actor{});
    },
    [=](atom::generate, generate_request& req, text_sink_actor& sink) -> caf::result<sonnet_reply> {
      return start_job(self, std::move(req), std::move(sink));
    },
    [=](atom::dissonance, std::string& user_input, std::string& sonnet) -> caf::result<judgement> {
      if (auto ok = validate_dissonance(user_input, sonnet, self->state.cfg.budget); !ok)
        return to_caf(ok.err());
      return self->delegate(self->state.dissonance, atom::dissonance_v, std::move(user_input),
                            std::move(sonnet));
    },
    [=](atom::stats) -> caf::result<cloud_stats> {
      return ask_cloud<cloud_stats>(self, atom::stats_v);
    },
    [=](atom::recent, int64_t n) -> caf::result<std::vector<stored_sonnet>> {
      if (n <= 0)
        return make_caf_error(errc::invalid_argument, "recent: n must be >= 1");
      return ask_cloud<std::vector<stored_sonnet>>(self, atom::recent_v, n);
    },
    [=](atom::best, int64_t n, double min_quality) -> caf::result<std::vector<stored_sonnet>> {
      if (n <= 0 || !std::isfinite(min_quality))
        return make_caf_error(errc::invalid_argument,
                              "best: n must be >= 1 and min_quality a finite number");
      return ask_cloud<std::vector<stored_sonnet>>(self, atom::best_v, n, min_quality);
    },
    [=](atom::get, int64_t id) -> caf::result<stored_sonnet> {
      return ask_cloud<stored_sonnet>(self, atom::get_v, id);
    },
    [=](atom::series, int64_t points) -> caf::result<cloud_series> {
      if (points < 1 || points > max_series_points)
        return make_caf_error(errc::invalid_argument, "series: points must be in [1, "
                                                        + std::to_string(max_series_points) + "]");
      return ask_cloud<cloud_series>(self, atom::series_v, points);
    },
    [=](atom::model) -> caf::delegated<model_actor> {
      return self->delegate(self->state.pool, atom::model_v);
    },
    [=](atom::reload, std::string& path) -> caf::result<std::string> {
      return reload_model(self, std::move(path));
    },
    [=](atom::drain) -> caf::result<int64_t> {
      auto& st = self->state;
      if (!st.draining) {
        st.draining = true;
        st.drained = st.in_flight;
      }
      if (st.in_flight == 0)
        return st.drained;
      auto rp = self->make_response_promise<int64_t>();
      st.drain_waiters.push_back(rp);
      return rp;
    },
  };
}

} // namespace

void configure_scheduler(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", 2);
}

caf::expected<service_control_actor> spawn_service(caf::actor_system& sys,
                                                   const service_config& cfg) {
  pool_config pc;
  pc.settings.window = cfg.window;
  pc.settings.stride = cfg.stride;
  pc.local_actors = cfg.model_actors;
  pc.max_sequences = cfg.max_sequences;
  pc.detached = cfg.detached;
  pc.round_timeout = cfg.model_timeout;
  if (!cfg.workers.empty()) {
    // Remote workers: a failed round is re-sent to another worker.
    for (auto& w : cfg.workers) {
      auto g = spawn_worker_gateway(sys, w, cfg.gateway);
      if (!g)
        return g.error();
      pc.remotes.push_back(*g);
    }
    pc.max_attempts = cfg.remote_attempts;
    pc.round_timeout = cfg.remote_round_timeout;
  } else if (cfg.loaded_model) {
    pc.weights = cfg.loaded_model;
  } else if (!cfg.model_path.empty()) {
    // The pronouncing dictionary loads meanwhile on a second thread: else the formatter loads
    // it at its start, in front of the first request (~5 ms of a command's start-up).
    std::thread dictionary;
    try {
      dictionary = std::thread([] { text::shared_dictionary(); });
    } catch (const std::system_error&) { // no thread: the formatter loads it as before
    }
    auto m = model::load_model(cfg.model_path, cfg.model_options);
    if (dictionary.joinable())
      dictionary.join();
    if (!m)
      return to_caf(m.err());
    pc.weights = std::move(*m);
  }
  auto store =
    persistence::open_sqlite(cfg.db_path, cfg.read_only ? persistence::open_mode::read_only
                                                        : persistence::open_mode::read_write);
  if (!store) {
    for (auto& g : pc.remotes)
      caf::anon_send_exit(g, caf::exit_reason::user_shutdown);
    return to_caf(store.err());
  }
  auto box = std::make_shared<std::unique_ptr<persistence::store>>(std::move(*store));
  auto pool = spawn_model_pool(sys, std::move(pc));
  return sys.spawn(service_fn, cfg, std::move(pool), std::move(box));
}

} // namespace sonnet
