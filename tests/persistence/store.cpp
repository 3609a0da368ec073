#define BOOST_TEST_MODULE persistence
#include "fixtures.hpp"

#include "persistence/memory_store.hpp"
#include "persistence/sqlite_store.hpp"
#include "text/sonnet_rows.hpp"

#include <cmath>
#include <limits>

using namespace sonnet;
using namespace sonnet::persistence;
using namespace sonnet::persistence::test;

namespace {

const double nan_v = std::numeric_limits<double>::quiet_NaN();

bool same_real(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

bool close_real(double a, double b) {
  return std::fabs(a - b) <= 1e-12 * std::max(1.0, std::fabs(a));
}

// --- value comparison (timestamps differ between the two stores by construction) ------------

bool same_value(int64_t a, int64_t b) {
  return a == b;
}
bool same_value(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  return a == b;
}

bool same_value(const cloud_stats& a, const cloud_stats& b) {
  // SQLite's AVG may sum in index order: compare the averages with a tolerance (spec §2.6).
  return a.sonnet_count == b.sonnet_count && close_real(a.avg_quality, b.avg_quality)
         && close_real(a.avg_dissonance, b.avg_dissonance) && a.vocab_size == b.vocab_size;
}

bool same_value(const stored_sonnet& a, const stored_sonnet& b) {
  return a.id == b.id && a.text == b.text && same_real(a.quality, b.quality)
         && same_real(a.dissonance, b.dissonance) && same_real(a.temperature, b.temperature)
         && a.added_by == b.added_by && std::fabs(a.timestamp - b.timestamp) < 1.0 / 1440;
}

bool same_value(const std::vector<stored_sonnet>& a, const std::vector<stored_sonnet>& b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same_value(a[i], b[i]))
      return false;
  return true;
}

template <class T>
bool same(const result<T>& a, const result<T>& b) {
  if (a.ok() != b.ok())
    return false;
  return a.ok() ? same_value(*a, *b) : a.err().code == b.err().code;
}

template <class T>
std::string describe(const result<T>& r) {
  if (!r)
    return std::string("error ") + to_string(r.err().code) + ": " + r.err().message;
  return "ok";
}

/// Runs the same call on the memory twin and on SQLite; fails naming the expression.
struct differential {
  std::unique_ptr<store> mem = make_memory_store();
  std::unique_ptr<store> sql;

  explicit differential(const std::string& path) {
    auto s = open_sqlite(path);
    BOOST_REQUIRE_MESSAGE(s, describe(s));
    sql = std::move(*s);
  }

