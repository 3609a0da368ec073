// batch_decoder: every sequence's text is bit-identical to a lone decoder's with the same seed,
// window mode and stride, whatever the batch around it (sequences joining and leaving between
// steps, window slides of some sequences inside a step).

#include "model/model.hpp"
#include "tests/model/fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

using namespace sonnet;
using namespace sonnet::test;
namespace sm = sonnet::model;

namespace {

struct job {
  std::string prompt;
  sm::sampling s;
  int n;
  int join_step; // step (of the batch) at which it is added
};

std::string alone(const std::shared_ptr<const sm::model>& m, sm::window_mode mode, int stride,
                  const job& j) {
  sm::decoder d(m, mode, stride);
  d.start(j.prompt, j.s);
  return d.generate(j.n);
}

// Runs the jobs through one batch_decoder, k tokens per step, and returns each job's text.
std::vector<std::string> batched(const std::shared_ptr<const sm::model>& m, sm::window_mode mode,
                                 int stride, const std::vector<job>& jobs, int k) {
  sm::batch_decoder b(m, mode, stride);
  std::vector<std::string> out(jobs.size());
  std::map<int, std::size_t> held; // id -> job
  std::size_t next = 0;
  int step = 0;
  while (next < jobs.size() || !held.empty()) {
    while (next < jobs.size() && jobs[next].join_step <= step) {
      held[b.add(jobs[next].prompt, jobs[next].s, jobs[next].n)] = next;
      ++next;
    }
    b.step(k);
    ++step;
    for (auto it = held.begin(); it != held.end();) {
      if (b.finished(it->first)) {
        BOOST_CHECK_EQUAL(b.tokens_generated(it->first), jobs[it->second].n);
        out[it->second] = b.release(it->first);
        it = held.erase(it);
      } else {
        ++it;
      }
    }
  }
  BOOST_CHECK_EQUAL(b.size(), 0);
  return out;
}

std::vector<job> mixed_jobs(int count, int base_n) {
  std::vector<job> jobs;
  const char* prompts[] = {"", "\n", "ROMEO:\n",
                           "Shall I compare thee to a summer's day?\nThou art more lovely",
                           "caf\xC3\xA9~"};
  for (int i = 0; i < count; ++i) {
    job j;
    j.prompt = prompts[i % 5];
    j.s.temperature = (i % 4 == 3) ? 0.f : 0.6f + 0.1f * static_cast<float>(i % 5);
    j.s.top_k = (i % 3 == 1) ? 10 : 0;
    j.s.seed = 1000 + static_cast<uint64_t>(i) * 7;
    j.n = base_n + 37 * (i % 6);
    j.join_step = (i * 3) % 11;
    jobs.push_back(j);
  }
  return jobs;
}

void check_modes(const std::shared_ptr<const sm::model>& m, int count, int base_n) {
  struct mode_case {
    sm::window_mode mode;
    int stride;
  };
  for (auto mc : {mode_case{sm::window_mode::strided, 0}, mode_case{sm::window_mode::strided, 7},
                  mode_case{sm::window_mode::exact, 0}}) {
    auto jobs = mixed_jobs(count, base_n);
    std::vector<std::string> expect;
    for (const auto& j : jobs)
      expect.push_back(alone(m, mc.mode, mc.stride, j));
    for (int k : {1, 5, 16}) {
      auto got = batched(m, mc.mode, mc.stride, jobs, k);
      for (std::size_t i = 0; i < jobs.size(); ++i)
        BOOST_CHECK_MESSAGE(got[i] == expect[i],
                            "job " << i << " (seed " << jobs[i].s.seed << ", k " << k << ", "
                                   << (mc.mode == sm::window_mode::exact ? "exact" : "strided")
                                   << " S=" << mc.stride << ") differs from a lone decoder");
    }
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(batch)

BOOST_AUTO_TEST_CASE(tiny_model_batch_equals_lone_decoder) {
  auto m = sm::load_model(temp_file("tiny_batch.npz", tiny_npz(tiny_arrays())));
  BOOST_REQUIRE_MESSAGE(m, (m ? "" : m.err().message));
  check_modes(*m, 9, 40);
}

BOOST_AUTO_TEST_CASE(batch_equals_lone_decoder) {
  auto m = sm::load_model(default_model);
  BOOST_REQUIRE_MESSAGE(m, (m ? "" : m.err().message));
  check_modes(*m, 12, 150);
}

BOOST_AUTO_TEST_CASE(ids_finish_release_and_reuse) {
  auto m = sm::load_model(temp_file("tiny_batch2.npz", tiny_npz(tiny_arrays())));
  BOOST_REQUIRE(m);
  sm::batch_decoder b(*m);
  int a = b.add("ab", {0.8f, 0, 1}, 5);
  int c = b.add("", {0.8f, 0, 2}, 12);
  int z = b.add("x", {0.8f, 0, 3}, 0); // nothing to do: finished at once
  BOOST_CHECK(b.finished(z));
  BOOST_CHECK_EQUAL(b.size(), 3);
  BOOST_CHECK_EQUAL(b.unfinished(), 2);
  BOOST_CHECK_EQUAL(b.step(4), 2);
  BOOST_CHECK_EQUAL(b.text(a).size(), 4u);
  BOOST_CHECK_EQUAL(b.step(4), 1); // a stops at 5
  BOOST_CHECK(b.finished(a));
  BOOST_CHECK_EQUAL(b.tokens_generated(a), 5);
  BOOST_CHECK_EQUAL(b.tokens_generated(c), 8);
  BOOST_CHECK_EQUAL(b.tokens_total(), 5 + 8);
  BOOST_CHECK_EQUAL(b.release(a).size(), 5u);
  BOOST_CHECK_THROW(b.text(a), std::out_of_range);
  BOOST_CHECK_EQUAL(b.add("q", {0.8f, 0, 4}, 3), a); // the freed id is reused
  BOOST_CHECK_EQUAL(b.release(c).size(), 8u);        // leaving unfinished
  BOOST_CHECK_EQUAL(b.step(10), 0);
  BOOST_CHECK_EQUAL(b.text(a).size(), 3u);
  BOOST_CHECK_EQUAL(b.step(), 0);
}

BOOST_AUTO_TEST_SUITE_END()
