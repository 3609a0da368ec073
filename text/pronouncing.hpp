#pragma once
// Pronunciation of English words: syllables, lexical stress and rhyme keys, from the CMU
// pronouncing dictionary, with a spelling-based fallback for the words it lacks (the model
// invents many) or when no dictionary is installed.
//
// Sources, first found wins (dictionary::default_paths()):
//  1. $SONNET_CMUDICT (a path; "none" or "" = no dictionary, fallback everywhere);
//  2. the compiled form of source 3 (`cmudict-0.4.bin` in a data directory, core/paths.hpp;
//     the build writes it, text/CMakeLists.txt, and installs it): the same tables, read in a few ms instead of parsing ~5 MB of text
//     (~130 ms, most of a CLI command's start-up); skipped when source 3 changed since;
//  3. /usr/share/festival/dicts/cmu/cmudict-0.4.out (Debian `festlex-cmu`): CMUdict 0.4 in
//     Festival's syllabified form, ("summer" nil (((s ah) 1) ((m er) 0))), WITH stress 0/1;
//  4. /usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict (Debian `pocketsphinx-en-us`):
//     plain CMU format, "summer S AH M ER", but Debian's copy has the stress digits stripped.
//     Plain files that do carry digits (the upstream cmudict, "S AH1 M ER0") are read with them.
// Entries without stress (source 4) give stress '?' to every syllable of a word of 2+ syllables
// and take the rhyme key from the last vowel.
//
// Words are normalised (lower-case ASCII, curly apostrophes -> ', punctuation dropped) and looked
// up; Early Modern contractions are resolved: X's/Xs' (X + Z), X'd (Xed, else X + D: dimm'd ->
// dimmed), X'st (X + S T: grow'st), Xeth / Xest (X + one unstressed syllable), th' -> the.
// A word still missing gets the prototype's vowel-group syllable count (at least 1) and stress
// '?' (unknown) per syllable.
//
// Files: cmudict_format.cpp reads one dictionary line; dictionary_table.* build and probe the
// tables; dictionary_file.cpp writes and maps the compiled form; dictionary_load.cpp loads a
// file and picks the process-wide dictionary; pronouncing.cpp holds the word rules below.
//
// Thread safety: a dictionary is immutable after load; shared_dictionary() is a thread-safe lazy
// singleton, so any number of actors may read it.

#include "core/result.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sonnet::text {

/// One pronunciation of a word: views into the dictionary's storage (valid while it lives).
struct pronunciation {
  /// One char per syllable (vowel): '0' unstressed, '1' primary, '2' secondary, '?' unknown.
  std::string_view stress;
  /// Phones from the last stressed vowel to the end, upper-case, no stress digits, e.g.
  /// "EY" for day, "AH M ER" for summer. Schwa (Festival `ax`) is written AH as in CMUdict.
  std::string_view rhyme;
};

class dictionary;

/// The pronunciations of one word (a view; empty when the word is missing).
class pronunciations {
public:
  pronunciations() = default;
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  pronunciation operator[](std::size_t i) const;
  pronunciation front() const { return (*this)[0]; }

private:
  friend class dictionary;
  pronunciations(const dictionary* d, std::uint32_t first, std::uint32_t n)
      : d_(d), first_(first), n_(n) {}
  const dictionary* d_ = nullptr;
  std::uint32_t first_ = 0;
  std::uint32_t n_ = 0;
};

/// An immutable word -> pronunciations map.
///
/// Memory: the ~106k words of CMUdict 0.4 take ~3 MB instead of the ~18 MB of a
/// node-per-entry unordered_map of strings. All text (words, stress patterns, rhyme keys) lives
/// in one string arena; stress patterns and rhyme keys are interned (a few thousand distinct).
/// A word is a 12-byte record (arena offset and length of the word, index and count of its
/// pronunciations), a pronunciation a 12-byte record (offsets and lengths of its interned stress
/// and rhyme key), and lookups go through an open-addressing hash table of 32-bit record
/// indexes (power-of-two size, load <= 1/2, linear probing, FNV-1a). The file is read in 64 KiB
/// chunks, so loading never holds the whole file in memory.
class dictionary {
public:
  dictionary() = default;
  // The tables are views into this object's own storage (or its mapping): never copied.
  dictionary(const dictionary&) = delete;
  dictionary& operator=(const dictionary&) = delete;

