#include "persistence/sqlite_store.hpp"

#include "persistence/open_check.hpp"
#include "persistence/schema.hpp"
#include "persistence/sqlite_util.hpp"
#include "text/sonnet_rows.hpp"

#include <sys/stat.h>

#include <chrono>
#include <thread>
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
  stmt_ptr select_stats, select_recent, select_best, select_one, select_by_text;
  stmt_ptr select_trigram_words, select_max_trigram_id, select_origin;
  stmt_ptr select_id_range, select_series;

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
  /// Every trigram row with an id up to this one is in `vocab` (ours or another writer's).
  int64_t seen_trigram_id = 0;
  /// The file opened, to notice it being deleted or replaced before we commit into it.
  bool has_identity = false;
  dev_t dev = 0;
  ino_t ino = 0;

  bool writable() const { return opts.mode == open_mode::read_write; }

  result<void> prepare_all();
  result<int64_t> write_rows(const sonnet_input& s, const text::sonnet_rows& rows,
                             double dissonance);
  /// The shared write path: one transaction, caught up, each sonnet judged (or its given
  /// dissonance kept) against the vocabulary including the batch's earlier sonnets.
  result<std::vector<judged_sonnet>> write_batch(const std::vector<sonnet_input>& batch,
                                                 bool judge);
  /// errc::db_replaced when `path` no longer names the file we opened.
  result<void> check_identity() const;

  /// Reads the trigram rows committed since the last catch-up into the vocabulary.
  result<void> catch_up() {
    auto st = select_trigram_words.get();
    reset_guard g{st};
    sqlite3_bind_int64(st, 1, seen_trigram_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      auto w1 = column_text(st, 1);
      vocab.insert(w1);
      vocab.insert(column_text(st, 2));
      vocab.insert(column_text(st, 3));
      first_words.insert(std::move(w1));
      // Advanced row by row: a failure half-way keeps what was read (committed rows) and the
      // next catch-up resumes after it.
      seen_trigram_id = sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_DONE)
      return sqlite_error(db.get(), rc, "reading the vocabulary");
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
  {&impl::select_by_text, sql::select_by_text, false},
  {&impl::select_trigram_words, sql::select_trigram_words, false},
  {&impl::select_max_trigram_id, sql::select_max_trigram_id, true},
  {&impl::select_id_range, sql::select_id_range, false},
  {&impl::select_series, sql::select_series, false},
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
    impl_->select_origin.reset();
  }
}

const std::string& sqlite_store::path() const {
  return impl_->path;
}

