#pragma once
// SHA-256 (FIPS 180-4) in plain C++: names a model file by its content (`sonnet info`, sonnetd's
// start line) without a crypto library. Not constant-time; nothing here is a secret.

#include "core/result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sonnet {

/// Incremental SHA-256: update() any number of times, then digest() once.
class sha256 {
public:
  sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// The 32-byte digest; the object is spent afterwards.
  std::array<std::uint8_t, 32> digest();

private:
  void block(const std::uint8_t* p);
  std::uint32_t h_[8];
  std::uint8_t buf_[64];
  std::size_t used_ = 0;
  std::uint64_t bytes_ = 0;
};

/// Lower-case hex of a digest.
std::string to_hex(const std::array<std::uint8_t, 32>& d);
/// Hex SHA-256 of `s`.
std::string sha256_hex(std::string_view s);
/// Hex SHA-256 of a file's bytes; `code` (with the path and why) when it cannot be read.
result<std::string> sha256_file_hex(const std::string& path, errc code = errc::invalid_argument);

} // namespace sonnet
