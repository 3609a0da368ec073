// Many writers on one cloud file: each write transaction catches up with the others' rows, so
// every stored dissonance is computed against exactly the sonnets with smaller ids. Also: opening
// under contention, lock errors named as locks, a file replaced under an open store, read-only
// clouds that leave their directory as found, and seeds over the full uint64 range.
#include "fixtures.hpp"

#include "persistence/memory_store.hpp"
#include "persistence/replay.hpp"
#include "persistence/sqlite_store.hpp"

#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <cmath>
#include <thread>

using namespace sonnet;
using namespace sonnet::persistence;
using namespace sonnet::persistence::test;

namespace {

sonnet_input make_input(sonnet_maker& mk, uint64_t seed) {
  auto in = text_only(mk.sonnet(4));
  in.user_input = mk.line(1, 4);
  in.seed = seed;
  return in;
}

void check_replay_clean(const std::string& path, int64_t n) {
  auto r = replay(path);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK_EQUAL(r->sonnets_checked, n);
  BOOST_CHECK_MESSAGE(r->clean(), r->mismatches.size() << " dissonance mismatches");
}

} // namespace

BOOST_AUTO_TEST_SUITE(shared_cloud)

BOOST_AUTO_TEST_CASE(two_stores_alternating_judge_like_one) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  auto a = sqlite_store::open(path);
  auto b = sqlite_store::open(path);
  BOOST_REQUIRE(a && b);
  auto mem = make_memory_store();
  sonnet_maker mk{31};
  int64_t n = 0;
  for (int round = 0; round < 12; ++round) {
    std::vector<sonnet_input> batch;
    for (int i = 0; i <= round % 3; ++i)
      batch.push_back(make_input(mk, static_cast<uint64_t>(n + i)));
    auto& s = round % 2 == 0 ? **a : **b;
    auto got = s.judge_and_add(batch);
    BOOST_REQUIRE_MESSAGE(got, why(got));
    auto want = mem->judge_and_add(batch);
    BOOST_REQUIRE(want && want->size() == got->size());
    for (size_t i = 0; i < got->size(); ++i) {
      BOOST_CHECK_EQUAL((*got)[i].id, (*want)[i].id);
      BOOST_CHECK_EQUAL((*got)[i].j.dissonance, (*want)[i].j.dissonance); // bit-identical
      BOOST_CHECK_EQUAL((*got)[i].j.p.novelty, (*want)[i].j.p.novelty);
    }
    n += static_cast<int64_t>(batch.size());
  }
  // The query without storing sees the other store's rows too.
  auto probe = mk.sonnet(2);
  for (auto* s : {a->get(), b->get()}) {
    auto j = s->judge("my words", probe);
    BOOST_REQUIRE(j);
    BOOST_CHECK_EQUAL(j->dissonance, (*mem->judge("my words", probe)).dissonance);
    BOOST_CHECK(s->vocabulary() == mem->vocabulary());
    BOOST_CHECK_EQUAL((*s->stats()).vocab_size, (*mem->stats()).vocab_size);
  }
  check_replay_clean(path, n);
}

BOOST_AUTO_TEST_CASE(a_failed_batch_leaves_only_foreign_words) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  auto a = sqlite_store::open(path);
  auto b = sqlite_store::open(path);
  BOOST_REQUIRE(a && b);
  BOOST_REQUIRE((*b)->judge_and_add({text_only("the sea the sky")}));
  // Another process stores words b has not seen; then b's batch fails half-way.
  BOOST_REQUIRE((*a)->judge_and_add({text_only("foreign quince words arrive")}));
  raw_db raw{path};
  raw.exec("CREATE TRIGGER inject BEFORE INSERT ON sonnets WHEN NEW.text LIKE '%poison%' "
           "BEGIN SELECT RAISE(ABORT, 'injected'); END");
  auto r = (*b)->judge_and_add({text_only("brand new zebra"), text_only("poison here now")});
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.err().code == errc::db_error);
  BOOST_CHECK((*b)->vocabulary() == raw.vocabulary()); // quince yes, zebra no
  BOOST_CHECK_EQUAL((*b)->vocabulary().count("quince"), 1u);
  BOOST_CHECK_EQUAL((*b)->vocabulary().count("zebra"), 0u);
  raw.exec("DROP TRIGGER inject");
  auto retry = text_only("brand new zebra");
  retry.user_input = "hello";
  auto ok = (*b)->judge_and_add({retry});
  BOOST_REQUIRE_MESSAGE(ok, why(ok));
  BOOST_CHECK_EQUAL(ok->front().j.p.novelty, 1.0); // zebra words were never stored
  check_replay_clean(path, 3);
}

