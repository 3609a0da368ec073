#pragma once
// The service's per-request rules, as plain functions: what a valid request is, how much text
// the model is asked for, which temperature and seed a request runs with. Tested without actors.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "messages/types.hpp"

namespace sonnet {

/// Limits and defaults of the generation budget.
struct budget_rules {
  /// Longest prompt accepted, in bytes. The model reads only its last block_size chars; the
  /// rest would only cost dissonance work, so anything beyond a few paragraphs is refused.
  size_t max_prompt_bytes = 2000;
  /// First round: what the prototype generated for one sonnet.
  int32_t first_round = 800;
  /// Each further round when fewer than 14 clean lines came out.
  int32_t more_round = 400;
  /// Total tokens per request when the request does not say (first round + 4 more rounds).
  int32_t default_budget = 2400;
  /// Largest budget a request may ask for.
  int32_t max_budget = 20000;
  /// Highest temperature accepted (beyond it sampling is noise).
  double max_temperature = 5.0;
  /// Most candidates one request may ask for.
  int32_t max_candidates = 16;
  /// Longest sonnet a dissonance query may judge, in bytes (a sonnet is well under 2 KB).
  size_t max_sonnet_bytes = 64 * 1024;
};

/// Checks a request; the error names the field and the allowed range.
result<void> validate(const generate_request& req, const budget_rules& rules);

/// Checks a dissonance query as generate checks its prompt: the user's words within
/// max_prompt_bytes, both texts valid UTF-8 and the sonnet within max_sonnet_bytes.
result<void> validate_dissonance(const std::string& user_input, const std::string& sonnet,
                                 const budget_rules& rules);

/// The total token budget of a (valid) request.
int32_t token_budget(const generate_request& req, const budget_rules& rules);

/// Tokens to ask for in the next round, given what was spent; 0 when the budget is used up.
int32_t next_round(int32_t spent, int32_t budget, const budget_rules& rules);

/// The request's temperature if it has one; else adapted from the previous sonnet's dissonance
/// (prototype bands: < 0.3 -> 0.6, < 0.7 -> 0.8, else 1.0); 0.8 before the first sonnet.
double choose_temperature(const generate_request& req, std::optional<double> last_dissonance);

/// Seed of round `round` of a request seeded with `seed` (round 0 uses `seed` itself).
uint64_t round_seed(uint64_t seed, int round);

/// Seed of candidate `c` (candidate 0 uses `seed` itself, so best-of-N contains best-of-1).
uint64_t candidate_seed(uint64_t seed, int c);

/// Candidates of a (valid) request: at least 1.
int32_t candidate_count(const generate_request& req);

/// The model's context for a request: the prompt, or "\n" (the prototype's prompt) when empty.
std::string generation_context(const std::string& prompt);

} // namespace sonnet
