#pragma once
// Internal: the checks run before a cloud file is written to (used by sqlite_store and replay).

#include "core/result.hpp"
#include "persistence/sqlite_util.hpp"
#include "persistence/store.hpp"

#include <sqlite3.h>

#include <string>

namespace sonnet::persistence::detail {

struct file_state {
  /// The path names an existing file (false for ":memory:" and for a path to be created).
  bool exists = false;
  /// This process may write the file, and its directory (same rules as read_write's check).
  bool file_writable = false;
  bool dir_writable = false;
  /// The header says WAL mode (bytes 18/19 == 2).
  bool wal = false;
};

/// File-level checks, without SQLite: a non-empty file must start with the SQLite header
/// (else not_a_sonnet_cloud); a missing file is db_open_failed in read_only mode; in read_write
/// mode the file and its directory must be writable (else db_read_only; see sqlite_store.hpp
/// for what "writable" means when running as root).
result<file_state> precheck_file(const std::string& path, open_mode mode);

/// Opens the connection a read_only store or replay reads through, creating no file beside the
/// cloud that was not there:
///  - file and directory writable: read-write without CREATE, then PRAGMA query_only. Nothing is
///    written through it, and as the last connection it removes the -wal/-shm SQLite needs to
///    read a WAL file, as a writer does (a read-only connection would leave them behind);
///  - directory not writable, WAL file, no -wal beside it: `mode=ro&immutable=1` (no writer can
///    be active without a -wal file, and none can start: it could not create one);
///  - otherwise `mode=ro` (a WAL file with a -wal but no -shm fails with SQLite's message).
/// busy_timeout is set before anything is read.
result<db_ptr> open_for_reading(const std::string& path, const file_state& f, int busy_timeout_ms);

struct schema_state {
  /// The database has no tables at all (a new or empty file).
  bool fresh = false;
  /// Our own tables (meta, sonnet_inputs) are present.
  bool has_own_tables = false;
};

/// Read-only validation of an open connection: either no tables at all, or the prototype's
/// three sonnet tables with their columns and the UNIQUE(word1, word2, word3) index; our own
/// tables, when present, with their columns and a schema_version we understand.
result<schema_state> validate_schema(sqlite3* db, const std::string& path);

} // namespace sonnet::persistence::detail
