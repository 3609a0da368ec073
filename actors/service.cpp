#include "actors/service.hpp"

#include <chrono>
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <random>

#include "caf/all.hpp"

#include "actors/cloud_actor.hpp"
#include "actors/dissonance_actor.hpp"
#include "actors/formatter_actor.hpp"
#include "actors/model_actor.hpp"
#include "messages/errors.hpp"
#include "persistence/sqlite_store.hpp"
#include "persistence/store.hpp"
#include "text/formatter.hpp"

namespace sonnet {

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

struct service_state {
  service_state() = default;
  service_config cfg;
  std::shared_ptr<const model::model> weights;
  /// The model actors (one thread each) and the rounds each has in flight.
  std::vector<model_actor> models;
  std::vector<int> in_flight;
  formatter_actor formatter;
  dissonance_actor dissonance;
  cloud_actor cloud;
  /// Dissonance of the last sonnet this service stored; drives the adaptive temperature.
  std::optional<double> last_dissonance;
  bool stopping = false;
  static inline const char* name = "sonnet-service";
};

using self_ptr = service_actor::stateful_pointer<service_state>;

/// One generate request on its way through the pipeline.
struct job {
  generate_request req;
  caf::typed_response_promise<sonnet_reply> rp;
  int32_t budget = 0;
  int32_t spent = 0;
  int round = 0;
  double temperature = 0.8;
  uint64_t seed = 0;
  std::string raw;
  timings t;
  clock_type::time_point start = clock_type::now();
};

using job_ptr = std::shared_ptr<job>;

void fail_job(const job_ptr& j, const caf::error& e) {
  // Errors from CAF itself (dead receiver, timeout) become sonnet errors with a clear text.
  if (e.category() == caf::atom("sonnet"))
    j->rp.deliver(e);
  else
    j->rp.deliver(to_caf(from_caf(e)));
}

void format_round(self_ptr self, job_ptr j);

void model_round(self_ptr self, job_ptr j) {
  auto n = next_round(j->spent, j->budget, self->state.cfg.budget);
  if (n == 0) {
    j->rp.deliver(make_caf_error(errc::not_enough_lines,
                                 "no 14 clean lines in " + std::to_string(j->spent)
                                   + " tokens (the request's budget)"));
    return;
  }
  auto& st = self->state;
  if (st.models.empty()) {
    j->rp.deliver(make_caf_error(errc::model_unavailable, "this service has no model loaded"));
    return;
  }
  // Least work in flight; ties go to the lowest slot.
  auto slot = static_cast<size_t>(
    std::min_element(st.in_flight.begin(), st.in_flight.end()) - st.in_flight.begin());
  auto model = st.models[slot];
  st.in_flight[slot] += 1;
  // The slot may have been respawned meanwhile; only count down the actor we sent to.
  auto done = [self, slot, model] {
    auto& s = self->state;
    if (slot < s.models.size() && s.models[slot] == model && s.in_flight[slot] > 0)
      s.in_flight[slot] -= 1;
  };
  continue_request c;
  c.context = j->spent == 0 ? generation_context(j->req.prompt) : j->raw;
  c.n_tokens = n;
  c.temperature = j->temperature;
  c.top_k = j->req.top_k;
  c.seed = round_seed(j->seed, j->round);
  c.echo_context = j->spent == 0;
  auto t0 = clock_type::now();
  self->request(model, st.cfg.model_timeout, atom::generate_v, std::move(c))
    .then(
      [=](continuation& out) {
        done();
        j->t.model_ms += ms_since(t0);
        j->raw += out.text;
        j->spent += out.tokens;
        j->round += 1;
        format_round(self, j);
      },
      [=](caf::error& e) {
        done();
        fail_job(j, e);
      });
}

void judge_round(self_ptr self, job_ptr j, formatted f) {
  judge_request r;
  r.user_input = j->req.prompt;
  r.text = text::join_lines(f.lines);
  r.quality = f.quality;
  r.temperature = j->temperature;
  r.seed = j->seed;
  auto t0 = clock_type::now();
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
        reply.temperature = j->temperature;
        reply.seed = j->seed;
        reply.tokens = j->spent;
        reply.t = j->t;
        j->rp.deliver(std::move(reply));
      },
      [=](caf::error& e) { fail_job(j, e); });
}

void format_round(self_ptr self, job_ptr j) {
  auto t0 = clock_type::now();
  self->request(self->state.formatter, self->state.cfg.step_timeout, atom::format_v, j->raw)
    .then(
      [=](formatted& f) {
        j->t.format_ms += ms_since(t0);
        judge_round(self, j, std::move(f));
      },
      [=](caf::error& e) {
        j->t.format_ms += ms_since(t0);
        // Too few clean lines is not a failure yet: ask the model for more text.
        if (is(e, errc::not_enough_lines))
          model_round(self, j);
        else
          fail_job(j, e);
      });
}

