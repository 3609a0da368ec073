#pragma once
// The SQLite sonnet cloud (after Broker's detail/sqlite_backend.cc): the prototype's schema plus
// our additive tables, every statement prepared once at open, one transaction per add or add_batch.
//
// Opening validates the file BEFORE anything is written:
//  - not a SQLite file (text, random bytes), or a SQLite file that has tables but not the sonnet
//    tables/columns -> errc::not_a_sonnet_cloud, file untouched;
//  - missing path: read_write creates it, read_only -> errc::db_open_failed;
//  - read_write on a file or directory that is not writable -> errc::db_read_only, nothing
//    written. "Not writable" means access(W_OK) fails OR the file/directory has no write
//    permission bit at all (st_mode & 0222 == 0). The second rule makes `chmod 444` protect a
//    cloud even from root, for whom access() always succeeds. The directory must be writable
//    too, because WAL mode creates the -wal and -shm files beside the database.
// busy_timeout is set first, before any statement: another process may be creating or writing
// the file. A lock held beyond it is errc::db_locked (SQLite's text attached), never
// not_a_sonnet_cloud. Then, read_write only: journal_mode=WAL, synchronous=FULL (default; an
// acknowledged sonnet survives kill -9 and power loss), read back and checked; the schema is
// created (and the file validated again) inside BEGIN IMMEDIATE, so processes opening one new
// file at once all succeed.
// read_only never writes through SQL and never switches the journal mode; it leaves no -wal/-shm
// behind that were not there (open_check.hpp, open_for_reading), except for a WAL file this
// process cannot write in a directory it can: SQLite itself then creates the -wal/-shm a reader
// needs and a read-only connection cannot remove them (the next writer to close does).
//
// Many processes may write one file. Each write transaction (BEGIN IMMEDIATE: the file's write
// lock orders the writers) first reads the trigram rows committed since this store last looked
// (by trigram id), so judge_and_add judges against exactly the sonnets with smaller ids. Before
// each commit the path is checked to still name the opened file (st_dev, st_ino): a cloud
// deleted or replaced under the store fails the write with errc::db_replaced.

#include "persistence/store.hpp"

#include <memory>
#include <string>

namespace sonnet::persistence {

/// How hard each commit is pushed to disk (PRAGMA synchronous, WAL mode).
enum class sync_mode {
  /// fsync the WAL at every commit: durable against power loss (the default).
  full,
  /// fsync only at checkpoints: survives kill -9, may lose the last commits on power loss.
  normal,
};

struct sqlite_options {
  open_mode mode = open_mode::read_write;
  sync_mode sync = sync_mode::full;
  /// PRAGMA busy_timeout, milliseconds.
  int busy_timeout_ms = 5000;
  /// Page cache size in KiB (PRAGMA cache_size=-N); 0 keeps SQLite's default (2 MiB).
  int64_t cache_size_kib = 0;
  /// WAL pages between automatic checkpoints; 0 keeps SQLite's default (1000). Each checkpoint
  /// costs two fsyncs, and one sonnet dirties ~100 pages (its trigrams land all over the
  /// UNIQUE index), so bulk loads go much faster with a larger value.
  int wal_autocheckpoint = 0;
};

class sqlite_store final : public store {
public:
  /// Opens (or creates) a cloud.
  /// @param path a file path, or ":memory:" for a private in-memory cloud.
  /// @param opts mode and durability options.
  /// @returns the store, or db_open_failed / not_a_sonnet_cloud / db_read_only / db_error.
  static result<std::unique_ptr<sqlite_store>> open(const std::string& path,
                                                    const sqlite_options& opts = {});

  ~sqlite_store() override;

  result<int64_t> add(const sonnet_input& s) override;
  result<cloud_stats> stats() const override;
  result<std::vector<stored_sonnet>> recent(int64_t n) const override;
  result<std::vector<stored_sonnet>> best(int64_t n, double min_quality) const override;
  result<stored_sonnet> get(int64_t id) const override;
  result<int64_t> find_text(const std::string& text) const override;
  result<cloud_series> series(int64_t points) const override;
  const text::vocabulary& vocabulary() const override;

  result<std::vector<int64_t>> add_batch(const std::vector<sonnet_input>& batch) override;
  result<std::vector<judged_sonnet>> judge_and_add(const std::vector<sonnet_input>& batch) override;
  result<text::judgement> judge(const std::string& user_input, const std::string& sonnet) override;
  result<sonnet_origin> origin(int64_t id) const override;

  /// @returns the path given to open().
  const std::string& path() const;

private:
  struct impl;
  explicit sqlite_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// @param path a file path, or ":memory:".
/// @param mode read_write (create if missing) or read_only (never writes).
/// @returns the opened store (see sqlite_store for the validation rules).
result<std::unique_ptr<store>> open_sqlite(const std::string& path,
                                           open_mode mode = open_mode::read_write);

/// Same, with every option.
result<std::unique_ptr<store>> open_sqlite(const std::string& path, const sqlite_options& opts);

} // namespace sonnet::persistence
