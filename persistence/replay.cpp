#include "persistence/replay.hpp"

#include "persistence/open_check.hpp"
#include "persistence/schema.hpp"
#include "persistence/sqlite_util.hpp"
#include "text/sonnet_rows.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <unordered_map>

namespace sonnet::persistence {

using namespace detail;

namespace {

struct trigram_hash {
  size_t operator()(const text::trigram& t) const {
    std::hash<std::string> h;
    size_t x = h(t[0]);
    x = x * 1000003u ^ h(t[1]);
    return x * 1000003u ^ h(t[2]);
  }
};
using count_map = std::unordered_map<text::trigram, int64_t, trigram_hash>;

struct ours_row {
  int64_t id;
  std::string text;
  double dissonance;
  int64_t line_count;
  std::string user_input;
  uint64_t seed;
  std::vector<text::trigram> trigrams;
};

/// The distinct words of one trigram (1 to 3).
template <class F>
void for_distinct_words(const text::trigram& t, F f) {
  f(t[0]);
  if (t[1] != t[0])
    f(t[1]);
  if (t[2] != t[0] && t[2] != t[1])
    f(t[2]);
}

result<std::string> meta_value(sqlite3* db, const char* key, bool& found) {
  found = false;
  auto s = prepare(db, sql::meta_get);
  if (!s)
    return s.err();
  bind_text(s->get(), 1, key);
  int rc = sqlite3_step(s->get());
  if (rc == SQLITE_ROW) {
    found = true;
    return column_text(s->get(), 0);
  }
  if (rc != SQLITE_DONE)
    return sqlite_error(db, rc, "reading meta");
  return std::string();
}

/// Parses a meta value written by us; garbage reads as -1 (never equal to a real count).
int64_t to_int(const std::string& s) {
  try {
    size_t used = 0;
    auto v = std::stoll(s, &used);
    return used == s.size() ? v : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

// --- final trigram counts ------------------------------------------------------------------------

result<count_map> read_trigram_counts(sqlite3* raw) {
  count_map counts;
  auto s = prepare(raw, sql::replay_trigrams);
  if (!s)
    return s.err();
  int rc;
  while ((rc = sqlite3_step(s->get())) == SQLITE_ROW)
    counts[{column_text(s->get(), 0), column_text(s->get(), 1), column_text(s->get(), 2)}] +=
      sqlite3_column_int64(s->get(), 3);
  if (rc != SQLITE_DONE)
    return sqlite_error(raw, rc, "reading trigrams");
  return counts;
}

/// A pure prototype cloud: nothing of ours to replay, only its sonnets to count.
result<replay_report> prototype_report(sqlite3* raw) {
  replay_report rep;
  auto s = prepare(raw, "SELECT COUNT(*) FROM sonnets");
  if (!s)
    return s.err();
  if (int rc = sqlite3_step(s->get()); rc != SQLITE_ROW)
    return sqlite_error(raw, rc, "counting sonnets");
  rep.foreign_sonnets = sqlite3_column_int64(s->get(), 0);
  rep.notes.push_back("no sonnet_inputs table: a prototype cloud, nothing to replay");
  return rep;
}

// --- our sonnets ---------------------------------------------------------------------------------

result<std::vector<ours_row>> read_our_sonnets(sqlite3* raw) {
  std::vector<ours_row> ours;
  auto s = prepare(raw, sql::replay_ours);
  if (!s)
    return s.err();
  int rc;
  while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
    ours_row r;
    r.id = sqlite3_column_int64(s->get(), 0);
    r.text = column_text(s->get(), 1);
    r.dissonance = column_real(s->get(), 2);
    r.line_count = sqlite3_column_int64(s->get(), 3);
    r.user_input = column_text(s->get(), 4);
    r.seed = column_seed(s->get(), 5);
    r.trigrams = text::trigrams(r.text);
    ours.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE)
    return sqlite_error(raw, rc, "reading sonnets");
  return ours;
}

/// Counts the prototype's sonnets into `rep`; returns the largest prototype id.
result<int64_t> count_foreign_sonnets(sqlite3* raw, replay_report& rep) {
  auto s = prepare(raw, sql::replay_foreign);
  if (!s)
    return s.err();
  if (int rc = sqlite3_step(s->get()); rc != SQLITE_ROW)
    return sqlite_error(raw, rc, "counting foreign sonnets");
  rep.foreign_sonnets = sqlite3_column_int64(s->get(), 0);
  return sqlite3_column_int64(s->get(), 1);
}

result<void> note_orphan_inputs(sqlite3* raw, replay_report& rep) {
  auto s = prepare(raw, sql::replay_orphan_inputs);
  if (!s)
    return s.err();
  if (int rc = sqlite3_step(s->get()); rc != SQLITE_ROW)
    return sqlite_error(raw, rc, "counting orphan inputs");
  if (auto n = sqlite3_column_int64(s->get(), 0); n > 0)
    rep.notes.push_back(std::to_string(n) + " sonnet_inputs rows without a sonnet");
  return {};
}

// --- trigram counts: stored == baseline + recount(ours) ------------------------------------------

/// What meta recorded when we adopted a prototype cloud (all absent for a cloud we created).
struct adoption_meta {
  bool found_sum = false, found_rows = false, found_max = false;
  std::string sum, rows, max_id;
};

result<adoption_meta> read_adoption_meta(sqlite3* raw) {
  adoption_meta m;
  auto sum = meta_value(raw, "adopted_trigram_sum", m.found_sum);
  auto rows = meta_value(raw, "adopted_trigram_rows", m.found_rows);
  auto max_id = meta_value(raw, "adopted_max_id", m.found_max);
  if (!sum)
    return sum.err();
  if (!rows)
    return rows.err();
  if (!max_id)
    return max_id.err();
  m.sum = std::move(*sum);
  m.rows = std::move(*rows);
  m.max_id = std::move(*max_id);
  return m;
}

/// Stored minus recounted occurrences, over the rows where that is positive.
struct residual_counts {
  int64_t sum = 0, rows = 0;
};

/// Records every row whose stored count cannot be baseline + recount (sorted by trigram);
/// returns what the baseline must account for.
residual_counts compare_trigram_counts(const count_map& counts, const count_map& recount,
                                       replay_report& rep) {
  residual_counts res;
  for (const auto& [key, stored] : counts) {
    auto i = recount.find(key);
    int64_t mine = i == recount.end() ? 0 : i->second;
    int64_t residual = stored - mine;
    if (residual > 0) {
      res.sum += residual;
      ++res.rows;
    }
    if (residual < 0 || (residual > 0 && rep.foreign_sonnets == 0))
      rep.trigram_mismatches.push_back({key, stored, mine});
  }
  for (const auto& [key, mine] : recount)
    if (counts.count(key) == 0)
      rep.trigram_mismatches.push_back({key, 0, mine});
  std::sort(rep.trigram_mismatches.begin(), rep.trigram_mismatches.end(),
            [](const trigram_mismatch& a, const trigram_mismatch& b) { return a.key < b.key; });
  return res;
}

result<void> check_trigram_counts(sqlite3* raw, const count_map& counts,
                                  const std::vector<ours_row>& ours, int64_t foreign_max_id,
                                  replay_report& rep) {
  count_map recount;
  for (const auto& r : ours)
    for (const auto& t : r.trigrams)
      ++recount[t];
  auto meta = read_adoption_meta(raw);
  if (!meta)
    return meta.err();
  auto res = compare_trigram_counts(counts, recount, rep);
  if (meta->found_sum && meta->found_rows) {
    auto want_sum = to_int(meta->sum);
    auto want_rows = to_int(meta->rows);
    if (res.sum != want_sum || res.rows != want_rows)
      rep.baseline_mismatch = "stored minus recount leaves " + std::to_string(res.sum)
                              + " occurrences in " + std::to_string(res.rows)
                              + " rows; the cloud held " + std::to_string(want_sum) + " in "
                              + std::to_string(want_rows) + " rows when adopted";
  }
  if (meta->found_max && foreign_max_id > to_int(meta->max_id))
    rep.notes.push_back("prototype sonnets were added after adoption (max id "
                        + std::to_string(foreign_max_id) + " > " + meta->max_id
                        + "): their trigrams count as baseline for every replayed sonnet");
  return {};
}

// --- lines ---------------------------------------------------------------------------------------

result<void> check_lines(sqlite3* raw, const std::vector<ours_row>& ours, replay_report& rep) {
  std::unordered_map<int64_t, int64_t> stored_lines;
  auto s = prepare(raw, sql::replay_lines);
  if (!s)
    return s.err();
  int rc;
  while ((rc = sqlite3_step(s->get())) == SQLITE_ROW)
    stored_lines[sqlite3_column_int64(s->get(), 0)] = sqlite3_column_int64(s->get(), 1);
  if (rc != SQLITE_DONE)
    return sqlite_error(raw, rc, "counting lines");
  for (const auto& r : ours) {
    auto derived = static_cast<int64_t>(text::derive_rows(r.text).lines.size());
    auto i = stored_lines.find(r.id);
    int64_t have = i == stored_lines.end() ? 0 : i->second;
    if (have != r.line_count || derived != r.line_count)
      rep.lines_mismatches.push_back({r.id, r.line_count, have, derived});
  }
  return {};
}

// --- dissonance, walking ids downwards from the final cloud ---------------------------------------

/// Consumes `counts`: each sonnet's trigrams are subtracted once it has been checked.
void check_dissonance(count_map& counts, const std::vector<ours_row>& ours, replay_report& rep) {
  std::unordered_map<std::string, int64_t> refs; // trigram rows with count > 0 holding the word
  for (const auto& [key, c] : counts)
    if (c > 0)
      for_distinct_words(key, [&](const std::string& w) { ++refs[w]; });
  text::vocabulary vocab;
  vocab.reserve(refs.size());
  for (const auto& [w, n] : refs)
    vocab.insert(w);
  std::vector<dissonance_mismatch> found;
  for (auto it = ours.rbegin(); it != ours.rend(); ++it) {
    for (const auto& t : it->trigrams) {
      auto c = counts.find(t);
      if (c == counts.end() || c->second <= 0)
        continue; // already reported as a trigram mismatch
      if (--c->second == 0)
        for_distinct_words(t, [&](const std::string& w) {
          if (--refs[w] == 0)
            vocab.erase(w);
        });
    }
    auto j = text::compute_dissonance(it->user_input, it->text, vocab);
    if (!std::isnan(it->dissonance))
      rep.max_abs_diff = std::max(rep.max_abs_diff, std::fabs(it->dissonance - j.dissonance));
    if (!(it->dissonance == j.dissonance))
      found.push_back({it->id, it->dissonance, j.dissonance, it->seed});
  }
  rep.mismatches.assign(found.rbegin(), found.rend());
}

} // namespace

result<replay_report> replay(const std::string& path) {
  auto pre = precheck_file(path, open_mode::read_only);
  if (!pre)
    return pre.err();
  auto db = open_for_reading(path, *pre, 5000);
  if (!db)
    return db.err();
  sqlite3* raw = db->get();
  // One read transaction: every query below sees the same snapshot while writers go on.
  if (auto b = exec(raw, "BEGIN"); !b)
    return b.err();
  struct end_read {
    sqlite3* h;
    ~end_read() { sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr); }
  } end{raw};
  auto schema = validate_schema(raw, path);
  if (!schema)
    return schema.err();
  if (schema->fresh)
    return fail(errc::not_a_sonnet_cloud, path + ": empty database, no sonnet tables");

  auto counts = read_trigram_counts(raw);
  if (!counts)
    return counts.err();
  if (!schema->has_own_tables)
    return prototype_report(raw);
  replay_report rep;
  auto ours = read_our_sonnets(raw);
  if (!ours)
    return ours.err();
  rep.sonnets_checked = static_cast<int64_t>(ours->size());
  auto foreign_max_id = count_foreign_sonnets(raw, rep);
  if (!foreign_max_id)
    return foreign_max_id.err();
  if (auto r = note_orphan_inputs(raw, rep); !r)
    return r.err();
  if (auto r = check_trigram_counts(raw, *counts, *ours, *foreign_max_id, rep); !r)
    return r.err();
  if (auto r = check_lines(raw, *ours, rep); !r)
    return r.err();
  check_dissonance(*counts, *ours, rep);
  return rep;
}

} // namespace sonnet::persistence
