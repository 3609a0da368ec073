#include "text/cmudict_format.hpp"

namespace sonnet::text::detail {

// CMU vowel phones all start with a vowel letter (AA AE AH AO AW AX AY EH ER EY IH IY OW OY UH UW).
bool is_vowel_phone(std::string_view ph) {
  if (ph.empty())
    return false;
  char c = static_cast<char>(ph[0] & ~0x20); // upper-case
  return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
}

// Canonical upper-case phone names (static storage, so parsed entries can hold views).
std::string_view canonical_phone(std::string_view ph) {
  static constexpr std::string_view names[] = {
    "AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D", "DH", "EH", "ER", "EY",
    "F",  "G",  "HH", "IH", "IY", "JH", "K",  "L",  "M", "N",  "NG", "OW", "OY",
    "P",  "R",  "S",  "SH", "T",  "TH", "UH", "UW", "V", "W",  "Y",  "Z",  "ZH"};
  char buf[4];
  std::size_t n = 0;
  for (char c : ph) {
    if (c >= '0' && c <= '9')
      break;
    if (n == sizeof buf)
      return ph;
    buf[n++] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  }
  std::string_view up(buf, n);
  if (up == "AX")
    return "AH"; // Festival's schwa is CMUdict's AH0
  if (up == "AXR")
    return "ER";
  for (auto name : names)
    if (name == up)
      return name;
  return ph; // unknown phone: kept as written
}

std::string strip_apostrophes(std::string_view w) {
  std::string out;
  out.reserve(w.size());
  for (char c : w)
    if (c != '\'')
      out.push_back(c);
  return out;
}

parsed_pron make_pronunciation(const entry& e, bool from_last_vowel) {
  parsed_pron p;
  p.stress = e.stress;
  const std::size_t n = e.syllables();
  std::size_t from = n == 0 ? 0 : n - 1;
  if (!from_last_vowel)
    for (std::size_t k = n; k-- > 0;)
      if (e.stress[k] == '1' || e.stress[k] == '2') {
        from = k;
        break;
      }
  if (n == 0)
    return p;
  std::size_t i = e.start[from];
  while (i < e.end_of(from) && !is_vowel_phone(e.phones[i]))
    ++i;
  for (; i < e.phones.size(); ++i) {
    if (!p.rhyme.empty())
      p.rhyme.push_back(' ');
    p.rhyme += e.phones[i];
  }
  return p;
}

// ("summer" nil (((s ah) 1) ((m er) 0)))
bool parse_festival(std::string_view line, std::string& word, entry& e) {
  auto q1 = line.find('"');
  auto q2 = q1 == std::string_view::npos ? q1 : line.find('"', q1 + 1);
  if (q2 == std::string_view::npos)
    return false;
  word.assign(line.substr(q1 + 1, q2 - q1 - 1));
  e.clear();
  std::size_t i = q2 + 1;
  while (i + 1 < line.size()) {
    // a phone list is a '(' directly followed by a letter
    i = line.find('(', i);
    if (i == std::string_view::npos || i + 1 >= line.size())
      break;
    const char next = line[i + 1];
    if (!((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z'))) {
      ++i;
      continue;
    }
    const auto close = line.find(')', i);
    if (close == std::string_view::npos)
      return false;
    e.start.push_back(e.phones.size());
    std::size_t a = i + 1;
    while (a < close) {
      while (a < close && line[a] == ' ')
        ++a;
      std::size_t b = a;
      while (b < close && line[b] != ' ')
        ++b;
      if (b > a)
        e.phones.push_back(canonical_phone(line.substr(a, b - a)));
      a = b;
    }
    std::size_t k = close + 1;
    while (k < line.size() && line[k] == ' ')
      ++k;
    e.stress.push_back(k < line.size() && line[k] >= '0' && line[k] <= '2' ? line[k] : '?');
    i = close + 1;
  }
  return !e.start.empty();
}

// summer S AH1 M ER0   /   summer(2) S AH M ER   (digits optional). Each vowel opens a
// syllable; consonants go to the preceding vowel (only the part from the last stressed vowel on
// matters for rhyme keys, so exact syllable boundaries are irrelevant).
bool parse_plain(std::string_view line, std::string& word, entry& e, bool& had_digits) {
  e.clear();
  std::size_t a = 0;
  const std::size_t n = line.size();
  auto next_token = [&]() -> std::string_view {
    while (a < n && (line[a] == ' ' || line[a] == '\t' || line[a] == '\r'))
      ++a;
    std::size_t b = a;
    while (b < n && line[b] != ' ' && line[b] != '\t' && line[b] != '\r')
      ++b;
    auto t = line.substr(a, b - a);
    a = b;
    return t;
  };
  auto w = next_token();
  if (w.empty())
    return false;
  if (auto paren = w.find('('); paren != std::string_view::npos && paren > 0)
    w = w.substr(0, paren);
  word.clear();
  for (char c : w)
    word.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  for (auto ph = next_token(); !ph.empty(); ph = next_token()) {
    const auto canon = canonical_phone(ph);
    if (is_vowel_phone(ph)) {
      const char digit = ph.back() >= '0' && ph.back() <= '2' ? ph.back() : 0;
      had_digits |= digit != 0;
      e.start.push_back(e.start.empty() ? 0 : e.phones.size());
      e.stress.push_back(digit ? digit : '?');
    }
    e.phones.push_back(canon); // consonants before the first vowel belong to its syllable
  }
  if (e.start.empty())
    return false;
  if (e.stress.size() == 1 && e.stress[0] == '?')
    e.stress[0] = '1'; // a monosyllable without marks: its one vowel is the stressed one
  return true;
}

// Early Modern words that CMUdict 0.4 lacks and sonnets use, in plain CMU format with stress.
// Added to every loaded dictionary where the word is missing (never to empty()).
const char* const early_modern = "doth D AH1 TH\n"
                                 "dost D AH1 S T\n"
                                 "ere EH1 R\n"
                                 "e'er EH1 R\n"
                                 "ne'er N EH1 R\n"
                                 "o'er OW1 R\n"
                                 "whilst W AY1 L S T\n"
                                 "'twas T W AH1 Z\n"
                                 "'tis T IH1 Z\n"
                                 "canst K AE1 N S T\n"
                                 "wouldst W UH1 D S T\n"
                                 "couldst K UH1 D S T\n"
                                 "shouldst SH UH1 D S T\n"
                                 "mayst M EY1 S T\n"
                                 "didst D IH1 D S T\n"
                                 "hadst HH AE1 D S T\n"
                                 "thyself DH AY0 S EH1 L F\n"
                                 "thither TH IH1 DH ER0\n"
                                 "wherefore W EH1 R F AO2 R\n"
                                 "anon AH0 N AA1 N\n"
                                 "perchance P ER0 CH AE1 N S\n"
                                 "methinks M IY0 TH IH1 NG K S\n"
                                 "prithee P R IH1 DH IY0\n"
                                 "betwixt B IH0 T W IH1 K S T\n"
                                 "whereon W EH0 R AA1 N\n"
                                 "forsooth F AO0 R S UW1 TH\n"
                                 "alack AH0 L AE1 K\n"
                                 "beseech B IH0 S IY1 CH\n"
                                 "fie F AY1\n"
                                 "beauteous B Y UW1 T IY0 AH0 S\n"
                                 "untrimmed AH0 N T R IH1 M D\n";

} // namespace sonnet::text::detail