  /// Reads a dictionary file: a compiled one (see save_compiled; detected by its magic), else
  /// text in Festival's or the plain CMU format (detected per line). errc::invalid_argument
  /// (naming the file) if it cannot be read, holds no entry, or is a compiled file that is
  /// damaged or older than the source it was compiled from.
  static result<std::shared_ptr<const dictionary>> load(const std::string& path);
  /// Writes the tables as a compiled dictionary (header, then the arrays as they are in
  /// memory), with the source's size and mtime so that load() refuses it once the source
  /// changes. Written to `path`.tmp, then renamed: a reader never sees half a file.
  result<void> save_compiled(const std::string& path) const;
  /// A dictionary without entries: every word takes the fallback.
  static std::shared_ptr<const dictionary> empty();
  /// Where shared_dictionary() looks, in order (see the header comment).
  static std::vector<std::string> default_paths();

  /// The pronunciations of a normalised word (apostrophes removed); empty() when missing.
  pronunciations find(std::string_view key) const;
  std::size_t size() const { return words_.size(); }
  /// The file it came from ("" for empty()).
  const std::string& source() const { return source_; }
  /// False when the source had no stress marks (Debian's pocketsphinx copy).
  bool has_stress() const { return has_stress_; }
  /// Bytes held by the tables (arena, records, hash table), for reports and tests.
  std::size_t memory_bytes() const;

  struct word_rec {
    std::uint32_t word_off;
    std::uint32_t first_pron;
    std::uint16_t word_len;
    std::uint16_t n_prons;
  };
  struct pron_rec {
    std::uint32_t stress_off;
    std::uint32_t rhyme_off;
    std::uint16_t stress_len;
    std::uint16_t rhyme_len;
  };

private:
  friend class pronunciations;
  friend struct dictionary_builder;
  template <class T>
  struct table_view {
    const T* first = nullptr;
    std::size_t n = 0;
    const T* data() const { return first; }
    std::size_t size() const { return n; }
    bool empty() const { return n == 0; }
    const T& operator[](std::size_t i) const { return first[i]; }
    const T* begin() const { return first; }
    const T* end() const { return first + n; }
  };
  std::string_view text(std::uint32_t off, std::uint32_t len) const {
    return arena_.substr(off, len);
  }
  // The tables lookups read: views into the *_store_ members (built from text) or into a
  // read-only mapping of a compiled file (shared with the page cache, nothing copied).
  std::string_view arena_;
  table_view<word_rec> words_;
  table_view<pron_rec> prons_;
  table_view<std::uint32_t> table_; // record index + 1, 0 = empty slot
  std::string arena_store_;
  std::vector<word_rec> words_store_;
  std::vector<pron_rec> prons_store_;
  std::vector<std::uint32_t> table_store_;
  std::shared_ptr<const void> mapping_;
  std::string source_;
  bool has_stress_ = false;

  static result<std::shared_ptr<const dictionary>> load_compiled(const std::string& path);
};

inline pronunciation pronunciations::operator[](std::size_t i) const {
  const auto& p = d_->prons_[first_ + i];
  return {d_->text(p.stress_off, p.stress_len), d_->text(p.rhyme_off, p.rhyme_len)};
}

/// The process-wide dictionary, loaded on first use from the first of default_paths() that
/// exists (thread-safe). If none loads, says so once on stderr and returns an empty dictionary.
std::shared_ptr<const dictionary> shared_dictionary();

/// What we know about one word.
struct word_info {
  std::string word; ///< normalised (lower-case, apostrophes kept)
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
