// Opening is validated before anything is written.
#include "fixtures.hpp"

#include "persistence/sqlite_store.hpp"

#include <random>

using namespace sonnet;
using namespace sonnet::persistence;
using namespace sonnet::persistence::test;

namespace {

std::string describe(const error& e) {
  return std::string(to_string(e.code)) + ": " + e.message;
}

/// Opening `path` in `mode` fails with `code`, and the directory (bytes of every file, list of
/// files) is exactly as before.
void refused_untouched(const temp_dir& dir, const std::string& path, open_mode mode, errc code) {
  auto listing = dir_listing(dir.path);
  auto bytes = fs::exists(path) ? read_bytes(path) : std::string("<absent>");
  {
    auto s = open_sqlite(path, mode);
    BOOST_REQUIRE_MESSAGE(!s, "opened although it should not: " << path);
    BOOST_CHECK_MESSAGE(s.err().code == code,
                        "got " << describe(s.err()) << ", want " << to_string(code));
    BOOST_TEST_MESSAGE("refused as expected: " << describe(s.err()));
  }
  BOOST_CHECK(dir_listing(dir.path) == listing);
  BOOST_CHECK(bytes == (fs::exists(path) ? read_bytes(path) : std::string("<absent>")));
}

} // namespace

BOOST_AUTO_TEST_SUITE(open_validation)

BOOST_AUTO_TEST_CASE(text_file_refused_untouched) {
  temp_dir dir;
  auto path = dir.file("notes.db");
  write_bytes(path, "Shall I compare thee to a summer's day?\nThou art more lovely.\n");
  refused_untouched(dir, path, open_mode::read_write, errc::not_a_sonnet_cloud);
  refused_untouched(dir, path, open_mode::read_only, errc::not_a_sonnet_cloud);
}

BOOST_AUTO_TEST_CASE(random_bytes_refused_untouched) {
  temp_dir dir;
  std::mt19937 rng{1};
  std::string junk(8192, '\0');
  for (auto& c : junk)
    c = static_cast<char>(rng());
  auto path = dir.file("junk.db");
  write_bytes(path, junk);
  refused_untouched(dir, path, open_mode::read_write, errc::not_a_sonnet_cloud);
  // A SQLite header followed by garbage: SQLite itself must reject it, still untouched.
  auto half = dir.file("half.db");
  write_bytes(half, std::string("SQLite format 3\0", 16) + junk);
  refused_untouched(dir, half, open_mode::read_write, errc::not_a_sonnet_cloud);
}

BOOST_AUTO_TEST_CASE(foreign_sqlite_db_refused_untouched) {
  temp_dir dir;
  auto other = dir.file("people.db");
  {
    raw_db raw{other};
    raw.exec("CREATE TABLE people(name TEXT, age INTEGER); INSERT INTO people VALUES('ann', 3)");
  }
  refused_untouched(dir, other, open_mode::read_write, errc::not_a_sonnet_cloud);
  refused_untouched(dir, other, open_mode::read_only, errc::not_a_sonnet_cloud);
  // Half a sonnet cloud: a sonnets table only.
  auto partial = dir.file("partial.db");
  {
    raw_db raw{partial};
    raw.exec("CREATE TABLE sonnets(id INTEGER PRIMARY KEY, text TEXT)");
  }
  refused_untouched(dir, partial, open_mode::read_write, errc::not_a_sonnet_cloud);
  // All three tables but a missing column, and a trigram table without its UNIQUE key.
  auto nocol = dir.file("nocol.db");
  auto nouniq = dir.file("nouniq.db");
  for (auto* p : {&nocol, &nouniq}) {
    raw_db raw{*p};
    raw.exec("CREATE TABLE sonnets(id INTEGER PRIMARY KEY, text TEXT, quality REAL, "
             "dissonance REAL, temperature REAL, timestamp REAL, added_by TEXT, "
             "word_count INTEGER, line_count INTEGER)");
    raw.exec(p == &nocol
               ? "CREATE TABLE sonnet_lines(id INTEGER PRIMARY KEY, sonnet_id INTEGER, text TEXT)"
               : "CREATE TABLE sonnet_lines(id INTEGER PRIMARY KEY, sonnet_id INTEGER, "
                 "line_num INTEGER, text TEXT, syllable_count INTEGER)");
    raw.exec("CREATE TABLE sonnet_trigrams(id INTEGER PRIMARY KEY, word1 TEXT, word2 TEXT, "
             "word3 TEXT, count INTEGER)");
  }
  refused_untouched(dir, nocol, open_mode::read_write, errc::not_a_sonnet_cloud);
  refused_untouched(dir, nouniq, open_mode::read_write, errc::not_a_sonnet_cloud);
}

