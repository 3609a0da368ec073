// Invariant 1 (field coherence) and 2 (atomic store), checked by replaying a cloud file.
#include "fixtures.hpp"

#include "persistence/replay.hpp"
#include "persistence/sqlite_store.hpp"

using namespace sonnet;
using namespace sonnet::persistence;
using namespace sonnet::persistence::test;

namespace {

void print(const replay_report& r) {
  BOOST_TEST_MESSAGE("replay: checked "
                     << r.sonnets_checked << ", foreign " << r.foreign_sonnets
                     << ", dissonance mismatches " << r.mismatches.size() << " (max |diff| "
                     << r.max_abs_diff << "), trigram " << r.trigram_mismatches.size() << ", lines "
                     << r.lines_mismatches.size() << ", baseline '" << r.baseline_mismatch << "'");
  for (auto& n : r.notes)
    BOOST_TEST_MESSAGE("  note: " << n);
}

/// N judged adds, with prompts that overlap the sonnets (so similarity varies too).
void fill(store& s, int n, uint32_t seed) {
  sonnet_maker mk{seed};
  for (int i = 0; i < n; ++i) {
    auto txt = i % 9 == 4 ? std::string("two words") : mk.sonnet();
    BOOST_REQUIRE(judged_add(s, txt, mk.line(1, 6), mk.uniform(), mk.next()));
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(replay_tests)

BOOST_AUTO_TEST_CASE(fresh_cloud_is_clean) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  {
    auto s = open_sqlite(path);
    BOOST_REQUIRE(s);
    fill(**s, 40, 21);
  }
  auto bytes = read_bytes(path);
  auto r = replay(path);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  print(*r);
  BOOST_CHECK(r->clean());
  BOOST_CHECK_EQUAL(r->sonnets_checked, 40);
  BOOST_CHECK_EQUAL(r->foreign_sonnets, 0);
  BOOST_CHECK_EQUAL(r->max_abs_diff, 0.0);
  BOOST_CHECK(read_bytes(path) == bytes); // replay never writes
}

BOOST_AUTO_TEST_CASE(tampered_dissonance_detected) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  {
    auto s = open_sqlite(path);
    BOOST_REQUIRE(s);
    fill(**s, 20, 22);
  }
  double stored = 0;
  {
    raw_db raw{path};
    stored = raw.real("SELECT dissonance FROM sonnets WHERE id = 12");
    raw.exec("UPDATE sonnets SET dissonance = dissonance + 1e-12 WHERE id = 12");
  }
  auto r = replay(path);
  BOOST_REQUIRE(r);
  print(*r);
  BOOST_REQUIRE_EQUAL(r->mismatches.size(), 1u);
  BOOST_CHECK_EQUAL(r->mismatches[0].id, 12);
  BOOST_CHECK_EQUAL(r->mismatches[0].recomputed, stored);
  BOOST_CHECK_GT(r->max_abs_diff, 0.0);
  BOOST_CHECK(r->trigram_mismatches.empty());
}

BOOST_AUTO_TEST_CASE(tampered_trigrams_and_lines_detected) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  {
    auto s = open_sqlite(path);
    BOOST_REQUIRE(s);
    fill(**s, 10, 23);
  }
  {
    raw_db raw{path};
    raw.exec("UPDATE sonnet_trigrams SET count = count + 1 WHERE id = 5");
    raw.exec("DELETE FROM sonnet_lines WHERE sonnet_id = 3 AND line_num = 14");
  }
  auto r = replay(path);
  BOOST_REQUIRE(r);
  print(*r);
  BOOST_CHECK_EQUAL(r->trigram_mismatches.size(), 1u);
  BOOST_CHECK(!r->baseline_mismatch.empty()); // one occurrence more than ever adopted
  BOOST_REQUIRE_EQUAL(r->lines_mismatches.size(), 1u);
  BOOST_CHECK_EQUAL(r->lines_mismatches[0].id, 3);
  BOOST_CHECK_EQUAL(r->lines_mismatches[0].stored_lines, 13);
  BOOST_CHECK(!r->clean());
}

BOOST_AUTO_TEST_CASE(continued_prototype_cloud_is_clean,
                     *boost::unit_test::precondition(prototype_present{})) {
  temp_dir dir;
  auto path = copy_prototype(dir);
  {
    auto s = open_sqlite(path);
    BOOST_REQUIRE(s);
    fill(**s, 25, 24);
    // Reuse prototype words so vocab_before matters: these sonnets repeat prototype trigrams.
    raw_db raw{path};
    auto proto = raw.text("SELECT text FROM sonnets WHERE id = 10");
    BOOST_REQUIRE(judged_add(**s, proto, "love and time"));
    BOOST_REQUIRE(judged_add(**s, proto, "love and time"));
  }
  auto r = replay(path);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  print(*r);
  BOOST_CHECK(r->clean());
  BOOST_CHECK_EQUAL(r->sonnets_checked, 27);
  BOOST_CHECK_EQUAL(r->foreign_sonnets, 155);
  // Tamper one of ours: found.
  {
    raw_db raw{path};
    raw.exec("UPDATE sonnets SET dissonance = 0.5 WHERE id = 170");
  }
  auto t = replay(path);
  BOOST_REQUIRE(t);
  BOOST_REQUIRE_EQUAL(t->mismatches.size(), 1u);
  BOOST_CHECK_EQUAL(t->mismatches[0].id, 170);
}

BOOST_AUTO_TEST_CASE(pure_prototype_and_bad_files,
                     *boost::unit_test::precondition(prototype_present{})) {
  auto r = replay(prototype_db()); // read-only; the shared original itself
  BOOST_REQUIRE_MESSAGE(r, why(r));
  print(*r);
  BOOST_CHECK(r->clean());
  BOOST_CHECK_EQUAL(r->sonnets_checked, 0);
  BOOST_CHECK_EQUAL(r->foreign_sonnets, 155);
  temp_dir dir;
  auto junk = dir.file("junk.db");
  write_bytes(junk, "not a database at all");
  auto j = replay(junk);
  BOOST_REQUIRE(!j);
  BOOST_CHECK(j.err().code == errc::not_a_sonnet_cloud);
  auto m = replay(dir.file("missing.db"));
  BOOST_REQUIRE(!m);
  BOOST_CHECK(m.err().code == errc::db_open_failed);
}

BOOST_AUTO_TEST_SUITE_END()
