#pragma once
// JSON forms of the replies: the CLI's --json output and the HTTP API (http/) write these.

#include <nlohmann/json.hpp>

#include "messages/types.hpp"

namespace sonnet {

nlohmann::json to_json(const pulse& p);
nlohmann::json to_json(const line_analysis& a);
nlohmann::json to_json(const sonnet_reply& r);
nlohmann::json to_json(const judgement& j);
nlohmann::json to_json(const stored_sonnet& s);
nlohmann::json to_json(const cloud_stats& s);
/// {"id", "score", "output", "features": {name: raw value}, "observations", "last_loss"}.
nlohmann::json to_json(const brain_report& b);
nlohmann::json to_json(const phase_info& p);
nlohmann::json to_json(const sonnet_stored& e);
/// Columnar, to stay small for a chart: {"sonnet_count", "bucket_width", "first_id": [...],
/// "last_id": [...], "count": [...], "dissonance": {"mean", "min", "max"}, "quality": {...}},
/// values rounded to 4 decimals, null where a bucket had only NULLs.
nlohmann::json to_json(const cloud_series& s);

} // namespace sonnet
