// The prototype's real cloud: opened, read and continued by our store, schema left intact.
#include "fixtures.hpp"

#include "persistence/replay.hpp"
#include "persistence/sqlite_store.hpp"

#include <cmath>

using namespace sonnet;
using namespace sonnet::persistence;
using namespace sonnet::persistence::test;

namespace {

const char* prototype_tables_sql =
  "SELECT group_concat(name || ':' || sql, '\n') FROM (SELECT name, sql FROM sqlite_master "
  "WHERE name IN ('sonnets', 'sonnet_lines', 'sonnet_trigrams', 'metrics', 'sqlite_sequence') "
  "ORDER BY name)";

} // namespace

BOOST_AUTO_TEST_SUITE(compat)

BOOST_AUTO_TEST_CASE(prototype_cloud_stats_and_add,
                     *boost::unit_test::precondition(prototype_present{})) {
  temp_dir dir;
  auto path = copy_prototype(dir);
  std::string schema_before, metrics_before;
  double avg_q = 0, avg_d = 0;
  int64_t vocab_size = 0;
  {
    raw_db raw{path};
    schema_before = raw.text(prototype_tables_sql);
    metrics_before = raw.text("SELECT COUNT(*) FROM metrics");
    avg_q = raw.real("SELECT IFNULL(AVG(quality), 0.0) FROM sonnets");
    avg_d = raw.real("SELECT IFNULL(AVG(dissonance), 0.0) FROM sonnets");
    vocab_size = raw.scalar("SELECT COUNT(DISTINCT word1) FROM sonnet_trigrams");
    BOOST_REQUIRE_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnets"), 155);
    BOOST_REQUIRE_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnet_lines"), 1666);
    BOOST_REQUIRE_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnet_trigrams"), 11152);
  }
  auto s = open_sqlite(path);
  BOOST_REQUIRE_MESSAGE(s, why(s));
  auto st = (*s)->stats();
  BOOST_REQUIRE(st);
  BOOST_CHECK_EQUAL(st->sonnet_count, 155);
  BOOST_CHECK_CLOSE(st->avg_quality, avg_q, 1e-9);
  BOOST_CHECK_CLOSE(st->avg_dissonance, avg_d, 1e-9);
  BOOST_CHECK_EQUAL(st->vocab_size, vocab_size);
  BOOST_CHECK((*s)->vocabulary() == raw_db(path).vocabulary());
  sonnet_maker mk{11};
  auto id = judged_add(**s, mk.sonnet(), "tell me about love", 0.6);
  BOOST_REQUIRE(id);
  auto st2 = (*s)->stats();
  BOOST_REQUIRE(st2);
  BOOST_CHECK_EQUAL(st2->sonnet_count, 156);
  auto r = (*s)->recent(1);
  BOOST_REQUIRE(r);
  BOOST_CHECK_EQUAL(r->front().id, *id);
  s->reset();
  raw_db raw{path};
  BOOST_CHECK_EQUAL(raw.text("PRAGMA integrity_check"), "ok");
  BOOST_CHECK_EQUAL(raw.text(prototype_tables_sql), schema_before);
  for (const char* t : {"sonnets", "sonnet_lines", "sonnet_trigrams", "metrics"}) {
    raw_db orig{prototype_db(), SQLITE_OPEN_READONLY};
    std::string q = std::string("SELECT sql FROM sqlite_master WHERE name = '") + t + "'";
    BOOST_CHECK_EQUAL(raw.text(q), orig.text(q));
  }
  BOOST_CHECK_EQUAL(raw.text("SELECT COUNT(*) FROM metrics"), metrics_before);
  BOOST_CHECK_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnet_lines"), 1666 + 14);
  BOOST_CHECK_EQUAL(raw.text("SELECT value FROM meta WHERE key = 'adopted_max_id'"), "155");
  // The row the prototype's own code would read back.
  BOOST_CHECK_EQUAL(raw.text("SELECT line_count, added_by, quality FROM sonnets WHERE id = 156"),
                    "14|user|0.6");
}

BOOST_AUTO_TEST_CASE(prototype_cloud_read_only_untouched,
                     *boost::unit_test::precondition(prototype_present{})) {
  temp_dir dir;
  auto path = copy_prototype(dir);
  auto bytes = read_bytes(path);
  auto listing = dir_listing(dir.path);
  {
    auto s = open_sqlite(path, open_mode::read_only);
    BOOST_REQUIRE_MESSAGE(s, why(s));
    BOOST_CHECK_EQUAL((*s)->vocabulary().size(), raw_db(path).vocabulary().size());
    auto st = (*s)->stats();
    BOOST_REQUIRE(st);
    BOOST_CHECK_EQUAL(st->sonnet_count, 155);
  }
  BOOST_CHECK(read_bytes(path) == bytes);
  BOOST_CHECK(dir_listing(dir.path) == listing);
  // The shared original is mode 0444: read_write is refused, even as root.
  auto ro = open_sqlite(prototype_db());
  BOOST_REQUIRE(!ro);
  BOOST_CHECK(ro.err().code == errc::db_read_only);
}

BOOST_AUTO_TEST_SUITE_END()
