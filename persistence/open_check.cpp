#include "persistence/open_check.hpp"

#include "persistence/schema.hpp"
#include "persistence/sqlite_util.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

namespace sonnet::persistence::detail {

namespace {

std::string parent_dir(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos)
    return ".";
  if (pos == 0)
    return "/";
  return path.substr(0, pos);
}

/// access(W_OK) fails, or no write bit is set at all. The second rule is what makes a
/// `chmod 444` file (or `chmod 555` directory) read-only for root too.
bool writable(const std::string& p, const struct stat& st) {
  if (::access(p.c_str(), W_OK) != 0)
    return false;
  return (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) != 0;
}

} // namespace

result<file_state> precheck_file(const std::string& path, open_mode mode) {
  if (path == ":memory:")
    return file_state{false};
  if (path.empty())
    return fail(errc::db_open_failed, "empty database path");
  if (path.rfind("file:", 0) == 0)
    return fail(errc::db_open_failed, path + ": URI file names are not supported");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return fail(errc::db_open_failed, path + ": " + std::strerror(errno));
    if (mode == open_mode::read_only)
      return fail(errc::db_open_failed, path + ": no such file (read-only open does not create)");
    auto dir = parent_dir(path);
    struct stat dst {};
    if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode))
      return fail(errc::db_open_failed, path + ": directory '" + dir + "' does not exist");
    if (!writable(dir, dst))
      return fail(errc::db_read_only, path + ": directory '" + dir + "' is not writable");
    return file_state{false};
  }
  if (S_ISDIR(st.st_mode))
    return fail(errc::db_open_failed, path + ": is a directory");
  file_state out{true};
  if (st.st_size > 0) {
    static const char magic[16] = "SQLite format 3"; // plus its terminating NUL: 16 bytes
    char head[20] = {};
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return fail(errc::db_open_failed, path + ": cannot read: " + std::strerror(errno));
    in.read(head, sizeof head);
    if (in.gcount() < static_cast<std::streamsize>(sizeof magic)
        || std::memcmp(head, magic, sizeof magic) != 0)
      return fail(errc::not_a_sonnet_cloud, path + ": not a SQLite database (bad header)");
    out.wal =
      in.gcount() == static_cast<std::streamsize>(sizeof head) && head[18] == 2 && head[19] == 2;
  }
  out.file_writable = writable(path, st);
  auto dir = parent_dir(path);
  struct stat dst {};
  out.dir_writable = ::stat(dir.c_str(), &dst) == 0 && writable(dir, dst);
  if (mode == open_mode::read_write) {
    if (!out.file_writable)
      return fail(errc::db_read_only, path + ": file is not writable");
    if (!out.dir_writable)
      return fail(errc::db_read_only,
                  path + ": directory '" + dir + "' is not writable (WAL needs -wal/-shm files)");
  }
  return out;
}

