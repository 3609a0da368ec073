// page_buffer: zeroed, aligned memory of at least the size asked for, owned by exactly one object.

#include "model/page_buffer.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <utility>

namespace sm = sonnet::model;

namespace {

bool all_zero(const sm::page_buffer& b, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(b.data());
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != 0)
      return false;
  return true;
}

std::uintptr_t address(const sm::page_buffer& b) {
  return reinterpret_cast<std::uintptr_t>(b.data());
}

} // namespace

BOOST_AUTO_TEST_SUITE(page_buffer)

BOOST_AUTO_TEST_CASE(small_and_large_buffers_are_zeroed_aligned_and_writable) {
  // 256 KiB: one K/V cache (plain pages); 2 MiB + 1: a slab that needs two huge pages.
  for (std::size_t n : {std::size_t{1}, std::size_t{256} << 10, (std::size_t{2} << 20) + 1}) {
    sm::page_buffer b(n);
    BOOST_TEST_CONTEXT("size " << n) {
      BOOST_REQUIRE(b.data() != nullptr);
      BOOST_CHECK_GE(b.size(), n);
      BOOST_CHECK_EQUAL(address(b) % 4096, 0u);
      BOOST_CHECK(all_zero(b, b.size()));
      std::memset(b.data(), 0xAB, b.size()); // every byte is ours to write
    }
  }
  // Large buffers start on a 2 MiB boundary: only aligned ranges can be huge pages.
  sm::page_buffer big(std::size_t{3} << 20);
  BOOST_CHECK_EQUAL(address(big) % (std::size_t{2} << 20), 0u);
  BOOST_CHECK_EQUAL(big.size() % (std::size_t{2} << 20), 0u);
}

BOOST_AUTO_TEST_CASE(empty_and_moved_from_buffers_hold_nothing) {
  sm::page_buffer none(0);
  BOOST_CHECK(none.data() == nullptr);
  BOOST_CHECK_EQUAL(none.size(), 0u);

  sm::page_buffer a(std::size_t{1} << 20);
  static_cast<unsigned char*>(a.data())[5] = 7;
  void* p = a.data();
  sm::page_buffer b(std::move(a));
  BOOST_CHECK(a.data() == nullptr);
  BOOST_CHECK_EQUAL(a.size(), 0u);
  BOOST_CHECK_EQUAL(b.data(), p); // the mapping moves, addresses into it stay valid
  BOOST_CHECK_EQUAL(static_cast<unsigned char*>(b.data())[5], 7);

  sm::page_buffer c(64);
  c = std::move(b);
  BOOST_CHECK_EQUAL(c.data(), p);
  BOOST_CHECK(b.data() == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