  template <class F>
  auto run(const char* expr, int line, F f) {
    auto a = f(*mem);
    auto b = f(*sql);
    if (!same(a, b))
      BOOST_ERROR("RUN(" << expr << ") at line " << line << " differs: memory " << describe(a)
                         << ", sqlite " << describe(b));
    return a;
  }
};

/// RUN(call) checks both stores agree; RUN_VALUE(call) also yields the memory result.
#define RUN_VALUE(expr) d.run(#expr, __LINE__, [&](store& s) { return s.expr; })
#define RUN(expr) (void)RUN_VALUE(expr)

/// A sequence of adds and queries, with awkward texts and values mixed in.
void differential_sequence(differential& d) {
  sonnet_maker mk{42};
  const std::vector<std::string> odd = {
    "",
    "two words",
    "alpha beta gamma",
    "  leading and trailing  \n\n",
    "line one\r\nline two\r\nline three",
    "the\nthe\nthe\nthe",
  };
  RUN(stats());
  RUN(recent(5));
  RUN(best(5, 0.7));
  RUN(get(1));
  for (int i = 0; i < 60; ++i) {
    sonnet_input in;
    in.text = i % 10 == 3 ? odd[(i / 10) % odd.size()] : mk.sonnet(i % 7 == 0 ? 3 : 14);
    in.user_input = mk.line(1, 4);
    in.quality = i % 11 == 5 ? nan_v : std::round(mk.uniform() * 10) / 10; // ties on purpose
    in.temperature = i % 13 == 0 ? nan_v : 0.8;
    in.added_by = i % 2 ? "user" : "test";
    in.seed = mk.next();
    // Both stores must judge the new sonnet against the same vocabulary.
    BOOST_REQUIRE(d.mem->vocabulary() == d.sql->vocabulary());
    in.dissonance =
      text::compute_dissonance(in.user_input, in.text, d.mem->vocabulary()).dissonance;
    result<int64_t> id = fail(errc::db_error, "not added");
    if (i % 9 == 4 && i + 1 < 60) {
      // A group commit of two: the second judged against the vocabulary including the first.
      auto vocab = d.mem->vocabulary();
      text::add_to_vocabulary(vocab, text::trigrams(in.text));
      sonnet_input next = in;
      next.text = mk.sonnet(14);
      next.seed = mk.next();
      next.dissonance = text::compute_dissonance(next.user_input, next.text, vocab).dissonance;
      auto ids = RUN_VALUE(add_batch(std::vector<sonnet_input>{in, next}));
      BOOST_REQUIRE(ids);
      BOOST_REQUIRE_EQUAL(ids->size(), 2u);
      BOOST_CHECK_EQUAL(ids->front(), i + 1);
      BOOST_CHECK(d.mem->vocabulary() == vocab);
      ++i;
      id = ids->back();
    } else {
      id = RUN_VALUE(add(in));
    }
    BOOST_REQUIRE(id);
    BOOST_CHECK_EQUAL(*id, i + 1);
    if (i % 5 == 0) {
      RUN(stats());
      RUN(recent(3));
      RUN(recent(-1));
      RUN(recent(0));
      RUN(best(4, 0.7));
      RUN(best(-1, 0.0));
      RUN(best(-1, nan_v));
      RUN(get(*id));
      RUN(get(*id + 1));
      RUN(get(-1));
    }
  }
  RUN(stats());
  RUN(recent(-1));
  RUN(best(-1, -1.0));
  BOOST_CHECK(d.mem->vocabulary() == d.sql->vocabulary());
}

} // namespace

BOOST_AUTO_TEST_SUITE(differential_tests)

BOOST_AUTO_TEST_CASE(memory_vs_sqlite_in_memory) {
  differential d{":memory:"};
  differential_sequence(d);
}

BOOST_AUTO_TEST_CASE(memory_vs_sqlite_file_and_reopen) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  differential d{path};
  differential_sequence(d);
  // Reopen: everything read back from the file equals the twin, vocabulary included.
  d.sql.reset();
  auto re = open_sqlite(path);
  BOOST_REQUIRE(re);
  d.sql = std::move(*re);
  RUN(stats());
  RUN(recent(-1));
  RUN(best(-1, 0.0));
  BOOST_CHECK(d.mem->vocabulary() == d.sql->vocabulary());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(queries)

BOOST_AUTO_TEST_CASE(recent_ties_broken_by_id) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  auto s = open_sqlite(path);
  BOOST_REQUIRE(s);
  for (int i = 0; i < 6; ++i)
    BOOST_REQUIRE((*s)->add(text_only("sonnet number " + std::to_string(i))));
  raw_db raw{path};
  // All six share one timestamp (the prototype returns them oldest first: 1, 2, 3).
  raw.exec("UPDATE sonnets SET timestamp = 2460000.5");
  raw.exec("UPDATE sonnets SET timestamp = 2460000.25 WHERE id = 6"); // older than the rest
  auto r = (*s)->recent(3);
  BOOST_REQUIRE(r);
  BOOST_REQUIRE_EQUAL(r->size(), 3u);
  BOOST_CHECK_EQUAL((*r)[0].id, 5);
  BOOST_CHECK_EQUAL((*r)[1].id, 4);
  BOOST_CHECK_EQUAL((*r)[2].id, 3);
  auto all = (*s)->recent(-1);
  BOOST_REQUIRE(all);
  BOOST_CHECK_EQUAL(all->size(), 6u);
  BOOST_CHECK_EQUAL(all->back().id, 6);
  BOOST_CHECK_EQUAL(all->back().timestamp, 2460000.25);
  auto none = (*s)->recent(0);
  BOOST_REQUIRE(none);
  BOOST_CHECK(none->empty());
}

