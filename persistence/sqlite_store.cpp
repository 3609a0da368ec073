#include "persistence/sqlite_store.hpp"

#include "persistence/open_check.hpp"
#include "persistence/schema.hpp"
#include "persistence/sqlite_util.hpp"
#include "text/sonnet_rows.hpp"

#include <unordered_set>
#include <utility>

namespace sonnet::persistence {

using namespace detail;

struct sqlite_store::impl {
  std::string path;
  sqlite_options opts;
  db_ptr db;

  // --- prepared statements (all prepared once, in open()) ------------------------------------
  stmt_ptr begin, commit, rollback;
  stmt_ptr insert_sonnet, insert_line, upsert_trigram, insert_input;
  stmt_ptr select_stats, select_recent, select_best, select_one;

  /// One entry of the statement table below.
  struct stmt_spec {
    stmt_ptr impl::*stmt;
    const char* sql;
    bool write; // needed only for writing (not prepared in read_only mode)
  };
  static const stmt_spec statements[];

  // --- in-memory state kept in step with the file ----------------------------------------------
  text::vocabulary vocab;
  /// Distinct word1 values: the prototype's vocab_size, without an index scan per stats().
  std::unordered_set<std::string> first_words;

  bool writable() const { return opts.mode == open_mode::read_write; }

  result<void> prepare_all();
  result<int64_t> write_rows(const sonnet_input& s, const text::sonnet_rows& rows);
  /// Extends the in-memory vocabulary (after a commit).
  void remember(const text::sonnet_rows& rows);

  result<void> load_vocabulary() {
    auto s = prepare(db.get(), sql::select_trigram_words);
    if (!s)
      return s.err();
    int rc;
    while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
      auto w1 = column_text(s->get(), 0);
      vocab.insert(w1);
      vocab.insert(column_text(s->get(), 1));
      vocab.insert(column_text(s->get(), 2));
      first_words.insert(std::move(w1));
    }
    if (rc != SQLITE_DONE)
      return sqlite_error(db.get(), rc, "loading the vocabulary");
    return {};
  }

  /// Steps a statement that must finish without rows.
  result<void> step_done(sqlite3_stmt* s, const char* what) {
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
      return sqlite_error(db.get(), rc, what);
    return {};
  }

  static stored_sonnet read_row(sqlite3_stmt* s) {
    stored_sonnet r;
    r.id = sqlite3_column_int64(s, 0);
    r.text = column_text(s, 1);
    r.quality = column_real(s, 2);
    r.dissonance = column_real(s, 3);
    r.temperature = column_real(s, 4);
    r.timestamp = column_real(s, 5);
    r.added_by = column_text(s, 6);
    return r;
  }

  result<std::vector<stored_sonnet>> read_all(sqlite3_stmt* s, const char* what) const {
    std::vector<stored_sonnet> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
      out.push_back(read_row(s));
    if (rc != SQLITE_DONE)
      return sqlite_error(db.get(), rc, what);
    return out;
  }
};

/// Every prepared statement: {&stmt, sql, write-only}. Prepared once in open().
const sqlite_store::impl::stmt_spec sqlite_store::impl::statements[] = {
  {&impl::begin, sql::begin_immediate, true},
  {&impl::commit, sql::commit, true},
  {&impl::rollback, sql::rollback, true},
  {&impl::insert_sonnet, sql::insert_sonnet, true},
  {&impl::insert_line, sql::insert_line, true},
  {&impl::upsert_trigram, sql::upsert_trigram, true},
  {&impl::insert_input, sql::insert_input, true},
  {&impl::select_stats, sql::select_stats, false},
  {&impl::select_recent, sql::select_recent, false},
  {&impl::select_best, sql::select_best, false},
  {&impl::select_one, sql::select_one, false},
};

result<void> sqlite_store::impl::prepare_all() {
  for (const auto& spec : statements) {
    if (spec.write && !writable())
      continue;
    auto s = prepare(db.get(), spec.sql);
    if (!s)
      return s.err();
    this->*spec.stmt = std::move(*s);
  }
  return {};
}

