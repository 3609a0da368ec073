// The word rules: normalising and splitting words, looking them up with the Early Modern
// contraction rules, the spelling fallback, and rhyme.
#include "text/pronouncing.hpp"

#include "text/cmudict_format.hpp"
#include "text/unicode.hpp"

#include <cstddef>
#include <utility>

namespace sonnet::text {

using detail::strip_apostrophes;

namespace {

bool is_vowel_letter(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

} // namespace

std::string normalize_word(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size();) {
    code_point cp = decode_at(token, i);
    std::string_view bytes = token.substr(i, cp.size);
    i += cp.size;
    char32_t c = cp.valid ? cp.value : replacement_char;
    if (c >= 'A' && c <= 'Z')
      out.push_back(static_cast<char>(c + 32));
    else if ((c >= 'a' && c <= 'z') || c == '\'')
      out.push_back(static_cast<char>(c));
    else if (c == 0x2019 || c == 0x2018 || c == 0x02BC)
      out.push_back('\'');
    else if (c >= 0x80 && (is_lower(c) || is_upper(c)))
      out += lower(bytes);
  }
  // an apostrophe alone, or only apostrophes, is no word
  if (out.find_first_not_of('\'') == std::string::npos)
    out.clear();
  return out;
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    auto w = normalize_word(cur);
    if (!w.empty())
      out.push_back(std::move(w));
    cur.clear();
  };
  for (std::size_t i = 0; i < line.size();) {
    code_point cp = decode_at(line, i);
    std::string_view bytes = line.substr(i, cp.size);
    i += cp.size;
    char32_t c = cp.valid ? cp.value : replacement_char;
    bool part = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '\'' || c == 0x2019
                || c == 0x2018 || c == 0x02BC || (c >= 0x80 && (is_lower(c) || is_upper(c)));
    if (part)
      cur += bytes;
    else
      flush();
  }
  flush();
  return out;
}

int spelling_syllables(std::string_view word) {
  int count = 0;
  bool prev = false;
  bool any = false;
  for (char c : word) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    bool v = is_vowel_letter(l);
    any |= l != '\'';
    if (v && !prev)
      ++count;
    prev = v;
  }
  return any && count == 0 ? 1 : count;
}

std::string spelling_rhyme(std::string_view word) {
  std::string w;
  for (char c : word) {
    if (c >= 'A' && c <= 'Z')
      w.push_back(static_cast<char>(c + 32));
    else if (c >= 'a' && c <= 'z')
      w.push_back(c);
  }
  // vowel groups as [begin, end)
  std::vector<std::pair<std::size_t, std::size_t>> groups;
  for (std::size_t i = 0; i < w.size();) {
    if (is_vowel_letter(w[i]) && !(w[i] == 'y' && i == 0)) {
      std::size_t j = i;
      while (j < w.size() && is_vowel_letter(w[j]))
        ++j;
      groups.emplace_back(i, j);
      i = j;
    } else {
      ++i;
    }
  }
  if (groups.empty())
    return "";
  auto last = groups.back();
  bool silent_e = groups.size() >= 2 && last.second - last.first == 1 && w[last.first] == 'e'
                  && (last.second == w.size()
                      || (last.second + 1 == w.size() && (w.back() == 's' || w.back() == 'd')));
  std::size_t from = silent_e ? groups[groups.size() - 2].first : last.first;
  return w.substr(from);
}

namespace {

// Appends phones to every rhyme key and syllables to the stress of found pronunciations.
bool from_base(const dictionary& dict, const std::string& base, const char* phones,
               const char* extra_stress, word_info& info) {
  const auto prons = dict.find(strip_apostrophes(base));
  if (prons.empty())
    return false;
  info.known = true;
  info.stress = std::string(prons.front().stress) + extra_stress;
  info.syllables = static_cast<int>(info.stress.size());
  for (std::size_t i = 0; i < prons.size(); ++i) {
    const auto p = prons[i];
    info.rhymes.push_back(*phones ? std::string(p.rhyme) + " " + phones : std::string(p.rhyme));
  }
  return true;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() > suffix.size()
         && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool resolve(const dictionary& dict, const std::string& w, word_info& info) {
  if (from_base(dict, w, "", "", info))
    return true;
  if (w == "th'" || w == "th")
    return from_base(dict, "the", "", "", info);
  if (ends_with(w, "'s") || ends_with(w, "s'"))
    return from_base(dict, w.substr(0, w.size() - 2), "Z", "", info);
  if (ends_with(w, "'d")) {
    const auto stem = w.substr(0, w.size() - 2);
    return from_base(dict, stem + "ed", "", "", info) || from_base(dict, stem + "d", "", "", info)
           || from_base(dict, stem, "D", "", info);
  }
  if (ends_with(w, "'st"))
    return from_base(dict, w.substr(0, w.size() - 3), "S T", "", info)
           || from_base(dict, w.substr(0, w.size() - 3) + "e", "S T", "", info);
  if (ends_with(w, "eth") && w.size() > 4) {
    const auto stem = w.substr(0, w.size() - 3);
    return from_base(dict, stem, "AH TH", "0", info)
           || from_base(dict, stem + "e", "AH TH", "0", info);
  }
  if (ends_with(w, "est") && w.size() > 4) {
    const auto stem = w.substr(0, w.size() - 3);
    return from_base(dict, stem, "AH S T", "0", info)
           || from_base(dict, stem + "e", "AH S T", "0", info);
  }
  return false;
}

} // namespace

word_info lookup(const dictionary& dict, std::string_view raw) {
  word_info info;
  info.word = normalize_word(raw);
  const std::string& w = info.word;
  info.spelling_rhyme = spelling_rhyme(w);
  if (w.empty())
    return info;
  if (dict.size() > 0) {
    bool ok = resolve(dict, w, info);
    if (!ok) {
      // quotes or elisions at the edges: 'tis, o', lov'
      auto b = w.find_first_not_of('\'');
      auto e = w.find_last_not_of('\'');
      if (b != std::string::npos && (b > 0 || e + 1 < w.size())) {
        info.rhymes.clear();
        ok = resolve(dict, w.substr(b, e - b + 1), info);
      }
    }
    if (ok)
      return info;
    info.rhymes.clear();
    info.known = false;
  }
  info.syllables = spelling_syllables(w);
  info.stress.assign(static_cast<std::size_t>(info.syllables), '?');
  return info;
}

bool rhymes(const word_info& a, const word_info& b) {
  if (a.word.empty() || b.word.empty() || strip_apostrophes(a.word) == strip_apostrophes(b.word))
    return false;
  if (a.known && b.known) {
    for (const auto& x : a.rhymes)
      for (const auto& y : b.rhymes)
        if (!x.empty() && x == y)
          return true;
    return false;
  }
  return !a.spelling_rhyme.empty() && a.spelling_rhyme == b.spelling_rhyme;
}

} // namespace sonnet::text
