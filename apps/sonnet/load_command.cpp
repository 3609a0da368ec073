// sonnet load: a steady stream of generate requests for testing and benchmarking a cluster.
// One JSON line per request to --jsonl, one JSON summary line on stdout, progress on stderr.

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "caf/all.hpp"

#include "actors/request_rules.hpp"
#include "apps/sonnet/commands.hpp"
#include "apps/sonnet/common.hpp"
#include "apps/sonnet/session.hpp"
#include "messages/errors.hpp"

namespace sonnet::cli {

namespace {

using clock_type = std::chrono::steady_clock;
using next_atom = caf::atom_constant<caf::atom("next")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

struct load_plan {
  generate_request base;
  std::optional<uint64_t> seed; // request i gets seed + i
  int64_t count = 0;            // 0: run for `duration`
  std::chrono::milliseconds duration{0};
  size_t concurrency = 1;
  std::chrono::milliseconds deadline{60000};
  std::chrono::milliseconds progress{5000};
};

/// Everything the driver counts; only the driver actor touches it until it quits.
struct load_tally {
  uint64_t sent = 0, acknowledged = 0, hung = 0, in_flight = 0;
  std::map<std::string, uint64_t> failed; // by error code name
  std::map<std::string, uint64_t> by_front;
  std::vector<double> latencies_ms; // acknowledged requests
  std::set<std::string> errors_shown;
  double elapsed_ms = 0;
};

std::vector<option_spec> load_options() {
  return {
    {"duration", "SECONDS",
     "send for this long (default 10), then wait for the requests in flight"},
    {"count", "N", "send N requests instead of running for a duration"},
    {"concurrency", "C", "requests in flight at once (default 4)"},
    {"deadline", "SECONDS", "a request unanswered after this long counts as hung (default 60)"},
    {"jsonl", "FILE", "one JSON line per request: i, start_ms, end_ms, outcome, id, front"},
    {"progress", "SECONDS", "progress line on stderr every so often (default 5)"},
    {"prompt", "TEXT", "the prompt of every request"},
    {"temperature", "T", "sampling temperature in [0, 5] (default: adapted)"},
    {"seed", "S", "seed of request i is S+i (default: random)"},
    {"tokens", "N", "token budget per sonnet"},
    {"top-k", "K", "sample among the K likeliest characters (0 = all)"},
    {"candidates", "N", "best-of-N candidates per request (default 1)"},
    {"db", "PATH", "the sonnet cloud, in-process only (default ./sonnets.db)"},
  };
}

std::chrono::milliseconds seconds_option(const args& a, const std::string& name, double def) {
  auto s = a.real(name).value_or(def);
  if (!(s > 0 && s <= 86400))
    throw usage_error{"--" + name + " must be in (0, 86400] seconds"};
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

generate_request parse_base(const args& a) {
  generate_request base;
  base.prompt = a.str("prompt").value_or("");
  if (auto t = a.real("temperature")) {
    base.temperature = *t;
    base.has_temperature = true;
  }
  if (auto n = a.integer("tokens"))
    base.tokens = static_cast<int32_t>(std::clamp<int64_t>(*n, -1, budget_rules{}.max_budget + 1));
  if (auto k = a.integer("top-k"))
    base.top_k = static_cast<int32_t>(std::clamp<int64_t>(*k, -1, 1 << 20));
  if (auto n = a.integer("candidates"))
    base.candidates = static_cast<int32_t>(std::clamp<int64_t>(*n, -1, 1 << 20));
  return base;
}

load_plan parse_plan(const args& a) {
  load_plan p;
  p.base = parse_base(a);
  p.seed = a.unsigned_integer("seed");
  if (a.has("count") && a.has("duration"))
    throw usage_error{"--count and --duration exclude each other"};
  p.count = a.integer("count").value_or(0);
  if (a.has("count") && (p.count < 1 || p.count > 10000000))
    throw usage_error{"--count must be in [1, 10000000]"};
  if (!a.has("count"))
    p.duration = seconds_option(a, "duration", 10);
  auto c = a.integer("concurrency").value_or(4);
  if (c < 1 || c > 1024)
    throw usage_error{"--concurrency must be in [1, 1024]"};
  p.concurrency = static_cast<size_t>(c);
  p.deadline = seconds_option(a, "deadline", 60);
  p.progress = seconds_option(a, "progress", 5);
  return p;
}

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

/// The latency at quantile q of sorted values (nearest rank).
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty())
    return 0;
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

nlohmann::json summary(load_tally t) {
  std::sort(t.latencies_ms.begin(), t.latencies_ms.end());
  uint64_t failed_total = 0;
  for (auto& kv : t.failed)
    failed_total += kv.second;
  auto secs = t.elapsed_ms / 1000.0;
  return {{"sent", t.sent},
          {"acknowledged", t.acknowledged},
          {"failed", t.failed},
          {"failed_total", failed_total},
          {"hung", t.hung},
          {"p50_ms", quantile(t.latencies_ms, 0.5)},
          {"p99_ms", quantile(t.latencies_ms, 0.99)},
          {"max_ms", t.latencies_ms.empty() ? 0.0 : t.latencies_ms.back()},
          {"duration_s", secs},
          {"acknowledged_per_s", secs > 0 ? static_cast<double>(t.acknowledged) / secs : 0.0},
          {"by_front", t.by_front}};
}

/// Drives the load; returns the tally once every request sent has ended.
class load_driver {
public:
  load_driver(session& sess, load_plan plan, std::ostream* jsonl)
      : sess_(sess), plan_(std::move(plan)), jsonl_(jsonl) {}

