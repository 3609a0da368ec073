#include "messages/json.hpp"

#include <cmath>
#include <iterator>
#include <tuple>

namespace sonnet {

namespace {

// NULL columns become JSON null.
nlohmann::json number(const caf::optional<double>& x) {
  return x ? nlohmann::json(*x) : nlohmann::json(nullptr);
}

} // namespace

nlohmann::json to_json(const pulse& p) {
  return {{"novelty", p.novelty}, {"arousal", p.arousal}, {"entropy", p.entropy}};
}

nlohmann::json to_json(const line_analysis& a) {
  return {{"syllables", a.syllables},
          {"stress", a.stress},
          {"iambic_fit", a.iambic_fit},
          {"rhyme_key", a.rhyme_key}};
}

nlohmann::json to_json(const sonnet_reply& r) {
  auto analysis = nlohmann::json::array();
  for (const auto& a : r.analysis)
    analysis.push_back(to_json(a));
  return {
    {"id", r.id},
    {"text", r.text},
    {"lines", r.lines},
    {"dissonance", r.dissonance},
    {"pulse", to_json(r.p)},
    {"quality", r.quality},
    {"structure", r.structure},
    {"meter", r.meter},
    {"rhyme_pairs", r.rhyme_pairs},
    {"valid", r.valid},
    {"analysis", std::move(analysis)},
    {"temperature", r.temperature},
    {"seed", r.seed},
    {"candidates", r.candidates},
    {"chosen", r.chosen},
    {"tokens", r.tokens},
    {"timings",
     {{"model_ms", r.t.model_ms},
      {"format_ms", r.t.format_ms},
      {"judge_ms", r.t.judge_ms},
      {"total_ms", r.t.total_ms}}},
    {"brain", number(r.brain)},
    {"phase", r.phase.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.phase)},
  };
}

nlohmann::json to_json(const brain_report& b) {
  nlohmann::json features = nlohmann::json::object();
  for (size_t i = 0; i < b.features.size() && i < std::size(brain_feature_names); ++i)
    features[brain_feature_names[i]] = b.features[i];
  return {{"id", b.id},
          {"score", b.score},
          {"output", b.output},
          {"features", std::move(features)},
          {"observations", b.observations},
          {"last_loss", b.last_loss}};
}

nlohmann::json to_json(const phase_info& p) {
  return {{"phase", p.phase},
          {"temperature_sonnet", p.temperature_sonnet},
          {"temperature_haiku", p.temperature_haiku},
          {"stability", p.stability},
          {"transition_prob", p.transition_prob},
          {"duration", p.duration},
          {"observations", p.observations}};
}

nlohmann::json to_json(const sonnet_stored& e) {
  return {{"id", e.id},
          {"text", e.text},
          {"lines", e.lines},
          {"dissonance", e.dissonance},
          {"pulse", to_json(e.p)},
          {"quality", e.quality},
          {"valid", e.valid},
          {"brain", number(e.brain)},
          {"temperature", e.temperature},
          {"added_by", e.added_by}};
}

nlohmann::json to_json(const judgement& j) {
  return {{"dissonance", j.dissonance}, {"pulse", to_json(j.p)}};
}

nlohmann::json to_json(const stored_sonnet& s) {
  return {
    {"id", s.id},
    {"text", s.text},
    {"quality", number(s.quality)},
    {"dissonance", number(s.dissonance)},
    {"temperature", number(s.temperature)},
    {"timestamp", number(s.timestamp)},
    {"added_by", s.added_by},
  };
}

nlohmann::json to_json(const cloud_stats& s) {
  return {
    {"sonnet_count", s.sonnet_count},
    {"avg_quality", s.avg_quality},
    {"avg_dissonance", s.avg_dissonance},
    {"vocab_size", s.vocab_size},
  };
}

namespace {

nlohmann::json rounded(const caf::optional<double>& x) {
  return x ? nlohmann::json(std::round(*x * 1e4) / 1e4) : nlohmann::json(nullptr);
}

/// {"mean": [...], "min": [...], "max": [...]} of one measure.
template <class Get>
nlohmann::json measure(const std::vector<series_point>& ps, Get get) {
  auto mean = nlohmann::json::array(), lo = nlohmann::json::array(), hi = nlohmann::json::array();
  for (const auto& p : ps) {
    auto [m, l, h] = get(p);
    mean.push_back(rounded(m));
    lo.push_back(rounded(l));
    hi.push_back(rounded(h));
  }
  return {{"mean", std::move(mean)}, {"min", std::move(lo)}, {"max", std::move(hi)}};
}

} // namespace

nlohmann::json to_json(const cloud_series& s) {
  auto first = nlohmann::json::array(), last = nlohmann::json::array(),
       count = nlohmann::json::array();
  for (const auto& p : s.points) {
    first.push_back(p.first_id);
    last.push_back(p.last_id);
    count.push_back(p.count);
  }
  return {
    {"sonnet_count", s.sonnet_count},
    {"bucket_width", s.bucket_width},
    {"first_id", std::move(first)},
    {"last_id", std::move(last)},
    {"count", std::move(count)},
    {"dissonance",
     measure(s.points,
             [](const series_point& p) {
               return std::tuple{p.dissonance_mean, p.dissonance_min, p.dissonance_max};
             })},
    {"quality", measure(s.points,
                        [](const series_point& p) {
                          return std::tuple{p.quality_mean, p.quality_min, p.quality_max};
                        })},
  };
}

} // namespace sonnet
