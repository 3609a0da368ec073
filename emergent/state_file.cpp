#include "emergent/state_file.hpp"

#include "core/regular_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
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

// Opens PATH.tmp and locks it. Several processes may save the same state (they share a
// cloud): the lock keeps two from writing one temp file at once, and a file that a holder
// renamed away while we waited (no longer PATH.tmp) is not ours to write: open again.
result<int> open_locked_temp(const std::string& tmp) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return fail(errc::state_write_failed, tmp + ": cannot create" + reason(errno));
    if (::flock(fd, LOCK_EX) != 0) {
      const int e = errno;
      ::close(fd);
      return fail(errc::state_write_failed, tmp + ": cannot lock" + reason(e));
    }
    struct stat held{}, named{};
    if (::fstat(fd, &held) == 0 && ::stat(tmp.c_str(), &named) == 0 && held.st_ino == named.st_ino
        && held.st_dev == named.st_dev)
      return fd;
    ::close(fd);
  }
  return fail(errc::state_write_failed, tmp + ": other writers kept replacing it");
}

// Writes and fsyncs PATH.tmp, holding its lock; the caller renames it, then closes `fd`.
result<int> write_temp(const std::string& tmp, const std::string& text) {
  auto fd = open_locked_temp(tmp);
  if (!fd)
    return fd.err();
  const char* step = nullptr;
  int e = 0;
  if (::ftruncate(*fd, 0) != 0)
    step = ": truncate failed", e = errno;
  else if (!write_all(*fd, text))
    step = ": write failed", e = errno;
  else if (::fsync(*fd) != 0)
    step = ": fsync failed", e = errno;
  if (step == nullptr)
    return fd;
  ::unlink(tmp.c_str());
  ::close(*fd);
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
  auto fd = write_temp(tmp, text);
  if (!fd)
    return fd.err();
  // Renamed while locked, so a waiting writer finds it gone and opens a new PATH.tmp.
  const int renamed = ::rename(tmp.c_str(), path.c_str());
  const int e = errno;
  if (renamed != 0)
    ::unlink(tmp.c_str());
  ::close(*fd); // written and fsynced already; closing releases the lock
  if (renamed != 0)
    return fail(errc::state_write_failed, path + ": rename from " + tmp + " failed" + reason(e));
  // Best effort: the data is already durable in the file; this makes the new name durable too.
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

} // namespace sonnet::emergent
