// Checks tests/sanitizers/tsan.supp from both sides (scripts/test.sh builds and runs it in the
// TSan stage):
//   tsan_canary           actor traffic (spawn, request/response, scoped_actor receive) and a
//                         data race between two of our own threads: TSan must report the race
//                         (exit code 66), i.e. the suppressions do not hide races outside CAF;
//   tsan_canary --clean   the same actor traffic without the race: must exit 0, i.e. the
//                         suppressions cover what Debian's uninstrumented CAF makes TSan report.
#include <cstring>
#include <thread>

#include "caf/all.hpp"

namespace {
int counter = 0; // written by two threads without synchronisation (the race)
}

int main(int argc, char** argv) {
  bool clean = argc > 1 && std::strcmp(argv[1], "--clean") == 0;
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto adder = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](int x) { return x + 1; }};
  });
  auto work = [&] {
    caf::scoped_actor self{sys};
    for (int i = 0; i < 50; ++i) {
      self->request(adder, caf::infinite, i).receive([](int) {}, [](caf::error&) {});
      if (!clean)
        ++counter;
    }
  };
  std::thread t1(work);
  std::thread t2(work);
  t1.join();
  t2.join();
  caf::anon_send_exit(adder, caf::exit_reason::user_shutdown);
  return 0;
}
