#include "actors/model_pool.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "caf/all.hpp"

#include "actors/round_request.hpp"
#include "messages/errors.hpp"

namespace sonnet {

namespace {

struct pool_state {
  pool_state() = default;
  pool_config cfg;
  std::vector<model_actor> slots;
  std::vector<int> in_flight;
  bool stopping = false;
  /// Rounds in flight per job (job != 0), and the jobs among them that were cancelled: a
  /// cancelled job's round is never retried on another slot.
  std::map<uint64_t, int> job_rounds;
  std::set<uint64_t> cancelled;
  /// The decode cap (pool_config::max_sequences): rounds on local slots now, and the rounds
  /// waiting for one of those places, oldest first.
  struct waiting_round {
    std::shared_ptr<continue_request> req;
    caf::typed_response_promise<continuation> rp;
    int attempts_left;
    std::shared_ptr<std::set<size_t>> tried;
    text_sink_actor sink;
    std::shared_ptr<size_t> sent;
  };
  int decoding = 0;
  std::deque<waiting_round> waiting;
  /// Model swaps (atom::reload): the current model's generation and the jobs that had a round
  /// on it (by their last round's start), and the models swapped out: a job that had a round on
  /// one before the swap has its later rounds there too; once none of its jobs can come back,
  /// its actors exit.
  struct old_model {
    uint64_t gen = 0;
    std::vector<model_actor> slots;
    std::vector<int> in_flight;
    std::map<uint64_t, std::chrono::steady_clock::time_point> jobs;
  };
  uint64_t gen = 0;
  std::map<uint64_t, std::chrono::steady_clock::time_point> jobs;
  std::chrono::steady_clock::time_point pruned = std::chrono::steady_clock::now();
  std::vector<old_model> old;
  bool tick_pending = false;
  static inline const char* name = "model-pool";

