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

persistence::sonnet_input to_input(const judge_request& r) {
  persistence::sonnet_input in;
  in.text = r.text;
  in.quality = r.quality;
  in.temperature = r.temperature;
  in.user_input = r.user_input;
  in.seed = r.seed;
  in.added_by = r.added_by;
  return in;
}

cloud_series to_message(const persistence::cloud_series& s) {
  cloud_series out{s.sonnet_count, s.bucket_width, {}};
  out.points.reserve(s.buckets.size());
  for (const auto& b : s.buckets)
    out.points.push_back({b.first_id, b.last_id, b.count, nullable(b.dissonance_mean),
                          nullable(b.dissonance_min), nullable(b.dissonance_max),
                          nullable(b.quality_mean), nullable(b.quality_min),
                          nullable(b.quality_max)});
  return out;
}

judgement to_message(const text::judgement& j) {
  return {j.dissonance, pulse{j.p.novelty, j.p.arousal, j.p.entropy}};
}

// The store arrives through a shared_ptr because spawn arguments must be copyable.
cloud_actor::behavior_type cloud_fn(cloud_actor::stateful_pointer<cloud_state> self,
                                    std::shared_ptr<std::unique_ptr<persistence::store>> box) {
  self->state.store = std::move(*box);
  auto& db = *self->state.store;
  return {
    [&db](atom::judge, const std::vector<judge_request>& rs) -> caf::result<std::vector<judged>> {
      std::vector<persistence::sonnet_input> in;
      in.reserve(rs.size());
      for (const auto& r : rs)
        in.push_back(to_input(r));
      auto js = db.judge_and_add(in);
      if (!js)
        return to_caf(js.err());
      std::vector<judged> out;
      out.reserve(js->size());
      for (const auto& x : *js)
        out.push_back(judged{x.id, to_message(x.j)});
      return out;
    },
    [&db](atom::dissonance, const std::string& user_input,
          const std::string& sonnet) -> caf::result<judgement> {
      auto j = db.judge(user_input, sonnet);
      if (!j)
        return to_caf(j.err());
      return to_message(*j);
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
    [&db](atom::get, const std::string& text) -> caf::result<int64_t> {
      auto id = db.find_text(text);
      if (!id)
        return to_caf(id.err());
      return *id;
    },
    [&db](atom::series, int64_t points) -> caf::result<cloud_series> {
      auto s = db.series(points);
      if (!s)
        return to_caf(s.err());
      return to_message(*s);
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
