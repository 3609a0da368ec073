// Steady-state decoding allocates nothing: no heap allocation per token in either window mode
// (KV-cache GEMV steps and the batched window recomputes alike). Counted by interposing malloc
// in this test binary (glibc only; not under ASan/TSan, which own malloc themselves).

#include "model/model.hpp"
#include "tests/model/fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define SONNET_COUNT_MALLOC 1
extern "C" void* __libc_malloc(std::size_t);
namespace {
std::atomic<long> g_mallocs{0};
std::atomic<std::size_t> g_largest{0};
} // namespace
extern "C" void* malloc(std::size_t n) {
  g_mallocs.fetch_add(1, std::memory_order_relaxed);
  for (auto seen = g_largest.load(std::memory_order_relaxed);
       n > seen && !g_largest.compare_exchange_weak(seen, n, std::memory_order_relaxed);) {
  }
  return __libc_malloc(n);
}
#endif

namespace sonnet::test {
// The largest malloc since the last call (tests/model/bad_sizes.cpp); -1 when not interposed.
long long take_largest_malloc() {
#ifdef SONNET_COUNT_MALLOC
  return static_cast<long long>(g_largest.exchange(0));
#else
  return -1;
#endif
}
} // namespace sonnet::test

using namespace sonnet::test;
namespace sm = sonnet::model;

namespace {

// Allocations during `n` next() calls after a warm-up that covers the first window slide.
long allocations(const std::shared_ptr<const sm::model>& m, sm::window_mode mode, int n) {
  sm::decoder d(m, mode);
  d.start("\n", {0.8f, 0, 3});
  d.generate(2 * m->hp().block_size);
#ifdef SONNET_COUNT_MALLOC
  long before = g_mallocs.load();
  for (int i = 0; i < n; ++i)
    d.next();
  return g_mallocs.load() - before;
#else
  (void)n;
  return -1;
#endif
}

// Allocations during `n` batched steps of 16 sequences, after a warm-up covering window slides.
long batch_allocations(const std::shared_ptr<const sm::model>& m, sm::window_mode mode, int n) {
  sm::batch_decoder b(m, mode);
  for (int i = 0; i < 16; ++i)
    b.add("\n", {0.8f, 0, static_cast<uint64_t>(i)}, 100000);
  b.step(2 * m->hp().block_size);
#ifdef SONNET_COUNT_MALLOC
  long before = g_mallocs.load();
  b.step(n);
  return g_mallocs.load() - before;
#else
  (void)n;
  return -1;
#endif
}

} // namespace

BOOST_AUTO_TEST_SUITE(allocation)

BOOST_AUTO_TEST_CASE(no_allocation_per_token) {
  std::vector<std::shared_ptr<const sm::model>> models;
  auto tiny = sm::load_model(temp_file("tiny_alloc.npz", tiny_npz(tiny_arrays())));
  BOOST_REQUIRE(tiny);
  models.push_back(*tiny);
  auto real = sm::load_model(default_model);
  BOOST_REQUIRE_MESSAGE(real, (real ? "" : real.err().message));
  models.push_back(*real);
  for (const auto& m : models)
    for (auto mode : {sm::window_mode::strided, sm::window_mode::exact}) {
      long a = allocations(m, mode, 300);
      if (a < 0) {
        BOOST_TEST_MESSAGE(
          "malloc not interposed in this build (sanitizer or non-glibc): not measured");
        return;
      }
      BOOST_CHECK_MESSAGE(a == 0, "block "
                                    << m->hp().block_size
                                    << (mode == sm::window_mode::exact ? " exact" : " strided")
                                    << ": " << a << " allocations over 300 tokens");
    }
}

BOOST_AUTO_TEST_CASE(no_allocation_per_batched_step) {
  auto tiny = sm::load_model(temp_file("tiny_alloc_b.npz", tiny_npz(tiny_arrays())));
  BOOST_REQUIRE(tiny);
  for (auto mode : {sm::window_mode::strided, sm::window_mode::exact}) {
    long a = batch_allocations(*tiny, mode, 100);
    if (a < 0)
      return;
    BOOST_CHECK_MESSAGE(a == 0, a << " allocations over 100 steps of 16 sequences");
  }
  auto real = sm::load_model(default_model);
  BOOST_REQUIRE_MESSAGE(real, (real ? "" : real.err().message));
  BOOST_CHECK_EQUAL(batch_allocations(*real, sm::window_mode::strided, 100), 0);
}

BOOST_AUTO_TEST_SUITE_END()