namespace {

/// Percent-escapes what a URI file name cannot hold literally.
std::string uri_path(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7f) {
      static const char hex[] = "0123456789ABCDEF";
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

} // namespace

result<db_ptr> open_for_reading(const std::string& path, const file_state& f, int busy_timeout_ms) {
  std::string name = path;
  int flags = SQLITE_OPEN_NOMUTEX;
  const bool writer_like = f.file_writable && f.dir_writable;
  if (writer_like) {
    flags |= SQLITE_OPEN_READWRITE;
  } else {
    struct stat wst {};
    const bool immutable = !f.dir_writable && f.wal && ::stat((path + "-wal").c_str(), &wst) != 0;
    name = "file:" + uri_path(path) + "?mode=ro" + (immutable ? "&immutable=1" : "");
    flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  db_ptr db{raw};
  if (rc != SQLITE_OK)
    return sqlite_error(raw, rc,
                        "cannot open '" + path + "'"
                          + (!f.dir_writable && f.wal
                               ? " (a WAL cloud in a directory this process cannot write: SQLite "
                                 "needs its -wal and -shm files there, or neither)"
                               : ""),
                        errc::db_open_failed);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  if (writer_like)
    if (auto q = exec(raw, "PRAGMA query_only=1"); !q)
      return q.err();
  return db;
}

namespace {

/// Runs `sql` with an optional text parameter and returns the first column of the first row.
result<int64_t> scalar(sqlite3* db, const char* sql, const char* param = nullptr) {
  auto s = prepare(db, sql);
  if (!s)
    return s.err();
  if (param)
    bind_text(s->get(), 1, param);
  int rc = sqlite3_step(s->get());
  if (rc != SQLITE_ROW)
    return sqlite_error(db, rc, sql);
  return sqlite3_column_int64(s->get(), 0);
}

result<std::set<std::string>> columns_of(sqlite3* db, const char* table) {
  auto s = prepare(db, sql::table_columns);
  if (!s)
    return s.err();
  bind_text(s->get(), 1, table);
  std::set<std::string> out;
  int rc;
  while ((rc = sqlite3_step(s->get())) == SQLITE_ROW)
    out.insert(column_text(s->get(), 0));
  if (rc != SQLITE_DONE)
    return sqlite_error(db, rc, "table_info");
  return out;
}

/// Any error while reading the schema of a file that passed the header check means the file
/// is damaged or not a database: report it as not_a_sonnet_cloud (SQLite's text attached).
error as_not_cloud(const std::string& path, const error& e) {
  // A lock (db_locked) or a read-only condition keeps its own name.
  if (e.code == errc::db_error || e.code == errc::not_a_sonnet_cloud)
    return fail(errc::not_a_sonnet_cloud, path + ": " + e.message);
  return e;
}

} // namespace

result<schema_state> validate_schema(sqlite3* db, const std::string& path) {
  auto n = scalar(db, sql::count_tables);
  if (!n)
    return as_not_cloud(path, n.err());
  schema_state out;
  if (*n == 0) {
    out.fresh = true;
    return out;
  }
  auto check = [&](const sql::required_table& t, bool required) -> result<bool> {
    auto e = scalar(db, sql::table_exists, t.name);
    if (!e)
      return as_not_cloud(path, e.err());
    if (*e == 0) {
      if (required)
        return fail(errc::not_a_sonnet_cloud,
                    path + ": SQLite database without table '" + t.name + "'");
      return false;
    }
    auto cols = columns_of(db, t.name);
    if (!cols)
      return as_not_cloud(path, cols.err());
    for (auto c = t.columns; *c != nullptr; ++c)
      if (cols->count(*c) == 0)
        return fail(errc::not_a_sonnet_cloud,
                    path + ": table '" + t.name + "' has no column '" + *c + "'");
    return true;
  };
  for (const auto& t : sql::required_tables)
    if (auto r = check(t, true); !r)
      return r.err();
  auto uniq = scalar(db, sql::trigram_unique_index);
  if (!uniq)
    return as_not_cloud(path, uniq.err());
  if (*uniq == 0)
    return fail(errc::not_a_sonnet_cloud,
                path + ": sonnet_trigrams lacks UNIQUE(word1, word2, word3)");
  bool own = true;
  for (const auto& t : sql::own_tables) {
    auto r = check(t, false);
    if (!r)
      return r.err();
    own = own && *r;
  }
  out.has_own_tables = own;
  auto has_meta = scalar(db, sql::table_exists, "meta");
  if (!has_meta)
    return as_not_cloud(path, has_meta.err());
  if (*has_meta > 0) {
    auto s = prepare(db, sql::meta_get);
    if (!s)
      return as_not_cloud(path, s.err());
    bind_text(s->get(), 1, "schema_version");
    int rc = sqlite3_step(s->get());
    if (rc == SQLITE_ROW) {
      auto v = sqlite3_column_int64(s->get(), 0);
      if (v > sql::schema_version)
        return fail(errc::db_open_failed, path + ": schema_version " + std::to_string(v)
                                            + " is newer than this build understands ("
                                            + std::to_string(sql::schema_version) + ")");
    } else if (rc != SQLITE_DONE) {
      return as_not_cloud(path, sqlite_error(db, rc, "reading meta"));
    }
  }
  return out;
}

} // namespace sonnet::persistence::detail
