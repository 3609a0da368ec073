#pragma once
// A small .npz writer for tests: builds .npy images (v1 header, '<f4', '<f8' or '|u1') and
// packs them into a zip archive, stored or deflated (zlib raw deflate), like numpy.savez[_compressed].

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace sonnet::test {

using bytes = std::vector<std::uint8_t>;

inline void put16(bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void put32(bytes& b, std::uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}

/// A .npy image. `descr` is "<f4", "<f8" or "|u1"; `raw` the little-endian element bytes.
inline bytes npy_image(const std::string& descr, const std::vector<std::size_t>& shape,
                       const bytes& raw, int version = 1) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i)
    dict +=
      std::to_string(shape[i]) + (shape.size() == 1 ? ",)" : (i + 1 < shape.size() ? ", " : ")"));
  if (shape.empty())
    dict += ")";
  dict += ", }";
  std::size_t pre = version == 1 ? 10 : 12;
  while ((pre + dict.size() + 1) % 64 != 0)
    dict += ' ';
  dict += '\n';
  bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(version), 0};
  if (version == 1)
    put16(b, static_cast<std::uint32_t>(dict.size()));
  else
    put32(b, static_cast<std::uint32_t>(dict.size()));
  b.insert(b.end(), dict.begin(), dict.end());
  b.insert(b.end(), raw.begin(), raw.end());
  return b;
}

inline bytes npy_f4(const std::vector<std::size_t>& shape, const std::vector<float>& v,
                    int version = 1) {
  bytes raw(v.size() * 4);
  std::memcpy(raw.data(), v.data(), raw.size());
  return npy_image("<f4", shape, raw, version);
}
inline bytes npy_f8(const std::vector<std::size_t>& shape, const std::vector<float>& v) {
  std::vector<double> d(v.begin(), v.end());
  bytes raw(d.size() * 8);
  std::memcpy(raw.data(), d.data(), raw.size());
  return npy_image("<f8", shape, raw);
}
inline bytes npy_u1(const std::string& s) {
  return npy_image("|u1", {s.size()}, bytes(s.begin(), s.end()));
}

/// Builds a zip of (member name, content) pairs; `compress` deflates each member (method 8).
class zip_writer {
public:
  void add(const std::string& name, const bytes& data, bool compress) {
    bytes comp = data;
    if (compress) {
      z_stream zs{};
      deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
      comp.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
      zs.next_in = const_cast<Bytef*>(data.data());
      zs.avail_in = static_cast<uInt>(data.size());
      zs.next_out = comp.data();
      zs.avail_out = static_cast<uInt>(comp.size());
      deflate(&zs, Z_FINISH);
      comp.resize(zs.total_out);
      deflateEnd(&zs);
    }
    std::uint32_t crc = static_cast<std::uint32_t>(
      crc32(crc32(0, Z_NULL, 0), data.data(), static_cast<uInt>(data.size())));
    std::uint32_t off = static_cast<std::uint32_t>(out_.size());
    const std::uint16_t method = compress ? 8 : 0;
    put32(out_, 0x04034b50);
    put16(out_, 20);
    put16(out_, 0);
    put16(out_, method);
    put32(out_, 0); // time, date
    put32(out_, crc);
    put32(out_, static_cast<std::uint32_t>(comp.size()));
    put32(out_, static_cast<std::uint32_t>(data.size()));
    put16(out_, static_cast<std::uint32_t>(name.size()));
    put16(out_, 0);
    out_.insert(out_.end(), name.begin(), name.end());
    out_.insert(out_.end(), comp.begin(), comp.end());
    put32(cd_, 0x02014b50);
    put16(cd_, 20);
    put16(cd_, 20);
    put16(cd_, 0);
    put16(cd_, method);
    put32(cd_, 0);
    put32(cd_, crc);
    put32(cd_, static_cast<std::uint32_t>(comp.size()));
    put32(cd_, static_cast<std::uint32_t>(data.size()));
    put16(cd_, static_cast<std::uint32_t>(name.size()));
    put16(cd_, 0);
    put16(cd_, 0);
    put16(cd_, 0);
    put16(cd_, 0);
    put32(cd_, 0);
    put32(cd_, off);
    cd_.insert(cd_.end(), name.begin(), name.end());
    ++count_;
  }

  bytes finish() const {
    bytes z = out_;
    std::uint32_t cd_off = static_cast<std::uint32_t>(z.size());
    z.insert(z.end(), cd_.begin(), cd_.end());
    put32(z, 0x06054b50);
    put16(z, 0);
    put16(z, 0);
    put16(z, count_);
    put16(z, count_);
    put32(z, static_cast<std::uint32_t>(cd_.size()));
    put32(z, cd_off);
    put16(z, 0);
    return z;
  }

private:
  bytes out_, cd_;
  std::uint32_t count_ = 0;
};

inline void write_file(const std::string& path, const bytes& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

} // namespace sonnet::test
