#pragma once
// Shared by the reliability tests: a scratch directory with the processes it started, and
// helpers to check a cloud file from outside (SQLite C API, never through our store).

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <sstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/cluster/process.hpp"
#include "tests/shared_data.hpp"

namespace sonnet::test {

/// The ids of the JSON sonnets a client printed (complete lines only; each has 14 lines).
inline std::set<int64_t> printed_ids(const process& p) {
  std::set<int64_t> out;
  std::istringstream in(p.output());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{')
      continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("id"))
      continue;
    BOOST_TEST(j["lines"].size() == 14u);
    out.insert(j["id"].get<int64_t>());
  }
  return out;
}

/// A scratch directory and the processes a test starts (killed when it ends).
struct workspace {
  std::filesystem::path dir;
  std::vector<std::unique_ptr<process>> procs;
  int logs = 0;

  workspace() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path()
          / ("sonnet-reliability-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir);
  }
  ~workspace() {
    procs.clear();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }

  process& start(std::vector<std::string> argv) {
    auto log = file("log" + std::to_string(logs++) + ".txt");
    procs.push_back(std::make_unique<process>(std::move(argv), log));
    return *procs.back();
  }
};

/// An exit code, or -1 when the process did not end in time.
inline int code(std::optional<int> rc) {
  return rc ? *rc : -1;
}

/// Runs one SQL statement returning rows of text (read-only, through the C API). Returns
/// nullopt with `err` set when the database cannot be opened or the statement fails.
inline std::optional<std::vector<std::vector<std::string>>>
query(const std::string& db, const std::string& sql, std::string* err = nullptr) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    if (err)
      *err = h ? sqlite3_errmsg(h) : "out of memory";
    sqlite3_close(h);
    return std::nullopt;
  }
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* st = nullptr;
  std::vector<std::vector<std::string>> rows;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    if (err)
      *err = sqlite3_errmsg(h);
    sqlite3_close(h);
    return std::nullopt;
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      auto t = sqlite3_column_text(st, i);
      row.emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
    rows.push_back(std::move(row));
  }
  bool ok = rc == SQLITE_DONE;
  if (!ok && err)
    *err = sqlite3_errmsg(h);
  sqlite3_finalize(st);
  sqlite3_close(h);
  if (!ok)
    return std::nullopt;
  return rows;
}

/// `PRAGMA integrity_check` through the C API: "ok" or what SQLite says.
inline std::string integrity(const std::string& db) {
  std::string err;
  auto rows = query(db, "PRAGMA integrity_check", &err);
  if (!rows)
    return "error: " + err;
  std::string out;
  for (auto& r : *rows)
    out += (out.empty() ? "" : "; ") + r.at(0);
  return out;
}

} // namespace sonnet::test
