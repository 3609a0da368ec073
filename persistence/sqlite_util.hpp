#pragma once
// Internal helpers of the SQLite backend (not part of the public interface): owning handles,
// SQLite error -> sonnet::error conversion, a statement-reset scope guard and the RAII
// transaction guard. Used by sqlite_store.cpp and replay.cpp only.

#include "core/result.hpp"

#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

namespace sonnet::persistence::detail {

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;

struct stmt_finalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

/// Maps a SQLite result code to our error code: read-only conditions to db_read_only, a lock
/// held beyond the busy timeout to db_locked, "not a database"/corruption to
/// not_a_sonnet_cloud, the rest to `fallback`.
inline errc map_code(int rc, errc fallback = errc::db_error) {
  switch (rc & 0xff) {
  case SQLITE_READONLY:
    return errc::db_read_only;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return errc::db_locked;
  case SQLITE_NOTADB:
  case SQLITE_CORRUPT:
    return errc::not_a_sonnet_cloud;
  default:
    return fallback;
  }
}

/// Builds an error carrying SQLite's own message: "<what>: <sqlite3_errmsg> (code N)".
inline error sqlite_error(sqlite3* db, int rc, std::string_view what,
                          errc fallback = errc::db_error) {
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  msg += " (code " + std::to_string(rc) + ")";
  return fail(map_code(rc, fallback), std::move(msg));
}

/// Resets (and unbinds) a prepared statement when the scope ends, whatever the exit path.
class reset_guard {
public:
  explicit reset_guard(sqlite3_stmt* s) : s_(s) {}
  ~reset_guard() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  reset_guard(const reset_guard&) = delete;
  reset_guard& operator=(const reset_guard&) = delete;

private:
  sqlite3_stmt* s_;
};

/// Prepares `sql` once (persistent: it is kept for the connection's lifetime).
inline result<stmt_ptr> prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK)
    return sqlite_error(db, rc, std::string("prepare '") + sql + "'");
  return stmt_ptr{s};
}

/// Runs one statement that returns no rows of interest (DDL, pragmas with side effects).
inline result<void> exec(sqlite3* db, const char* sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    std::string m = std::string(sql) + ": " + (msg ? msg : sqlite3_errstr(rc)) + " (code "
                    + std::to_string(rc) + ")";
    sqlite3_free(msg);
    return fail(map_code(rc), std::move(m));
  }
  return {};
}

inline int bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  return sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

/// NaN binds as NULL (SQLite would do the same; we make it explicit).
inline int bind_real(sqlite3_stmt* s, int i, double v) {
  return std::isnan(v) ? sqlite3_bind_null(s, i) : sqlite3_bind_double(s, i, v);
}

inline std::string column_text(sqlite3_stmt* s, int i) {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

/// Seeds are uint64 kept as the same 64 bits in a signed INTEGER column (compatible with files
/// written before; SQLite has no unsigned type). Always read back through column_seed.
inline int bind_seed(sqlite3_stmt* s, int i, uint64_t seed) {
  return sqlite3_bind_int64(s, i, static_cast<int64_t>(seed));
}
inline uint64_t column_seed(sqlite3_stmt* s, int i) {
  return static_cast<uint64_t>(sqlite3_column_int64(s, i));
}

/// NULL reads as NaN.
inline double column_real(sqlite3_stmt* s, int i) {
  return sqlite3_column_type(s, i) == SQLITE_NULL ? std::numeric_limits<double>::quiet_NaN()
                                                  : sqlite3_column_double(s, i);
}

/// RAII write transaction: BEGIN IMMEDIATE in the constructor (check `ok()`), ROLLBACK in the
/// destructor unless `commit()` succeeded. The three statements are prepared by the caller.
class transaction {
public:
  transaction(sqlite3* db, sqlite3_stmt* begin, sqlite3_stmt* commit, sqlite3_stmt* rollback)
      : db_(db), commit_(commit), rollback_(rollback) {
    reset_guard g{begin};
    int rc = sqlite3_step(begin);
    if (rc == SQLITE_DONE)
      active_ = true;
    else
      err_ = sqlite_error(db_, rc, "BEGIN IMMEDIATE");
  }

  ~transaction() {
    if (active_) {
      reset_guard g{rollback_};
      sqlite3_step(rollback_);
    }
  }

  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  /// Whether BEGIN succeeded; if not, `begin_error()` says why.
  bool ok() const { return active_; }
  const error& begin_error() const { return err_; }

  /// Commits; on failure the destructor still rolls back.
  result<void> commit() {
    reset_guard g{commit_};
    int rc = sqlite3_step(commit_);
    if (rc != SQLITE_DONE)
      return sqlite_error(db_, rc, "COMMIT");
    active_ = false;
    return {};
  }

private:
  sqlite3* db_;
  sqlite3_stmt* commit_;
  sqlite3_stmt* rollback_;
  bool active_ = false;
  error err_;
};

} // namespace sonnet::persistence::detail