sqlite_store::sqlite_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

sqlite_store::~sqlite_store() {
  // Statements must be finalized before the connection closes (close_v2 would defer it anyway).
  if (impl_) {
    for (const auto& spec : impl::statements)
      (impl_.get()->*spec.stmt).reset();
  }
}

const std::string& sqlite_store::path() const {
  return impl_->path;
}

namespace {

/// Sets and reads back the journal mode, synchronous level and busy timeout.
result<void> configure(sqlite3* db, const sqlite_options& opts, bool in_memory) {
  int rc = sqlite3_busy_timeout(db, opts.busy_timeout_ms);
  if (rc != SQLITE_OK)
    return sqlite_error(db, rc, "busy_timeout");
  if (opts.mode == open_mode::read_only)
    return {};
  auto query_text = [db](const char* q) -> result<std::string> {
    auto s = prepare(db, q);
    if (!s)
      return s.err();
    int rc = sqlite3_step(s->get());
    if (rc != SQLITE_ROW)
      return sqlite_error(db, rc, q);
    return column_text(s->get(), 0);
  };
  auto jm = query_text(sql::pragma_wal);
  if (!jm)
    return jm.err();
  const char* want_jm = in_memory ? "memory" : "wal";
  if (*jm != want_jm)
    return fail(errc::db_error, std::string("journal_mode=WAL not applied (got '") + *jm + "')");
  auto r = exec(db, opts.sync == sync_mode::full ? sql::pragma_sync_full : sql::pragma_sync_normal);
  if (!r)
    return r;
  auto sync = query_text(sql::pragma_synchronous);
  if (!sync)
    return sync.err();
  const char* want_sync = opts.sync == sync_mode::full ? "2" : "1";
  if (*sync != want_sync)
    return fail(errc::db_error, "synchronous not applied (got " + *sync + ")");
  if (opts.cache_size_kib > 0) {
    auto q = sql::pragma_cache_size_kib + std::to_string(opts.cache_size_kib);
    if (auto c = exec(db, q.c_str()); !c)
      return c;
  }
  if (opts.wal_autocheckpoint > 0) {
    auto q = sql::pragma_wal_autocheckpoint + std::to_string(opts.wal_autocheckpoint);
    if (auto c = exec(db, q.c_str()); !c)
      return c;
  }
  return {};
}

/// Creates our schema (IF NOT EXISTS) in one transaction and records the version plus, the first
/// time, what the cloud held when we adopted it (the prototype baseline replay checks against).
result<void> install_schema(sqlite3* db) {
  auto r = exec(db, sql::begin_immediate);
  if (!r)
    return r;
  auto fail_rb = [db](error e) -> result<void> {
    (void)exec(db, sql::rollback);
    return e;
  };
  for (const char* ddl : sql::ddl)
    if (auto d = exec(db, ddl); !d)
      return fail_rb(d.err());
  auto get = prepare(db, sql::meta_get);
  if (!get)
    return fail_rb(get.err());
  bind_text(get->get(), 1, "schema_version");
  int rc = sqlite3_step(get->get());
  if (rc == SQLITE_DONE) {
    auto snap = prepare(db, sql::adoption_snapshot);
    if (!snap)
      return fail_rb(snap.err());
    if ((rc = sqlite3_step(snap->get())) != SQLITE_ROW)
      return fail_rb(sqlite_error(db, rc, "adoption snapshot"));
    auto put = prepare(db, sql::meta_put);
    if (!put)
      return fail_rb(put.err());
    std::pair<const char*, std::string> kv[] = {
      {"schema_version", std::to_string(sql::schema_version)},
      {"adopted_sonnet_count", std::to_string(sqlite3_column_int64(snap->get(), 0))},
      {"adopted_max_id", std::to_string(sqlite3_column_int64(snap->get(), 1))},
      {"adopted_trigram_rows", std::to_string(sqlite3_column_int64(snap->get(), 2))},
      {"adopted_trigram_sum", std::to_string(sqlite3_column_int64(snap->get(), 3))},
    };
    for (auto& [k, v] : kv) {
      reset_guard g{put->get()};
      bind_text(put->get(), 1, k);
      bind_text(put->get(), 2, v);
      if ((rc = sqlite3_step(put->get())) != SQLITE_DONE)
        return fail_rb(sqlite_error(db, rc, "writing meta"));
    }
  } else if (rc != SQLITE_ROW) {
    return fail_rb(sqlite_error(db, rc, "reading meta"));
  }
  get->reset();
  return exec(db, sql::commit);
}

} // namespace

