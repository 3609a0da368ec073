#define BOOST_TEST_MODULE model
// Checkpoint reading: the npz/npy reader, hyper-parameters from shapes, and every way a model
// file can be bad (each gives the right errc and a message naming the file and the problem).

#include "model/model.hpp"
#include "model/npz.hpp"
#include "tests/model/fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>

using namespace sonnet;
using namespace sonnet::test;
namespace sm = sonnet::model;

namespace {

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// Loads `path` expecting failure with `code` and a message holding `path` and `what`.
void expect_failure(const std::string& path, errc code, const std::string& what,
                    const sm::load_options& o = {}) {
  auto r = sm::load_model(path, o);
  BOOST_REQUIRE_MESSAGE(!r, "loading " << path << " should fail with: " << what);
  BOOST_TEST_MESSAGE("  " << r.err().message);
  BOOST_CHECK_EQUAL(to_string(r.err().code), to_string(code));
  BOOST_CHECK_MESSAGE(contains(r.err().message, path),
                      "message names the file: " << r.err().message);
  BOOST_CHECK_MESSAGE(contains(r.err().message, what),
                      "message says '" << what << "': " << r.err().message);
}

} // namespace

BOOST_AUTO_TEST_SUITE(npz_reader)

BOOST_AUTO_TEST_CASE(parses_stored_deflated_f4_f8_and_v2_headers) {
  zip_writer z;
  z.add("a.npy", npy_f4({2, 3}, {1, 2, 3, 4, 5, 6}), false);
  z.add("b.npy", npy_f8({3}, {0.5f, -1.f, 2.25f}), true);
  z.add("c.npy", npy_f4({1}, {7}, 2), true);
  z.add("s.npy", npy_f4({}, {3}), false);
  z.add("readme.txt", {'h', 'i'}, false); // not an array: ignored
  auto img = z.finish();
  auto r = sm::parse_npz(img.data(), img.size(), "mem.npz");
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.err().message));
  BOOST_CHECK_EQUAL(r->size(), 4u);
  const auto& a = r->at("a");
  BOOST_CHECK_EQUAL(sm::shape_string(a.shape), "(2,3)");
  BOOST_CHECK_EQUAL(a.values[5], 6.f);
  BOOST_CHECK(r->at("b").dtype == sm::npy_dtype::f8);
  BOOST_CHECK_EQUAL(r->at("b").values[2], 2.25f);
  BOOST_CHECK_EQUAL(r->at("c").values[0], 7.f);
  BOOST_CHECK_EQUAL(sm::shape_string(r->at("s").shape), "()");
  BOOST_CHECK_EQUAL(r->at("s").size(), 1u);
  // The arrays share one block: each 64-byte aligned, none overlapping, and an array outlives
  // the archive it came from.
  for (const char* n : {"a", "b", "c", "s"})
    BOOST_CHECK_EQUAL(reinterpret_cast<std::uintptr_t>(r->at(n).values.data()) % 64, 0u);
  BOOST_CHECK(r->at("a").values.end() <= r->at("b").values.begin()
              || r->at("b").values.end() <= r->at("a").values.begin());
  sm::npy_array kept = r->at("a");
  r = sonnet::fail(sonnet::errc::bad_checkpoint, "archive dropped");
  BOOST_CHECK_EQUAL(kept.values[0], 1.f);
  BOOST_CHECK_EQUAL(kept.values[5], 6.f);
}