BOOST_AUTO_TEST_CASE(concurrent_open_of_a_new_file) {
  temp_dir dir;
  for (int round = 0; round < 10; ++round) { // threads: separate connections, one process
    auto path = dir.file("t" + std::to_string(round) + ".db");
    std::atomic<int> go{0}, ok{0};
    std::vector<std::string> errors(4);
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
      ts.emplace_back([&, t] {
        ++go;
        while (go < 4) {
        }
        auto s = sqlite_store::open(path);
        if (s && (*s)->judge_and_add({text_only("one sonnet per opener")}))
          ++ok;
        else if (!s)
          errors[static_cast<size_t>(t)] = why(s);
      });
    for (auto& t : ts)
      t.join();
    BOOST_CHECK_MESSAGE(ok == 4, errors[0] + errors[1] + errors[2] + errors[3]);
    check_replay_clean(path, 4);
  }
  for (int round = 0; round < 5; ++round) { // processes
    auto path = dir.file("p" + std::to_string(round) + ".db");
    std::vector<pid_t> kids;
    std::cout.flush();
    std::fflush(nullptr); // or the children would print the parent's buffered output again
    for (int k = 0; k < 3; ++k) {
      pid_t pid = ::fork();
      if (pid == 0) {
        int rc = 2;
        try {
          auto s = sqlite_store::open(path);
          rc = s && (*s)->judge_and_add({text_only("one sonnet per process")}) ? 0 : 1;
          if (!s)
            std::fprintf(stderr, "child: %s\n", why(s).c_str());
        } catch (...) {
        }
        ::_exit(rc);
      }
      kids.push_back(pid);
    }
    for (auto pid : kids) {
      int st = 0;
      ::waitpid(pid, &st, 0);
      BOOST_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    check_replay_clean(path, 3);
  }
}

BOOST_AUTO_TEST_CASE(a_lock_beyond_the_timeout_is_named_a_lock) {
  temp_dir dir;
  sqlite_options o;
  o.busy_timeout_ms = 100;
  // A new file another connection is still creating.
  auto fresh = dir.file("fresh.db");
  {
    raw_db raw{fresh};
    raw.exec("PRAGMA journal_mode=WAL");
    raw.exec("BEGIN EXCLUSIVE");
    raw.exec("CREATE TABLE x(y)");
    auto s = sqlite_store::open(fresh, o);
    BOOST_REQUIRE(!s);
    BOOST_CHECK_MESSAGE(s.err().code == errc::db_locked, why(s));
    BOOST_CHECK_MESSAGE(s.err().message.find("locked") != std::string::npos, why(s));
    raw.exec("ROLLBACK");
  }
  BOOST_CHECK(sqlite_store::open(fresh, o)); // the lock gone, it opens
  // An existing cloud whose write lock is held.
  auto path = dir.file("cloud.db");
  BOOST_REQUIRE(sqlite_store::open(path));
  raw_db raw{path};
  raw.exec("BEGIN IMMEDIATE");
  auto s = sqlite_store::open(path, o);
  BOOST_REQUIRE(!s);
  BOOST_CHECK_MESSAGE(s.err().code == errc::db_locked, why(s));
  raw.exec("ROLLBACK");
}

BOOST_AUTO_TEST_CASE(a_deleted_or_replaced_file_fails_the_next_write) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  auto s = sqlite_store::open(path);
  BOOST_REQUIRE(s);
  BOOST_REQUIRE((*s)->judge_and_add({text_only("stored before the swap")}));
  // Replaced: another cloud renamed over the path.
  {
    auto other = dir.file("other.db");
    BOOST_REQUIRE(sqlite_store::open(other));
    fs::rename(other, path);
  }
  auto replacement = read_bytes(path);
  auto r = (*s)->judge_and_add({text_only("must not vanish")});
  BOOST_REQUIRE(!r);
  BOOST_CHECK_MESSAGE(r.err().code == errc::db_replaced, why(r));
  BOOST_CHECK(read_bytes(path) == replacement);
  // Deleted.
  auto t = sqlite_store::open(dir.file("gone.db"));
  BOOST_REQUIRE(t);
  fs::remove(dir.file("gone.db"));
  auto a = (*t)->add(text_only("must not vanish either"));
  BOOST_REQUIRE(!a);
  BOOST_CHECK_MESSAGE(a.err().code == errc::db_replaced, why(a));
  BOOST_CHECK(!fs::exists(dir.file("gone.db")));
}