BOOST_AUTO_TEST_CASE(best_ordering_and_null_quality) {
  auto s = open_sqlite(":memory:");
  BOOST_REQUIRE(s);
  const double q[] = {0.7, 0.9, nan_v, 0.7, 0.69999, 0.9, 1.0};
  for (double v : q) {
    auto in = text_only("some text");
    in.quality = v;
    BOOST_REQUIRE((*s)->add(in));
  }
  auto b = (*s)->best(-1, 0.7);
  BOOST_REQUIRE(b);
  std::vector<int64_t> ids;
  for (auto& x : *b)
    ids.push_back(x.id);
  const std::vector<int64_t> want = {7, 2, 6, 1, 4}; // quality DESC, id ASC; NULL never
  BOOST_CHECK_EQUAL_COLLECTIONS(ids.begin(), ids.end(), want.begin(), want.end());
  auto two = (*s)->best(2, 0.7);
  BOOST_REQUIRE(two);
  BOOST_CHECK_EQUAL(two->size(), 2u);
  auto nul = (*s)->get(3);
  BOOST_REQUIRE(nul);
  BOOST_CHECK(std::isnan(nul->quality)); // stored as NULL, read as NaN
  auto any = (*s)->best(-1, nan_v);
  BOOST_REQUIRE(any);
  BOOST_CHECK(any->empty());
  auto st = (*s)->stats(); // AVG skips the NULL
  BOOST_REQUIRE(st);
  BOOST_CHECK_CLOSE(st->avg_quality, (0.7 + 0.9 + 0.7 + 0.69999 + 0.9 + 1.0) / 6, 1e-9);
}

BOOST_AUTO_TEST_CASE(get_missing_is_no_such_sonnet) {
  auto s = open_sqlite(":memory:");
  BOOST_REQUIRE(s);
  auto g = (*s)->get(1);
  BOOST_REQUIRE(!g);
  BOOST_CHECK(g.err().code == errc::no_such_sonnet);
  auto in = text_only("  Shall I compare thee\nto a summer's day  \n");
  in.quality = 0.25;
  in.dissonance = 0.125;
  in.temperature = nan_v;
  in.added_by = "metasonnet";
  auto id = (*s)->add(in);
  BOOST_REQUIRE(id);
  auto r = (*s)->get(*id);
  BOOST_REQUIRE(r);
  BOOST_CHECK_EQUAL(r->text, in.text); // unstripped
  BOOST_CHECK_EQUAL(r->quality, 0.25);
  BOOST_CHECK_EQUAL(r->dissonance, 0.125);
  BOOST_CHECK(std::isnan(r->temperature));
  BOOST_CHECK_EQUAL(r->added_by, "metasonnet");
  BOOST_CHECK_GT(r->timestamp, 2451545.0); // julianday, after 2000
  auto g2 = (*s)->get(*id + 1);
  BOOST_REQUIRE(!g2);
  BOOST_CHECK(g2.err().code == errc::no_such_sonnet);
}

BOOST_AUTO_TEST_CASE(add_writes_prototype_rows) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  auto s = open_sqlite(path);
  BOOST_REQUIRE(s);
  // 14 x the same 9-word line: 124 trigram occurrences in 9 distinct rows (spec §2.3).
  std::string line = "one two three four five six seven eight nine";
  std::string txt;
  for (int i = 0; i < 14; ++i)
    txt += line + "\n";
  auto in = text_only(txt);
  in.user_input = "tell me";
  in.seed = std::numeric_limits<uint64_t>::max();
  auto id = (*s)->add(in);
  BOOST_REQUIRE(id);
  raw_db raw{path};
  BOOST_CHECK_EQUAL(raw.text("SELECT text = '" + txt
                             + "', word_count, line_count, quality, "
                               "dissonance, temperature, added_by FROM sonnets"),
                    "1|126|14|0.5|0.5|0.8|user");
  BOOST_CHECK_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnet_trigrams"), 9);
  BOOST_CHECK_EQUAL(raw.scalar("SELECT SUM(count) FROM sonnet_trigrams"), 124);
  BOOST_CHECK_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnet_lines WHERE sonnet_id = 1"), 14);
  auto rows = text::derive_rows(txt);
  auto lines = raw.rows("SELECT line_num, text, syllable_count FROM sonnet_lines ORDER BY id");
  BOOST_REQUIRE_EQUAL(lines.size(), rows.lines.size());
  for (size_t i = 0; i < lines.size(); ++i)
    BOOST_CHECK_EQUAL(lines[i], std::to_string(i + 1) + "|" + rows.lines[i].text + "|"
                                  + std::to_string(rows.lines[i].syllables));
  BOOST_CHECK_EQUAL(raw.text("SELECT sonnet_id, user_input, seed FROM sonnet_inputs"),
                    "1|tell me|-1"); // uint64 max, bit for bit
  // Texts of fewer than 3 words add nothing to the vocabulary; "" is accepted (prototype).
  auto e = (*s)->add(text_only(""));
  BOOST_REQUIRE(e);
  auto two = (*s)->add(text_only("two words"));
  BOOST_REQUIRE(two);
  BOOST_CHECK_EQUAL(
    raw.text("SELECT line_count, word_count FROM sonnets WHERE id = " + std::to_string(*e)), "1|0");
  BOOST_CHECK_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnet_trigrams"), 9);
  BOOST_CHECK_EQUAL((*s)->vocabulary().size(), 9u);
}