BOOST_AUTO_TEST_CASE(refuses_bad_npy_headers) {
  struct row {
    sonnet::test::bytes img;
    std::string what;
  };
  auto raw = [](std::string hdr, std::size_t body) {
    sonnet::test::bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    put16(b, static_cast<std::uint32_t>(hdr.size()));
    b.insert(b.end(), hdr.begin(), hdr.end());
    b.resize(b.size() + body);
    return b;
  };
  std::vector<row> rows = {
    {raw("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8),
     "unsupported dtype '<i4'"},
    {raw("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8),
     "unsupported dtype '>f4'"},
    {raw("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8), "fortran_order"},
    {raw("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8), "truncated array data"},
    {raw("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 9), "unexpected bytes"},
    {raw("{'descr': '<f4', 'shape': (2,), }", 8), "malformed npy header"},
    {raw("{'descr': '<f4', 'fortran_order': False, 'shape': (2,x), }", 8), "malformed npy header"},
    {raw("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,99999999999), }", 8),
     "too large"},
    {{'x', 'y', 'z', 0, 0, 0, 0, 0, 0, 0, 0}, "bad magic"},
    {{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xFF, 0xFF}, "truncated npy header"},
    {{0x93, 'N', 'U', 'M', 'P', 'Y', 9, 0, 0, 0}, "version 9"},
  };
  for (const auto& r : rows) {
    auto a = sm::parse_npy(r.img.data(), r.img.size(), "f.npz: array 'x'");
    BOOST_REQUIRE(!a);
    BOOST_CHECK(a.err().code == errc::bad_checkpoint);
    BOOST_CHECK_MESSAGE(contains(a.err().message, r.what) && contains(a.err().message, "array 'x'"),
                        "expected '" << r.what << "' in: " << a.err().message);
  }
}

BOOST_AUTO_TEST_CASE(refuses_zip64_and_unknown_methods) {
  zip_writer z;
  z.add("a.npy", npy_f4({1}, {1}), false);
  auto img = z.finish();
  auto z64 = img;
  z64[z64.size() - 22 + 10] = 0xFF; // total entries = 0xFFFF: zip64 marker
  z64[z64.size() - 22 + 11] = 0xFF;
  z64[z64.size() - 22 + 8] = 0xFF;
  z64[z64.size() - 22 + 9] = 0xFF;
  auto r = sm::parse_npz(z64.data(), z64.size(), "big.npz");
  BOOST_REQUIRE(!r);
  BOOST_CHECK_MESSAGE(contains(r.err().message, "zip64") && contains(r.err().message, "big.npz"),
                      r.err().message);
  auto m12 = img;
  // method field of the central directory entry (offset 10 in it) -> 12 (bzip2)
  std::size_t cd = img.size() - 22 - (46 + 5);
  m12[cd + 10] = 12;
  r = sm::parse_npz(m12.data(), m12.size(), "bz.npz");
  BOOST_REQUIRE(!r);
  BOOST_CHECK_MESSAGE(contains(r.err().message, "compression method 12")
                        && contains(r.err().message, "array 'a'"),
                      r.err().message);
}

BOOST_AUTO_TEST_CASE(never_crashes_on_truncated_or_mutated_bytes) {
  auto img = tiny_npz(tiny_arrays(), {});
  // every truncation (a prefix of a zip is never valid: the EOCD is at the end)
  int failures = 0;
  for (std::size_t cut = 0; cut < img.size(); cut += 3) {
    auto r = sm::parse_npz(img.data(), cut, "cut.npz");
    failures += !r;
    if (r)
      BOOST_ERROR("prefix of " << cut << " bytes parsed");
    else if (r.err().code != errc::bad_checkpoint)
      BOOST_ERROR("wrong code at cut " << cut);
  }
  BOOST_TEST_MESSAGE("truncations refused: " << failures);
  // random byte mutations: any outcome but a crash; failures are bad_checkpoint
  std::mt19937 gen(1);
  int ok = 0;
  for (int it = 0; it < 3000; ++it) {
    auto m = img;
    int flips = 1 + static_cast<int>(gen() % 4);
    for (int f = 0; f < flips; ++f)
      m[gen() % m.size()] = static_cast<std::uint8_t>(gen());
    auto r = sm::parse_npz(m.data(), m.size(), "fuzz.npz");
    if (r)
      ++ok;
    else
      BOOST_CHECK(r.err().code == errc::bad_checkpoint);
  }
  BOOST_TEST_MESSAGE("mutations still parsing: " << ok << " of 3000");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_files)

BOOST_AUTO_TEST_CASE(missing_empty_devnull_directory_text) {
  expect_failure(temp_dir() + "/no_such_file.npz", errc::bad_checkpoint, "cannot open");
  expect_failure(temp_file("empty.npz", {}), errc::bad_checkpoint, "empty file");
  expect_failure("/dev/null", errc::bad_checkpoint, "character device, not a regular file");
  expect_failure(temp_dir(), errc::bad_checkpoint, "is a directory");
  std::string text = "This is not a zip archive, just some text long enough to be looked at.\n";
  expect_failure(temp_file("text.npz", sonnet::test::bytes(text.begin(), text.end())),
                 errc::bad_checkpoint, "not a zip archive");
}

BOOST_AUTO_TEST_CASE(truncated_zip_at_several_offsets) {
  auto img = tiny_npz(tiny_arrays(), {});
  for (double frac : {0.001, 0.1, 0.5, 0.9, 0.999}) {
    auto cut = static_cast<std::size_t>(static_cast<double>(img.size()) * frac);
    sonnet::test::bytes part(
      img.begin(), img.begin() + static_cast<std::ptrdiff_t>(std::max<std::size_t>(cut, 4)));
    expect_failure(temp_file("cut" + std::to_string(cut) + ".npz", part), errc::bad_checkpoint,
                   "truncated");
  }
  // the end of central directory kept, but a member's data cut out of the middle
  auto holed = img;
  holed.erase(holed.begin() + 100, holed.begin() + 400);
  auto r = sm::load_model(temp_file("holed.npz", holed));
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.err().code == errc::bad_checkpoint);
  BOOST_TEST_MESSAGE("  " << r.err().message);
}

BOOST_AUTO_TEST_CASE(missing_array_wrong_shape_nan_weight) {
  auto arrays = tiny_arrays();
  auto no_lnf = arrays;
  no_lnf.erase("ln_f.weight");
  expect_failure(temp_file("no_lnf.npz", tiny_npz(no_lnf)), errc::bad_checkpoint,
                 "missing array 'ln_f.weight'");
  auto no_head = arrays;
  no_head.erase("blocks.0.sa.heads.1.value.weight");
  expect_failure(temp_file("no_head.npz", tiny_npz(no_head)), errc::bad_checkpoint,
                 "missing array 'blocks.0.sa.heads.1.value.weight'");
  auto stray = arrays; // a stray head index must not make the loader allocate for 100000 heads
  stray["blocks.0.sa.heads.99999.tril"] = array_spec{{1}, {1.f}};
  expect_failure(temp_file("stray.npz", tiny_npz(stray)), errc::bad_checkpoint,
                 "missing array 'blocks.0.sa.heads.2.");
  auto shape = arrays;
  shape["lm_head.weight"] = array_spec{{10, 7}, std::vector<float>(70, 0.f)};
  expect_failure(temp_file("shape.npz", tiny_npz(shape)), errc::bad_checkpoint,
                 "array 'lm_head.weight' has shape (10,7), expected (10,8)");
  auto bias = arrays;
  bias["blocks.0.ffwd.net.0.bias"] = array_spec{{33}, std::vector<float>(33, 0.f)};
  expect_failure(temp_file("bias.npz", tiny_npz(bias)), errc::bad_checkpoint,
                 "array 'blocks.0.ffwd.net.0.bias' has shape (33,), expected (32,)");
  auto nan = arrays;
  nan["blocks.0.sa.proj.weight"].values[5] = std::numeric_limits<float>::quiet_NaN();
  expect_failure(temp_file("nan.npz", tiny_npz(nan)), errc::bad_weights,
                 "array 'blocks.0.sa.proj.weight'");
  auto inf = arrays;
  inf["embedding_table.weight"].values[0] = std::numeric_limits<float>::infinity();
  expect_failure(temp_file("inf.npz", tiny_npz(inf, {true, true})), errc::bad_weights,
                 "array 'embedding_table.weight' holds a non-finite value");
}

BOOST_AUTO_TEST_CASE(bad_vocabulary) {
  auto arrays = tiny_arrays();
  npz_options short_vocab;
  short_vocab.vocab = "abc";
  auto r = sm::load_model(temp_file("short_vocab.npz", tiny_npz(arrays, short_vocab)));
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.err().code == errc::bad_vocabulary);
  BOOST_CHECK_MESSAGE(contains(r.err().message, "has 3 chars")
                        && contains(r.err().message, "10 embedding rows"),
                      r.err().message);
  npz_options dup;
  dup.vocab = "aabcdefghi";
  r = sm::load_model(temp_file("dup_vocab.npz", tiny_npz(arrays, dup)));
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.err().code == errc::bad_vocabulary);
  // no vocabulary anywhere: names every place tried and the fix
  npz_options none;
  none.with_vocab = false;
  std::string nov = temp_file("novocab.npz", tiny_npz(arrays, none));
  r = sm::load_model(nov);
  BOOST_REQUIRE(!r);
  BOOST_TEST_MESSAGE("  " << r.err().message);
  BOOST_CHECK(r.err().code == errc::bad_vocabulary);
  BOOST_CHECK(contains(r.err().message, temp_dir() + "/novocab.vocab"));
  BOOST_CHECK(contains(r.err().message, "novocab.vocab"));
  BOOST_CHECK(contains(r.err().message, "write_vocab_from_corpus"));
  // explicit path that does not exist
  sm::load_options o;
  o.vocab_path = temp_dir() + "/nope.vocab";
  r = sm::load_model(nov, o);
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.err().code == errc::bad_vocabulary);
  BOOST_CHECK(contains(r.err().message, "nope.vocab"));
  // sidecar file beside the checkpoint is found; explicit path wins
  write_file(temp_dir() + "/novocab.vocab",
             sonnet::test::bytes(tiny_vocab.begin(), tiny_vocab.end()));
  auto ok = sm::load_model(nov);
  BOOST_REQUIRE_MESSAGE(ok, (ok ? std::string() : ok.err().message));
  BOOST_CHECK_EQUAL((*ok)->vocab_source(), temp_dir() + "/novocab.vocab");
  std::string other = "0123456789";
  write_file(temp_dir() + "/other.vocab", sonnet::test::bytes(other.begin(), other.end()));
  o.vocab_path = temp_dir() + "/other.vocab";
  ok = sm::load_model(nov, o);
  BOOST_REQUIRE(ok);
  BOOST_CHECK_EQUAL((*ok)->vocab().chars(), other);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(loading)

BOOST_AUTO_TEST_CASE(another_nanogpt_size_loads_stored_deflated_f4_f8) {
  auto arrays = tiny_arrays();
  std::vector<float> base;
  for (bool deflate : {false, true})
    for (bool f8 : {false, true}) {
      std::string p =
        temp_file(std::string("tiny_") + (deflate ? "z" : "s") + (f8 ? "8" : "4") + ".npz",
                  tiny_npz(arrays, {deflate, f8}));
      auto m = sm::load_model(p);
      BOOST_REQUIRE_MESSAGE(m, (m ? "" : m.err().message));
      const auto& hp = (*m)->hp();
      BOOST_CHECK_EQUAL(hp.vocab_size, 10);
      BOOST_CHECK_EQUAL(hp.n_embd, 8);
      BOOST_CHECK_EQUAL(hp.n_head, 2);
      BOOST_CHECK_EQUAL(hp.head_size, 4);
      BOOST_CHECK_EQUAL(hp.n_layer, 1);
      BOOST_CHECK_EQUAL(hp.block_size, 16);
      BOOST_CHECK_EQUAL(hp.n_ffwd, 32);
      BOOST_CHECK_EQUAL((*m)->vocab().chars(), tiny_vocab);
      BOOST_CHECK_EQUAL((*m)->vocab_source(), "array 'vocab' in " + p);
      auto lg = sm::last_logits(**m, "abc");
      BOOST_REQUIRE_EQUAL(lg.size(), 10u);
      if (base.empty())
        base = lg;
      BOOST_CHECK_SMALL(max_abs_diff(lg, base), 1e-6f); // f8 arrays are the same numbers
      sm::decoder d(*m, sm::window_mode::strided);
      d.start("ab", {0.8f, 0, 1});
      BOOST_CHECK_EQUAL(d.generate(40).size(), 40u);
    }
  // a deeper, wider variant: 3 layers, 4 heads, block 24
  tiny_spec t;
  t.n_layer = 3;
  t.n_head = 4;
  t.n_embd = 16;
  t.block = 24;
  t.ffwd = 64;
  auto m = sm::load_model(temp_file("tiny3.npz", tiny_npz(tiny_arrays(t))));
  BOOST_REQUIRE_MESSAGE(m, (m ? "" : m.err().message));
  BOOST_CHECK_EQUAL((*m)->hp().n_layer, 3);
  BOOST_CHECK_EQUAL((*m)->hp().n_head, 4);
  BOOST_CHECK_EQUAL((*m)->hp().block_size, 24);
}

namespace {

// Multiplies every query weight by `f`: with f a power of two every query, hence every
// attention score, is exactly f times the original, so it stands for an attention scale f times
// larger, bit for bit.
array_map with_queries_scaled(array_map a, float f) {
  for (auto& [name, arr] : a)
    if (name.find(".query.weight") != std::string::npos)
      for (auto& v : arr.values)
        v *= f;
  return a;
}

std::vector<float> logits_of(const std::string& path, sm::numerics v, float* scale = nullptr) {
  sm::load_options o;
  o.variant = v;
  auto m = sm::load_model(path, o);
  BOOST_REQUIRE_MESSAGE(m, (m ? "" : m.err().message));
  if (scale)
    *scale = (*m)->attn_scale();
  return sm::last_logits(**m, "abcab");
}

} // namespace

BOOST_AUTO_TEST_CASE(attn_scale_without_the_array_follows_the_variant) {
  auto p = temp_file("scale_none.npz", tiny_npz(tiny_arrays()));
  for (auto v : {sm::numerics::as_trained, sm::numerics::numpy_port}) {
    sm::load_options o;
    o.variant = v;
    auto m = sm::load_model(p, o);
    BOOST_REQUIRE(m);
    const bool trained = v == sm::numerics::as_trained;
    BOOST_CHECK_EQUAL((*m)->attn_scale(),
                      1.0f / std::sqrt(trained ? 8.0f : 4.0f)); // n_embd 8, head 4
    BOOST_CHECK(!(*m)->attn_scale_from_checkpoint());
    BOOST_CHECK_EQUAL((*m)->attn_scale_source(),
                      trained ? "as_trained: 1/sqrt(n_embd)" : "numpy_port: 1/sqrt(head_size)");
  }
}

// The checkpoint's `attn_scale` is the scale under either variant. Sizes where the two rules
// differ by a power of two (n_embd 16, head_size 4: 1/4 vs 1/2), so a model without the array
// whose queries are scaled to match must give the very same logits.
BOOST_AUTO_TEST_CASE(attn_scale_array_overrides_the_variant) {
  tiny_spec t;
  t.n_embd = 16;
  t.n_head = 4;
  const auto base = tiny_arrays(t);
  auto with_scale = [&](float s) {
    auto a = base;
    a["attn_scale"] = array_spec{{1}, {s}};
    return a;
  };
  // numpy_port with 1/sqrt(n_embd) = numpy_port without the array, queries halved.
  std::string p = temp_file("scale_quarter.npz", tiny_npz(with_scale(0.25f)));
  float got = 0;
  auto lg = logits_of(p, sm::numerics::numpy_port, &got);
  BOOST_CHECK_EQUAL(got, 0.25f);
  auto want = logits_of(temp_file("scale_q_half.npz", tiny_npz(with_queries_scaled(base, 0.5f))),
                        sm::numerics::numpy_port);
  BOOST_CHECK_EQUAL(max_abs_diff(lg, want), 0.f);
  // ... and under as_trained it is the as_trained rule's own scale: the same as without it.
  BOOST_CHECK_EQUAL(
    max_abs_diff(logits_of(p, sm::numerics::as_trained),
                 logits_of(temp_file("scale_plain.npz", tiny_npz(base)), sm::numerics::as_trained)),
    0.f);
  // as_trained with 1/sqrt(head_size) = as_trained without the array, queries doubled.
  p = temp_file("scale_half.npz", tiny_npz(with_scale(0.5f)));
  lg = logits_of(p, sm::numerics::as_trained, &got);
  BOOST_CHECK_EQUAL(got, 0.5f);
  want = logits_of(temp_file("scale_q_double.npz", tiny_npz(with_queries_scaled(base, 2.f))),
                   sm::numerics::as_trained);
  BOOST_CHECK_EQUAL(max_abs_diff(lg, want), 0.f);
  // A float64 array is the same number.
  auto p8 = temp_file("scale_half_f8.npz", tiny_npz(with_scale(0.5f), {true, true}));
  BOOST_CHECK_EQUAL(max_abs_diff(logits_of(p8, sm::numerics::as_trained, &got), lg), 0.f);
  BOOST_CHECK_EQUAL(got, 0.5f);
  auto m = sm::load_model(p);
  BOOST_REQUIRE(m);
  BOOST_CHECK((*m)->attn_scale_from_checkpoint());
  BOOST_CHECK_EQUAL((*m)->attn_scale_source(), "array 'attn_scale' in " + p);
}

BOOST_AUTO_TEST_CASE(bad_attn_scale_is_a_bad_checkpoint) {
  const auto base = tiny_arrays();
  auto bad = [&](const std::string& name, array_spec a, const std::string& what) {
    auto arrays = base;
    arrays["attn_scale"] = std::move(a);
    expect_failure(temp_file(name, tiny_npz(arrays)), errc::bad_checkpoint,
                   "array 'attn_scale' " + what);
  };
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  bad("scale_two.npz", {{2}, {0.5f, 0.5f}}, "has shape (2,), expected (1,)");
  bad("scale_scalar.npz", {{}, {0.5f}}, "has shape (), expected (1,)");
  bad("scale_matrix.npz", {{1, 1}, {0.5f}}, "has shape (1,1), expected (1,)");
  bad("scale_nan.npz", {{1}, {nan}}, "holds nan, expected a finite number > 0");
  bad("scale_inf.npz", {{1}, {inf}}, "holds inf, expected a finite number > 0");
  bad("scale_zero.npz", {{1}, {0.f}}, "holds 0, expected a finite number > 0");
  bad("scale_negative.npz", {{1}, {-0.5f}}, "holds -0.5, expected a finite number > 0");
  // uint8 bytes are not a scale
  zip_writer z;
  for (const auto& [name, a] : base)
    z.add(name + ".npy", npy_f4(a.shape, a.values), true);
  z.add("vocab.npy", npy_u1(tiny_vocab), true);
  z.add("attn_scale.npy", npy_u1("x"), true);
  expect_failure(temp_file("scale_u1.npz", z.finish()), errc::bad_checkpoint,
                 "array 'attn_scale' has dtype uint8");
}

BOOST_AUTO_TEST_CASE(shakespeare_hparams_and_vocab,
                     *boost::unit_test::precondition(have_checkpoint{})) {
  auto m = sm::load_model(checkpoint_path);
  BOOST_REQUIRE_MESSAGE(m, (m ? "" : m.err().message));
  const auto& hp = (*m)->hp();
  BOOST_CHECK_EQUAL(hp.vocab_size, 65);
  BOOST_CHECK_EQUAL(hp.n_embd, 128);
  BOOST_CHECK_EQUAL(hp.n_head, 4);
  BOOST_CHECK_EQUAL(hp.head_size, 32);
  BOOST_CHECK_EQUAL(hp.n_layer, 4);
  BOOST_CHECK_EQUAL(hp.block_size, 64);
  BOOST_CHECK_EQUAL(hp.n_ffwd, 512);
  BOOST_TEST_MESSAGE("vocabulary from " << (*m)->vocab_source());
  const auto& v = (*m)->vocab();
  BOOST_CHECK_EQUAL(v.chars(),
                    "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
  BOOST_CHECK_EQUAL(v.encode_char('~'), v.encode_char(' ')); // unknown -> ' '
  BOOST_CHECK(!v.contains('~'));
  BOOST_CHECK_EQUAL(v.decode(v.encode("ROMEO:\nBut")), "ROMEO:\nBut");
}

BOOST_AUTO_TEST_CASE(write_vocab_from_corpus_sorted_distinct_bytes) {
  std::string corpus = "hello world\nzebra!";
  write_file(temp_dir() + "/corpus.txt", sonnet::test::bytes(corpus.begin(), corpus.end()));
  auto r = sm::write_vocab_from_corpus(temp_dir() + "/corpus.txt", temp_dir() + "/corpus.vocab");
  BOOST_REQUIRE(r);
  std::ifstream f(temp_dir() + "/corpus.vocab", std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  BOOST_CHECK_EQUAL(got, std::string("\n !abdehlorwz"));
  auto bad = sm::write_vocab_from_corpus(temp_dir() + "/missing.txt", temp_dir() + "/x.vocab");
  BOOST_REQUIRE(!bad);
  BOOST_CHECK(bad.err().code == errc::bad_vocabulary);
  // The shipped reference vocabulary is Tiny Shakespeare's (data/, in the repository).
  std::string corpus_path = std::string(SONNET_SOURCE_DIR) + "/data/tinyshakespeare.txt";
  {
    BOOST_REQUIRE(sm::write_vocab_from_corpus(corpus_path, temp_dir() + "/ts.vocab"));
    std::ifstream g(temp_dir() + "/ts.vocab", std::ios::binary);
    std::string ts((std::istreambuf_iterator<char>(g)), std::istreambuf_iterator<char>());
    std::ifstream h(std::string(SONNET_SOURCE_DIR) + "/configs/shakespeare_gpt.vocab",
                    std::ios::binary);
    std::string shipped((std::istreambuf_iterator<char>(h)), std::istreambuf_iterator<char>());
    BOOST_CHECK_EQUAL(ts, shipped);
  }
}

BOOST_AUTO_TEST_SUITE_END()
