#define BOOST_TEST_MODULE failover
// `sonnet --connect=A,B,...`: the CLI's failover between fronts, with real processes on
// loopback. Two fronts share one cloud file and the same two workers; a load runs on them and
// the first front is killed under it.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "persistence/sqlite_store.hpp"
#include "tests/cluster/process.hpp"
#include "tests/shared_data.hpp"

namespace fs = std::filesystem;
using namespace sonnet;
using namespace sonnet::test;
using namespace std::chrono_literals;

namespace {

/// Nothing listens on these (port 1 and 2 are privileged, and no test binds them).
const std::string dead1 = "127.0.0.1:1";
const std::string dead2 = "127.0.0.1:2";

/// A scratch directory and the processes a test starts (killed when it ends).
struct nodes {
  fs::path dir;
  std::vector<std::unique_ptr<process>> procs;

  nodes() {
    std::random_device rd;
    dir = fs::temp_directory_path()
          / ("sonnet-failover-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir);
  }
  ~nodes() {
    procs.clear();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }

  process& start(std::vector<std::string> argv) {
    auto log = file("log" + std::to_string(procs.size()) + ".txt");
    procs.push_back(std::make_unique<process>(std::move(argv), log));
    return *procs.back();
  }

  /// Starts sonnetd; returns it and its address once it listens.
  std::pair<process*, std::string> daemon(std::vector<std::string> args) {
    args.insert(args.begin(), SONNETD);
    auto& p = start(args);
    auto addr = p.wait_for("listening on ([0-9.]+:[0-9]+)", 60s);
    BOOST_REQUIRE_MESSAGE(addr, "sonnetd did not start: " << p.output());
    return {&p, *addr};
  }

  process& sonnet(const std::string& connect, std::vector<std::string> args) {
    args.insert(args.begin(), {SONNET_CLI, "--connect=" + connect});
    return start(args);
  }
};

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] == '{')
      out.push_back(nlohmann::json::parse(line));
  return out;
}

int code(std::optional<int> rc) {
  return rc ? *rc : -1;
}

/// The per-request lines of a load, checked for the fields every line has.
std::vector<nlohmann::json> load_lines(const std::string& path) {
  auto lines = json_lines(read_file(path));
  for (auto& l : lines) {
    BOOST_TEST(l.contains("start_ms"));
    BOOST_TEST(l["end_ms"].get<double>() >= l["start_ms"].get<double>());
    BOOST_TEST(!l["front"].get<std::string>().empty());
  }
  return lines;
}

/// Ids of one front's acknowledged sonnets.
std::set<int64_t> acked_by(const std::vector<nlohmann::json>& lines, const std::string& front) {
  std::set<int64_t> out;
  for (auto& l : lines)
    if (l["outcome"] == "ok" && l["front"] == front)
      out.insert(l["id"].get<int64_t>());
  return out;
}

/// True when some id of `b` lies between two ids of `a`: both wrote the cloud at once.
bool interleave(const std::set<int64_t>& a, const std::set<int64_t>& b) {
  if (a.size() < 2)
    return false;
  for (auto id : b)
    if (id > *a.begin() && id < *a.rbegin() && a.count(id) == 0)
      return true;
  return false;
}

void check_in_cloud(const std::string& db, const std::vector<nlohmann::json>& lines) {
  auto s = persistence::open_sqlite(db, persistence::open_mode::read_only);
  BOOST_REQUIRE(s.ok());
  for (auto& l : lines)
    if (l["outcome"] == "ok") {
      auto x = (*s)->get(l["id"].get<int64_t>());
      BOOST_TEST(x.ok(), "acknowledged sonnet " << l["id"] << " is not in the cloud");
    }
}

/// Every thread's stack of a running process, when gdb is installed (diagnostics only).
std::string backtraces(pid_t pid, const std::string& out) {
  auto cmd =
    "gdb -p " + std::to_string(pid) + " -batch -ex 'thread apply all bt' > " + out + " 2>&1";
  return std::system(cmd.c_str()) == 0 ? read_file(out) : "(no gdb)";
}

} // namespace