BOOST_AUTO_TEST_CASE(stats_prototype_semantics) {
  auto s = open_sqlite(":memory:");
  BOOST_REQUIRE(s);
  auto e = (*s)->stats();
  BOOST_REQUIRE(e);
  BOOST_CHECK_EQUAL(e->sonnet_count, 0);
  BOOST_CHECK_EQUAL(e->avg_quality, 0.0);
  BOOST_CHECK_EQUAL(e->avg_dissonance, 0.0);
  BOOST_CHECK_EQUAL(e->vocab_size, 0);
  for (double q : {0.6, 0.7, 0.8}) {
    auto in = text_only("alpha beta gamma");
    in.quality = q;
    in.dissonance = nan_v;
    BOOST_REQUIRE((*s)->add(in));
  }
  auto st = (*s)->stats();
  BOOST_REQUIRE(st);
  BOOST_CHECK_EQUAL(st->sonnet_count, 3);
  BOOST_CHECK_CLOSE(st->avg_quality, 0.7, 1e-9);
  BOOST_CHECK_EQUAL(st->avg_dissonance, 0.0); // all NULL -> 0.0
  BOOST_CHECK_EQUAL(st->vocab_size, 1);       // distinct word1, not |V|
  BOOST_CHECK_EQUAL((*s)->vocabulary().size(), 3u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(atomicity)

BOOST_AUTO_TEST_CASE(rollback_on_injected_failure) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  auto s = open_sqlite(path);
  BOOST_REQUIRE(s);
  sonnet_maker mk{7};
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(judged_add(**s, mk.sonnet(), "hello"));
  raw_db raw{path};
  auto counts = [&] {
    return raw.text("SELECT (SELECT COUNT(*) FROM sonnets), (SELECT COUNT(*) FROM sonnet_lines), "
                    "(SELECT COUNT(*) FROM sonnet_trigrams), (SELECT SUM(count) FROM "
                    "sonnet_trigrams), (SELECT COUNT(*) FROM sonnet_inputs)");
  };
  auto before = counts();
  auto vocab_before = (*s)->vocabulary();
  // Fails the transaction half-way: the sonnets row and its lines are already written.
  raw.exec("CREATE TRIGGER inject BEFORE INSERT ON sonnet_trigrams "
           "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  auto fresh = mk.sonnet() + "\nunheard-of words never seen before";
  auto r = (*s)->add(text_only(fresh));
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.err().code == errc::db_error);
  BOOST_CHECK_MESSAGE(r.err().message.find("injected failure") != std::string::npos,
                      r.err().message);
  BOOST_CHECK_EQUAL(counts(), before);
  BOOST_CHECK((*s)->vocabulary() == vocab_before);
  // The store is still usable once the fault is gone, and ids continue.
  raw.exec("DROP TRIGGER inject");
  auto ok = (*s)->add(text_only(fresh));
  BOOST_REQUIRE_MESSAGE(ok, describe(ok));
  BOOST_CHECK_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnets"), 4);
  BOOST_CHECK((*s)->vocabulary() == raw.vocabulary());
}

BOOST_AUTO_TEST_CASE(busy_writer_fails_cleanly) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  sqlite_options o;
  o.busy_timeout_ms = 50;
  auto s = sqlite_store::open(path, o);
  BOOST_REQUIRE(s);
  BOOST_REQUIRE((*s)->add(text_only("first sonnet here")));
  raw_db raw{path};
  raw.exec("BEGIN IMMEDIATE"); // another writer holds the lock
  auto r = (*s)->add(text_only("second sonnet here"));
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.err().code == errc::db_locked); // named as a lock, with SQLite's text
  BOOST_CHECK_MESSAGE(r.err().message.find("locked") != std::string::npos, r.err().message);
  raw.exec("ROLLBACK");
  BOOST_CHECK((*s)->add(text_only("second sonnet here")));
  BOOST_CHECK_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnets"), 2);
}

