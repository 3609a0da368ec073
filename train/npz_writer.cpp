// .npz writing: .npy v1 images in a zip (stored or deflated with libdeflate), written atomically.
#include "train/npz_writer.hpp"

#include <libdeflate.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace sonnet::train {

namespace {

using bytes = std::vector<uint8_t>;

void put16(bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void put32(bytes& b, uint32_t v) {
  put16(b, v & 0xffff);
  put16(b, v >> 16);
}

// A .npy v1 image: magic, header dict padded so the data starts at a multiple of 64.
bytes npy(const npy_member& m) {
  std::string dict = "{'descr': '" + m.descr + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < m.shape.size(); ++i)
    dict += std::to_string(m.shape[i])
            + (m.shape.size() == 1 ? "," : (i + 1 < m.shape.size() ? ", " : ""));
  dict += "), }";
  while ((10 + dict.size() + 1) % 64 != 0)
    dict += ' ';
  dict += '\n';
  bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  put16(b, static_cast<uint32_t>(dict.size()));
  b.insert(b.end(), dict.begin(), dict.end());
  const auto* d = static_cast<const uint8_t*>(m.data);
  b.insert(b.end(), d, d + m.size);
  return b;
}

// A zip archive of the members (method 8 = deflate, or 0 = stored when level is 0).
result<bytes> zip(const std::vector<npy_member>& members, int level) {
  std::unique_ptr<libdeflate_compressor, void (*)(libdeflate_compressor*)> deflater(
    libdeflate_alloc_compressor(level > 0 ? level : 1), libdeflate_free_compressor);
  if (!deflater)
    return fail(errc::internal, "cannot allocate a deflate compressor");
  bytes out, central;
  for (const auto& m : members) {
    const bytes raw = npy(m);
    const std::string name = m.name + ".npy";
    const uint32_t crc = libdeflate_crc32(0, raw.data(), raw.size());
    bytes packed;
    uint16_t method = 0;
    if (level > 0) {
      packed.resize(libdeflate_deflate_compress_bound(deflater.get(), raw.size()));
      const std::size_t n = libdeflate_deflate_compress(deflater.get(), raw.data(), raw.size(),
                                                        packed.data(), packed.size());
      if (n == 0)
        return fail(errc::internal, "deflate failed for array '" + m.name + "'");
      packed.resize(n);
      method = 8;
    }
    const bytes& body = method == 8 ? packed : raw;
    if (raw.size() >= 0xffffffffULL || out.size() >= 0xffffffffULL)
      return fail(errc::invalid_argument, "checkpoint too large for a zip without zip64");
    const auto offset = static_cast<uint32_t>(out.size());
    auto header = [&](bytes& b, bool central_entry) {
      put32(b, central_entry ? 0x02014b50 : 0x04034b50);
      if (central_entry)
        put16(b, 20); // version made by
      put16(b, 20);   // version needed
      put16(b, 0);    // flags
      put16(b, method);
      put16(b, 0);    // time
      put16(b, 0x21); // date: 1980-01-01
      put32(b, crc);
      put32(b, static_cast<uint32_t>(body.size()));
      put32(b, static_cast<uint32_t>(raw.size()));
      put16(b, static_cast<uint32_t>(name.size()));
      put16(b, 0); // extra
      if (central_entry) {
        put16(b, 0); // comment
        put16(b, 0); // disk
        put16(b, 0); // internal attributes
        put32(b, 0); // external attributes
        put32(b, offset);
      }
      b.insert(b.end(), name.begin(), name.end());
    };
    header(out, false);
    out.insert(out.end(), body.begin(), body.end());
    header(central, true);
  }
  const auto cd_offset = static_cast<uint32_t>(out.size());
  out.insert(out.end(), central.begin(), central.end());
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<uint32_t>(members.size()));
  put16(out, static_cast<uint32_t>(members.size()));
  put32(out, static_cast<uint32_t>(central.size()));
  put32(out, cd_offset);
  put16(out, 0);
  return out;
}

// path.tmp, written and fsynced, renamed over path, directory fsynced.
result<void> write_atomically(const std::string& path, const bytes& data) {
  const std::string tmp = path + ".tmp";
  auto failed = [&](const std::string& what) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return fail(errc::invalid_argument, path + ": " + what + " (" + std::strerror(e) + ")");
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail(errc::invalid_argument, tmp + ": cannot create (" + std::strerror(errno) + ")");
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ::close(fd);
      return failed("write failed");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return failed("fsync failed");
  }
  if (::close(fd) != 0)
    return failed("close failed");
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return failed("rename failed");
  const auto slash = path.find_last_of('/');
  const std::string dir =
    slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

} // namespace

result<void> write_npz(const std::string& path, const std::vector<npy_member>& members, int level) {
  auto z = zip(members, level);
  if (!z)
    return z.err();
  return write_atomically(path, *z);
}

} // namespace sonnet::train
