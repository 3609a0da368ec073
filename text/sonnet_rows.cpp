#include "text/sonnet_rows.hpp"

#include "text/formatter.hpp"
#include "text/unicode.hpp"

namespace sonnet::text {

sonnet_rows derive_rows(std::string_view sonnet_text) {
  sonnet_rows rows;
  rows.word_count = static_cast<std::int64_t>(split_ws(sonnet_text).size());
  int n = 0;
  for (auto& line : split_lf(strip_view(sonnet_text))) {
    const int syl = count_syllables(line);
    rows.lines.push_back(line_row{++n, std::move(line), syl});
  }
  rows.trigrams = trigrams(sonnet_text);
  return rows;
}

} // namespace sonnet::text
