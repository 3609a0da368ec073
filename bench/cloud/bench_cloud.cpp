// bench_cloud: how the SQLite sonnet cloud scales.
//
// Builds clouds of 100, 10,000 and 100,000 synthetic 14-line sonnets in temp files, through
// store::add (one transaction per sonnet), then reports inserts/s, the time to reopen the file
// (dominated by loading the vocabulary into memory), the vocabulary size, and the mean time of one
// text::compute_dissonance against the in-memory vocabulary (1000 calls). The point: dissonance
// time stays flat as the cloud grows, because the prototype's per-call SELECT DISTINCT over the
// whole trigram table is gone.
//
// Synthetic text: each line is a run of 6-10 consecutive words of tinyshakespeare.txt starting at
// a pseudo-random (splitmix64, fixed seed) word; 14 such lines make a sonnet. Within a line the
// trigrams are real corpus trigrams, across line breaks they are new combinations, so the trigram
// table grows with the cloud roughly as model output would. (Independent random words would make
// nearly every trigram unique: ~11 million rows for 100k sonnets, unlike real text.) Without the
// corpus, a generated Zipf-like word stream is used instead.
//
// Usage: bench_cloud [--sizes 100,10000,100000] [--bulk-from N] [--normal] [--dir DIR] [--keep]
//   --bulk-from N  build clouds of N sonnets or more with sqlite_store::add_batch (1000 sonnets
//                  per transaction) instead of one store::add per sonnet. Default 100000: one
//                  transaction per sonnet with synchronous=FULL waits for an fsync every commit
//                  (~90-120 commits/s on this machine's disk), and even with synchronous=NORMAL
//                  each sonnet dirties ~100 pages (its trigrams land all over the UNIQUE index),
//                  which fell from ~580 to ~250 sonnets/s by 50k: 100k would take 5-15 minutes.
//                  -1 builds every cloud one sonnet per transaction.
//   --normal       synchronous=NORMAL instead of FULL for the build.
// Bulk builds also raise SQLite's page cache to 256 MiB (random upserts into the trigram index).
// Whatever the build mode, "add/s" is measured afterwards with 200 single store::add calls
// (synchronous=FULL) on the finished cloud: the service's real per-sonnet cost at that size.

#include "persistence/sqlite_store.hpp"
#include "text/dissonance.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <stdlib.h>

namespace fs = std::filesystem;
using namespace sonnet;
using namespace sonnet::persistence;
using clock_type = std::chrono::steady_clock;

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::vector<std::string> load_corpus(std::string& source) {
  std::string path = std::string(SONNET_DEFAULT_SHARED_DIR) + "/data/tinyshakespeare.txt";
  std::ifstream in(path);
  std::vector<std::string> words;
  if (in) {
    std::string w;
    while (in >> w)
      words.push_back(w);
  }
  if (words.size() >= 1000) {
    source = path;
    return words;
  }
  // Fallback: 5000 generated words, drawn with a Zipf-like skew into a 200k-word stream.
  source = "generated word list (tinyshakespeare.txt absent)";
  std::vector<std::string> lexicon;
  uint64_t s = 7;
  const char* syll[] = {"ka", "lo", "ve", "thy", "mor", "en", "st", "ar", "de", "ith"};
  for (int i = 0; i < 5000; ++i) {
    std::string w;
    for (int k = 0, n = 1 + static_cast<int>(splitmix64(s) % 3); k < n; ++k)
      w += syll[splitmix64(s) % 10];
    lexicon.push_back(w + std::to_string(i % 97));
  }
  words.clear();
  for (int i = 0; i < 200000; ++i) {
    double u = static_cast<double>(splitmix64(s) >> 11) / 9007199254740992.0;
    words.push_back(lexicon[static_cast<size_t>(u * u * u * 5000) % 5000]);
  }
  return words;
}

class sonnet_source {
public:
  sonnet_source(const std::vector<std::string>& corpus, uint64_t seed)
      : corpus_(corpus), state_(seed) {}