BOOST_AUTO_TEST_CASE(seeds_round_trip_the_full_unsigned_range) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  const uint64_t top = UINT64_MAX, half = UINT64_C(1) << 63;
  for (int reopen = 0; reopen < 2; ++reopen) {
    auto s = sqlite_store::open(path);
    BOOST_REQUIRE(s);
    if (reopen == 0) {
      sonnet_maker mk{3};
      BOOST_REQUIRE(
        (*s)->judge_and_add({make_input(mk, top), make_input(mk, half), make_input(mk, 0)}));
    }
    BOOST_CHECK_EQUAL((*(*s)->origin(1)).seed, top);
    BOOST_CHECK_EQUAL((*(*s)->origin(2)).seed, half);
    BOOST_CHECK_EQUAL((*(*s)->origin(3)).seed, 0u);
    BOOST_CHECK((*s)->origin(4).err().code == errc::no_such_sonnet);
  }
  // Stored as the same 64 bits in SQLite's signed INTEGER (compatible with older files).
  raw_db raw{path};
  BOOST_CHECK_EQUAL(raw.text("SELECT seed FROM sonnet_inputs WHERE sonnet_id = 1"), "-1");
  // Replay reports seeds unsigned.
  raw.exec("UPDATE sonnets SET dissonance = 0.123 WHERE id = 2");
  auto r = replay(path);
  BOOST_REQUIRE(r && r->mismatches.size() == 1u);
  BOOST_CHECK_EQUAL(r->mismatches[0].seed, half);
  auto mem = make_memory_store();
  sonnet_maker mk{3};
  BOOST_REQUIRE(mem->judge_and_add({make_input(mk, top)}));
  BOOST_CHECK_EQUAL((*mem->origin(1)).seed, top);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(read_only_clouds)

namespace {

/// A WAL cloud with a few sonnets, closed cleanly (no -wal/-shm left).
std::string make_cloud(const temp_dir& dir) {
  auto path = dir.file("cloud.db");
  auto s = sqlite_store::open(path);
  BOOST_REQUIRE(s);
  sonnet_maker mk{9};
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE((*s)->judge_and_add({make_input(mk, static_cast<uint64_t>(i))}));
  return path;
}

/// Every read-only query works and leaves the directory and the file as found.
void queries_leave_no_trace(const temp_dir& dir, const std::string& path) {
  auto listing = dir_listing(dir.path);
  auto bytes = read_bytes(path);
  {
    auto s = open_sqlite(path, open_mode::read_only);
    BOOST_REQUIRE_MESSAGE(s, why(s));
    auto st = (*s)->stats();
    BOOST_REQUIRE_MESSAGE(st, why(st));
    BOOST_CHECK_EQUAL(st->sonnet_count, 3);
    BOOST_CHECK((*s)->recent(10));
    BOOST_CHECK((*s)->best(10, 0.0));
    BOOST_CHECK((*s)->get(1));
    BOOST_CHECK((*s)->judge("a", "b c d"));
    auto a = (*s)->judge_and_add({text_only("not allowed")});
    BOOST_REQUIRE(!a);
    BOOST_CHECK(a.err().code == errc::db_read_only);
  }
  auto r = replay(path);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK(r->clean());
  BOOST_CHECK(read_bytes(path) == bytes);
  BOOST_CHECK(dir_listing(dir.path) == listing);
}

} // namespace

BOOST_AUTO_TEST_CASE(writable_file_and_directory) {
  temp_dir dir;
  queries_leave_no_trace(dir, make_cloud(dir));
}

BOOST_AUTO_TEST_CASE(read_only_directory) {
  temp_dir dir;
  auto path = make_cloud(dir);
  fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
  queries_leave_no_trace(dir, path);
}

BOOST_AUTO_TEST_CASE(read_only_file_and_directory) {
  temp_dir dir;
  auto path = make_cloud(dir);
  fs::permissions(path, fs::perms::owner_read);
  fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
  queries_leave_no_trace(dir, path);
}

BOOST_AUTO_TEST_CASE(read_only_directory_while_a_writer_is_open) {
  // The writer's -wal/-shm exist: the reader must read through them (no immutable shortcut)
  // and see what the writer committed.
  temp_dir dir;
  auto path = make_cloud(dir);
  auto w = sqlite_store::open(path);
  BOOST_REQUIRE(w);
  BOOST_REQUIRE((*w)->judge_and_add({text_only("a fourth sonnet in the wal")}));
  fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
  auto s = open_sqlite(path, open_mode::read_only);
  BOOST_REQUIRE_MESSAGE(s, why(s));
  BOOST_CHECK_EQUAL((*(*s)->stats()).sonnet_count, 4);
  auto r = replay(path);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK_EQUAL(r->sonnets_checked, 4);
}

BOOST_AUTO_TEST_SUITE_END()
