// quality_report: for S seeded generations (prompt "\n", T=0.8, all tokens, one 800-token first
// pass each), compares taking the first candidate (N=1) with best-of-N whole-candidate selection
// (text::best_of) and the service's selection (text::select_sonnet: line assembly from the pool
// of all candidates' clean lines, else the best whole candidate). Candidate c of
// sonnet s uses seed base + 1000*s + c, so N=1 is exactly the first candidate of best-of-N.
// Prints a markdown table.
//
//   quality_report [MODEL.npz] [--sonnets 50] [--candidates 8] [--tokens 800] [--threads 2]
//                  [--seed 1] [--corpus FILE ...]
// --corpus (repeatable): the training texts; adds the share of chosen lines found verbatim in
// them (the whole line, trimmed, as a substring): a model that recites is not writing.

#include "model/model.hpp"
#include "text/best_of.hpp"
#include "text/formatter.hpp"
#include "text/pronouncing.hpp"
#include "text/quality.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sm = sonnet::model;
namespace st = sonnet::text;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

struct row {
  std::string name;
  int sonnets = 0;        // attempts
  int fourteen = 0;       // a 14-line sonnet came out of the first pass
  int valid = 0;          // ... and the prototype's validate() passed
  long lines = 0;         // lines of the chosen sonnets
  long verse_lines = 0;   // of them with 9..13 syllables
  double rhyme_pairs = 0; // sums over chosen sonnets
  double meter = 0;
  double quality = 0;   // sum over attempts; a missing sonnet counts 0
  double model_ms = 0;  // generation time, summed over candidates
  double select_ms = 0; // formatting, analysis, selection
  long recited = 0;     // chosen lines found verbatim in the training texts

  void add(const std::optional<std::vector<std::string>>& lines_opt, const st::dictionary& d,
           const std::string& corpus) {
    sonnets += 1;
    if (!lines_opt)
      return;
    const auto& ls = *lines_opt;
    if (!corpus.empty())
      for (const auto& l : ls) {
        const auto b = l.find_first_not_of(" \t"), e = l.find_last_not_of(" \t");
        if (b != std::string::npos && corpus.find(l.substr(b, e - b + 1)) != std::string::npos) {
          ++recited;
          if (std::getenv("QUALITY_SHOW_VERBATIM"))
            std::fprintf(stderr, "verbatim (%s): %s\n", name.c_str(), l.c_str());
        }
      }
    fourteen += 1;
    valid += st::validate(st::join_lines(ls)).first;
    auto a = st::assess(d, ls);
    for (const auto& l : a.prosody.lines) {
      lines += 1;
      verse_lines +=
        l.syllables >= st::verse_min_syllables && l.syllables <= st::verse_max_syllables;
    }
    rhyme_pairs += a.quality.rhyme_pairs;
    meter += a.quality.meter;
    quality += a.quality.score;
  }

  void print(bool with_recited) const {
    auto pct = [](double x, double n) { return n > 0 ? 100.0 * x / n : 0.0; };
    std::printf("| %s | %.0f%% | %.0f%% | %.0f%% | ", name.c_str(), pct(fourteen, sonnets),
                pct(valid, sonnets),
                pct(static_cast<double>(verse_lines), static_cast<double>(lines)));
    if (with_recited)
      std::printf("%.1f%% | ", pct(static_cast<double>(recited), static_cast<double>(lines)));
    std::printf("%.2f | %.2f | %.3f | %.0f | %.1f |\n", fourteen ? rhyme_pairs / fourteen : 0.0,
                fourteen ? meter / fourteen : 0.0, sonnets ? quality / sonnets : 0.0,
                sonnets ? model_ms / sonnets : 0.0, sonnets ? select_ms / sonnets : 0.0);
  }
};

} // namespace