/// The load runs on F1 (and a second client on F2, so both fronts write the one cloud at
/// once); F1 is killed with SIGKILL mid-load: the requests in flight on it fail naming it,
/// none hangs, the load goes on with F2, and every acknowledged sonnet is in the cloud.
BOOST_AUTO_TEST_CASE(a_killed_front_fails_its_requests_and_the_load_goes_on) {
  nodes n;
  auto w1 = n.daemon({"--role=worker", "--port=0", "--model=" + default_model});
  auto w2 = n.daemon({"--role=worker", "--port=0", "--model=" + default_model});
  auto workers = w1.second + "," + w2.second;
  auto db = n.file("cloud.db");
  // Without the emergent layer: its two state saves before each reply, on two fronts sharing
  // one set of state files, slow a sanitized build below the rate this timing needs (F1 had
  // 8 acknowledged only near the end of the load). It has its own tests, crash ones included.
  auto f1 = n.daemon(
    {"--role=front", "--port=0", "--workers=" + workers, "--db=" + db, "--emergent=off"});
  auto f2 = n.daemon(
    {"--role=front", "--port=0", "--workers=" + workers, "--db=" + db, "--emergent=off"});
  auto load_args = [&](const std::string& jsonl, const std::string& seed) {
    return std::vector<std::string>{
      "load", "--duration", "20", "--concurrency", "4",          "--seed", seed, "--deadline",
      "30",   "--progress", "1",  "--jsonl",       n.file(jsonl)};
  };
  auto& load = n.sonnet(f1.second + "," + f2.second, load_args("load.jsonl", "1"));
  auto& other = n.sonnet(f2.second, load_args("other.jsonl", "100000"));
  // Kill midway, once F1 has acknowledged 8 (progress lines come every second; a sanitized
  // build writes a few sonnets a second).
  BOOST_REQUIRE_MESSAGE(load.wait_for("acknowledged ([89]|[1-9][0-9]+),", 30s),
                        "load: " << load.output() << "\nother: " << other.output()
                                 << "\nfront 1: " << f1.first->output());
  f1.first->signal(SIGKILL);
  BOOST_TEST(code(f1.first->wait(10s)) == 128 + SIGKILL);
  for (auto* p : {&load, &other}) {
    auto rc = code(p->wait(60s));
    if (rc == -1) // a hang (3 in ~45 runs on a busy machine, unexplained): show its threads
      BOOST_TEST_MESSAGE("a load hangs:\n" << backtraces(p->pid(), n.file("hang.txt")));
    BOOST_REQUIRE_MESSAGE(rc == 0, p->output());
  }
  BOOST_REQUIRE_MESSAGE(f2.first->running(), "F2 died: " << f2.first->output());

  auto summary = json_lines(load.output()).back();
  BOOST_TEST_MESSAGE("load: " << summary.dump() << "\n" << load.output());
  BOOST_TEST(summary["hung"] == 0);
  auto failed = summary["failed_total"].get<int>();
  BOOST_TEST(failed >= 1); // 4 were in flight when F1 died
  BOOST_TEST(failed <= 4); // and only those: F2 took the rest
  BOOST_TEST(summary["failed"]["no_worker"] == failed);
  auto lines = load_lines(n.file("load.jsonl"));
  BOOST_TEST(lines.size() == summary["sent"].get<size_t>());
  double killed_at = 0;
  for (auto& l : lines)
    if (l["outcome"] != "ok") {
      BOOST_TEST(l["outcome"] == "no_worker");
      BOOST_TEST(l["error"].get<std::string>()
                 == "front " + f1.second
                      + " went down while the request was in flight; not retried");
      killed_at = std::max(killed_at, l["end_ms"].get<double>());
    }
  for (auto& l : lines) // after the failures, only F2 answers
    if (l["outcome"] == "ok" && l["start_ms"].get<double>() > killed_at)
      BOOST_TEST(l["front"] == f2.second);
  auto by_f1 = acked_by(lines, f1.second), by_f2 = acked_by(lines, f2.second);
  BOOST_TEST(by_f1.size() >= 8u);
  BOOST_TEST(by_f2.size() >= 1u, "the load did not go on with F2");
  BOOST_TEST(by_f1.size() + by_f2.size() == summary["acknowledged"].get<size_t>());

  auto other_lines = load_lines(n.file("other.jsonl"));
  BOOST_TEST(interleave(by_f1, acked_by(other_lines, f2.second)),
             "the two fronts did not write the cloud at the same time");
  check_in_cloud(db, lines);
  check_in_cloud(db, other_lines);
  auto& replay = n.start({SONNET_CLI, "replay", "--db", db});
  BOOST_TEST(code(replay.wait(60s)) == 0, replay.output());
  BOOST_TEST(replay.output().find("\nclean") != std::string::npos, replay.output());
}

BOOST_AUTO_TEST_CASE(a_query_skips_a_dead_first_front) {
  nodes n;
  auto f = n.daemon({"--port=0", "--db=" + n.file("cloud.db"), "--model=" + default_model});
  auto& q = n.sonnet(dead1 + "," + f.second, {"stats", "--json"});
  BOOST_REQUIRE_EQUAL(code(q.wait(30s)), 0);
  auto out = json_lines(q.output());
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  BOOST_TEST(out[0]["sonnet_count"] == 0);
}

BOOST_AUTO_TEST_CASE(no_front_answering_fails_naming_each) {
  nodes n;
  auto& q = n.sonnet(dead1 + "," + dead2, {"stats"});
  BOOST_REQUIRE_EQUAL(code(q.wait(30s)), 1);
  auto err = q.output();
  BOOST_TEST(err.find("no front answers") != std::string::npos, err);
  BOOST_TEST(err.find(dead1 + ": Connection refused") != std::string::npos, err);
  BOOST_TEST(err.find(dead2 + ": Connection refused") != std::string::npos, err);
}