namespace {

/// Sets and reads back the journal mode, synchronous level and busy timeout.
/// (read_write only; busy_timeout is set at open, before any statement.)
result<void> configure(sqlite3* db, const sqlite_options& opts, bool in_memory) {
  auto query_text = [db](const char* q) -> result<std::string> {
    auto s = prepare(db, q);
    if (!s)
      return s.err();
    int rc = sqlite3_step(s->get());
    if (rc != SQLITE_ROW)
      return sqlite_error(db, rc, q);
    return column_text(s->get(), 0);
  };
  // Switching to WAL needs an exclusive lock while this connection reads: SQLite then fails at
  // once instead of calling the busy handler (deadlock avoidance), so retry here, within the
  // same busy timeout. A file already in WAL mode (the usual case) needs no switch.
  auto jm = query_text(sql::pragma_journal_mode);
  if (!jm)
    return jm.err();
  const auto until =
    std::chrono::steady_clock::now() + std::chrono::milliseconds(opts.busy_timeout_ms);
  while (!in_memory && *jm != "wal") {
    jm = query_text(sql::pragma_wal);
    if (jm || jm.err().code != errc::db_locked || std::chrono::steady_clock::now() >= until)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    jm = std::string(); // locked: try again
  }
  if (in_memory)
    jm = query_text(sql::pragma_wal);
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
/// Validates again under the write lock: another process may have created the file meanwhile.
result<void> install_schema(sqlite3* db, const std::string& path) {
  auto r = exec(db, sql::begin_immediate);
  if (!r)
    return r;
  auto fail_rb = [db](error e) -> result<void> {
    (void)exec(db, sql::rollback);
    return e;
  };
  if (auto v = validate_schema(db, path); !v)
    return fail_rb(v.err());
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
  //    created/truncated, and read_only never writes. busy_timeout comes first: another
  //    process may be creating or writing the file right now.
  db_ptr db;
  if (opts.mode == open_mode::read_only && !in_memory) {
    auto r = open_for_reading(path, *pre, opts.busy_timeout_ms);
    if (!r)
      return r.err();
    db = std::move(*r);
  } else {
    int flags = SQLITE_OPEN_NOMUTEX;
    if (opts.mode == open_mode::read_only)
      flags |= SQLITE_OPEN_READONLY;
    else
      flags |= SQLITE_OPEN_READWRITE | (pre->exists ? 0 : SQLITE_OPEN_CREATE);
    sqlite3* h = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &h, flags, nullptr);
    db.reset(h);
    if (rc != SQLITE_OK)
      return sqlite_error(h, rc, "cannot open '" + path + "'", errc::db_open_failed);
    sqlite3_extended_result_codes(h, 1);
    sqlite3_busy_timeout(h, opts.busy_timeout_ms);
  }
  sqlite3* raw = db.get();
  // 3. Validate the schema (reads only).
  auto v = validate_schema(raw, path);
  if (!v)
    return v.err();
  if (v->fresh && opts.mode == open_mode::read_only)
    return fail(errc::not_a_sonnet_cloud, path + ": empty database, no sonnet tables (read-only)");
  // 4. Only now write: pragmas, then our schema.
  if (opts.mode == open_mode::read_write) {
    if (auto c = configure(raw, opts, in_memory); !c)
      return c.err();
    if (auto s = install_schema(raw, path); !s)
      return s.err();
  }
  auto p = std::make_unique<impl>();
  p->path = path;
  p->opts = opts;
  p->db = std::move(db);
  if (auto r = p->prepare_all(); !r)
    return r.err();
  if (!in_memory) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return fail(errc::db_replaced, path + ": gone right after opening");
    p->has_identity = true;
    p->dev = st.st_dev;
    p->ino = st.st_ino;
  }
  if (auto r = p->catch_up(); !r)
    return r.err();
  return std::unique_ptr<sqlite_store>(new sqlite_store(std::move(p)));
}

/// Writes one sonnet's rows inside the caller's transaction. @returns its id.
result<int64_t> sqlite_store::impl::write_rows(const sonnet_input& s, const text::sonnet_rows& rows,
                                               double dissonance) {
  sqlite3* h = db.get();
  int64_t id = 0;
  { // the sonnets row, exactly as the prototype writes it
    auto st = insert_sonnet.get();
    reset_guard g{st};
    bind_text(st, 1, s.text);
    bind_real(st, 2, s.quality);
    bind_real(st, 3, dissonance);
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
    bind_seed(st, 3, s.seed);
    if (auto r = step_done(st, "insert sonnet_inputs"); !r)
      return r.err();
  }
  return id;
}

result<void> sqlite_store::impl::check_identity() const {
  if (!has_identity)
    return {};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return fail(errc::db_replaced, path
                                     + ": the cloud file was deleted while open; not writing "
                                       "into the unlinked file");
  if (st.st_dev != dev || st.st_ino != ino)
    return fail(errc::db_replaced, path
                                     + ": the cloud file was replaced by another file while "
                                       "open; not writing into the old one");
  return {};
}

result<std::vector<judged_sonnet>>
sqlite_store::impl::write_batch(const std::vector<sonnet_input>& batch, bool judge) {
  if (!writable())
    return fail(errc::db_read_only, path + ": store opened read-only");
  if (auto r = check_identity(); !r)
    return r.err();
  std::vector<text::sonnet_rows> rows;
  rows.reserve(batch.size());
  for (const auto& s : batch)
    rows.push_back(text::derive_rows(s.text));
  transaction tx{db.get(), begin.get(), commit.get(), rollback.get()};
  if (!tx.ok())
    return tx.begin_error();
  // Under the write lock nobody else commits: what we read now is the cloud before our batch.
  if (auto r = catch_up(); !r)
    return r.err();
  // The batch's words, taken back out of the vocabulary unless it commits.
  std::vector<std::string> added, added_first;
  auto undo = [&] {
    for (const auto& w : added)
      vocab.erase(w);
    for (const auto& w : added_first)
      first_words.erase(w);
  };
  std::vector<judged_sonnet> out;
  out.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    judged_sonnet js;
    if (judge)
      js.j = text::compute_dissonance(batch[i].user_input, batch[i].text, vocab);
    else
      js.j.dissonance = batch[i].dissonance;
    auto id = write_rows(batch[i], rows[i], js.j.dissonance);
    if (!id) {
      undo();
      return id.err();
    }
    js.id = *id;
    out.push_back(js);
    for (const auto& t : rows[i].trigrams) {
      for (const auto& w : t)
        if (vocab.insert(w).second)
          added.push_back(w);
      if (first_words.insert(t[0]).second)
        added_first.push_back(t[0]);
    }
  }
  int64_t last_trigram = seen_trigram_id;
  {
    auto st = select_max_trigram_id.get();
    reset_guard g{st};
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
      undo();
      return sqlite_error(db.get(), rc, "max trigram id");
    }
    last_trigram = sqlite3_column_int64(st, 0);
  }
  auto committed = check_identity();
  if (committed)
    committed = tx.commit();
  if (!committed) {
    undo();
    return committed.err();
  }
  seen_trigram_id = last_trigram;
  return out;
}

