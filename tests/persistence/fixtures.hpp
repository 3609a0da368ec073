#pragma once
// Helpers shared by the persistence tests: per-test temp dirs, byte snapshots of files, a raw
// SQLite connection for poking at a cloud from outside the store, and sonnet generators.

#include "persistence/store.hpp"
#include "text/dissonance.hpp"

#include <boost/test/unit_test.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <stdlib.h>
#include <unistd.h>

namespace sonnet::persistence::test {

namespace fs = std::filesystem;

/// A fresh directory under $TMPDIR per test, removed (permissions restored first) at the end.
struct temp_dir {
  fs::path path;
  temp_dir() {
    auto base = fs::temp_directory_path() / "sonnet-persist-XXXXXX";
    std::string tmpl = base.string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    for (auto& e : fs::recursive_directory_iterator(path, ec))
      fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline std::string read_bytes(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

/// Names of the files in a directory (to see that no -wal/-shm/-journal appeared).
inline std::vector<std::string> dir_listing(const fs::path& d) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(d))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

/// A raw connection, for reading/tampering a cloud from outside the store.
class raw_db {
public:
  explicit raw_db(const std::string& path, int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK)
      throw std::runtime_error("raw open failed: " + path);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~raw_db() { sqlite3_close_v2(db_); }
  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;

  void exec(const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "?";
      sqlite3_free(msg);
      throw std::runtime_error("raw exec failed: " + sql + ": " + m);
    }
  }

  /// Every row, every column as text ("NULL" for NULL), columns joined by '|'.
  std::vector<std::string> rows(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error("raw prepare failed: " + sql + ": " + sqlite3_errmsg(db_));
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        if (i > 0)
          row += '|';
        auto t = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
        row += t ? std::string(t, sqlite3_column_bytes(s, i)) : std::string("NULL");
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
      throw std::runtime_error("raw step failed: " + sql);
    return out;
  }

  std::string text(const std::string& sql) {
    auto r = rows(sql);
    return r.empty() ? std::string() : r.front();
  }

  int64_t scalar(const std::string& sql) { return std::stoll(text(sql)); }

  double real(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr);
    double v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_double(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
  }

  /// The union of word1/word2/word3, computed with plain SQL.
  text::vocabulary vocabulary() {
    text::vocabulary v;
    for (auto& w : rows("SELECT word1 FROM sonnet_trigrams UNION SELECT word2 FROM sonnet_trigrams "
                        "UNION SELECT word3 FROM sonnet_trigrams"))
      v.insert(w);
    return v;
  }

private:
  sqlite3* db_ = nullptr;
};

/// The prototype's real cloud (read-only in the shared dir; tests work on copies).
inline std::string prototype_db() {
  return std::string(SONNET_SHARED_DIR) + "/data/python_cloud_sonnets.db";
}

/// Precondition: skip (with a message) when the shared prototype cloud is absent.
struct prototype_present {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(fs::exists(prototype_db()));
    r.message() << "skipped: the prototype cloud " << prototype_db() << " is absent";
    return r;
  }
};

/// Copies the prototype cloud into `dir` (writable copy: the original is mode 0444).
inline std::string copy_prototype(const temp_dir& dir) {
  auto dst = dir.file("proto.db");
  fs::copy_file(prototype_db(), dst);
  fs::permissions(dst, fs::perms::owner_read | fs::perms::owner_write);
  return dst;
}

/// Deterministic sonnet generator over a small word pool (with case, punctuation, Unicode).
class sonnet_maker {
public:
  explicit sonnet_maker(uint32_t seed) : rng_(seed) {}

  std::string line(int min_words = 5, int max_words = 9) {
    static const std::vector<std::string> pool = {
      "Love",  "love,", "the",    "thee",  "thou",    "doth",   "summer's", "day",   "Time",
      "night", "and",   "shall",  "I",     "compare", "fair",   "eyes",     "rose",  "O",
      "heart", "sweet", "death!", "grave", "beauty",  "Straße", "ÉCOLE",    "naïve", "star",
    };
    std::uniform_int_distribution<int> nw(min_words, max_words);
    std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
    std::string out;
    for (int i = 0, n = nw(rng_); i < n; ++i) {
      if (i > 0)
        out += ' ';
      out += pool[pick(rng_)];
    }
    return out;
  }

  std::string sonnet(int lines = 14) {
    std::string out;
    for (int i = 0; i < lines; ++i) {
      if (i > 0)
        out += '\n';
      out += line();
    }
    return out;
  }

  double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  uint32_t next() { return static_cast<uint32_t>(rng_()); }

private:
  std::mt19937 rng_;
};

/// The error text of a failed result, "" for a good one (safe in *_MESSAGE macros).
template <class T>
std::string why(const result<T>& r) {
  return r ? std::string() : std::string(to_string(r.err().code)) + ": " + r.err().message;
}

/// A sonnet_input with only its text set.
inline sonnet_input text_only(std::string t) {
  sonnet_input in;
  in.text = std::move(t);
  return in;
}

/// The pipeline's order: judge against the cloud as it stands, then store.
inline result<int64_t> judged_add(store& s, const std::string& sonnet_text,
                                  const std::string& user_input, double quality = 0.5,
                                  uint64_t seed = 0) {
  sonnet_input in;
  in.text = sonnet_text;
  in.user_input = user_input;
  in.quality = quality;
  in.dissonance = text::compute_dissonance(user_input, sonnet_text, s.vocabulary()).dissonance;
  in.seed = seed;
  return s.add(in);
}

} // namespace sonnet::persistence::test
