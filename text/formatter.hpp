#pragma once
// The prototype's SonnetFormatter (PROTOTYPE-SPEC §1): turns raw model output into 14 clean lines
// and checks their shape. Stateless, pure functions; all lengths and case tests are per code
// point with Python semantics (see unicode.hpp).
//
// Syllables are counted with the prototype's fallback vowel-group heuristic (§1.5), which is what
// ran without the `syllables` package; upstream counts made with that package can differ.
//
// Prototype bugs we do NOT copy: the prototype's callers passed raw text to format_sonnet(), which
// expects a list of lines; here format() is the single entry point for raw text and returns the
// lines. Quirks we DO copy because users can observe them: extract_lines() with max_lines <= 0
// still returns up to one line, and check_meter() looks only at the average (its tolerance
// argument was ignored, so it has none here).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sonnet::text {

/// Lines in a sonnet.
inline constexpr int sonnet_lines = 14;

/// §1.1: cleans one physical line, or nullopt if it is dropped. Rules, in order: strip; drop
/// empty; ALL-CAPS header `^[A-Z\s'\-]+:` keeps the text after the first colon only if it is
/// longer than 2 code points and starts upper-case or with a quote (no further checks); drop a
/// known character name as first word (case-insensitive, punctuation kept); drop `[`/`(` stage
/// directions; drop a lower-case start; drop lines shorter than 3 code points; drop lines whose
/// first ':' lies before half their length.
std::optional<std::string> clean_line(std::string_view line);

/// §1.2: clean lines of `raw` (split on '\n') until `max_lines` are kept. The limit is checked
/// after every physical line, so max_lines <= 0 still yields at most one line (prototype quirk).
std::vector<std::string> extract_lines(std::string_view raw, int max_lines = 40);

/// §1.4: the first 14 clean lines among at most 20, or nullopt if fewer than 14 survive.
std::optional<std::vector<std::string>> format(std::string_view raw);

/// Joins lines with '\n', no trailing newline (the prototype's sonnet text).
std::string join_lines(const std::vector<std::string>& lines);

/// §1.5 fallback: Python lower(), then the number of maximal runs of a/e/i/o/u/y. No minimum:
/// "" and "12345" give 0. Accented vowels (é) are not vowels here.
int count_syllables(std::string_view line);

/// Result of check_meter().
struct meter {
  bool ok = false;         ///< 9.0 <= average <= 13.0
  double average = 0;      ///< mean syllables per line, 0 for no lines
  std::vector<int> counts; ///< per line
};

/// §1.6: only the average is judged; individual lines are never checked.
meter check_meter(const std::vector<std::string>& lines);

/// §1.7: split on '\n' without stripping (a trailing newline makes 15 lines); expects 14 lines
/// and a valid meter. Messages are the prototype's, e.g. "Expected 14 lines, got 15",
/// "Meter off (avg 1.0 syllables, expected ~10)", "Valid sonnet structure".
std::pair<bool, std::string> validate(std::string_view sonnet);

} // namespace sonnet::text
