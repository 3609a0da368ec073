#include "messages/json.hpp"

#include <cmath>

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
  };
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

} // namespace sonnet
