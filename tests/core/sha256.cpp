#define BOOST_TEST_MODULE core
// SHA-256 against the FIPS 180-4 / NIST test vectors, fed whole and in odd pieces.
#include <boost/test/unit_test.hpp>

#include "core/sha256.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace sonnet;

BOOST_AUTO_TEST_SUITE(sha256_digest)

BOOST_AUTO_TEST_CASE(known_vectors) {
  BOOST_TEST(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(sha256_hex("abc")
             == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 56 bytes: the padding needs a second block.
  BOOST_TEST(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
             == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  BOOST_TEST(
    sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
               "klmnopqrlmnopqrsmnopqrstnopqrstu")
    == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  BOOST_TEST(sha256_hex(std::string(1000000, 'a'))
             == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(pieces_of_any_size_give_the_same_digest) {
  std::string data;
  for (int i = 0; i < 1000; ++i)
    data += static_cast<char>(i * 37 + 11);
  const auto whole = sha256_hex(data);
  for (std::size_t piece : {1u, 3u, 63u, 64u, 65u, 200u}) {
    sha256 h;
    for (std::size_t at = 0; at < data.size(); at += piece)
      h.update(std::string_view(data).substr(at, piece));
    BOOST_TEST(to_hex(h.digest()) == whole, "pieces of " << piece);
  }
}

BOOST_AUTO_TEST_CASE(file_digest_and_unreadable_file) {
  auto path =
    (std::filesystem::temp_directory_path() / ("sonnet_sha_" + std::to_string(::getpid())))
      .string();
  std::ofstream(path, std::ios::binary) << std::string(200000, 'a') << "abc";
  auto h = sha256_file_hex(path);
  BOOST_REQUIRE(h.ok());
  BOOST_TEST(*h == sha256_hex(std::string(200000, 'a') + "abc"));
  std::remove(path.c_str());
  auto missing = sha256_file_hex(path, errc::bad_checkpoint);
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.err().code == errc::bad_checkpoint);
  BOOST_TEST(missing.err().message.find(path) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
