#pragma once
// Pronunciation of English words: syllables, lexical stress and rhyme keys, from the CMU
// pronouncing dictionary, with a spelling-based fallback for the words it lacks (the model
// invents many) or when no dictionary is installed.
//
// Sources, first found wins (dictionary::default_paths()):
//  1. $SONNET_CMUDICT (a path; "none" or "" = no dictionary, fallback everywhere);
//  2. /usr/share/festival/dicts/cmu/cmudict-0.4.out (Debian `festlex-cmu`): CMUdict 0.4 in
//     Festival's syllabified form, ("summer" nil (((s ah) 1) ((m er) 0))), WITH stress 0/1;
//  3. /usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict (Debian `pocketsphinx-en-us`):
//     plain CMU format, "summer S AH M ER", but Debian's copy has the stress digits stripped.
//     Plain files that do carry digits (the upstream cmudict, "S AH1 M ER0") are read with them.
// Entries without stress (source 3) give stress '?' to every syllable of a word of 2+ syllables
// and take the rhyme key from the last vowel.
//
// Words are normalised (lower-case ASCII, curly apostrophes -> ', punctuation dropped) and looked
// up; Early Modern contractions are resolved: X's/Xs' (X + Z), X'd (Xed, else X + D: dimm'd ->
// dimmed), X'st (X + S T: grow'st), Xeth / Xest (X + one unstressed syllable), th' -> the.
// A word still missing gets the prototype's vowel-group syllable count (at least 1) and stress
// '?' (unknown) per syllable.
//
// Thread safety: a dictionary is immutable after load; shared_dictionary() is a thread-safe lazy
// singleton, so any number of actors may read it.

#include "core/result.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sonnet::text {

/// One pronunciation of a word.
struct pronunciation {
  /// One char per syllable (vowel): '0' unstressed, '1' primary, '2' secondary, '?' unknown.
  std::string stress;
  /// Phones from the last stressed vowel to the end, upper-case, no stress digits, e.g.
  /// "EY" for day, "AH M ER" for summer. Schwa (Festival `ax`) is written AH as in CMUdict.
  std::string rhyme;
};

/// An immutable word -> pronunciations map.
class dictionary {
public:
  /// Reads a dictionary file in Festival's or the plain CMU format (detected per line).
  /// errc::invalid_argument (naming the file) if it cannot be read or holds no entry.
  static result<std::shared_ptr<const dictionary>> load(const std::string& path);
  /// A dictionary without entries: every word takes the fallback.
  static std::shared_ptr<const dictionary> empty();
  /// Where shared_dictionary() looks, in order (see the header comment).
  static std::vector<std::string> default_paths();

  /// The pronunciations of a normalised word (apostrophes removed), or nullptr.
  const std::vector<pronunciation>* find(std::string_view key) const;
  std::size_t size() const { return words_.size(); }
  /// The file it came from ("" for empty()).
  const std::string& source() const { return source_; }
  /// False when the source had no stress marks (Debian's pocketsphinx copy).
  bool has_stress() const { return has_stress_; }

private:
  std::unordered_map<std::string, std::vector<pronunciation>> words_;
  std::string source_;
  bool has_stress_ = false;
};

/// The process-wide dictionary, loaded on first use from the first of default_paths() that
/// exists (thread-safe). If none loads, says so once on stderr and returns an empty dictionary.
std::shared_ptr<const dictionary> shared_dictionary();

/// What we know about one word.
struct word_info {
  std::string word;                ///< normalised (lower-case, apostrophes kept)
  int syllables = 0;
  std::string stress;              ///< see pronunciation::stress; size() == syllables
  std::vector<std::string> rhymes; ///< one rhyme key per pronunciation (empty if unknown)
  std::string spelling_rhyme;      ///< spelling_rhyme(word), always set
  bool known = false;              ///< found in the dictionary (directly or by a contraction rule)
};

/// Lower-case ASCII letters and apostrophes of a token; curly apostrophes become ', other
/// punctuation is dropped, non-ASCII letters are kept as UTF-8 (they never match the
/// dictionary). Leading/trailing apostrophes are kept ('tis); lookups try without them too.
std::string normalize_word(std::string_view token);

/// Splits a line into words: runs of letters and apostrophes; "--", hyphens, digits, spaces and
/// other punctuation separate. Words are normalised; empty ones are dropped.
std::vector<std::string> split_words(std::string_view line);

/// The prototype's vowel-group count for one word, at least 1 for a non-empty word.
int spelling_syllables(std::string_view word);

/// Spelling rhyme key: the word's letters from its last vowel group (a e i o u y) to the end;
/// a silent final e (consonant + e, or + es) moves it back one group: shade -> "ade",
/// shades -> "ades", day -> "ay", thee -> "ee". "" for a word without vowels.
std::string spelling_rhyme(std::string_view word);

/// Looks a (raw or normalised) word up, applying the contraction rules and the fallback.
word_info lookup(const dictionary& dict, std::string_view word);

/// True if two line-end words rhyme: when both are known, some pair of their rhyme keys is
/// equal; otherwise their spelling rhyme keys are equal and non-empty. A word never rhymes with
/// itself (repeating an end word is not a rhyme).
bool rhymes(const word_info& a, const word_info& b);

} // namespace sonnet::text
