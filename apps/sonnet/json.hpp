#pragma once
// JSON forms of the replies, shared by the CLI's --json output (and, later, the HTTP API).

#include <nlohmann/json.hpp>

#include "messages/types.hpp"

namespace sonnet {

nlohmann::json to_json(const pulse& p);
nlohmann::json to_json(const line_analysis& a);
nlohmann::json to_json(const sonnet_reply& r);
nlohmann::json to_json(const judgement& j);
nlohmann::json to_json(const stored_sonnet& s);
nlohmann::json to_json(const cloud_stats& s);

} // namespace sonnet
