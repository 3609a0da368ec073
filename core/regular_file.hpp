#pragma once
// Opens a file that a command reads (a model, a prompt, a corpus, a config file) and refuses,
// at once and without reading, anything that is not a regular file: a directory, a FIFO (which
// would block the open or the read forever), a character device such as /dev/zero (endless).

#include "core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sonnet {

/// An open regular file (read-only, blocking reads); closes on destruction.
class regular_file {
public:
  /// Opens `path` with O_NONBLOCK (a FIFO's open does not wait for a writer), requires S_ISREG
  /// from fstat, then clears O_NONBLOCK. Errors carry `code` and name the path.
  static result<regular_file> open(const std::string& path, errc code);

  regular_file(regular_file&& other) noexcept;
  regular_file& operator=(regular_file&& other) noexcept;
  regular_file(const regular_file&) = delete;
  regular_file& operator=(const regular_file&) = delete;
  ~regular_file();

  int fd() const { return fd_; }
  /// The size fstat reported at open.
  std::uint64_t size() const { return size_; }

  /// Reads the whole file; more than `limit` bytes is an error (read stops at limit + 1).
  result<std::vector<std::uint8_t>> read_all(std::size_t limit, errc code, const std::string& path);

private:
  regular_file(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

/// Checks that `path` is a regular file (opened as above, then closed): for paths a library
/// opens later itself.
result<void> check_regular_file(const std::string& path, errc code);

/// regular_file::open + read_all.
result<std::vector<std::uint8_t>> read_regular_file(const std::string& path, errc code,
                                                    std::size_t limit);

} // namespace sonnet