BOOST_AUTO_TEST_CASE(read_only_file_refused_untouched) {
  // Tests run as root, where chmod does not stop writes: the store refuses any file without a
  // write permission bit, whoever runs it, and access(W_OK) covers ordinary users.
  temp_dir dir;
  auto path = dir.file("cloud.db");
  {
    auto s = open_sqlite(path);
    BOOST_REQUIRE(s);
    BOOST_REQUIRE((*s)->add(text_only("a sonnet of sorts")));
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  refused_untouched(dir, path, open_mode::read_write, errc::db_read_only);
  // The same file opens read-only, and reads.
  auto ro = open_sqlite(path, open_mode::read_only);
  BOOST_REQUIRE(ro);
  auto st = (*ro)->stats();
  BOOST_REQUIRE(st);
  BOOST_CHECK_EQUAL(st->sonnet_count, 1);
}

BOOST_AUTO_TEST_CASE(read_only_directory_refused) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  {
    auto s = open_sqlite(path);
    BOOST_REQUIRE(s);
  }
  fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
  // An existing cloud (WAL needs -wal/-shm beside it) and a new one: both refused.
  refused_untouched(dir, path, open_mode::read_write, errc::db_read_only);
  refused_untouched(dir, dir.file("new.db"), open_mode::read_write, errc::db_read_only);
}

BOOST_AUTO_TEST_CASE(missing_path_read_only_fails_read_write_creates) {
  temp_dir dir;
  auto path = dir.file("new.db");
  refused_untouched(dir, path, open_mode::read_only, errc::db_open_failed);
  auto nodir = open_sqlite(dir.file("no/such/dir.db"));
  BOOST_REQUIRE(!nodir);
  BOOST_CHECK(nodir.err().code == errc::db_open_failed);
  {
    auto s = open_sqlite(path);
    BOOST_REQUIRE(s);
    BOOST_CHECK_EQUAL((*s)->vocabulary().size(), 0u);
  }
  raw_db raw{path};
  BOOST_CHECK_EQUAL(raw.text("PRAGMA journal_mode"), "wal");
  BOOST_CHECK_EQUAL(raw.text("SELECT value FROM meta WHERE key = 'schema_version'"), "1");
  BOOST_CHECK_EQUAL(raw.text("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                             "WHERE type = 'table' ORDER BY name)"),
                    "meta,metrics,sonnet_inputs,sonnet_lines,sonnet_trigrams,sonnets,"
                    "sqlite_sequence");
  // An empty (0-byte) file is a new cloud too.
  auto empty = dir.file("empty.db");
  write_bytes(empty, "");
  refused_untouched(dir, empty, open_mode::read_only, errc::not_a_sonnet_cloud);
  auto e = open_sqlite(empty);
  BOOST_REQUIRE(e);
  BOOST_CHECK((*e)->add(text_only("now it is a cloud")));
}

BOOST_AUTO_TEST_CASE(read_only_mode_never_writes) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  {
    auto s = open_sqlite(path);
    BOOST_REQUIRE(s);
    sonnet_maker mk{5};
    for (int i = 0; i < 4; ++i)
      BOOST_REQUIRE(judged_add(**s, mk.sonnet(), "hi"));
  }
  // Back to rollback-journal mode so that a reader needs no -shm: then nothing may appear.
  {
    raw_db raw{path};
    raw.exec("PRAGMA journal_mode=DELETE");
  }
  auto listing = dir_listing(dir.path);
  auto bytes = read_bytes(path);
  {
    auto s = open_sqlite(path, open_mode::read_only);
    BOOST_REQUIRE(s);
    BOOST_CHECK_EQUAL((*s)->vocabulary().size(), raw_db(path).vocabulary().size());
    BOOST_CHECK((*s)->stats());
    BOOST_CHECK((*s)->recent(10));
    BOOST_CHECK((*s)->best(10, 0.0));
    BOOST_CHECK((*s)->get(1));
    auto a = (*s)->add(text_only("not allowed"));
    BOOST_REQUIRE(!a);
    BOOST_CHECK(a.err().code == errc::db_read_only);
  }
  BOOST_CHECK(read_bytes(path) == bytes);
  BOOST_CHECK(dir_listing(dir.path) == listing);
  raw_db raw{path};
  BOOST_CHECK_EQUAL(raw.text("PRAGMA journal_mode"), "delete"); // no WAL switch
}

BOOST_AUTO_TEST_CASE(newer_schema_version_refused) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  {
    auto s = open_sqlite(path);
    BOOST_REQUIRE(s);
  }
  {
    raw_db raw{path};
    raw.exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  }
  auto listing = dir_listing(dir.path);
  auto bytes = read_bytes(path);
  auto s = open_sqlite(path);
  BOOST_REQUIRE(!s);
  BOOST_CHECK(s.err().code == errc::db_open_failed);
  BOOST_CHECK_MESSAGE(s.err().message.find("newer") != std::string::npos, s.err().message);
  BOOST_CHECK(read_bytes(path) == bytes);
}

BOOST_AUTO_TEST_SUITE_END()
