#include "actors/request_rules.hpp"
#include "core/random_bits.hpp"

#include <cmath>
#include <string>

#include "text/dissonance.hpp"
#include "text/unicode.hpp"

namespace sonnet {

result<void> validate(const generate_request& req, const budget_rules& rules) {
  if (req.prompt.size() > rules.max_prompt_bytes)
    return fail(errc::prompt_too_long, "prompt is " + std::to_string(req.prompt.size())
                                         + " bytes; the maximum is "
                                         + std::to_string(rules.max_prompt_bytes));
  if (!text::valid_utf8(req.prompt))
    return fail(errc::bad_encoding, "prompt is not valid UTF-8");
  if (req.has_temperature) {
    auto t = req.temperature;
    if (!std::isfinite(t) || t < 0 || t > rules.max_temperature)
      return fail(errc::invalid_argument, "temperature must be a finite number in [0, "
                                            + std::to_string(rules.max_temperature).substr(0, 3)
                                            + "], got " + std::to_string(t));
  }
  if (req.tokens < 0 || req.tokens > rules.max_budget)
    return fail(errc::invalid_argument, "token budget must be in [1, "
                                          + std::to_string(rules.max_budget) + "], got "
                                          + std::to_string(req.tokens));
  if (req.candidates < 0 || req.candidates > rules.max_candidates)
    return fail(errc::invalid_argument, "candidates must be in [1, "
                                          + std::to_string(rules.max_candidates) + "], got "
                                          + std::to_string(req.candidates));
  if (req.top_k < 0)
    return fail(errc::invalid_argument,
                "top-k must be >= 0 (0 = off), got " + std::to_string(req.top_k));
  if (req.temperature_policy < 0 || req.temperature_policy > 2)
    return fail(errc::invalid_argument, "temperature policy must be 0 (the service's), 1 "
                                        "(bands) or 2 (phases), got "
                                          + std::to_string(req.temperature_policy));
  return {};
}

result<void> validate_dissonance(const std::string& user_input, const std::string& sonnet,
                                 const budget_rules& rules) {
  if (user_input.size() > rules.max_prompt_bytes)
    return fail(errc::prompt_too_long, "input is " + std::to_string(user_input.size())
                                         + " bytes; the maximum is "
                                         + std::to_string(rules.max_prompt_bytes));
  if (sonnet.size() > rules.max_sonnet_bytes)
    return fail(errc::invalid_argument, "sonnet is " + std::to_string(sonnet.size())
                                          + " bytes; the maximum is "
                                          + std::to_string(rules.max_sonnet_bytes));
  if (!text::valid_utf8(user_input))
    return fail(errc::bad_encoding, "input is not valid UTF-8");
  if (!text::valid_utf8(sonnet))
    return fail(errc::bad_encoding, "sonnet is not valid UTF-8");
  return {};
}

int32_t token_budget(const generate_request& req, const budget_rules& rules) {
  return req.tokens > 0 ? req.tokens : rules.default_budget;
}

int32_t next_round(int32_t spent, int32_t budget, const budget_rules& rules) {
  auto want = spent == 0 ? rules.first_round : rules.more_round;
  auto left = budget - spent;
  return left <= 0 ? 0 : (want < left ? want : left);
}

double choose_temperature(const generate_request& req, std::optional<double> last_dissonance) {
  if (req.has_temperature)
    return req.temperature;
  if (!last_dissonance)
    return 0.8;
  return text::adjust_temperature(*last_dissonance).sonnet;
}

uint64_t round_seed(uint64_t seed, int round) {
  // splitmix64 step: rounds of one request draw unrelated streams.
  if (round == 0)
    return seed;
  return splitmix64_mix(seed + static_cast<uint64_t>(round) * splitmix64_gamma);
}

uint64_t candidate_seed(uint64_t seed, int c) {
  return c == 0 ? seed : round_seed(seed ^ 0xD1B54A32D192ED03ull, 1000 + c);
}

int32_t candidate_count(const generate_request& req) {
  return req.candidates > 1 ? req.candidates : 1;
}

std::string generation_context(const std::string& prompt) {
  return prompt.empty() ? std::string{"\n"} : prompt;
}

} // namespace sonnet
