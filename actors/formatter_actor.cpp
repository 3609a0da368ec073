#include "actors/formatter_actor.hpp"

#include "caf/all.hpp"

#include "actors/candidates.hpp"
#include "messages/errors.hpp"
#include "text/formatter.hpp"
#include "text/pronouncing.hpp"

#include <algorithm>
#include <memory>

namespace sonnet {

namespace {

formatter_actor::behavior_type formatter_fn(formatter_actor::pointer,
                                            std::shared_ptr<const text::dictionary> dict) {
  return {
    [dict](atom::format, const std::vector<std::string>& raws) -> caf::result<formatted> {
      // Quality from structure, meter and rhyme (text/quality.hpp) replaces the prototype's
      // fixed 0.8 / 0.5. One candidate: its first 14 clean lines. Several: 14 lines assembled
      // from all their clean lines for rhyme and meter (chosen = -1), else the best whole one
      // (text/best_of.hpp).
      auto best = best_formatted(raws, *dict);
      if (!best) {
        size_t most = 0;
        for (auto& raw : raws)
          most = std::max(most, text::extract_lines(raw, 20).size());
        return make_caf_error(errc::not_enough_lines,
                              "only " + std::to_string(most) + " of 14 clean lines");
      }
      best->first.chosen = best->second;
      return std::move(best->first);
    },
  };
}

} // namespace

formatter_actor spawn_formatter(caf::actor_system& sys) {
  // Loads the pronouncing dictionary now (once per process), not on the first request.
  return sys.spawn(formatter_fn, text::shared_dictionary());
}

} // namespace sonnet
