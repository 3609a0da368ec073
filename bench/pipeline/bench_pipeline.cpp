// Pipeline benchmark: sonnet latency (p50/p99) and throughput at several concurrencies, and the
// latency of `stats` while the model is busy. Prints a markdown table.
// Usage: bench_pipeline [MODEL.npz] [--sonnets N] [--concurrency 1,4,16] [--model-actors N]
//                       [--markdown] [--data FILE]
//   --markdown  the table only (no title line), then peak RSS of this process; for the report
//   --data      also writes "concurrency sonnets/s p50_ms p99_ms" lines (gnuplot input)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/resource.h>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "actors/service.hpp"
#include "messages/errors.hpp"

using namespace sonnet;
using clock_type = std::chrono::steady_clock;

namespace {

struct config : caf::actor_system_config {
  config() {
    register_types(*this);
    configure_scheduler(*this);
  }
};

double ms(clock_type::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto i = static_cast<size_t>(p * static_cast<double>(xs.size() - 1) + 0.5);
  return xs[std::min(i, xs.size() - 1)];
}

struct run_result {
  std::vector<double> latencies;
  double wall_ms = 0;
  size_t failed = 0;
};

/// Sends n requests with at most k in flight; optionally polls stats while they run.
run_result run(caf::actor_system& sys, service_actor svc, size_t n, size_t k, uint64_t seed0,
               std::vector<double>* stats_latencies) {
  run_result out;
  auto t0 = clock_type::now();
  auto done = std::make_shared<bool>(false);
  auto driver = sys.spawn([&, svc, n, k, seed0, done](caf::event_based_actor* self) {
    auto next = std::make_shared<size_t>(0);
    auto in_flight = std::make_shared<size_t>(0);
    auto send_next = std::make_shared<std::function<void()>>();
    *send_next = [=, &out] {
      while (*in_flight < k && *next < n) {
        generate_request r;
        r.seed = seed0 + (*next)++;
        r.has_seed = true;
        ++*in_flight;
        auto start = clock_type::now();
        self->request(svc, std::chrono::seconds(3600), atom::generate_v, r)
          .then(
            [=, &out](const sonnet_reply&) {
              out.latencies.push_back(ms(clock_type::now() - start));
              --*in_flight;
              (*send_next)();
            },
            [=, &out](const caf::error&) {
              ++out.failed;
              --*in_flight;
              (*send_next)();
            });
      }
      if (*in_flight == 0 && *next == n) {
        *done = true;
        *send_next = nullptr;
        self->quit();
      }
    };
    (*send_next)();
  });
  if (stats_latencies) {
    caf::scoped_actor self{sys};
    while (!*done) {
      auto s = clock_type::now();
      self->request(svc, std::chrono::seconds(60), atom::stats_v)
        .receive([&](const cloud_stats&) { stats_latencies->push_back(ms(clock_type::now() - s)); },
                 [&](const caf::error&) {});
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  caf::scoped_actor self{sys};
  self->wait_for(driver);
  out.wall_ms = ms(clock_type::now() - t0);
  return out;
}

} // namespace

int main(int argc, char** argv) {
  std::string model = SONNET_DEFAULT_MODEL;
  size_t sonnets = 32;
  std::vector<size_t> levels = {1, 4, 16};
  int model_actors = 0; // 0: the service default
  bool markdown = false;
  std::string data_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--sonnets") == 0 && i + 1 < argc)
      sonnets = std::stoul(argv[++i]);
    else if (std::strcmp(argv[i], "--concurrency") == 0 && i + 1 < argc) {
      levels.clear();
      std::stringstream ss(argv[++i]);
      std::string x;
      while (std::getline(ss, x, ','))
        if (!x.empty())
          levels.push_back(std::stoul(x));
    } else if (std::strcmp(argv[i], "--model-actors") == 0 && i + 1 < argc)
      model_actors = std::stoi(argv[++i]);
    else if (std::strcmp(argv[i], "--markdown") == 0)
      markdown = true;
    else if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc)
      data_path = argv[++i];
    else if (argv[i][0] != '-')
      model = argv[i];
    else {
      std::cerr << "usage: bench_pipeline [MODEL.npz] [--sonnets N] [--concurrency 1,4,16] "
                   "[--model-actors N] [--markdown] [--data FILE]\n";
      return 2;
    }
  }
  auto dir = std::filesystem::temp_directory_path()
             / ("sonnet-bench-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  int rc = 0;
  {
    config cfg;
    caf::actor_system sys{cfg};
    std::ofstream data;
    if (!data_path.empty())
      data.open(data_path);
    if (!markdown)
      std::printf("## Pipeline: %zu sonnets per row, model %s\n\n", sonnets, model.c_str());
    std::printf(
      "| concurrency | p50 latency ms | p99 latency ms | sonnets/s | speed-up vs 1 | failed |\n");
    std::printf("|---|---|---|---|---|---|\n");
    double base_rate = 0;
    std::vector<double> stats_lat;
    for (size_t k : levels) {
      service_config sc;
      sc.model_path = model;
      if (model_actors > 0)
        sc.model_actors = model_actors;
      sc.db_path = (dir / ("c" + std::to_string(k) + ".db")).string();
      auto svc = spawn_service(sys, sc);
      if (!svc) {
        std::cerr << "cannot start: " << from_caf(svc.error()).message << "\n";
        rc = 1;
        break;
      }
      auto r = run(sys, *svc, sonnets, k, 1000, k == 16 && !markdown ? &stats_lat : nullptr);
      double rate = 1000.0 * static_cast<double>(r.latencies.size()) / r.wall_ms;
      if (base_rate == 0)
        base_rate = rate;
      if (data)
        data << k << ' ' << rate << ' ' << percentile(r.latencies, 0.5) << ' '
             << percentile(r.latencies, 0.99) << '\n';
      std::printf("| %zu | %.0f | %.0f | %.2f | %.2fx | %zu |\n", k, percentile(r.latencies, 0.5),
                  percentile(r.latencies, 0.99), rate, rate / base_rate, r.failed);
      std::fflush(stdout);
      caf::anon_send_exit(*svc, caf::exit_reason::user_shutdown);
    }
    if (!stats_lat.empty())
      std::printf("\n`stats` while 16 sonnets are in flight: %zu calls, p50 %.3f ms, p99 %.3f ms\n",
                  stats_lat.size(), percentile(stats_lat, 0.5), percentile(stats_lat, 0.99));
  }
  std::filesystem::remove_all(dir);
  if (markdown) {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("\npeak RSS of this process (getrusage ru_maxrss): %.1f MB\n",
                static_cast<double>(ru.ru_maxrss) / 1024.0);
  }
  return rc;
}