result<std::unique_ptr<sqlite_store>> sqlite_store::open(const std::string& path,
                                                         const sqlite_options& opts) {
  const bool in_memory = path == ":memory:";
  // 1. File-level checks, before SQLite touches anything.
  auto pre = precheck_file(path, opts.mode);
  if (!pre)
    return pre.err();
  // 2. Open. Without SQLITE_OPEN_CREATE unless the file is new: an existing file is never
  //    created/truncated, and read_only never writes.
  int flags = SQLITE_OPEN_NOMUTEX;
  if (opts.mode == open_mode::read_only)
    flags |= SQLITE_OPEN_READONLY;
  else
    flags |= SQLITE_OPEN_READWRITE | (pre->exists ? 0 : SQLITE_OPEN_CREATE);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_ptr db{raw};
  if (rc != SQLITE_OK)
    return sqlite_error(raw, rc, "cannot open '" + path + "'", errc::db_open_failed);
  sqlite3_extended_result_codes(raw, 1);
  // 3. Validate the schema (reads only).
  auto v = validate_schema(raw, path);
  if (!v)
    return v.err();
  if (v->fresh && opts.mode == open_mode::read_only)
    return fail(errc::not_a_sonnet_cloud, path + ": empty database, no sonnet tables (read-only)");
  // 4. Only now write: pragmas, then our schema.
  if (auto c = configure(raw, opts, in_memory); !c)
    return c.err();
  if (opts.mode == open_mode::read_write)
    if (auto s = install_schema(raw); !s)
      return s.err();
  auto p = std::make_unique<impl>();
  p->path = path;
  p->opts = opts;
  p->db = std::move(db);
  if (auto r = p->prepare_all(); !r)
    return r.err();
  if (auto r = p->load_vocabulary(); !r)
    return r.err();
  return std::unique_ptr<sqlite_store>(new sqlite_store(std::move(p)));
}

/// Writes one sonnet's rows inside the caller's transaction. @returns its id.
result<int64_t> sqlite_store::impl::write_rows(const sonnet_input& s,
                                               const text::sonnet_rows& rows) {
  sqlite3* h = db.get();
  int64_t id = 0;
  { // the sonnets row, exactly as the prototype writes it
    auto st = insert_sonnet.get();
    reset_guard g{st};
    bind_text(st, 1, s.text);
    bind_real(st, 2, s.quality);
    bind_real(st, 3, s.dissonance);
    bind_real(st, 4, s.temperature);
    bind_text(st, 5, s.added_by);
    sqlite3_bind_int64(st, 6, rows.word_count);
    sqlite3_bind_int64(st, 7, static_cast<int64_t>(rows.lines.size()));
    if (auto r = step_done(st, "insert sonnet"); !r)
      return r.err();
    id = sqlite3_last_insert_rowid(h);
  }
  for (const auto& line : rows.lines) {
    auto st = insert_line.get();
    reset_guard g{st};
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, line.line_num);
    bind_text(st, 3, line.text);
    sqlite3_bind_int(st, 4, line.syllables);
    if (auto r = step_done(st, "insert line"); !r)
      return r.err();
  }
  for (const auto& t : rows.trigrams) {
    auto st = upsert_trigram.get();
    reset_guard g{st};
    bind_text(st, 1, t[0]);
    bind_text(st, 2, t[1]);
    bind_text(st, 3, t[2]);
    if (auto r = step_done(st, "upsert trigram"); !r)
      return r.err();
  }
  {
    auto st = insert_input.get();
    reset_guard g{st};
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, s.user_input);
    sqlite3_bind_int64(st, 3, static_cast<int64_t>(s.seed));
    if (auto r = step_done(st, "insert sonnet_inputs"); !r)
      return r.err();
  }
  return id;
}

