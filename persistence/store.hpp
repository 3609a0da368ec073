#pragma once
// The sonnet cloud's storage interface (after Broker's detail/abstract_backend.hh).
//
// Two implementations: `sqlite_store` (sqlite_store.hpp), the real one, compatible both ways with
// the Python prototype's cloud file; and `memory_store` (memory_store.hpp), a std::map twin used
// by the differential tests. No actor code here; one owner (the cloud actor) calls it.

#include "core/result.hpp"
#include "text/dissonance.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sonnet::persistence {

/// What the pipeline hands to `store::add` for one sonnet.
struct sonnet_input {
  /// The sonnet, stored unstripped (lines and trigrams are derived from it).
  std::string text;
  double quality = 0.5;
  /// Dissonance computed against `store::vocabulary()` as it stood just before this add
  /// (ignored by judge_and_add, which computes it).
  double dissonance = 0.5;
  double temperature = 0.8;
  std::string added_by = "user";
  /// The user words the dissonance was computed against (kept so it can be replayed).
  std::string user_input;
  /// Generation seed, the full unsigned range. SQLite keeps the same 64 bits as a signed
  /// INTEGER (seeds >= 2^63 look negative in the raw column); every reader casts back.
  uint64_t seed = 0;
};

/// What judge_and_add returns per sonnet: its id and its judgement against the cloud.
struct judged_sonnet {
  int64_t id = 0;
  text::judgement j;
};

/// What a sonnet of ours was generated and judged with (the sonnet_inputs row).
struct sonnet_origin {
  std::string user_input;
  uint64_t seed = 0;
};

/// One row of `sonnets` as read back. NULL REAL columns read as NaN.
struct stored_sonnet {
  int64_t id = 0;
  std::string text;
  double quality = 0;
  double dissonance = 0;
  double temperature = 0;
  /// Julian day (UTC), as SQLite's julianday('now') wrote it.
  double timestamp = 0;
  std::string added_by;
};

/// The prototype's get_stats().
struct cloud_stats {
  int64_t sonnet_count = 0;
  /// AVG(quality) over non-NULL values, 0.0 when there are none.
  double avg_quality = 0;
  /// AVG(dissonance) over non-NULL values, 0.0 when there are none.
  double avg_dissonance = 0;
  /// COUNT(DISTINCT word1) over the trigram table (the prototype's figure, not |vocabulary()|).
  int64_t vocab_size = 0;
};

/// One point of the cloud's series: the sonnets with ids in [first_id, last_id] (`count` of them;
/// ids are never reused, so a bucket of a cloud with gaps holds fewer than its width). NULL
/// values are skipped; a bucket with only NULLs has NaN there.
struct series_bucket {
  int64_t first_id = 0;
  int64_t last_id = 0;
  int64_t count = 0;
  double dissonance_mean = 0, dissonance_min = 0, dissonance_max = 0;
  double quality_mean = 0, quality_min = 0, quality_max = 0;
};

/// Dissonance and quality over sonnet id, for a chart: one bucket per sonnet when the cloud has
/// at most `points` sonnets, else buckets of `bucket_width` consecutive ids.
struct cloud_series {
  /// Sonnets in the buckets (the sum of their counts).
  int64_t sonnet_count = 0;
  int64_t bucket_width = 1;
  std::vector<series_bucket> buckets;
};

/// Ids per bucket so that ids min_id..max_id fall in at most `points` buckets (at least 1).
inline int64_t series_bucket_width(int64_t min_id, int64_t max_id, int64_t points) {
  const int64_t span = max_id >= min_id ? max_id - min_id + 1 : 0;
  if (points < 1 || span <= points)
    return 1;
  return (span + points - 1) / points;
}

enum class open_mode { read_only, read_write };

/// Abstract sonnet cloud. Not thread-safe: one owner calls it.
class store {
public:
  virtual ~store() = default;

