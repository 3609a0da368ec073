#pragma once
// The prototype's dissonance between a user prompt and a sonnet (PROTOTYPE-SPEC §2.4), the
// temperatures derived from it (§2.5) and the word/trigram keys of the cloud (§2.2 step 7).
//
// Words are `split_ws(lower(text))`: Unicode lowercase and Unicode whitespace (unicode.hpp), with
// punctuation kept ("love," != "love"). The cloud vocabulary is the union of every word of every
// stored trigram; the caller keeps it in memory and grows it with add_to_vocabulary() instead of
// re-reading the whole trigram table on each call as the prototype did.

#include <array>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace sonnet::text {

/// The prototype's PulseSnapshot.
struct pulse {
  double novelty = 0; ///< share of the sonnet's distinct words absent from the cloud
  double arousal = 0; ///< |#user words - #sonnet words| / max(1, #user words), not normalised
  double entropy = 0; ///< min(1, #distinct words of both / 50)
};

struct judgement {
  double dissonance = 0.5; ///< in [0, 1]
  pulse p;
};

/// Every word of every trigram in the cloud.
using vocabulary = std::unordered_set<std::string>;

/// Python `text.lower().split()`.
std::vector<std::string> words(std::string_view text);

/// §2.4, same order of evaluation as the prototype, so results are bit-identical:
/// dissonance = novelty*0.7 + (1.0 - similarity)*0.3, similarity = Jaccard of the word sets,
/// novelty = 1.0 for an empty cloud. Empty input or sonnet (no words) gives 0.5 and a zero pulse.
/// The user's words never affect novelty.
judgement compute_dissonance(std::string_view user_input, std::string_view sonnet,
                             const vocabulary& cloud);

/// §2.5 result.
struct temperatures {
  double sonnet;   ///< 0.6 below 0.3, 0.8 below 0.7, else 1.0 (boundaries go up; NaN gives 1.0)
  double harmonix; ///< 0.5 + d*0.5, not clamped
};

temperatures adjust_temperature(double dissonance);

using trigram = std::array<std::string, 3>;

/// §2.2 step 7: every consecutive triple of words(text), duplicates included, across line
/// breaks; none for fewer than 3 words.
std::vector<trigram> trigrams(std::string_view text);

/// Adds every word of `tg` to `cloud`.
void add_to_vocabulary(vocabulary& cloud, const std::vector<trigram>& tg);

} // namespace sonnet::text