void sqlite_store::impl::remember(const text::sonnet_rows& rows) {
  text::add_to_vocabulary(vocab, rows.trigrams);
  for (const auto& t : rows.trigrams)
    first_words.insert(t[0]);
}

result<int64_t> sqlite_store::add(const sonnet_input& s) {
  auto& d = *impl_;
  if (!d.writable())
    return fail(errc::db_read_only, d.path + ": store opened read-only");
  const auto rows = text::derive_rows(s.text);
  transaction tx{d.db.get(), d.begin.get(), d.commit.get(), d.rollback.get()};
  if (!tx.ok())
    return tx.begin_error();
  auto id = d.write_rows(s, rows);
  if (!id)
    return id.err();
  if (auto r = tx.commit(); !r)
    return r.err();
  d.remember(rows); // committed: only now does the in-memory vocabulary move
  return id;
}

result<std::vector<int64_t>> sqlite_store::add_batch(const std::vector<sonnet_input>& batch) {
  auto& d = *impl_;
  if (!d.writable())
    return fail(errc::db_read_only, d.path + ": store opened read-only");
  std::vector<text::sonnet_rows> rows;
  rows.reserve(batch.size());
  for (const auto& s : batch)
    rows.push_back(text::derive_rows(s.text));
  transaction tx{d.db.get(), d.begin.get(), d.commit.get(), d.rollback.get()};
  if (!tx.ok())
    return tx.begin_error();
  std::vector<int64_t> ids;
  ids.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto id = d.write_rows(batch[i], rows[i]);
    if (!id)
      return id.err();
    ids.push_back(*id);
  }
  if (auto r = tx.commit(); !r)
    return r.err();
  for (const auto& r : rows)
    d.remember(r);
  return ids;
}

result<cloud_stats> sqlite_store::stats() const {
  auto& d = *impl_;
  auto st = d.select_stats.get();
  reset_guard g{st};
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return sqlite_error(d.db.get(), rc, "stats");
  cloud_stats out;
  out.sonnet_count = sqlite3_column_int64(st, 0);
  out.avg_quality = sqlite3_column_double(st, 1);
  out.avg_dissonance = sqlite3_column_double(st, 2);
  out.vocab_size = static_cast<int64_t>(d.first_words.size());
  return out;
}

result<std::vector<stored_sonnet>> sqlite_store::recent(int64_t n) const {
  auto st = impl_->select_recent.get();
  reset_guard g{st};
  sqlite3_bind_int64(st, 1, n);
  return impl_->read_all(st, "recent");
}

result<std::vector<stored_sonnet>> sqlite_store::best(int64_t n, double min_quality) const {
  auto st = impl_->select_best.get();
  reset_guard g{st};
  bind_real(st, 1, min_quality);
  sqlite3_bind_int64(st, 2, n);
  return impl_->read_all(st, "best");
}

result<stored_sonnet> sqlite_store::get(int64_t id) const {
  auto st = impl_->select_one.get();
  reset_guard g{st};
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE)
    return fail(errc::no_such_sonnet, "no sonnet with id " + std::to_string(id));
  if (rc != SQLITE_ROW)
    return sqlite_error(impl_->db.get(), rc, "get");
  return impl::read_row(st);
}

const text::vocabulary& sqlite_store::vocabulary() const {
  return impl_->vocab;
}

result<std::unique_ptr<store>> open_sqlite(const std::string& path, const sqlite_options& opts) {
  auto s = sqlite_store::open(path, opts);
  if (!s)
    return s.err();
  return std::unique_ptr<store>(std::move(*s));
}

result<std::unique_ptr<store>> open_sqlite(const std::string& path, open_mode mode) {
  sqlite_options opts;
  opts.mode = mode;
  return open_sqlite(path, opts);
}

} // namespace sonnet::persistence
