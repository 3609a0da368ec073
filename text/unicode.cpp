#include "text/unicode.hpp"

#include <algorithm>
#include <locale.h>
#include <wctype.h>

namespace sonnet::text {

namespace {

// glibc's C.UTF-8 carries the full Unicode ctype tables (case mapping and classes). Created once,
// never freed: it lives as long as the process. Null when no UTF-8 locale is installed.
locale_t utf8_locale() {
  static const locale_t loc = [] {
    for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"})
      if (locale_t l = newlocale(LC_CTYPE_MASK, name, locale_t(0)))
        return l;
    return locale_t(0);
  }();
  return loc;
}

// Lt: glibc counts these as both lower and upper, Python as neither.
bool is_titlecase(char32_t c) {
  return c == 0x1C5 || c == 0x1C8 || c == 0x1CB || c == 0x1F2 || (c >= 0x1F88 && c <= 0x1F8F)
         || (c >= 0x1F98 && c <= 0x1F9F) || (c >= 0x1FA8 && c <= 0x1FAF) || c == 0x1FBC
         || c == 0x1FCC || c == 0x1FFC;
}

// Python's "cased" (Lowercase or Uppercase or Lt) = glibc lower ∪ upper, titlecase included.
bool is_cased(char32_t c) {
  if (c < 0x80)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  locale_t loc = utf8_locale();
  return loc
         && (iswlower_l(static_cast<wint_t>(c), loc) || iswupper_l(static_cast<wint_t>(c), loc));
}

struct cp_range {
  char32_t first, last;
};

constexpr cp_range case_ignorable_ranges[] = {
#include "text/case_ignorable.inc"
};

bool is_case_ignorable(char32_t c) {
  auto it = std::upper_bound(std::begin(case_ignorable_ranges), std::end(case_ignorable_ranges), c,
                             [](char32_t v, const cp_range& r) { return v < r.first; });
  return it != std::begin(case_ignorable_ranges) && c <= std::prev(it)->last;
}

char32_t simple_lower(char32_t c) {
  if (c < 0x80)
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  locale_t loc = utf8_locale();
  return loc ? static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), loc)) : c;
}

// Python's Final_Sigma test, forward half: after the Σ ending at byte `pos`, skip case-ignorable
// code points; the sigma is final unless a cased one follows.
bool no_cased_follows(std::string_view s, std::size_t pos) {
  while (pos < s.size()) {
    code_point cp = decode_at(s, pos);
    if (!cp.valid || !is_case_ignorable(cp.value))
      return !(cp.valid && is_cased(cp.value));
    pos += cp.size;
  }
  return true;
}

} // namespace

code_point decode_at(std::string_view s, std::size_t pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  const std::size_t n = s.size() - pos;
  const code_point bad{replacement_char, 1, false};
  const char32_t b0 = p[0];
  auto cont = [&](std::size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (b0 < 0x80)
    return {b0, 1, true};
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1))
      return bad;
    return {((b0 & 0x1F) << 6) | (p[1] & 0x3F), 2, true};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2) || (b0 == 0xE0 && p[1] < 0xA0) || (b0 == 0xED && p[1] > 0x9F))
      return bad; // truncated, overlong or surrogate
    return {((b0 & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F), 3, true};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3) || (b0 == 0xF0 && p[1] < 0x90)
        || (b0 == 0xF4 && p[1] > 0x8F))
      return bad; // truncated, overlong or above U+10FFFF
    return {((b0 & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) | (char32_t(p[2] & 0x3F) << 6)
              | (p[3] & 0x3F),
            4, true};
  }
  return bad;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    code_point cp = decode_at(s, i);
    if (!cp.valid)
      return false;
    i += cp.size;
  }
  return true;
}

bool is_space(char32_t c) {
  if (c <= 0x20)
    return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028
         || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_lower(char32_t c) {
  if (c < 0x80)
    return c >= 'a' && c <= 'z';
  locale_t loc = utf8_locale();
  return loc && !is_titlecase(c) && iswlower_l(static_cast<wint_t>(c), loc);
}

bool is_upper(char32_t c) {
  if (c < 0x80)
    return c >= 'A' && c <= 'Z';
  locale_t loc = utf8_locale();
  return loc && !is_titlecase(c) && iswupper_l(static_cast<wint_t>(c), loc);
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n)
    i += decode_at(s, i).size;
  return n;
}

std::string_view strip_view(std::string_view s) {
  std::size_t begin = s.size(), end = 0;
  for (std::size_t i = 0; i < s.size();) {
    code_point cp = decode_at(s, i);
    if (!is_space(cp.value)) {
      begin = std::min(begin, i);
      end = i + cp.size;
    }
    i += cp.size;
  }
  return begin < end ? s.substr(begin, end - begin) : std::string_view{};
}

std::string strip(std::string_view s) {
  return std::string(strip_view(s));
}

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < s.size();) {
    code_point cp = decode_at(s, i);
    if (is_space(cp.value)) {
      if (in_word)
        out.emplace_back(s.substr(start, i - start));
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      start = i;
    }
    i += cp.size;
  }
  if (in_word)
    out.emplace_back(s.substr(start));
  return out;
}

std::vector<std::string> split_lf(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t start = 0;;) {
    std::size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, nl - start));
    start = nl + 1;
  }
}

std::string lower(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  // Final sigma, backward half: is the last non-case-ignorable code point before here cased?
  bool cased_before = false;
  for (std::size_t i = 0; i < s.size();) {
    const char b = s[i];
    if (static_cast<unsigned char>(b) < 0x80) { // ASCII fast path
      const bool letter = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
      out.push_back(b >= 'A' && b <= 'Z' ? static_cast<char>(b + 32) : b);
      if (letter || !is_case_ignorable(static_cast<char32_t>(b)))
        cased_before = letter;
      ++i;
      continue;
    }
    const code_point cp = decode_at(s, i);
    if (!cp.valid) {
      out.push_back(s[i]); // copied through; acts like U+FFFD (not cased, not ignorable)
    } else if (cp.value == 0x130) {
      out += "i\xCC\x87"; // İ -> i + U+0307 COMBINING DOT ABOVE (SpecialCasing.txt)
    } else if (cp.value == 0x3A3) {
      append_utf8(out, cased_before && no_cased_follows(s, i + cp.size) ? 0x3C2 : 0x3C3);
    } else {
      const char32_t l = simple_lower(cp.value);
      if (l == cp.value)
        out.append(s.data() + i, cp.size);
      else
        append_utf8(out, l);
    }
    if (!cp.valid || !is_case_ignorable(cp.value))
      cased_before = cp.valid && is_cased(cp.value);
    i += cp.size;
  }
  return out;
}

} // namespace sonnet::text