int main(int argc, char** argv) {
  std::string model_path = SONNET_DEFAULT_MODEL;
  int sonnets = 50, candidates = 8, tokens = 800, threads = 2;
  uint64_t base_seed = 1;
  std::string corpus; // the training texts, for the verbatim-line check
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](const char* name) { return std::strcmp(argv[i], name) == 0 && i + 1 < argc; };
    if (arg("--sonnets"))
      sonnets = std::atoi(argv[++i]);
    else if (arg("--candidates"))
      candidates = std::atoi(argv[++i]);
    else if (arg("--tokens"))
      tokens = std::atoi(argv[++i]);
    else if (arg("--threads"))
      threads = std::atoi(argv[++i]);
    else if (arg("--seed"))
      base_seed = std::strtoull(argv[++i], nullptr, 10);
    else if (arg("--corpus")) {
      std::ifstream in(argv[++i], std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "quality_report: cannot read %s\n", argv[i]);
        return 1;
      }
      corpus.append(std::istreambuf_iterator<char>(in), {});
      corpus += '\n';
    } else if (argv[i][0] != '-')
      model_path = argv[i];
    else {
      std::fprintf(stderr, "usage: quality_report [MODEL.npz] [--sonnets 50] [--candidates 8] "
                           "[--tokens 800] [--threads 2] [--seed 1] [--corpus FILE ...]\n");
      return 2;
    }
  }
  if (sonnets < 1 || candidates < 1 || tokens < 1 || threads < 1) {
    std::fprintf(stderr, "quality_report: counts must be >= 1\n");
    return 2;
  }
  auto m = sm::load_model(model_path);
  if (!m) {
    std::fprintf(stderr, "quality_report: %s\n", m.err().message.c_str());
    return 1;
  }
  auto t_dict = clock_type::now();
  auto dict = st::shared_dictionary();
  const double dict_ms = ms_since(t_dict);

  // Generate every candidate (in parallel), keeping its time.
  const int total = sonnets * candidates;
  std::vector<std::string> texts(static_cast<std::size_t>(total));
  std::vector<double> gen_ms(static_cast<std::size_t>(total));
  std::atomic<int> next{0};
  auto t_all = clock_type::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      sm::decoder dec(*m);
      for (int k = next++; k < total; k = next++) {
        const int s = k / candidates, c = k % candidates;
        auto t0 = clock_type::now();
        dec.start(
          "\n",
          {0.8f, 0, base_seed + 1000ull * static_cast<uint64_t>(s) + static_cast<uint64_t>(c)});
        texts[static_cast<std::size_t>(k)] = dec.generate(tokens);
        gen_ms[static_cast<std::size_t>(k)] = ms_since(t0);
      }
    });
  for (auto& th : pool)
    th.join();
  const double wall_s = ms_since(t_all) / 1000.0;

  row one{"N=1 (first candidate)"};
  row best{"best-of-" + std::to_string(candidates) + ", whole candidate"};
  row lines{"best-of-" + std::to_string(candidates) + ", line assembly + fallback (service)"};
  int assembled = 0;
  for (int s = 0; s < sonnets; ++s) {
    const auto first = static_cast<std::size_t>(s * candidates);
    std::vector<std::string> cands(texts.begin() + static_cast<long>(first),
                                   texts.begin() + static_cast<long>(first) + candidates);
    double all_ms = 0;
    for (int c = 0; c < candidates; ++c)
      all_ms += gen_ms[first + static_cast<std::size_t>(c)];

    auto t0 = clock_type::now();
    auto f = st::format(cands[0]);
    if (f)
      (void)st::assess(*dict, *f);
    one.select_ms += ms_since(t0);
    one.model_ms += gen_ms[first];
    one.add(f, *dict, corpus);

    t0 = clock_type::now();
    auto b = st::best_of(*dict, cands);
    best.select_ms += ms_since(t0);
    best.model_ms += all_ms;
    best.add(b ? std::optional<std::vector<std::string>>(b->lines) : std::nullopt, *dict, corpus);

    t0 = clock_type::now();
    auto l = st::select_sonnet(*dict, cands);
    lines.select_ms += ms_since(t0);
    lines.model_ms += all_ms;
    assembled += l && l->chosen < 0;
    lines.add(l ? std::optional<std::vector<std::string>>(l->lines) : std::nullopt, *dict, corpus);
  }

  std::printf("Quality report: %d sonnets, prompt \"\\n\", T=0.8, top_k 0, %d tokens per "
              "candidate (first pass only), seeds %llu + 1000*s + c; model %s; dictionary %s "
              "(%zu words, loaded in %.0f ms); %d threads, %.1f s generating.\n\n",
              sonnets, tokens, static_cast<unsigned long long>(base_seed), model_path.c_str(),
              dict->size() ? dict->source().c_str() : "none (spelling fallback)", dict->size(),
              dict_ms, threads, wall_s);
  const bool rec = !corpus.empty();
  std::printf("| selection | 14 lines | valid (prototype) | lines 9-13 syll. | %srhyme pairs /7 "
              "| meter | quality | model ms/sonnet | select ms/sonnet |\n",
              rec ? "verbatim in corpus | " : "");
  std::printf("|---|---|---|---|%s---|---|---|---|---|\n", rec ? "---|" : "");
  one.print(rec);
  if (candidates > 1) {
    best.print(rec);
    lines.print(rec);
  }
  if (candidates > 1)
    std::printf("\nService selection: %d of %d sonnets assembled from the pool, the others a "
                "whole candidate.\n",
                assembled, sonnets);
  std::printf("\nRhyme pairs, meter and the 9-13 share are over the sonnets that came out; "
              "quality is over all attempts (none = 0). Model ms is the sum over the candidates "
              "(one thread's time; the service can run them in parallel).\n");
  return 0;
}
