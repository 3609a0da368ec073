#pragma once
// The close reading the web page draws for a sonnet: per line its syllables, stress pattern and
// iambic fit, per word its stress and whether the pronouncing dictionary knows it, the rhyme
// letters of ABAB CDCD EFEF GG and which pairs rhyme, and the quality terms. Pure: the text
// rules of text/prosody.hpp and text/quality.hpp, no actors. The API adds it to every sonnet it
// returns ("reading"), so a stored sonnet reads the same as a new one.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/pronouncing.hpp"

namespace sonnet::http {

/// {"lines": [{"text", "syllables", "stress", "iambic_fit", "rhyme_key", "letter",
///   "words": [{"word", "stress", "known"}]}], "pairs": [{"a", "b", "rhymes"}],
///  "structure", "meter", "rhyme", "rhyme_pairs", "quality", "unknown_words"}.
/// Line and pair indexes are 0-based; letters follow the scheme (lines past 14 get none).
nlohmann::json close_reading(const text::dictionary& dict, const std::vector<std::string>& lines);

/// A stored sonnet's text as its lines: split at newlines, stripped, empty lines dropped.
std::vector<std::string> lines_of(const std::string& text);

} // namespace sonnet::http
