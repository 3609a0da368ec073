#include "http/reading.hpp"

#include "text/prosody.hpp"
#include "text/quality.hpp"

namespace sonnet::http {

namespace {

/// The scheme's letter of line i (0-based): ABAB CDCD EFEF GG.
std::string letter_of(size_t i) {
  static const char* scheme = "ABABCDCDEFEFGG";
  return i < 14 ? std::string(1, scheme[i]) : std::string();
}

/// The line with each word's stress and whether the dictionary knows it.
nlohmann::json read_line(const text::dictionary& dict, const std::string& line,
                         const text::line_prosody& p, size_t index, int& unknown) {
  auto words = nlohmann::json::array();
  for (const auto& w : text::split_words(line)) {
    auto info = text::lookup(dict, w);
    unknown += !info.known;
    words.push_back({{"word", info.word}, {"stress", info.stress}, {"known", info.known}});
  }
  return {{"text", line},
          {"syllables", p.syllables},
          {"stress", p.stress},
          {"iambic_fit", p.iambic_fit},
          {"rhyme_key", p.end.word.empty() ? std::string() : text::rhyme_key(p.end)},
          {"letter", letter_of(index)},
          {"words", std::move(words)}};
}

} // namespace

nlohmann::json close_reading(const text::dictionary& dict, const std::vector<std::string>& lines) {
  auto a = text::assess(dict, lines);
  auto out_lines = nlohmann::json::array();
  int unknown = 0;
  for (size_t i = 0; i < lines.size() && i < a.prosody.lines.size(); ++i)
    out_lines.push_back(read_line(dict, lines[i], a.prosody.lines[i], i, unknown));
  auto pairs = nlohmann::json::array();
  for (size_t k = 0; k < text::sonnet_rhyme_pairs.size(); ++k) {
    auto [x, y] = text::sonnet_rhyme_pairs[k];
    pairs.push_back({{"a", x}, {"b", y}, {"rhymes", a.prosody.pair_rhymes[k]}});
  }
  return {{"lines", std::move(out_lines)},    {"pairs", std::move(pairs)},
          {"structure", a.quality.structure}, {"meter", a.quality.meter},
          {"rhyme", a.quality.rhyme},         {"rhyme_pairs", a.quality.rhyme_pairs},
          {"quality", a.quality.score},       {"unknown_words", unknown}};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos)
      end = text.size();
    auto line = text.substr(pos, end - pos);
    auto b = line.find_first_not_of(" \t\r");
    if (b != std::string::npos)
      out.push_back(line.substr(b, line.find_last_not_of(" \t\r") - b + 1));
    pos = end + 1;
  }
  return out;
}

} // namespace sonnet::http