result<int64_t> sqlite_store::add(const sonnet_input& s) {
  auto r = impl_->write_batch({s}, false);
  if (!r)
    return r.err();
  return r->front().id;
}

result<std::vector<int64_t>> sqlite_store::add_batch(const std::vector<sonnet_input>& batch) {
  auto r = impl_->write_batch(batch, false);
  if (!r)
    return r.err();
  std::vector<int64_t> ids;
  ids.reserve(r->size());
  for (const auto& x : *r)
    ids.push_back(x.id);
  return ids;
}

result<std::vector<judged_sonnet>>
sqlite_store::judge_and_add(const std::vector<sonnet_input>& batch) {
  return impl_->write_batch(batch, true);
}

result<text::judgement> sqlite_store::judge(const std::string& user_input,
                                            const std::string& sonnet) {
  if (auto r = impl_->catch_up(); !r)
    return r.err();
  return text::compute_dissonance(user_input, sonnet, impl_->vocab);
}

result<sonnet_origin> sqlite_store::origin(int64_t id) const {
  if (!impl_->select_origin) { // prepared on first use: a prototype cloud read-only has no table
    auto p = prepare(impl_->db.get(), sql::select_origin);
    if (!p)
      return fail(errc::no_such_sonnet,
                  "no sonnet_inputs for id " + std::to_string(id) + " (" + p.err().message + ")");
    impl_->select_origin = std::move(*p);
  }
  auto st = impl_->select_origin.get();
  reset_guard g{st};
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE)
    return fail(errc::no_such_sonnet, "no sonnet_inputs row for id " + std::to_string(id));
  if (rc != SQLITE_ROW)
    return sqlite_error(impl_->db.get(), rc, "origin");
  return sonnet_origin{column_text(st, 0), column_seed(st, 1)};
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
  if (auto r = d.catch_up(); !r) // vocab_size counts other writers' words too
    return r.err();
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

result<int64_t> sqlite_store::find_text(const std::string& text) const {
  auto st = impl_->select_by_text.get();
  reset_guard g{st};
  bind_text(st, 1, text);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return sqlite_error(impl_->db.get(), rc, "find_text");
  return sqlite3_column_int64(st, 0); // NULL (no match) reads as 0
}

result<cloud_series> sqlite_store::series(int64_t points) const {
  auto& d = *impl_;
  int64_t lo = 0, hi = 0;
  {
    auto st = d.select_id_range.get();
    reset_guard g{st};
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
      return sqlite_error(d.db.get(), rc, "series");
    lo = sqlite3_column_int64(st, 0);
    hi = sqlite3_column_int64(st, 1);
  }
  cloud_series out;
  out.bucket_width = series_bucket_width(lo, hi, points);
  auto st = d.select_series.get();
  reset_guard g{st};
  sqlite3_bind_int64(st, 1, lo);
  sqlite3_bind_int64(st, 2, out.bucket_width);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    series_bucket b{
      sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
      column_real(st, 3),          column_real(st, 4),          column_real(st, 5),
      column_real(st, 6),          column_real(st, 7),          column_real(st, 8)};
    // Rows another writer committed between the two statements may lie past `hi`: they get
    // buckets of their own, still in id order.
    out.sonnet_count += b.count;
    out.buckets.push_back(b);
  }
  if (rc != SQLITE_DONE)
    return sqlite_error(d.db.get(), rc, "series");
  return out;
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
