#pragma once
// Python `str` semantics (PROTOTYPE-SPEC §0) on UTF-8 byte strings.
//
// The prototype worked on Python `str`, so every length, whitespace test and case test there is
// per code point and Unicode-aware. We decode UTF-8 and copy those semantics:
//  * whitespace = exactly the 29 code points of Python's `str.isspace()` (incl. \x1c-\x1f, \x85,
//    NBSP), which is also what `str.split()`, `str.strip()` and regex `\s` use;
//  * lower() = Python's full lowercase: glibc's C.UTF-8 simple mapping (towlower_l) plus Python's
//    two special cases, U+0130 'İ' -> "i̇" (two code points) and the final-sigma rule (Σ -> ς
//    after a cased letter and not before one, skipping Unicode 14 Case_Ignorable code points,
//    case_ignorable.inc);
//  * is_lower()/is_upper() = Python's single-char islower()/isupper() (Unicode Lowercase/Uppercase
//    properties): glibc iswlower_l/iswupper_l minus the 31 titlecase letters (Lt), which glibc
//    puts in both classes and Python in neither.
// Measured on Debian 12 (glibc 2.36, Unicode 14) against CPython 3.11 (Unicode 14): lower(),
// is_lower() and is_upper() agree on every code point. A different glibc may carry another
// Unicode version; the differences would then be limited to the code points that changed. If the
// C.UTF-8 locale is missing, non-ASCII letters are left unchanged and have no case (ASCII stays
// exact).
//
// Invalid UTF-8 never crashes: each byte that does not start a well-formed sequence (overlong
// forms, surrogates and values above U+10FFFF are ill-formed) is one code point of its own that
// behaves like U+FFFD (not space, no case). Such bytes are copied through unchanged.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sonnet::text {

/// Stand-in value for an ill-formed byte.
inline constexpr char32_t replacement_char = 0xFFFD;

/// One code point as found in a UTF-8 string.
struct code_point {
  char32_t value;   ///< the code point, or replacement_char for an ill-formed byte
  std::size_t size; ///< bytes it occupies (1..4; always 1 for an ill-formed byte)
  bool valid;       ///< false for an ill-formed byte
};

/// Decodes the code point starting at byte `pos` (requires pos < s.size()).
code_point decode_at(std::string_view s, std::size_t pos);

/// Appends the UTF-8 encoding of `c` (must be a Unicode scalar value).
void append_utf8(std::string& out, char32_t c);

/// True if `s` is entirely well-formed UTF-8.
bool valid_utf8(std::string_view s);

/// Python `str.isspace()` for one code point (29 code points).
bool is_space(char32_t c);

/// Python single-char `islower()` / `isupper()`. Titlecase letters (ǅ) are neither.
bool is_lower(char32_t c);
bool is_upper(char32_t c);

/// Python `len(s)`: number of code points (each ill-formed byte counts as one).
std::size_t code_points(std::string_view s);

/// Python `s.strip()` as a view into `s`.
std::string_view strip_view(std::string_view s);

/// Python `s.strip()`.
std::string strip(std::string_view s);

/// Python `s.split()` (no argument): runs of whitespace separate, empty tokens never appear.
std::vector<std::string> split_ws(std::string_view s);

/// Python `s.split('\n')`: LF only, `\r` stays in the lines, "" gives {""}.
std::vector<std::string> split_lf(std::string_view s);

/// Python `s.lower()` (see the header comment for the Unicode rules).
std::string lower(std::string_view s);

} // namespace sonnet::text
