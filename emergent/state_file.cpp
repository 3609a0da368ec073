#include "emergent/state_file.hpp"

#include "core/regular_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace sonnet::emergent {

namespace {

std::string reason(int errnum) {
  return std::string(" (") + std::strerror(errnum) + ")";
}

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// write(2) until done; false with errno set on failure.
bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Writes and fsyncs PATH.tmp; the caller renames it.
result<void> write_temp(const std::string& tmp, const std::string& text) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail(errc::state_write_failed, tmp + ": cannot create" + reason(errno));
  const char* step = nullptr;
  int e = 0;
  if (!write_all(fd, text))
    step = ": write failed", e = errno;
  else if (::fsync(fd) != 0)
    step = ": fsync failed", e = errno;
  if (::close(fd) != 0 && step == nullptr)
    step = ": close failed", e = errno;
  if (step == nullptr)
    return {};
  ::unlink(tmp.c_str());
  return fail(errc::state_write_failed, tmp + step + reason(e));
}

} // namespace

result<std::string> read_state_file(const std::string& path) {
  auto bytes = read_regular_file(path, errc::bad_state_file, max_state_file_bytes);
  if (!bytes)
    return bytes.err();
  return std::string(bytes->begin(), bytes->end());
}

result<void> write_state_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  if (auto written = write_temp(tmp, text); !written)
    return written.err();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return fail(errc::state_write_failed, path + ": rename from " + tmp + " failed" + reason(e));
  }
  // Best effort: the data is already durable in the file; this makes the new name durable too.
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

} // namespace sonnet::emergent
