#include "actors/formatter_actor.hpp"

#include "caf/all.hpp"

#include "actors/request_rules.hpp"
#include "messages/errors.hpp"
#include "text/formatter.hpp"

namespace sonnet {

namespace {

formatter_actor::behavior_type formatter_fn(formatter_actor::pointer) {
  return {
    [](atom::format, const std::string& raw) -> caf::result<formatted> {
      auto lines = text::format(raw);
      if (!lines) {
        auto n = text::extract_lines(raw, 20).size();
        return make_caf_error(errc::not_enough_lines,
                              "only " + std::to_string(n) + " of 14 clean lines");
      }
      formatted out;
      out.lines = std::move(*lines);
      auto verdict = text::validate(text::join_lines(out.lines));
      out.valid = verdict.first;
      out.reason = std::move(verdict.second);
      out.quality = base_quality(out.valid);
      return out;
    },
  };
}

} // namespace

formatter_actor spawn_formatter(caf::actor_system& sys) {
  return sys.spawn(formatter_fn);
}

} // namespace sonnet