  bool capped() const { return cfg.max_sequences > 0 && cfg.remotes.empty(); }
};

using pool_ptr = model_pool_actor::stateful_pointer<pool_state>;

void start_local(pool_ptr self, size_t i) {
  auto& st = self->state;
  st.slots[i] = spawn_model(self->system(), st.cfg.weights, st.cfg.settings, st.cfg.detached);
  st.in_flight[i] = 0;
  // Monitored, not linked: a dead model is replaced, it does not take the pool down.
  self->monitor(st.slots[i]);
}

/// Errors worth another slot: the slot's actor or worker went away or did not answer.
bool retryable(const caf::error& e) {
  return is(e, errc::model_unavailable) || is(e, errc::no_worker) || is(e, errc::timeout)
         || e == caf::sec::request_receiver_down || e == caf::sec::request_timeout;
}

/// Between a retryable (remote) round and its sink: forwards the text and counts it, so that
/// a retry, which regenerates the same text (same context and seed), skips what was sent.
/// It ends with its round, or when the pool or the sink goes: a remote worker holds its handle,
/// so nothing else would ever end it, and the actor system's shutdown waits for every actor.
text_sink_actor::behavior_type relay_fn(text_sink_actor::pointer self, text_sink_actor sink,
                                        std::shared_ptr<size_t> sent, caf::actor_addr pool) {
  auto seen = std::make_shared<size_t>(0);
  self->monitor(pool);
  self->monitor(sink);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  return {
    [=](atom::chunk, int32_t part, std::string& text) {
      auto begin = *seen;
      *seen += text.size();
      if (*seen <= *sent)
        return;
      if (begin < *sent)
        text.erase(0, *sent - begin);
      *sent = *seen;
      self->send(sink, atom::chunk_v, part, std::move(text));
    },
  };
}

/// The end of one round at the pool: its job's count goes down.
void round_done(pool_ptr self, uint64_t job) {
  auto& st = self->state;
  if (job == 0)
    return;
  auto i = st.job_rounds.find(job);
  if (i != st.job_rounds.end() && --i->second <= 0) {
    st.job_rounds.erase(i);
    st.cancelled.erase(job);
  }
}

void admit_waiting(pool_ptr self);

using steady = std::chrono::steady_clock;

/// Forgets pins older than pin_idle (a job without a round for that long has ended: a worker
/// is not told when a front's job ends).
void prune(std::map<uint64_t, steady::time_point>& jobs, steady::time_point cut) {
  for (auto it = jobs.begin(); it != jobs.end();)
    it = it->second < cut ? jobs.erase(it) : std::next(it);
}

/// Old models with no round in flight or waiting and no job that may still come back: their
/// actors exit. While some remain, a tick (cancel of job 0) checks again after pin_idle.
void retire_idle(pool_ptr self) {
  auto& st = self->state;
  const auto cut = steady::now() - st.cfg.pin_idle;
  for (auto it = st.old.begin(); it != st.old.end();) {
    prune(it->jobs, cut);
    bool busy =
      std::any_of(it->in_flight.begin(), it->in_flight.end(), [](int n) { return n > 0; });
    for (auto& w : st.waiting)
      busy = busy || it->jobs.count(w.req->job) > 0;
    if (busy || !it->jobs.empty()) {
      ++it;
      continue;
    }
    for (auto& m : it->slots)
      self->send_exit(m, caf::exit_reason::user_shutdown);
    it = st.old.erase(it);
  }
  if (!st.old.empty() && !st.tick_pending && !st.stopping) {
    st.tick_pending = true;
    self->delayed_send(self, st.cfg.pin_idle, atom::cancel_v, uint64_t{0});
  }
}

void attempt(pool_ptr self, std::shared_ptr<continue_request> req,
             caf::typed_response_promise<continuation> rp, int attempts_left,
             std::shared_ptr<std::set<size_t>> tried, text_sink_actor sink,
             std::shared_ptr<size_t> sent) {
  auto& st = self->state;
  if (st.slots.empty()) {
    round_done(self, req->job);
    rp.deliver(make_caf_error(errc::model_unavailable, "no model loaded and no workers"));
    return;
  }
  if (st.cancelled.count(req->job) > 0) {
    round_done(self, req->job);
    rp.deliver(make_caf_error(errc::cancelled, "the request was cancelled"));
    return;
  }
  if (st.capped() && st.decoding >= st.cfg.max_sequences) {
    st.waiting.push_back({std::move(req), std::move(rp), attempts_left, std::move(tried),
                          std::move(sink), std::move(sent)});
    return;
  }
  // A job that had a round on a swapped-out model stays there; others use the current one.
  const auto now = steady::now();
  pool_state::old_model* pinned = nullptr;
  if (req->job != 0)
    for (auto& o : st.old)
      if (auto j = o.jobs.find(req->job); j != o.jobs.end()) {
        j->second = now;
        pinned = &o;
      }
  if (!pinned && req->job != 0 && st.cfg.remotes.empty()) {
    st.jobs[req->job] = now;
    if (now - st.pruned > st.cfg.pin_idle) {
      prune(st.jobs, now - st.cfg.pin_idle);
      st.pruned = now;
    }
  }
  auto& slots = pinned ? pinned->slots : st.slots;
  auto& in_flight = pinned ? pinned->in_flight : st.in_flight;
  const uint64_t gen = pinned ? pinned->gen : st.gen;
  // Least work in flight among the slots this round has not failed on yet; ties: lowest slot.
  if (pinned || tried->size() >= slots.size())
    tried->clear();
  size_t slot = slots.size();
  for (size_t i = 0; i < slots.size(); ++i)
    if (!tried->count(i) && (slot == slots.size() || in_flight[i] < in_flight[slot]))
      slot = i;
  auto target = slots[slot];
  in_flight[slot] += 1;
  const bool counted = st.capped();
  if (counted)
    st.decoding += 1;
  // A respawned slot has a new actor; only count down the one we sent to (on the model it
  // went to, which may have been swapped out meanwhile).
  auto done = [self, slot, target, counted, gen] {
    auto& s = self->state;
    auto count_down = [&](std::vector<model_actor>& sl, std::vector<int>& fl) {
      if (slot < sl.size() && sl[slot] == target && fl[slot] > 0)
        fl[slot] -= 1;
    };
    if (gen == s.gen)
      count_down(s.slots, s.in_flight);
    for (auto& o : s.old)
      if (o.gen == gen)
        count_down(o.slots, o.in_flight);
    if (counted)
      s.decoding -= 1;
    if (!s.old.empty())
      retire_idle(self);
  };
  // Only a round that may be retried needs the relay; others stream straight to the sink.
  const bool use_relay = sink && st.cfg.max_attempts > 1;
  text_sink_actor relay = use_relay ? self->spawn(relay_fn, sink, sent, self->address()) : sink;
  auto stop_relay = [=] {
    if (use_relay)
      self->send_exit(relay, caf::exit_reason::user_shutdown);
  };
  auto handle = request_round(self, target, st.cfg.round_timeout, *req, relay);
  handle.then(
    [=](continuation& out) mutable {
      done();
      stop_relay();
      round_done(self, req->job);
      rp.deliver(std::move(out));
      admit_waiting(self);
    },
    [=](caf::error& e) mutable {
      done();
      stop_relay();
      if (attempts_left > 1 && retryable(e) && !self->state.stopping) {
        tried->insert(slot);
        attempt(self, req, rp, attempts_left - 1, tried, sink, sent);
        admit_waiting(self);
        return;
      }
      round_done(self, req->job);
      rp.deliver(is(e, errc::model_unavailable) || is(e, errc::no_worker)
                     || e.category() != caf::atom("sonnet")
                   ? to_caf(from_caf(e))
                   : e);
      admit_waiting(self);
    });
}

/// Starts waiting rounds, oldest first, while the decode cap has room.
void admit_waiting(pool_ptr self) {
  auto& st = self->state;
  while (!st.waiting.empty() && !st.stopping && st.decoding < st.cfg.max_sequences) {
    auto w = std::move(st.waiting.front());
    st.waiting.pop_front();
    attempt(self, std::move(w.req), std::move(w.rp), w.attempts_left, std::move(w.tried),
            std::move(w.sink), std::move(w.sent));
  }
}

/// Ends waiting rounds (of one job, or all when job is 0) with `err`, before they start.
void drop_waiting(pool_ptr self, uint64_t job, const caf::error& err) {
  auto& st = self->state;
  for (auto it = st.waiting.begin(); it != st.waiting.end();) {
    if (job != 0 && it->req->job != job) {
      ++it;
      continue;
    }
    auto rp = std::move(it->rp);
    const auto j = it->req->job;
    it = st.waiting.erase(it);
    round_done(self, j);
    rp.deliver(err);
  }
}

caf::result<continuation> start_round(pool_ptr self, continue_request req, text_sink_actor sink) {
  auto rp = self->make_response_promise<continuation>();
  if (req.job != 0)
    self->state.job_rounds[req.job] += 1;
  attempt(self, std::make_shared<continue_request>(std::move(req)), rp,
          std::max(1, self->state.cfg.max_attempts), std::make_shared<std::set<size_t>>(),
          std::move(sink), std::make_shared<size_t>(0));
  return rp;
}

model_pool_actor::behavior_type pool_fn(pool_ptr self, pool_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (!st.cfg.remotes.empty()) {
    st.slots = st.cfg.remotes;
    st.in_flight.assign(st.slots.size(), 0);
    for (auto& r : st.slots)
      self->link_to(r); // gateways live and die with the pool
  } else if (st.cfg.weights) {
    auto n = static_cast<size_t>(std::max(1, st.cfg.local_actors));
    st.slots.resize(n);
    st.in_flight.resize(n);
    for (size_t i = 0; i < n; ++i)
      start_local(self, i);
  }
  self->set_down_handler([=](caf::down_msg& dm) {
    // Requests the dead model held have already failed (CAF answers them with
    // request_receiver_down); later ones go to the replacement.
    auto& s = self->state;
    for (size_t i = 0; i < s.slots.size(); ++i)
      if (dm.source == s.slots[i].address() && !s.stopping)
        start_local(self, i);
    // A swapped-out model that died (or was retired): its jobs' later rounds go to the current
    // one.
    for (auto it = s.old.begin(); it != s.old.end();) {
      bool hit = false;
      for (auto& m : it->slots)
        hit = hit || dm.source == m.address();
      if (!hit) {
        ++it;
        continue;
      }
      for (auto& m : it->slots)
        self->send_exit(m, caf::exit_reason::user_shutdown);
      it = s.old.erase(it);
    }
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    self->state.stopping = true;
    drop_waiting(self, 0, make_caf_error(errc::model_unavailable, "the model pool stopped"));
    for (auto& m : self->state.slots)
      self->send_exit(m, msg.reason);
    for (auto& o : self->state.old)
      for (auto& m : o.slots)
        self->send_exit(m, msg.reason);
    self->quit(msg.reason);
  });
  return {
    [=](atom::generate, continue_request& req) -> caf::result<continuation> {
      return start_round(self, std::move(req), text_sink_actor{});
    },
    [=](atom::generate, continue_request& req, text_sink_actor& sink) -> caf::result<continuation> {
      return start_round(self, std::move(req), std::move(sink));
    },
    [=](atom::cancel, uint64_t job) {
      // To every slot: cheaper than tracking where a job's rounds went, and a slot without it
      // ignores the message. A local slot is a detached model actor: it drops the sequences
      // between two steps.
      // Also how the service says a job ended (no more rounds: its pin is dropped), and, for
      // job 0, the retirement tick of swapped-out models.
      auto& st = self->state;
      if (job == 0) {
        st.tick_pending = false;
        retire_idle(self);
        return;
      }
      st.jobs.erase(job);
      bool pinned_old = false;
      for (auto& o : st.old)
        pinned_old = o.jobs.erase(job) > 0 || pinned_old;
      if (st.job_rounds.count(job) > 0) {
        st.cancelled.insert(job);
        drop_waiting(self, job, make_caf_error(errc::cancelled, "the request was cancelled"));
        for (auto& m : st.slots)
          self->send(m, atom::cancel_v, job);
        for (auto& o : st.old)
          for (auto& m : o.slots)
            self->send(m, atom::cancel_v, job);
      }
      if (pinned_old)
        retire_idle(self);
    },
    [=](atom::status) -> caf::result<model_status> {
      auto& st = self->state;
      auto rp = self->make_response_promise<model_status>();
      if (st.slots.empty()) {
        rp.deliver(model_status{});
        return rp;
      }
      // Sums what the slots answer; a slot that fails to answer counts as nothing.
      auto sum = std::make_shared<model_status>();
      auto left = std::make_shared<size_t>(st.slots.size());
      auto one = [=](const model_status* x) mutable {
        if (x) {
          sum->sequences += x->sequences;
          sum->tokens += x->tokens;
          sum->cancelled += x->cancelled;
        }
        if (--*left == 0)
          rp.deliver(*sum);
      };
      for (auto& m : st.slots)
        self->request(m, std::chrono::seconds(10), atom::status_v)
          .then([=](model_status& x) mutable { one(&x); },
                [=](caf::error&) mutable { one(nullptr); });
      return rp;
    },
    [=](atom::model) -> model_actor {
      auto& slots = self->state.slots;
      return slots.empty() ? model_actor{} : slots.front();
    },
    [=](atom::reload, model_swap& sw) -> caf::result<int32_t> {
      auto& st = self->state;
      if (!st.cfg.remotes.empty())
        return make_caf_error(errc::model_unavailable,
                              "no local model to reload: this pool's slots are remote workers");
      if (!sw.weights)
        return make_caf_error(errc::invalid_argument, "no model to swap in");
      int32_t pinned = 0;
      if (!st.slots.empty()) {
        pool_state::old_model o;
        o.gen = st.gen;
        o.slots = std::move(st.slots);
        o.in_flight = std::move(st.in_flight);
        o.jobs = std::move(st.jobs);
        pinned = static_cast<int32_t>(o.jobs.size());
        st.old.push_back(std::move(o));
      }
      st.slots.clear();
      st.in_flight.clear();
      st.jobs.clear();
      st.gen += 1;
      st.cfg.weights = std::move(sw.weights);
      auto n = static_cast<size_t>(std::max(1, st.cfg.local_actors));
      st.slots.resize(n);
      st.in_flight.resize(n);
      for (size_t i = 0; i < n; ++i)
        start_local(self, i);
      retire_idle(self);
      return pinned;
    },
  };
}

} // namespace

model_pool_actor spawn_model_pool(caf::actor_system& sys, pool_config cfg) {
  return sys.spawn(pool_fn, std::move(cfg));
}

} // namespace sonnet
