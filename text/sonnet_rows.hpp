#pragma once
// What the prototype's add_sonnet (PROTOTYPE-SPEC §2.2) derives from a sonnet text, computed here
// so the store only writes rows (in one transaction; the prototype used two commits).

#include "text/dissonance.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sonnet::text {

/// One `sonnet_lines` row.
struct line_row {
  int line_num;     ///< 1-based
  std::string text; ///< not stripped: inner leading/trailing spaces and '\r' stay
  int syllables;    ///< count_syllables(text)
};

struct sonnet_rows {
  std::int64_t word_count;       ///< split_ws of the original text, case kept
  std::vector<line_row> lines;   ///< strip(text).split('\n'); "" gives one empty line
  std::vector<trigram> trigrams; ///< trigrams(text), duplicates included
};

sonnet_rows derive_rows(std::string_view sonnet_text);

} // namespace sonnet::text
