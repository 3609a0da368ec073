// Checks the TSan stage of scripts/test.sh from both sides (it builds this against the same
// TSan-instrumented CAF as the tests and runs every mode with tests/sanitizers/tsan.supp):
//   tsan_canary --clean    actor traffic only (spawn, request/response from two threads,
//                          scoped_actor receive, detached actors, shutdown): must exit 0, i.e.
//                          CAF's own synchronisation is visible to TSan (or suppressed);
//   tsan_canary --threads  the same, plus a data race between two of our std::threads;
//   tsan_canary --actors   the same, plus a data race between the handlers of two actors.
// The race modes must be reported (exit code 66, a report in this file): the suppressions hide
// no race in our code, inside or outside an actor.
// With CAF instrumented, talking to the same actor orders two threads (a happens-before edge
// through its mailbox), so each racing pair first writes and then meets the other through a
// relaxed atomic, which TSan does not count as synchronisation: the race is reported every run.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "caf/all.hpp"

namespace {
int counter = 0; // written by two threads without synchronisation in the race modes

// Both writers reach this point before either goes on (and talks to CAF).
void meet(std::atomic<int>& arrived) {
  arrived.fetch_add(1, std::memory_order_relaxed);
  while (arrived.load(std::memory_order_relaxed) < 2)
    std::this_thread::yield();
}
} // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  bool race_threads = std::strcmp(mode, "--threads") == 0;
  bool race_actors = std::strcmp(mode, "--actors") == 0;
  if (!race_threads && !race_actors && std::strcmp(mode, "--clean") != 0) {
    std::fprintf(stderr, "usage: tsan_canary --clean|--threads|--actors\n");
    return 2;
  }
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto adder = sys.spawn(
    [](caf::event_based_actor*) -> caf::behavior { return {[](int x) { return x + 1; }}; });
  std::atomic<int> threads_arrived{0};
  auto work = [&] {
    if (race_threads) {
      ++counter;
      meet(threads_arrived);
    }
    caf::scoped_actor self{sys};
    for (int i = 0; i < 50; ++i)
      self->request(adder, caf::infinite, i).receive([](int) {}, [](caf::error&) {});
  };
  std::thread t1(work);
  std::thread t2(work);
  t1.join();
  t2.join();
  // Two detached actors (a thread each) run the same handler at the same time.
  std::atomic<int> actors_arrived{0};
  auto writer = [&](caf::event_based_actor*) -> caf::behavior {
    return {[&](int x) {
      if (race_actors) {
        ++counter;
        meet(actors_arrived);
      }
      return x;
    }};
  };
  auto w1 = sys.spawn<caf::detached>(writer);
  auto w2 = sys.spawn<caf::detached>(writer);
  {
    caf::scoped_actor self{sys};
    self->send(w1, 1);
    self->send(w2, 2);
    for (int i = 0; i < 2; ++i)
      self->receive([](int) {});
  }
  for (auto& a : {adder, w1, w2})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  return 0;
}