BOOST_AUTO_TEST_CASE(add_batch_equals_single_adds_and_is_all_or_none) {
  temp_dir dir;
  auto one = dir.file("one.db"), many = dir.file("many.db");
  sonnet_maker mk{17};
  std::vector<sonnet_input> batch;
  for (int i = 0; i < 12; ++i) {
    auto in = text_only(i == 5 ? std::string("two words") : mk.sonnet());
    in.user_input = mk.line(1, 3);
    in.seed = static_cast<uint64_t>(i);
    batch.push_back(in);
  }
  auto a = sqlite_store::open(one);
  auto b = sqlite_store::open(many);
  BOOST_REQUIRE(a && b);
  for (auto& in : batch)
    BOOST_REQUIRE((*a)->add(in));
  auto ids = (*b)->add_batch(batch);
  BOOST_REQUIRE_MESSAGE(ids, why(ids));
  BOOST_CHECK_EQUAL(ids->size(), 12u);
  BOOST_CHECK_EQUAL(ids->back(), 12);
  BOOST_CHECK((*a)->vocabulary() == (*b)->vocabulary());
  raw_db ra{one}, rb{many};
  for (const char* q : {"SELECT id, text, quality, dissonance, word_count, line_count FROM sonnets",
                        "SELECT sonnet_id, line_num, text, syllable_count FROM sonnet_lines",
                        "SELECT word1, word2, word3, count FROM sonnet_trigrams ORDER BY 1, 2, 3",
                        "SELECT * FROM sonnet_inputs"})
    BOOST_CHECK(ra.rows(q) == rb.rows(q));
  // A failure anywhere in the batch stores none of it.
  auto before = rb.text("SELECT COUNT(*), (SELECT SUM(count) FROM sonnet_trigrams) FROM sonnets");
  auto vocab = (*b)->vocabulary();
  rb.exec("CREATE TRIGGER inject BEFORE INSERT ON sonnet_inputs WHEN NEW.seed = 7 "
          "BEGIN SELECT RAISE(ABORT, 'injected'); END");
  batch.back().text += " brand new words";
  auto bad = (*b)->add_batch(batch);
  BOOST_REQUIRE(!bad);
  BOOST_CHECK_EQUAL(
    rb.text("SELECT COUNT(*), (SELECT SUM(count) FROM sonnet_trigrams) FROM sonnets"), before);
  BOOST_CHECK((*b)->vocabulary() == vocab);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(vocabulary_tests)

BOOST_AUTO_TEST_CASE(loaded_at_open_and_kept_in_step) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  sonnet_maker mk{3};
  {
    auto s = open_sqlite(path);
    BOOST_REQUIRE(s);
    for (int i = 0; i < 10; ++i)
      BOOST_REQUIRE(judged_add(**s, mk.sonnet(), "words"));
  }
  auto s = open_sqlite(path);
  BOOST_REQUIRE(s);
  raw_db raw{path};
  BOOST_CHECK((*s)->vocabulary() == raw.vocabulary());
  for (int i = 0; i < 5; ++i) {
    BOOST_REQUIRE(
      judged_add(**s, mk.sonnet() + "\nnovel" + std::to_string(i) + " token here", "words"));
    BOOST_CHECK((*s)->vocabulary() == raw.vocabulary());
    auto st = (*s)->stats();
    BOOST_REQUIRE(st);
    BOOST_CHECK_EQUAL(st->vocab_size,
                      raw.scalar("SELECT COUNT(DISTINCT word1) FROM sonnet_trigrams"));
  }
}

BOOST_AUTO_TEST_SUITE_END()
