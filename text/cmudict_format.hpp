#pragma once
// Internal to text/: one line of a pronouncing-dictionary text file, in Festival's form or the
// plain CMU form, read into syllables with their stress and a rhyme key (text/pronouncing.hpp
// describes the formats).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sonnet::text::detail {

/// CMU vowel phones all start with a vowel letter (AA AE AH AO AW AX AY EH ER EY IH IY OW OY UH UW).
bool is_vowel_phone(std::string_view ph);

/// The canonical upper-case name of a phone (static storage, so parsed entries can hold views);
/// Festival's AX/AXR become AH/ER; an unknown phone is returned as written.
std::string_view canonical_phone(std::string_view ph);

/// `w` without its apostrophes: the dictionary's key of a word.
std::string strip_apostrophes(std::string_view w);

// One parsed entry, flat so that the buffers are reused from line to line: phone i belongs to
// syllable k when start[k] <= i < start[k + 1]; stress[k] is its stress char.
struct entry {
  std::vector<std::string_view> phones;
  std::vector<std::size_t> start;
  std::string stress;
  void clear() {
    phones.clear();
    start.clear();
    stress.clear();
  }
  std::size_t syllables() const { return start.size(); }
  std::size_t end_of(std::size_t k) const {
    return k + 1 < start.size() ? start[k + 1] : phones.size();
  }
};

// Rhyme key: from the vowel of the last syllable with stress 1 or 2 (else the last syllable) to
// the end of the word. `stress` is stored as given.
struct parsed_pron {
  std::string stress;
  std::string rhyme;
};

/// The stress pattern and rhyme key of an entry; `from_last_vowel` takes the rhyme key from the
/// last vowel (for sources without stress marks).
parsed_pron make_pronunciation(const entry& e, bool from_last_vowel = false);

/// ("summer" nil (((s ah) 1) ((m er) 0))) -> word and entry; false if the line is not one.
bool parse_festival(std::string_view line, std::string& word, entry& e);

/// "summer S AH1 M ER0" or "summer(2) S AH M ER" -> word and entry; `had_digits` is set when
/// the line carries stress digits. False if the line is not one.
bool parse_plain(std::string_view line, std::string& word, entry& e, bool& had_digits);

/// Early Modern words that CMUdict 0.4 lacks and sonnets use, in plain CMU format with stress,
/// one per line. Added to every loaded dictionary where the word is missing (never to empty()).
extern const char* const early_modern;

} // namespace sonnet::text::detail