void start_model(self_ptr self, size_t slot) {
  auto& st = self->state;
  model_settings ms;
  ms.window = st.cfg.window;
  ms.stride = st.cfg.stride;
  st.models[slot] = spawn_model(self->system(), st.weights, ms, st.cfg.detached);
  st.in_flight[slot] = 0;
  // Monitored, not linked: a dead model is replaced, it does not take the service down.
  self->monitor(st.models[slot]);
}

service_actor::behavior_type
service_fn(self_ptr self, service_config cfg, std::shared_ptr<const model::model> weights,
           std::shared_ptr<std::unique_ptr<persistence::store>> store) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.weights = std::move(weights);
  st.cloud = spawn_cloud(self->system(), std::move(*store), st.cfg.detached);
  st.dissonance = spawn_dissonance(self->system(), st.cloud, st.cfg.step_timeout);
  st.formatter = spawn_formatter(self->system());
  self->link_to(st.cloud);
  self->link_to(st.dissonance);
  self->link_to(st.formatter);
  if (st.weights) {
    auto n = static_cast<size_t>(std::max(1, st.cfg.model_actors));
    st.models.resize(n);
    st.in_flight.resize(n);
    for (size_t i = 0; i < n; ++i)
      start_model(self, i);
  }
  self->set_down_handler([=](caf::down_msg& dm) {
    // Requests the dead model held have already failed (CAF answers them with
    // request_receiver_down); later ones go to the replacement.
    auto& ms = self->state.models;
    for (size_t i = 0; i < ms.size(); ++i)
      if (dm.source == ms[i].address() && !self->state.stopping)
        start_model(self, i);
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    self->state.stopping = true;
    for (auto& m : self->state.models)
      self->send_exit(m, msg.reason);
    self->quit(msg.reason);
  });
  return {
    [=](atom::generate, generate_request& req) -> caf::result<sonnet_reply> {
      if (auto ok = validate(req, self->state.cfg.budget); !ok)
        return to_caf(ok.err());
      if (self->state.cfg.read_only)
        return make_caf_error(errc::db_read_only, "the cloud was opened read-only");
      auto j = std::make_shared<job>();
      j->rp = self->make_response_promise<sonnet_reply>();
      j->budget = token_budget(req, self->state.cfg.budget);
      j->temperature = choose_temperature(req, self->state.last_dissonance);
      j->seed = req.has_seed ? req.seed : std::random_device{}();
      j->req = std::move(req);
      model_round(self, j);
      return j->rp;
    },
    [=](atom::dissonance, std::string& user_input, std::string& sonnet)
      -> caf::delegated<judgement> {
      return self->delegate(self->state.dissonance, atom::dissonance_v, std::move(user_input),
                            std::move(sonnet));
    },
    [=](atom::stats) -> caf::delegated<cloud_stats> {
      return self->delegate(self->state.cloud, atom::stats_v);
    },
    [=](atom::recent, int64_t n) -> caf::result<std::vector<stored_sonnet>> {
      if (n <= 0)
        return make_caf_error(errc::invalid_argument, "recent: n must be >= 1");
      return self->delegate(self->state.cloud, atom::recent_v, n);
    },
    [=](atom::best, int64_t n, double min_quality) -> caf::result<std::vector<stored_sonnet>> {
      if (n <= 0 || !std::isfinite(min_quality))
        return make_caf_error(errc::invalid_argument,
                              "best: n must be >= 1 and min_quality a finite number");
      return self->delegate(self->state.cloud, atom::best_v, n, min_quality);
    },
    [=](atom::get, int64_t id) -> caf::delegated<stored_sonnet> {
      return self->delegate(self->state.cloud, atom::get_v, id);
    },
    [=](atom::model) -> model_actor {
      auto& ms = self->state.models;
      return ms.empty() ? model_actor{} : ms.front();
    },
  };
}

} // namespace

caf::expected<service_actor> spawn_service(caf::actor_system& sys, const service_config& cfg) {
  std::shared_ptr<const model::model> weights;
  if (!cfg.model_path.empty()) {
    auto m = model::load_model(cfg.model_path, cfg.model_options);
    if (!m)
      return to_caf(m.err());
    weights = std::move(*m);
  }
  auto store = persistence::open_sqlite(cfg.db_path, cfg.read_only
                                                       ? persistence::open_mode::read_only
                                                       : persistence::open_mode::read_write);
  if (!store)
    return to_caf(store.err());
  auto box = std::make_shared<std::unique_ptr<persistence::store>>(std::move(*store));
  return sys.spawn(service_fn, cfg, std::move(weights), std::move(box));
}

} // namespace sonnet
