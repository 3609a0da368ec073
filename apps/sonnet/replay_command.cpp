// sonnet replay: checks field coherence and the atomic store of a cloud file (docs/DESIGN.md §2).

#include <iostream>

#include <nlohmann/json.hpp>

#include "apps/sonnet/commands.hpp"
#include "apps/sonnet/common.hpp"
#include "persistence/replay.hpp"

namespace sonnet::cli {

int cmd_replay(int argc, char** argv) {
  auto specs = read_only_query_options();
  auto parsed = parse_command(
    argc, argv, "sonnet replay [--db PATH] [--json]",
    "Replays the cloud in id order: recomputes each stored dissonance against the sonnets\n"
    "stored before it, recounts trigrams and lines. Exit 1 on any mismatch.",
    specs);
  if (!parsed)
    return exit_ok;
  auto s = resolve(*parsed);
  if (!s)
    return report("replay", s.err());
  auto r = persistence::replay(s->db_path);
  if (!r)
    return report("replay", r.err());
  if (parsed->flag("json")) {
    auto mismatches = nlohmann::json::array();
    for (auto& m : r->mismatches) // seed is uint64_t: printed unsigned, never negative
      mismatches.push_back(
        {{"id", m.id}, {"stored", m.stored}, {"recomputed", m.recomputed}, {"seed", m.seed}});
    nlohmann::json out{{"sonnets_checked", r->sonnets_checked},
                       {"foreign_sonnets", r->foreign_sonnets},
                       {"dissonance_mismatches", r->mismatches.size()},
                       {"mismatches", mismatches},
                       {"max_abs_diff", r->max_abs_diff},
                       {"trigram_mismatches", r->trigram_mismatches.size()},
                       {"lines_mismatches", r->lines_mismatches.size()},
                       {"baseline_mismatch", r->baseline_mismatch},
                       {"notes", r->notes},
                       {"clean", r->clean()}};
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "checked " << r->sonnets_checked << " sonnets (" << r->foreign_sonnets
              << " from the prototype, not recomputed)\n"
              << "dissonance mismatches " << r->mismatches.size() << " (max |diff| "
              << r->max_abs_diff << ")\n"
              << "trigram mismatches " << r->trigram_mismatches.size() << "\n"
              << "line mismatches " << r->lines_mismatches.size() << "\n";
    for (auto& m : r->mismatches)
      std::cout << "  #" << m.id << ": stored " << m.stored << ", recomputed " << m.recomputed
                << " (seed " << m.seed << ")\n";
    if (!r->baseline_mismatch.empty())
      std::cout << "baseline: " << r->baseline_mismatch << "\n";
    for (auto& n : r->notes)
      std::cout << "note: " << n << "\n";
    std::cout << (r->clean() ? "clean" : "NOT clean") << "\n";
  }
  return r->clean() ? exit_ok : exit_error;
}

} // namespace sonnet::cli
