#include "text/formatter.hpp"

#include "text/unicode.hpp"

#include <array>
#include <cstdio>

namespace sonnet::text {

namespace {

constexpr std::array<std::string_view, 36> character_names = {
  "GLOUCESTER", "JULIET",   "BUCKINGHAM", "ROMEO",     "HAMLET",  "DUKE",
  "KING",       "QUEEN",    "PRINCE",     "LORD",      "LADY",    "GRUMIO",
  "CLAURENCE",  "RICHARD",  "HENRY",      "FIRST",     "SECOND",  "THIRD",
  "CITIZEN",    "SERVANT",  "MESSENGER",  "BRUTUS",    "WARWICK", "POMPEY",
  "HORTENSIO",  "ISABELLA", "AUMERLE",    "CLEOMENES", "LUCIO",   "MENENIUS",
  "CAPULET",    "MERCUTIO", "FRIAR",      "JORF",      "SOM'LEY", "TLANTIO"};

// Python `word.upper()`, restricted to what can equal a name (only A-Z and '): ASCII plus the
// non-ASCII code points whose Python upper() is all ASCII letters (ß->SS, ı->I, ſ->S and the
// Latin ligatures ﬀ..ﬆ). Anything else cannot be a name, so we give up early.
std::optional<std::string> upper_for_names(std::string_view word) {
  std::string out;
  for (std::size_t i = 0; i < word.size();) {
    code_point cp = decode_at(word, i);
    i += cp.size;
    const char32_t c = cp.valid ? cp.value : replacement_char;
    if (c < 0x80) {
      out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : static_cast<char>(c));
      continue;
    }
    switch (c) {
    case 0xDF:
      out += "SS";
      break;
    case 0x131:
      out += "I";
      break;
    case 0x17F:
      out += "S";
      break;
    case 0xFB00:
      out += "FF";
      break;
    case 0xFB01:
      out += "FI";
      break;
    case 0xFB02:
      out += "FL";
      break;
    case 0xFB03:
      out += "FFI";
      break;
    case 0xFB04:
      out += "FFL";
      break;
    case 0xFB05: // ﬅ
    case 0xFB06:
      out += "ST";
      break;
    default:
      return std::nullopt;
    }
  }
  return out;
}

bool is_character_name(std::string_view word) {
  auto up = upper_for_names(word);
  if (!up)
    return false;
  for (auto name : character_names)
    if (*up == name)
      return true;
  return false;
}

// `^[A-Z\s'\-]+:` with Unicode \s. Returns the byte offset of the colon on a match. The class
// excludes ':', so the greedy run followed by ':' is the only possible match and that colon is the
// line's first.
std::optional<std::size_t> header_colon(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size()) {
    code_point cp = decode_at(line, i);
    const char32_t c = cp.value;
    if (!((c >= 'A' && c <= 'Z') || c == '\'' || c == '-' || is_space(c)))
      break;
    i += cp.size;
  }
  if (i > 0 && i < line.size() && line[i] == ':')
    return i;
  return std::nullopt;
}

std::string_view first_word(std::string_view line) { // `line` is stripped and non-empty
  std::size_t i = 0;
  while (i < line.size()) {
    code_point cp = decode_at(line, i);
    if (is_space(cp.value))
      break;
    i += cp.size;
  }
  return line.substr(0, i);
}

} // namespace

std::optional<std::string> clean_line(std::string_view raw) {
  // 1-2: strip, drop empty.
  const std::string_view line = strip_view(raw);
  if (line.empty())
    return std::nullopt;
  // 3: header; the text after it skips every later rule.
  if (auto colon = header_colon(line)) {
    const std::string_view after = strip_view(line.substr(*colon + 1));
    if (code_points(after) > 2) {
      const char32_t c = decode_at(after, 0).value;
      if (is_upper(c) || c == '"' || c == '\'')
        return std::string(after);
    }
    return std::nullopt;
  }
  // 4: known character name as first word.
  if (is_character_name(first_word(line)))
    return std::nullopt;
  // 5: stage directions.
  if (line.front() == '[' || line.front() == '(')
    return std::nullopt;
  // 6: lower-case start.
  if (is_lower(decode_at(line, 0).value))
    return std::nullopt;
  // 7: too short.
  const std::size_t length = code_points(line);
  if (length < 3)
    return std::nullopt;
  // 8: first ASCII colon before the half; `index < len / 2.0` is exactly `2 * index < len`.
  if (auto pos = line.find(':');
      pos != std::string_view::npos && 2 * code_points(line.substr(0, pos)) < length)
    return std::nullopt;
  return std::string(line);
}

std::vector<std::string> extract_lines(std::string_view raw, int max_lines) {
  std::vector<std::string> out;
  for (std::size_t start = 0;;) {
    const std::size_t nl = raw.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? raw.size() : nl;
    if (auto c = clean_line(raw.substr(start, end - start)))
      out.push_back(std::move(*c));
    if (static_cast<long long>(out.size()) >= max_lines || nl == std::string_view::npos)
      break;
    start = nl + 1;
  }
  return out;
}

std::optional<std::vector<std::string>> format(std::string_view raw) {
  auto lines = extract_lines(raw, 20);
  if (lines.size() < sonnet_lines)
    return std::nullopt;
  lines.resize(sonnet_lines);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0)
      out.push_back('\n');
    out += lines[i];
  }
  return out;
}

int count_syllables(std::string_view line) {
  // Vowels are ASCII, so bytes suffice: every byte of a multi-byte code point breaks a run, as
  // the code point would.
  int count = 0;
  bool prev_vowel = false;
  for (char c : lower(line)) {
    const bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
    if (vowel && !prev_vowel)
      ++count;
    prev_vowel = vowel;
  }
  return count;
}

meter check_meter(const std::vector<std::string>& lines) {
  meter m;
  long long sum = 0;
  for (const auto& l : lines) {
    m.counts.push_back(count_syllables(l));
    sum += m.counts.back();
  }
  m.average = lines.empty() ? 0.0 : static_cast<double>(sum) / static_cast<double>(lines.size());
  m.ok = 9.0 <= m.average && m.average <= 13.0;
  return m;
}

std::pair<bool, std::string> validate(std::string_view sonnet) {
  const auto lines = split_lf(sonnet);
  char buf[96];
  if (lines.size() != sonnet_lines) {
    std::snprintf(buf, sizeof buf, "Expected 14 lines, got %zu", lines.size());
    return {false, buf};
  }
  const meter m = check_meter(lines);
  if (!m.ok) {
    // avg is k/14, never an exact .x5 binary tie, so printf rounding equals Python's.
    std::snprintf(buf, sizeof buf, "Meter off (avg %.1f syllables, expected ~10)", m.average);
    return {false, buf};
  }
  return {true, "Valid sonnet structure"};
}

} // namespace sonnet::text