  load_tally run() {
    t0_ = clock_type::now();
    auto driver = sess_.system().spawn([this](caf::event_based_actor* self) -> caf::behavior {
      self_ = self;
      for (size_t k = 0; k < plan_.concurrency; ++k)
        send_one();
      self->delayed_send(self, plan_.progress, tick_atom::value);
      return {
        [this](next_atom) { send_one(); },
        [this](tick_atom) {
          progress();
          self_->delayed_send(self_, plan_.progress, tick_atom::value);
        },
      };
    });
    caf::scoped_actor waiter{sess_.system()};
    waiter->wait_for(driver);
    tally_.elapsed_ms = ms_since(t0_);
    progress();
    return std::move(tally_);
  }

private:
  bool more_to_send() const {
    if (plan_.count > 0)
      return tally_.sent < static_cast<uint64_t>(plan_.count);
    return ms_since(t0_) < static_cast<double>(plan_.duration.count());
  }

  /// Fills one slot, or ends the load once nothing is left to send or to wait for.
  void send_one() {
    if (!more_to_send()) {
      if (tally_.in_flight == 0)
        self_->quit();
      return;
    }
    auto i = tally_.sent++;
    ++tally_.in_flight;
    auto req = plan_.base;
    if (plan_.seed) {
      req.seed = *plan_.seed + i;
      req.has_seed = true;
    }
    auto start = ms_since(t0_);
    auto front = sess_.current_front();
    self_->request(sess_.service(), plan_.deadline, atom::generate_v, req)
      .then([=](const sonnet_reply& r) { acknowledged(i, start, r); },
            [=](const caf::error& e) { failed(i, start, front, e); });
  }

  void acknowledged(uint64_t i, double start, const sonnet_reply& r) {
    auto end = ms_since(t0_);
    auto front = sess_.front_of(r.id);
    ++tally_.acknowledged;
    ++tally_.by_front[front];
    tally_.latencies_ms.push_back(end - start);
    line({{"i", i},
          {"start_ms", start},
          {"end_ms", end},
          {"outcome", "ok"},
          {"id", r.id},
          {"front", front}});
    --tally_.in_flight;
    send_one();
  }

  void failed(uint64_t i, double start, const std::string& front, const caf::error& e) {
    auto end = ms_since(t0_);
    auto hung = e == caf::sec::request_timeout;
    auto x = from_caf(e);
    std::string outcome = hung ? "hung" : to_string(x.code);
    if (hung)
      ++tally_.hung;
    else
      ++tally_.failed[outcome];
    if (!hung && tally_.errors_shown.insert(x.message).second)
      std::cerr << "sonnet load: request " << i << " failed: " << outcome << ": " << x.message
                << std::endl;
    line({{"i", i},
          {"start_ms", start},
          {"end_ms", end},
          {"outcome", outcome},
          {"front", front},
          {"error", x.message}});
    --tally_.in_flight;
    // A short pause before this slot's next request: with every front gone each attempt
    // fails at once, and the load should not spin.
    self_->delayed_send(self_, std::chrono::milliseconds(200), next_atom::value);
  }

  void line(const nlohmann::json& j) {
    if (jsonl_)
      *jsonl_ << j.dump() << std::endl;
  }

  void progress() const {
    uint64_t failed = 0;
    for (auto& kv : tally_.failed)
      failed += kv.second;
    std::cerr << "sonnet load: " << static_cast<int64_t>(ms_since(t0_) / 1000) << " s: sent "
              << tally_.sent << ", acknowledged " << tally_.acknowledged << ", failed " << failed
              << ", hung " << tally_.hung << ", in flight " << tally_.in_flight << ", front "
              << sess_.current_front() << std::endl;
  }

  session& sess_;
  load_plan plan_;
  std::ostream* jsonl_;
  clock_type::time_point t0_;
  caf::event_based_actor* self_ = nullptr;
  load_tally tally_;
};

const char* load_summary =
  "Sends a steady stream of generate requests (--concurrency in flight) for --duration\n"
  "seconds or --count requests, for testing and benchmarking a cluster. With\n"
  "--connect=A,B,... it fails over like every command: when the front dies, the requests in\n"
  "flight on it fail (no_worker, naming the front; never re-sent, it may have stored them)\n"
  "and the load goes on with the next front that answers. Writes one JSON line per request\n"
  "to --jsonl (outcome \"ok\" with the stored id, an error code name, or \"hung\" after\n"
  "--deadline), prints one JSON summary line on stdout (sent, acknowledged, failed by code,\n"
  "hung, p50/p99/max latency of the acknowledged, duration), progress on stderr.\n"
  "Exit 0 when at least one request was acknowledged, else 1.";

} // namespace

int cmd_load(int argc, char** argv) {
  auto parsed = parse_command(
    argc, argv,
    "sonnet [--connect=HOST:PORT[,...]] load [--duration S | --count N] [--concurrency C]\n"
    "       [--deadline S] [--jsonl FILE] [generate options]",
    load_summary, load_options() + model_options());
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  auto plan = parse_plan(a);
  if (auto ok = validate(plan.base, budget_rules{}); !ok)
    return report("load", ok.err());
  std::ofstream jsonl;
  if (auto path = a.str("jsonl")) {
    jsonl.open(*path, std::ios::trunc);
    if (!jsonl)
      return report("load", fail(errc::invalid_argument, "cannot write --jsonl " + *path));
  }
  auto s = resolve(a);
  if (!s)
    return report("load", s.err());
  auto choice = parse_model_choice(a);
  auto sess = session::start(*s, &choice, false);
  if (!sess)
    return report("load", sess.err());
  load_driver driver{**sess, std::move(plan), jsonl.is_open() ? &jsonl : nullptr};
  auto tally = driver.run();
  std::cout << summary(tally).dump() << std::endl;
  return tally.acknowledged > 0 ? exit_ok : exit_error;
}

} // namespace sonnet::cli
