#include "core/regular_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sonnet {

namespace {

const char* kind(mode_t m) {
  if (S_ISDIR(m))
    return "is a directory";
  if (S_ISFIFO(m))
    return "is a FIFO (named pipe), not a regular file";
  if (S_ISCHR(m))
    return "is a character device, not a regular file";
  if (S_ISBLK(m))
    return "is a block device, not a regular file";
  if (S_ISSOCK(m))
    return "is a socket, not a regular file";
  return "is not a regular file";
}

} // namespace

result<regular_file> regular_file::open(const std::string& path, errc code) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return fail(code, path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return fail(code, path + ": cannot stat (" + std::strerror(e) + ")");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(code, path + ": " + kind(st.st_mode));
  }
  // Regular files never block; cleared anyway so that later reads are plain blocking reads.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    const int e = errno;
    ::close(fd);
    return fail(code, path + ": cannot open (" + std::strerror(e) + ")");
  }
  return regular_file(fd, static_cast<std::uint64_t>(st.st_size));
}

regular_file::regular_file(regular_file&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

regular_file& regular_file::operator=(regular_file&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
  }
  return *this;
}

regular_file::~regular_file() {
  if (fd_ >= 0)
    ::close(fd_);
}

result<std::vector<std::uint8_t>> regular_file::read_all(std::size_t limit, errc code,
                                                         const std::string& path) {
  // Sized from fstat and read in place; a file that grew meanwhile is read on, up to limit + 1.
  std::vector<std::uint8_t> bytes(
    static_cast<std::size_t>(std::min<std::uint64_t>(size_, limit) + 1));
  std::size_t have = 0;
  for (;;) {
    if (have == bytes.size()) {
      if (bytes.size() > limit)
        break;
      bytes.resize(std::min(limit + 1, bytes.size() * 2));
    }
    const ssize_t n = ::read(fd_, bytes.data() + have, bytes.size() - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail(code, path + ": read error (" + std::strerror(errno) + ")");
    if (n == 0)
      break;
    have += static_cast<std::size_t>(n);
  }
  if (have > limit)
    return fail(code, path + ": file too large (over " + std::to_string(limit) + " bytes)");
  bytes.resize(have);
  return bytes;
}

result<void> check_regular_file(const std::string& path, errc code) {
  auto f = regular_file::open(path, code);
  if (!f)
    return f.err();
  return {};
}

result<std::vector<std::uint8_t>> read_regular_file(const std::string& path, errc code,
                                                    std::size_t limit) {
  auto f = regular_file::open(path, code);
  if (!f)
    return f.err();
  return f->read_all(limit, code, path);
}

} // namespace sonnet
