#pragma once
// Replay verification of a cloud file (docs/DESIGN.md §2, invariants 1 and 2).
//
// For every sonnet of ours (one with a sonnet_inputs row), in id order, recompute
// text::compute_dissonance(user_input, text, vocab_before), where vocab_before is the vocabulary
// of all sonnets with a smaller id, and compare it with the stored value (exact double equality).
// vocab_before is exact even for a continued prototype cloud, whose sonnets may have contributed
// no trigrams at all: start from the final trigram counts and, walking our sonnets in descending
// id order, subtract each one's trigrams (recounted from its text); a word is in vocab_before
// while some trigram containing it keeps a count > 0.
//
// Also checked: every stored trigram count equals the prototype baseline plus the recount from
// our texts (the baseline is 0 for a cloud we created; for an adopted prototype cloud the total
// and number of rows recorded in meta at adoption), and each of our sonnets has line_count rows
// in sonnet_lines, as many as its text yields. Opens the file for reading only (see
// open_for_reading: no side file is left behind) and reads one snapshot; never writes.

#include "core/result.hpp"
#include "text/dissonance.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sonnet::persistence {

struct dissonance_mismatch {
  int64_t id = 0;
  double stored = 0; ///< NaN if the column is NULL
  double recomputed = 0;
  uint64_t seed = 0; ///< the seed it was generated with (to regenerate it)
};

struct trigram_mismatch {
  text::trigram key;
  int64_t stored = 0;    ///< count in sonnet_trigrams (0 if the row is missing)
  int64_t recounted = 0; ///< occurrences in our sonnets' texts
};

struct lines_mismatch {
  int64_t id = 0;
  int64_t line_count = 0;    ///< sonnets.line_count
  int64_t stored_lines = 0;  ///< rows in sonnet_lines
  int64_t derived_lines = 0; ///< lines text::derive_rows() yields for the text
};

struct replay_report {
  /// Our sonnets (with a sonnet_inputs row) whose dissonance was recomputed.
  int64_t sonnets_checked = 0;
  /// Sonnets without a sonnet_inputs row (the prototype's own); not recomputed.
  int64_t foreign_sonnets = 0;
  std::vector<dissonance_mismatch> mismatches;
  /// Largest |stored - recomputed| over all checked sonnets (NaN stored counts as a mismatch
  /// but not here).
  double max_abs_diff = 0;
  std::vector<trigram_mismatch> trigram_mismatches;
  /// Non-empty when the residual counts (stored minus ours) disagree with the baseline
  /// recorded at adoption; says how.
  std::string baseline_mismatch;
  std::vector<lines_mismatch> lines_mismatches;
  /// Things that make the check weaker without being errors (e.g. prototype sonnets written
  /// after we adopted the file, which vocab_before cannot place in id order).
  std::vector<std::string> notes;

  /// True when nothing disagrees.
  bool clean() const {
    return mismatches.empty() && trigram_mismatches.empty() && baseline_mismatch.empty()
           && lines_mismatches.empty();
  }
};

/// @param path a cloud file (opened read-only; must pass the same validation as open_sqlite).
/// @returns the report, or db_open_failed / not_a_sonnet_cloud / db_error.
result<replay_report> replay(const std::string& path);

} // namespace sonnet::persistence
