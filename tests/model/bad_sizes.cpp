// Declared sizes are checked against the file before anything is allocated: a tiny checkpoint
// declaring a huge array is refused at once, naming the array; a FIFO or a device as the model
// is refused without a read.

#include "model/model.hpp"
#include "model/npz.hpp"
#include "tests/model/fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <sys/stat.h>

using namespace sonnet;
using namespace sonnet::test;
namespace sm = sonnet::model;

namespace sonnet::test {
long long take_largest_malloc(); // tests/model/allocation.cpp
}

namespace {

void put32_at(bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

struct outcome {
  bool ok;
  std::string message;
  double us;
  long long largest; // bytes; -1 when malloc is not interposed
};

outcome parse(const bytes& img, const std::string& path) {
  take_largest_malloc();
  auto t0 = std::chrono::steady_clock::now();
  auto r = sm::parse_npz(img.data(), img.size(), path);
  const double us =
    std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  const long long largest = take_largest_malloc();
  return {bool(r), r ? std::string{} : r.err().message, us, largest};
}

void expect_refused_cheaply(const outcome& o, const std::string& what) {
  BOOST_TEST_MESSAGE("  " << o.message << " (" << o.us << " us, largest malloc " << o.largest
                          << " B)");
  BOOST_REQUIRE(!o.ok);
  BOOST_CHECK_MESSAGE(o.message.find("array 'big'") != std::string::npos, o.message);
  BOOST_CHECK_MESSAGE(o.message.find(what) != std::string::npos, o.message);
  BOOST_TEST(o.us < 50000.0); // microseconds in practice; generous for sanitizer builds
  if (o.largest >= 0)
    BOOST_TEST(o.largest < (1 << 20));
}

// One member "big.npy" holding `npy`, stored or deflated; offsets of its size fields.
struct one_member {
  bytes img;
  std::size_t local = 0, central = 0; // header offsets
};

one_member single(const bytes& npy, bool deflate) {
  zip_writer z;
  z.add("big.npy", npy, deflate);
  one_member m;
  m.img = z.finish();
  m.central = m.img.size() - 22 - (46 + 7);
  return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(declared_sizes)

BOOST_AUTO_TEST_CASE(npy_shape_larger_than_the_file_is_refused_without_allocating) {
  // ~200 bytes declaring 268435456 floats (1 GiB).
  auto m = single(npy_image("<f4", {268435456}, bytes(16, 0)), false);
  BOOST_TEST(m.img.size() < 300u);
  expect_refused_cheaply(parse(m.img, "shape.npz"), "truncated array data");
}

BOOST_AUTO_TEST_CASE(zip_sizes_larger_than_the_file_are_refused_without_allocating) {
  auto m = single(npy_f4({4}, {1, 2, 3, 4}), false);
  auto both = m.img; // stored member declaring 1 GiB in both headers
  for (std::size_t at : {std::size_t{18}, std::size_t{22}})
    put32_at(both, at, 1u << 30);
  put32_at(both, m.central + 20, 1u << 30);
  put32_at(both, m.central + 24, 1u << 30);
  expect_refused_cheaply(parse(both, "stored.npz"), "out of range");
  auto usize = m.img; // only the uncompressed size
  put32_at(usize, m.central + 24, 1u << 30);
  expect_refused_cheaply(parse(usize, "usize.npz"), "sizes differ");
}

BOOST_AUTO_TEST_CASE(deflated_member_declaring_an_implausible_size_is_refused) {
  auto m = single(npy_f4({4}, {1, 2, 3, 4}), true);
  auto img = m.img;
  put32_at(img, m.central + 24, 1u << 30);
  expect_refused_cheaply(parse(img, "bomb.npz"), "implausible uncompressed size");
  // Within deflate's 1032:1 but beyond 64 MiB at more than 100:1: a bomb, refused as well.
  bytes zeros(std::size_t{80} << 20, 0);
  auto z = single(npy_image("|u1", {zeros.size()}, zeros), true);
  zeros = {};
  expect_refused_cheaply(parse(z.img, "zeros.npz"), "implausible uncompressed size");
  // More than the data inflates to: refused after inflating into the declared size only.
  auto over = m.img;
  put32_at(over, m.central + 24, 4096);
  auto o = parse(over, "over.npz");
  BOOST_REQUIRE(!o.ok);
  BOOST_CHECK_MESSAGE(o.message.find("array 'big'") != std::string::npos, o.message);
}

BOOST_AUTO_TEST_CASE(fifo_and_devices_as_the_model_are_refused_at_once) {
  const std::string fifo = temp_dir() + "/model.fifo";
  ::unlink(fifo.c_str());
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const auto& path : std::vector<std::string>{fifo, "/dev/zero", "/dev/null"}) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = sm::load_model(path);
    const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    BOOST_REQUIRE(!r);
    BOOST_TEST_MESSAGE("  " << r.err().message << " (" << ms << " ms)");
    BOOST_TEST(to_string(r.err().code) == to_string(errc::bad_checkpoint));
    BOOST_CHECK_MESSAGE(r.err().message.find("not a regular file") != std::string::npos,
                        r.err().message);
    BOOST_TEST(ms < 1000.0);
  }
  ::unlink(fifo.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