  std::string next() {
    std::string out;
    for (int l = 0; l < 14; ++l) {
      if (l > 0)
        out += '\n';
      size_t n = 6 + splitmix64(state_) % 5;
      size_t start = splitmix64(state_) % (corpus_.size() - n);
      for (size_t i = 0; i < n; ++i) {
        if (i > 0)
          out += ' ';
        out += corpus_[start + i];
      }
    }
    return out;
  }

private:
  const std::vector<std::string>& corpus_;
  uint64_t state_;
};

struct row {
  int64_t sonnets = 0;
  const char* build = "";
  double build_s = 0;
  double build_per_s = 0;
  double add_per_s = 0;
  double open_ms = 0;
  size_t vocab = 0;
  int64_t vocab_size_word1 = 0;
  double dissonance_us = 0;
  double stats_ms = 0;
  double recent_ms = 0;
  double file_mb = 0;
};

[[noreturn]] void die(const std::string& what, const error& e) {
  std::fprintf(stderr, "bench_cloud: %s: %s: %s\n", what.c_str(), to_string(e.code),
               e.message.c_str());
  std::exit(1);
}

row run(int64_t n, bool bulk, bool normal, const std::vector<std::string>& corpus,
        const fs::path& dir) {
  row r;
  r.sonnets = n;
  r.build = bulk ? (normal ? "batch/N" : "batch/F") : (normal ? "add/N" : "add/F");
  auto path = (dir / ("cloud_" + std::to_string(n) + ".db")).string();
  sqlite_options build_opts;
  build_opts.sync = normal ? sync_mode::normal : sync_mode::full;
  if (bulk) // random upserts into a large UNIQUE index: keep the hot pages in SQLite's cache
    build_opts.cache_size_kib = 256 * 1024;
  sonnet_source src{corpus, 0x5eed0000ULL + static_cast<uint64_t>(n)};
  auto make_input = [&](int64_t i) {
    sonnet_input in;
    in.text = src.next();
    in.user_input = "tell me about love and time";
    in.dissonance = 0.5; // the value is irrelevant to the write cost
    in.seed = static_cast<uint64_t>(i);
    return in;
  };
  {
    auto s = sqlite_store::open(path, build_opts);
    if (!s)
      die("open " + path, s.err());
    double in_store = 0;
    auto t_build = clock_type::now();
    const int64_t step = bulk ? 1000 : 1;
    for (int64_t i = 0; i < n; i += step) {
      std::vector<sonnet_input> batch;
      for (int64_t k = i; k < std::min(n, i + step); ++k)
        batch.push_back(make_input(k));
      auto t0 = clock_type::now();
      if (bulk) {
        auto ids = (*s)->add_batch(batch);
        if (!ids)
          die("add_batch", ids.err());
      } else {
        auto id = (*s)->add(batch.front());
        if (!id)
          die("add", id.err());
      }
      in_store += seconds_since(t0);
      int64_t done = std::min(n, i + step);
      if (n >= 10000 && done % (n / 10) == 0)
        std::fprintf(stderr, "  %lld/%lld sonnets, %.0f inserts/s so far\n",
                     static_cast<long long>(done), static_cast<long long>(n),
                     static_cast<double>(done) / in_store);
    }
    r.build_s = seconds_since(t_build);
    r.build_per_s = static_cast<double>(n) / in_store;
  }
  r.file_mb = static_cast<double>(fs::file_size(path)) / (1024.0 * 1024.0);
  auto t_open = clock_type::now();
  auto s = sqlite_store::open(path); // defaults: read_write, synchronous=FULL
  r.open_ms = seconds_since(t_open) * 1e3;
  if (!s)
    die("reopen " + path, s.err());
  const auto& vocab = (*s)->vocabulary();
  r.vocab = vocab.size();
  // Dissonance: 1000 fresh sonnets judged against the cloud.
  std::vector<std::string> probes;
  for (int i = 0; i < 1000; ++i)
    probes.push_back(src.next());
  double sink = 0;
  std::vector<double> rounds; // round 0 warms the caches; report the median of the other 5
  for (int round = 0; round < 6; ++round) {
    auto t_d = clock_type::now();
    for (const auto& p : probes)
      sink += text::compute_dissonance("tell me about love and time", p, vocab).dissonance;
    if (round > 0)
      rounds.push_back(seconds_since(t_d) * 1e6 / 1000.0);
  }
  std::sort(rounds.begin(), rounds.end());
  r.dissonance_us = rounds[rounds.size() / 2];
  if (sink < 0)
    std::puts("");
  auto t_s = clock_type::now();
  auto st = (*s)->stats();
  r.stats_ms = seconds_since(t_s) * 1e3;
  if (!st)
    die("stats", st.err());
  r.vocab_size_word1 = st->vocab_size;
  auto t_r = clock_type::now();
  auto rec = (*s)->recent(10);
  r.recent_ms = seconds_since(t_r) * 1e3;
  if (!rec)
    die("recent", rec.err());
  // The service's per-sonnet cost on a cloud of this size: single adds, synchronous=FULL.
  const int singles = 200;
  auto t_a = clock_type::now();
  for (int i = 0; i < singles; ++i) {
    auto id = (*s)->add(make_input(n + i));
    if (!id)
      die("add", id.err());
  }
  r.add_per_s = singles / seconds_since(t_a);
  return r;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes = {100, 10000, 100000};
  int64_t bulk_from = 100000;
  bool normal = false;
  std::string dir_arg;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::stringstream ss(argv[++i]);
      std::string tok;
      while (std::getline(ss, tok, ','))
        sizes.push_back(std::stoll(tok));
    } else if (a == "--bulk-from" && i + 1 < argc) {
      bulk_from = std::stoll(argv[++i]);
    } else if (a == "--normal") {
      normal = true;
    } else if (a == "--dir" && i + 1 < argc) {
      dir_arg = argv[++i];
    } else if (a == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr,
                   "usage: bench_cloud [--sizes 100,10000,100000] [--bulk-from N] [--normal] "
                   "[--dir DIR] [--keep]\n");
      return 2;
    }
  }
  std::string source;
  auto corpus = load_corpus(source);
  fs::path dir;
  if (dir_arg.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "bench-cloud-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
  } else {
    dir = dir_arg;
    fs::create_directories(dir);
  }
  std::printf("corpus: %s (%zu words); clouds in %s\n", source.c_str(), corpus.size(),
              dir.string().c_str());
  std::vector<row> rows;
  for (auto n : sizes) {
    const bool bulk = bulk_from >= 0 && n >= bulk_from;
    std::fprintf(stderr, "building %lld sonnets (%s, synchronous=%s)...\n",
                 static_cast<long long>(n), bulk ? "add_batch of 1000" : "one add per sonnet",
                 normal ? "NORMAL" : "FULL");
    rows.push_back(run(n, bulk, normal, corpus, dir));
  }
  std::printf("\n%9s %8s %8s %10s %8s %8s %9s %8s %10s %8s %8s %7s\n", "sonnets", "build",
              "build s", "build/s", "add/s", "file MB", "open ms", "|vocab|", "vocab_size",
              "diss us", "stats ms", "rec ms");
  for (const auto& r : rows)
    std::printf("%9lld %8s %8.1f %10.0f %8.0f %8.1f %9.1f %8zu %10lld %8.2f %8.3f %7.3f\n",
                static_cast<long long>(r.sonnets), r.build, r.build_s, r.build_per_s, r.add_per_s,
                r.file_mb, r.open_ms, r.vocab, static_cast<long long>(r.vocab_size_word1),
                r.dissonance_us, r.stats_ms, r.recent_ms);
  std::printf(
    "\nbuild: add = one store::add (one transaction) per sonnet, batch = add_batch of 1000 per "
    "transaction; /F = synchronous=FULL, /N = NORMAL.\n"
    "add/s = 200 single store::add calls, synchronous=FULL, on the finished cloud (fsync-bound).\n"
    "open ms = reopen incl. validation and vocabulary load; |vocab| = union of trigram words "
    "(what novelty uses); vocab_size = the prototype's distinct word1.\n"
    "diss us = mean time of one text::compute_dissonance (1000 different sonnets, median of 5 "
    "rounds) against the in-memory vocabulary; "
    "stats ms / rec ms = one stats() / recent(10).\n");
  if (!keep && dir_arg.empty())
    fs::remove_all(dir);
  return 0;
}
