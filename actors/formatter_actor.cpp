#include "actors/formatter_actor.hpp"

#include "caf/all.hpp"

#include "actors/candidates.hpp"
#include "messages/errors.hpp"
#include "text/formatter.hpp"
#include "text/pronouncing.hpp"

#include <memory>

namespace sonnet {

namespace {

formatter_actor::behavior_type formatter_fn(formatter_actor::pointer,
                                            std::shared_ptr<const text::dictionary> dict) {
  return {
    [dict](atom::format, const std::string& raw) -> caf::result<formatted> {
      auto lines = text::format(raw);
      if (!lines) {
        auto n = text::extract_lines(raw, 20).size();
        return make_caf_error(errc::not_enough_lines,
                              "only " + std::to_string(n) + " of 14 clean lines");
      }
      // Issue 8: quality from structure, meter and rhyme (text/quality.hpp) replaces the
      // prototype's fixed 0.8 / 0.5 (request_rules' base_quality).
      return make_formatted(std::move(*lines), *dict);
    },
  };
}

} // namespace

formatter_actor spawn_formatter(caf::actor_system& sys) {
  // Loads the pronouncing dictionary now (once per process, ~0.1 s), not on the first request.
  return sys.spawn(formatter_fn, text::shared_dictionary());
}

} // namespace sonnet
