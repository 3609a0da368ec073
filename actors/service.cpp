#include "actors/service.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <system_error>
#include <thread>

#include "caf/all.hpp"

#include "actors/background_actors.hpp"
#include "actors/cloud_actor.hpp"
#include "actors/dissonance_actor.hpp"
#include "actors/emergent_actor.hpp"
#include "actors/formatter_actor.hpp"
#include "actors/model_pool.hpp"
#include "actors/restart_budget.hpp"
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

/// The brain and phase actors answer in microseconds; one that does not answer in this time is
/// down or swamped, and a request goes on without it.
constexpr auto emergent_timeout = std::chrono::seconds(2);

struct service_state {
  service_state() = default;
  /// The emergent layer and the background writers are monitored, not linked: they end here,
  /// whatever ends the service.
  ~service_state() {
    for (auto a : {caf::actor_cast<caf::actor>(emergent), caf::actor_cast<caf::actor>(metasonnet),
                   caf::actor_cast<caf::actor>(overthinkng)})
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  service_config cfg;
  model_pool_actor pool;
  formatter_actor formatter;
  dissonance_actor dissonance;
  cloud_actor cloud;
  /// Brain, phases and events; null when the emergent layer is off.
  emergent_actor emergent;
  /// The background writers (MetaSonnet, Overthinkng) and their restarts (one budget for both).
  writer_actor metasonnet, overthinkng;
  restart_budget writer_restarts;
  /// Dissonance of the last sonnet this service stored; drives the adaptive temperature.
  std::optional<double> last_dissonance;
  /// Generate requests accepted and not yet answered, and how many of them are background work.
  int64_t in_flight = 0;
  int64_t background_in_flight = 0;
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
  /// Who it is stored as; background work (background_request) waits for no user request.
  std::string added_by = "user";
  bool background = false;
  /// The text came with the request (no model rounds): formatted, judged and stored as it is.
  bool fixed_text = false;
  bool require_valid = false;
  generate_request req;
  caf::typed_response_promise<sonnet_reply> rp;
  /// Per candidate: the budget, and what each has spent so far (all advance together).
  int32_t budget = 0;
  int32_t spent = 0;
  int round = 0;
  double temperature = 0.8;
  /// The phase the temperature came from (phases policy), and the brain's score.
  std::string phase;
  caf::optional<double> brain;
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
  if (j->background)
    st.background_in_flight -= 1;
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

/// Tells the emergent layer (brain, phases, subscribers) what was stored, then `then()`: the
/// reply goes out once the brain and the phases have saved their step (a crash after the reply
/// loses none of it), or after emergent_timeout without them. Subscribers are never waited for.
template <class F>
void announce(self_ptr self, const job_ptr& j, const judged& out, const judge_request& r,
              const formatted& f, F then) {
  if (!self->state.emergent)
    return then();
  sonnet_stored ev;
  ev.id = out.id;
  ev.text = r.text;
  ev.lines = f.lines;
  ev.dissonance = out.j.dissonance;
  ev.p = out.j.p;
  ev.quality = f.quality;
  ev.valid = f.valid;
  ev.brain = j->brain;
  ev.temperature = j->temperature;
  ev.added_by = r.added_by;
  self->request(self->state.emergent, emergent_timeout, atom::stored_v, std::move(ev))
    .then([then](bool) mutable { then(); }, [then](caf::error&) mutable { then(); });
}

void store_round(self_ptr self, job_ptr j, formatted f) {
  judge_request r;
  r.user_input = j->req.prompt;
  r.text = text::join_lines(f.lines);
  r.quality = f.quality;
  r.temperature = j->temperature;
  r.seed = j->seed;
  r.added_by = j->added_by;
  auto t0 = clock_type::now();
  j->judging = true;
  self->request(self->state.dissonance, self->state.cfg.step_timeout, atom::judge_v, r)
    .then(
      [=](judged& out) mutable {
        j->t.judge_ms = ms_since(t0);
        j->t.total_ms = ms_since(j->start);
        self->state.last_dissonance = out.j.dissonance;
        auto reply = std::make_shared<sonnet_reply>();
        reply->id = out.id;
        reply->text = r.text;
        reply->lines = f.lines;
        reply->dissonance = out.j.dissonance;
        reply->p = out.j.p;
        reply->quality = f.quality;
        reply->structure = f.structure;
        reply->meter = f.meter;
        reply->rhyme_pairs = f.rhyme_pairs;
        reply->valid = f.valid;
        reply->analysis = f.analysis;
        reply->temperature = j->temperature;
        reply->seed = j->seed;
        reply->candidates = static_cast<int32_t>(j->raws.size());
        reply->chosen = f.chosen;
        reply->tokens = j->spent * static_cast<int32_t>(j->raws.size());
        reply->t = j->t;
        reply->brain = j->brain;
        reply->phase = j->phase;
        announce(self, j, out, r, f, [=] {
          if (!j->failed) // else the service stopped meanwhile and answered it
            finish(self, j, std::move(*reply));
        });
      },
      [=](caf::error& e) { fail_job(self, j, e); });
}

void brain_round(self_ptr self, job_ptr j, formatted f);

/// Background work's own rules before it is judged: valid when asked, and never an exact copy
/// of a stored sonnet (asked of the cloud, which holds every writer's rows).
void judge_round(self_ptr self, job_ptr j, formatted f) {
  if (!j->background)
    return brain_round(self, std::move(j), std::move(f));
  if (j->require_valid && !f.valid)
    return fail_job(self, j, make_caf_error(errc::not_enough_lines, "not valid: " + f.reason));
  auto text = text::join_lines(f.lines);
  auto fp = std::make_shared<formatted>(std::move(f));
  self->request(self->state.cloud, self->state.cfg.step_timeout, atom::get_v, std::move(text))
    .then(
      [=](int64_t id) {
        if (j->failed)
          return;
        if (id != 0)
          return fail_job(self, j, make_caf_error(errc::invalid_argument,
                                                  "an exact copy of sonnet #" + std::to_string(id)));
        brain_round(self, j, std::move(*fp));
      },
      [=](caf::error& e) {
        if (!j->failed)
          fail_job(self, j, e);
      });
}

/// The brain scores the sonnet before it is stored (so before it learns from it); without an
/// answer in time the sonnet is stored without a brain score.
void brain_round(self_ptr self, job_ptr j, formatted f) {
  auto& st = self->state;
  if (!st.emergent)
    return store_round(self, std::move(j), std::move(f));
  auto text = text::join_lines(f.lines);
  auto fp = std::make_shared<formatted>(std::move(f));
  self->request(st.emergent, emergent_timeout, atom::score_v, std::move(text))
    .then(
      [=](brain_report& b) {
        if (j->failed)
          return;
        j->brain = b.score;
        store_round(self, j, std::move(*fp));
      },
      [=](caf::error&) {
        if (!j->failed)
          store_round(self, j, std::move(*fp));
      });
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
        if (is(e, errc::not_enough_lines) && !j->fixed_text)
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

template <class T, class Handle, class... Ts>
caf::result<T> ask(self_ptr self, const Handle& h, Ts... xs) {
  auto rp = self->make_response_promise<T>();
  self->request(h, self->state.cfg.step_timeout, xs...)
    .then([=](T& x) mutable { rp.deliver(std::move(x)); },
          [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

template <class T, class... Ts>
caf::result<T> ask_cloud(self_ptr self, Ts... xs) {
  return ask<T>(self, self->state.cloud, xs...);
}

caf::error emergent_off() {
  return make_caf_error(errc::emergent_off, "the service runs without the emergent layer");
}

/// SonnetBrain's report on stored sonnet `id`; id 0: on no text (the counters are what counts).
caf::result<brain_report> brain_of(self_ptr self, int64_t id) {
  if (!self->state.emergent)
    return emergent_off();
  if (id == 0) // the brain's counters only
    return ask<brain_report>(self, self->state.emergent, atom::score_v, std::string{});
  auto rp = self->make_response_promise<brain_report>();
  auto to = self->state.cfg.step_timeout;
  self->request(self->state.cloud, to, atom::get_v, id)
    .then(
      [=](stored_sonnet& s) mutable {
        self->request(self->state.emergent, to, atom::score_v, std::move(s.text))
          .then(
            [=](brain_report& b) mutable {
              b.id = id;
              rp.deliver(std::move(b));
            },
            [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      },
      [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

/// How many of the newest sonnets /dream looks at (the prototype's get_recent_sonnets(5)).
constexpr int64_t dream_window = 5;

/// /dream MODE over the newest sonnets.
caf::result<std::vector<std::string>> dream_of(self_ptr self, std::string mode) {
  using lines = std::vector<std::string>;
  if (!self->state.emergent)
    return emergent_off();
  auto rp = self->make_response_promise<lines>();
  auto to = self->state.cfg.step_timeout;
  self->request(self->state.cloud, to, atom::recent_v, dream_window)
    .then(
      [=](std::vector<stored_sonnet>& xs) mutable {
        lines texts;
        for (auto& x : xs)
          texts.push_back(std::move(x.text));
        self->request(self->state.emergent, to, atom::dream_v, mode, std::move(texts))
          .then([=](lines& out) mutable { rp.deliver(std::move(out)); },
                [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      },
      [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

caf::result<sonnet_reply> start_job(self_ptr self, generate_request req, text_sink_actor sink,
                                    const background_request* bg = nullptr) {
  auto& st = self->state;
  if (st.draining)
    return make_caf_error(errc::shutting_down, "the service is shutting down");
  if (bg && st.in_flight > 0)
    return make_caf_error(errc::busy, std::to_string(st.in_flight)
                                        + " requests in flight; background work waits");
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
  if (bg) {
    j->background = true;
    j->added_by = bg->added_by;
    j->fixed_text = !bg->text.empty();
    j->require_valid = bg->require_valid;
    if (j->fixed_text)
      j->raws = {bg->text};
    st.background_in_flight += 1;
  }
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
  auto policy = static_cast<temperature_policy>(j->req.temperature_policy);
  if (policy == temperature_policy::service_default)
    policy = st.cfg.policy;
  if (j->fixed_text) {
    format_round(self, j);
    return j->rp;
  }
  if (j->req.has_temperature || policy != temperature_policy::phases || !st.emergent) {
    model_round(self, j);
    return j->rp;
  }
  // The phase's temperature; if the phase system does not answer, the bands' (already set).
  self->request(st.emergent, emergent_timeout, atom::phase_v)
    .then(
      [=](phase_info& info) {
        if (j->failed)
          return;
        j->temperature = info.temperature_sonnet;
        j->phase = info.phase;
        model_round(self, j);
      },
      [=](caf::error&) {
        if (!j->failed)
          model_round(self, j);
      });
  return j->rp;
}

/// Spawns (or respawns) the configured background writers and subscribes them to the events.
void start_writers(self_ptr self) {
  auto& st = self->state;
  if (!st.emergent)
    return;
  auto me = caf::actor_cast<service_control_actor>(self);
  if (st.cfg.emergent.metasonnet && !st.metasonnet) {
    st.metasonnet = spawn_metasonnet(self->system(), st.cfg.emergent, me);
    self->monitor(st.metasonnet);
    self->send(st.emergent, atom::subscribe_v, stored_sink_actor{st.metasonnet});
  }
  if (st.cfg.emergent.overthinkng && !st.overthinkng) {
    st.overthinkng = spawn_overthinkng(self->system(), st.cfg.emergent, me);
    self->monitor(st.overthinkng);
    self->send(st.emergent, atom::subscribe_v, stored_sink_actor{st.overthinkng});
  }
}

/// A background writer went down: restarted, at most max_restarts_per_minute times a minute.
bool writer_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  writer_actor* w = nullptr;
  if (st.metasonnet && dm.source == st.metasonnet.address())
    w = &st.metasonnet;
  else if (st.overthinkng && dm.source == st.overthinkng.address())
    w = &st.overthinkng;
  if (!w)
    return false;
  *w = nullptr;
  if (!st.writer_restarts.take(st.cfg.emergent.max_restarts_per_minute)) {
    std::fprintf(stderr, "service: a background writer died (%s) too often; it stays down\n",
                 to_string(dm.reason).c_str());
    return true;
  }
  std::fprintf(stderr, "service: a background writer died (%s); restarted\n",
               to_string(dm.reason).c_str());
  start_writers(self);
  return true;
}

service_control_actor::behavior_type
service_fn(self_ptr self, service_config cfg, model_pool_actor pool,
           std::shared_ptr<std::unique_ptr<persistence::store>> store, emergent_actor emergent) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.pool = std::move(pool);
  st.emergent = std::move(emergent);
  start_writers(self);
  if (st.emergent) {
    // Monitored: if the emergent layer dies the service goes on without it (emergent_off);
    // it ends with the service (~service_state).
    self->monitor(st.emergent);
  }
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
    if (st.emergent && dm.source == st.emergent.address()) {
      std::fprintf(stderr, "service: the emergent layer went down (%s); going on without it\n",
                   to_string(dm.reason).c_str());
      st.emergent = nullptr;
      return;
    }
    if (writer_down(self, dm))
      return;
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
    [=](atom::generate, background_request& bg) -> caf::result<sonnet_reply> {
      if (bg.added_by.empty() || bg.added_by == "user")
        return make_caf_error(errc::invalid_argument, "background work names its writer");
      auto req = bg.gen;
      return start_job(self, std::move(req), text_sink_actor{}, &bg);
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
    [=](atom::phase) -> caf::result<phase_info> {
      if (!self->state.emergent)
        return emergent_off();
      return ask<phase_info>(self, self->state.emergent, atom::phase_v);
    },
    [=](atom::brain, int64_t id) -> caf::result<brain_report> { return brain_of(self, id); },
    [=](atom::dream, std::string& mode) -> caf::result<std::vector<std::string>> {
      return dream_of(self, std::move(mode));
    },
    [=](atom::subscribe, stored_sink_actor& sub) {
      if (self->state.emergent)
        self->send(self->state.emergent, atom::subscribe_v, std::move(sub));
    },
    [=](atom::get) { return self->state.emergent; },
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
  emergent_actor emergent;
  if (cfg.emergent.enabled) {
    auto ecfg = with_state_beside(cfg.emergent, cfg.db_path);
    ecfg.learn = ecfg.learn && !cfg.read_only;
    auto e = spawn_emergent(sys, ecfg);
    if (!e) {
      for (auto& g : pc.remotes)
        caf::anon_send_exit(g, caf::exit_reason::user_shutdown);
      return e.error();
    }
    emergent = std::move(*e);
  }
  auto box = std::make_shared<std::unique_ptr<persistence::store>>(std::move(*store));
  auto pool = spawn_model_pool(sys, std::move(pc));
  return sys.spawn(service_fn, cfg, std::move(pool), std::move(box), std::move(emergent));
}

} // namespace sonnet
