// Invariant 2 (atomic store): a writer killed with SIGKILL mid-stream leaves every acknowledged
// sonnet whole and no partial one. (Power loss cannot be simulated here; synchronous=FULL, which
// covers it, is read back and verified by sqlite_store::open, which fails if it did not apply.)
#include "fixtures.hpp"

#include "persistence/replay.hpp"
#include "persistence/sqlite_store.hpp"

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

using namespace sonnet;
using namespace sonnet::persistence;
using namespace sonnet::persistence::test;

BOOST_AUTO_TEST_SUITE(crash)

BOOST_AUTO_TEST_CASE(kill_9_keeps_acknowledged_sonnets_whole) {
  temp_dir dir;
  auto path = dir.file("cloud.db");
  int fds[2];
  BOOST_REQUIRE_EQUAL(::pipe(fds), 0);
  pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) { // child: add judged sonnets forever, acknowledging each id on the pipe
    ::close(fds[0]);
    auto s = open_sqlite(path);
    if (!s)
      ::_exit(3);
    sonnet_maker mk{99};
    for (;;) {
      auto id = judged_add(**s, mk.sonnet(), mk.line(1, 5));
      if (!id)
        ::_exit(4);
      int64_t v = *id;
      if (::write(fds[1], &v, sizeof v) != sizeof v)
        ::_exit(5);
    }
  }
  ::close(fds[1]);
  int64_t last_ack = 0, v = 0;
  while (last_ack < 40 && ::read(fds[0], &v, sizeof v) == sizeof v)
    last_ack = v;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  BOOST_REQUIRE_GE(last_ack, 40);
  BOOST_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  {
    raw_db raw{path};
    BOOST_CHECK_EQUAL(raw.text("PRAGMA integrity_check"), "ok");
    BOOST_CHECK_GE(raw.scalar("SELECT MAX(id) FROM sonnets"), last_ack);
    // No partial sonnet: every sonnet has its 14 lines and its input row.
    BOOST_CHECK_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnets s WHERE line_count <> "
                                 "(SELECT COUNT(*) FROM sonnet_lines l WHERE l.sonnet_id = s.id)"),
                      0);
    BOOST_CHECK_EQUAL(raw.scalar("SELECT COUNT(*) FROM sonnets WHERE id NOT IN "
                                 "(SELECT sonnet_id FROM sonnet_inputs)"),
                      0);
  }
  auto r = replay(path); // trigram counts and dissonances consistent with the texts
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK(r->clean());
  BOOST_CHECK_GE(r->sonnets_checked, last_ack);
  auto s = open_sqlite(path); // and the store continues the file
  BOOST_REQUIRE_MESSAGE(s, why(s));
  BOOST_CHECK(judged_add(**s, "after the crash we write again", "again"));
}

BOOST_AUTO_TEST_SUITE_END()
