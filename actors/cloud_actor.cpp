#include "actors/cloud_actor.hpp"

#include <cmath>

#include "caf/all.hpp"

#include "messages/errors.hpp"

namespace sonnet {

namespace {

struct cloud_state {
  cloud_state() = default;
  std::unique_ptr<persistence::store> store;
  static inline const char* name = "sonnet-cloud";
};

caf::optional<double> nullable(double x) {
  return std::isnan(x) ? caf::optional<double>{} : caf::optional<double>{x};
}

stored_sonnet to_message(const persistence::stored_sonnet& x) {
  return {x.id,
          x.text,
          nullable(x.quality),
          nullable(x.dissonance),
          nullable(x.temperature),
          nullable(x.timestamp),
          x.added_by};
}

caf::result<std::vector<stored_sonnet>>
to_messages(result<std::vector<persistence::stored_sonnet>> xs) {
  if (!xs)
    return to_caf(xs.err());
  std::vector<stored_sonnet> out;
  out.reserve(xs->size());
  for (auto& x : *xs)
    out.push_back(to_message(x));
  return out;
}

persistence::sonnet_input to_input(const store_request& r) {
  persistence::sonnet_input in;
  in.text = r.text;
  in.quality = r.quality;
  in.dissonance = r.dissonance;
  in.temperature = r.temperature;
  in.added_by = r.added_by;
  in.user_input = r.user_input;
  in.seed = r.seed;
  return in;
}

// The store arrives through a shared_ptr because spawn arguments must be copyable.
cloud_actor::behavior_type cloud_fn(cloud_actor::stateful_pointer<cloud_state> self,
                                    std::shared_ptr<std::unique_ptr<persistence::store>> box) {
  self->state.store = std::move(*box);
  auto& db = *self->state.store;
  return {
    [&db](atom::store, const std::vector<store_request>& rs) -> caf::result<std::vector<int64_t>> {
      std::vector<persistence::sonnet_input> in;
      in.reserve(rs.size());
      for (const auto& r : rs)
        in.push_back(to_input(r));
      auto ids = db.add_batch(in);
      if (!ids)
        return to_caf(ids.err());
      return std::move(*ids);
    },
    [&db](atom::stats) -> caf::result<cloud_stats> {
      auto s = db.stats();
      if (!s)
        return to_caf(s.err());
      return cloud_stats{s->sonnet_count, s->avg_quality, s->avg_dissonance, s->vocab_size};
    },
    [&db](atom::recent, int64_t n) { return to_messages(db.recent(n)); },
    [&db](atom::best, int64_t n, double min_quality) {
      return to_messages(db.best(n, min_quality));
    },
    [&db](atom::get, int64_t id) -> caf::result<stored_sonnet> {
      auto s = db.get(id);
      if (!s)
        return to_caf(s.err());
      return to_message(*s);
    },
    [&db](atom::vocabulary) {
      const auto& v = db.vocabulary();
      return std::vector<std::string>(v.begin(), v.end());
    },
  };
}

} // namespace

cloud_actor spawn_cloud(caf::actor_system& sys, std::unique_ptr<persistence::store> store,
                        bool detached) {
  auto box = std::make_shared<std::unique_ptr<persistence::store>>(std::move(store));
  if (detached)
    return sys.spawn<caf::detached>(cloud_fn, std::move(box));
  return sys.spawn(cloud_fn, std::move(box));
}

} // namespace sonnet