  /// Stores a sonnet in ONE transaction: its `sonnets` row (text unstripped, word_count,
  /// line_count, timestamp = julianday('now')), its lines (1-based, with syllable counts), its
  /// trigram counts and its `sonnet_inputs` row. On any failure nothing is stored and
  /// `vocabulary()` is unchanged; on success `vocabulary()` already includes the new trigrams.
  /// @param s the sonnet and the values it was judged with.
  /// @returns the new sonnet's id; `errc::db_read_only` for a read-only store, `errc::db_error`
  ///          (with SQLite's message) when a statement fails.
  virtual result<int64_t> add(const sonnet_input& s) = 0;

  /// Stores every sonnet of `batch` in ONE transaction (one commit, one fsync), in order, with
  /// the rows add() would write one by one: all or none. On failure nothing is stored and
  /// `vocabulary()` is unchanged. Each `dissonance` was computed against the vocabulary as it
  /// stood just before that sonnet, i.e. including the sonnets before it in the batch (the
  /// dissonance actor's group commit, and bulk imports).
  /// @returns the new ids, in order; errors as add().
  virtual result<std::vector<int64_t>> add_batch(const std::vector<sonnet_input>& batch) = 0;

  /// The way to store sonnets when other processes may write the same cloud: in ONE write
  /// transaction (which holds the file's write lock, so it is the cross-process sequencer),
  /// catches up with the trigrams others committed, judges each sonnet with
  /// text::compute_dissonance(user_input, text, vocabulary) -- the earlier sonnets of the batch
  /// included -- and stores it with that dissonance. All or none; on failure `vocabulary()` has
  /// none of the batch's words (it may have gained committed words of other writers).
  /// @returns ids and judgements, in order; errors as add().
  virtual result<std::vector<judged_sonnet>>
  judge_and_add(const std::vector<sonnet_input>& batch) = 0;

  /// Dissonance of (user_input, sonnet) against the cloud as committed now (other writers'
  /// rows included), without storing anything.
  virtual result<text::judgement> judge(const std::string& user_input,
                                        const std::string& sonnet) = 0;

  /// @returns the user input and seed sonnet `id` was stored with, or `errc::no_such_sonnet`
  ///          (also for the prototype's sonnets, which have none).
  virtual result<sonnet_origin> origin(int64_t id) const = 0;

  /// @returns the prototype's statistics (AVG or 0.0; vocab_size = distinct word1).
  virtual result<cloud_stats> stats() const = 0;

  /// @param n how many; negative means all (SQLite's LIMIT -1).
  /// @returns the newest sonnets first (`ORDER BY timestamp DESC, id DESC`: equal timestamps
  ///          give the higher id first, fixing the prototype's oldest-first ties).
  virtual result<std::vector<stored_sonnet>> recent(int64_t n) const = 0;

  /// @param n how many; negative means all.
  /// @param min_quality lower bound, inclusive; NULL (NaN) qualities never match.
  /// @returns sonnets with quality >= min_quality, `ORDER BY quality DESC, id ASC`.
  virtual result<std::vector<stored_sonnet>> best(int64_t n, double min_quality) const = 0;

  /// @param id a sonnet id.
  /// @returns that sonnet, or `errc::no_such_sonnet`.
  virtual result<stored_sonnet> get(int64_t id) const = 0;

  /// @returns the smallest id of a sonnet whose text is exactly `text`, or 0 if there is none
  ///          (a scan: for background writers, which must not store a copy).
  virtual result<int64_t> find_text(const std::string& text) const = 0;

  /// The whole cloud's dissonance and quality by id, in at most `points` buckets of
  /// series_bucket_width(min id, max id, points) ids each, in id order (one pass over the rows).
  /// @param points the most buckets wanted, >= 1.
  virtual result<cloud_series> series(int64_t points) const = 0;

  /// @returns the cloud vocabulary: the union of word1, word2 and word3 over all trigrams. Held
  ///          in memory (loaded at open, extended after each committed add), so a dissonance
  ///          computation never scans the database. Other writers' trigrams come in at each
  ///          catch-up (every write, judge() and stats()), read by trigram id, never rescanned.
  virtual const text::vocabulary& vocabulary() const = 0;
};

} // namespace sonnet::persistence
