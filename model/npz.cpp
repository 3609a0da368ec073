// .npz / .npy reader. Layout references: PKWARE APPNOTE 6.3 §4.3 (local header, central directory,
// end of central directory) and numpy/lib/format.py (npy v1/v2/v3 headers).
#include "model/npz.hpp"
#include "model/page_buffer.hpp"
#include "core/regular_file.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <sys/mman.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the npy reader assumes a little-endian host"
#endif

namespace sonnet::model {

namespace {

constexpr std::size_t max_member_size = std::size_t{1} << 30; // 1 GiB per array

/// The most bytes a member of `csize` stored bytes may hold, checked before the inflate buffer
/// is allocated: itself when stored; deflate cannot expand beyond ~1032:1, and beyond 64 MiB we
/// accept only 100:1 (weights deflate ~1.1:1; a huge, nearly empty member is a decompression bomb).
std::size_t inflated_bound(unsigned method, std::size_t csize) {
  if (method == 0)
    return csize;
  constexpr std::size_t big = std::size_t{64} << 20;
  std::size_t bound = csize * 1032 + 1024;
  if (bound > big)
    bound = std::max(big, csize * 100);
  return std::min(max_member_size, bound);
}

/// Memory for the values of an archive's arrays, carved from one page_buffer sized from the
/// central directory. Only a hint: an array it cannot hold gets memory of its own.
class float_arena {
public:
  explicit float_arena(std::size_t max_floats) {
    if (max_floats > 0 && max_floats <= (std::size_t{1} << 26)) // 256 MB; beyond, no arena
      block_ = std::make_shared<page_buffer>(max_floats * sizeof(float));
  }
  float_array take(std::size_t n) {
    const std::size_t capacity = block_ ? block_->size() / sizeof(float) : 0;
    if (n > 0 && n <= capacity - used_) {
      float* p = static_cast<float*>(block_->data()) + used_;
      used_ += std::min(capacity - used_, (n + 15) / 16 * 16); // each array 64-byte aligned
      return float_array(std::shared_ptr<float>(block_, p), n);
    }
    return own(n);
  }
  static float_array own(std::size_t n) {
    return float_array(std::shared_ptr<float>(new float[n ? n : 1], std::default_delete<float[]>()),
                       n);
  }

private:
  std::shared_ptr<page_buffer> block_;
  std::size_t used_ = 0;
};

result<npy_array> parse_npy_into(const std::uint8_t* data, std::size_t size,
                                 const std::string& label, float_arena* arena);

error bad(const std::string& where, const std::string& what) {
  return fail(errc::bad_checkpoint, where + ": " + what);
}

std::uint16_t rd16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

std::uint32_t rd32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8)
         | (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

// --- npy header dictionary ------------------------------------------------------------------
// The header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (65, 128), }
// parsed with a tiny recursive-descent reader that accepts exactly the forms numpy writes.

struct header_parser {
  const char* p;
  const char* end;

  void ws() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
      ++p;
  }
  bool eat(char c) {
    ws();
    if (p < end && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
  bool string(std::string& out) {
    ws();
    if (p >= end || (*p != '\'' && *p != '"'))
      return false;
    char q = *p++;
    out.clear();
    while (p < end && *p != q) {
      if (out.size() > 64)
        return false;
      out.push_back(*p++);
    }
    if (p >= end)
      return false;
    ++p;
    return true;
  }
  bool word(const char* w) {
    ws();
    std::size_t n = std::strlen(w);
    if (static_cast<std::size_t>(end - p) >= n && std::memcmp(p, w, n) == 0) {
      p += n;
      return true;
    }
    return false;
  }
  bool integer(std::size_t& out) {
    ws();
    if (p >= end || *p < '0' || *p > '9')
      return false;
    std::size_t v = 0;
    while (p < end && *p >= '0' && *p <= '9') {
      if (v > (std::numeric_limits<std::size_t>::max() - 9) / 10)
        return false;
      v = v * 10 + static_cast<std::size_t>(*p - '0');
      ++p;
    }
    if (p < end && *p == 'L') // Python 2 long suffix, written by very old numpy
      ++p;
    out = v;
    return true;
  }
  bool tuple(std::vector<std::size_t>& out) {
    out.clear();
    if (!eat('('))
      return false;
    if (eat(')'))
      return true;
    for (;;) {
      std::size_t v = 0;
      if (!integer(v) || out.size() >= 32)
        return false;
      out.push_back(v);
      if (eat(')'))
        return true;
      if (!eat(','))
        return false;
      if (eat(')'))
        return true;
    }
  }
};

} // namespace

std::size_t npy_array::size() const {
  std::size_t n = 1;
  for (auto d : shape)
    n *= d;
  return n;
}

std::string shape_string(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ",";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

result<npy_array> parse_npy(const std::uint8_t* data, std::size_t size, const std::string& label) {
  return parse_npy_into(data, size, label, nullptr);
}

namespace {

result<npy_array> parse_npy_into(const std::uint8_t* data, std::size_t size,
                                 const std::string& label, float_arena* arena) {
  static const std::uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10)
    return bad(label, "truncated npy header (" + std::to_string(size) + " bytes)");
  if (std::memcmp(data, magic, 6) != 0)
    return bad(label, "not an npy array (bad magic)");
  unsigned major = data[6];
  std::size_t header_len = 0, header_off = 0;
  if (major == 1) {
    header_len = rd16(data + 8);
    header_off = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return bad(label, "truncated npy header");
    header_len = rd32(data + 8);
    header_off = 12;
  } else {
    return bad(label, "unsupported npy format version " + std::to_string(major));
  }
  if (header_len > size - header_off)
    return bad(label, "truncated npy header");
  header_parser hp{reinterpret_cast<const char*>(data + header_off),
                   reinterpret_cast<const char*>(data + header_off + header_len)};
  std::string descr;
  bool have_descr = false, have_order = false, have_shape = false, fortran = false;
  std::vector<std::size_t> shape;
  if (!hp.eat('{'))
    return bad(label, "malformed npy header (no dictionary)");
  while (!hp.eat('}')) {
    std::string key;
    if (!hp.string(key) || !hp.eat(':'))
      return bad(label, "malformed npy header");
    if (key == "descr") {
      if (!hp.string(descr))
        return bad(label, "malformed npy header ('descr' is not a simple dtype string)");
      have_descr = true;
    } else if (key == "fortran_order") {
      if (hp.word("False"))
        fortran = false;
      else if (hp.word("True"))
        fortran = true;
      else
        return bad(label, "malformed npy header ('fortran_order')");
      have_order = true;
    } else if (key == "shape") {
      if (!hp.tuple(shape))
        return bad(label, "malformed npy header ('shape')");
      have_shape = true;
    } else {
      return bad(label, "malformed npy header (unknown key '" + key + "')");
    }
    if (!hp.eat(',')) {
      if (!hp.eat('}'))
        return bad(label, "malformed npy header");
      break;
    }
  }
  if (!have_descr || !have_order || !have_shape)
    return bad(label, "malformed npy header (needs 'descr', 'fortran_order' and 'shape')");
  if (fortran)
    return bad(label, "fortran_order arrays are not supported (save with C order)");

  npy_array a;
  a.shape = shape;
  std::size_t item = 0;
  if (descr == "<f4") {
    a.dtype = npy_dtype::f4;
    item = 4;
  } else if (descr == "<f8") {
    a.dtype = npy_dtype::f8;
    item = 8;
  } else if (descr == "|u1" || descr == "<u1" || descr == ">u1" || descr == "|i1" || descr == "|b1"
             || descr == "|S1") {
    a.dtype = npy_dtype::u1;
    item = 1;
  } else {
    return bad(label, "unsupported dtype '" + descr + "' (expected '<f4' or '<f8')");
  }
  std::size_t count = 1;
  for (auto d : shape) {
    if (d != 0 && count > max_member_size / d)
      return bad(label, "shape " + shape_string(shape) + " is too large");
    count *= d;
  }
  if (count > max_member_size / item)
    return bad(label, "shape " + shape_string(shape) + " is too large");
  std::size_t body = size - header_off - header_len;
  std::size_t need = count * item;
  if (body < need)
    return bad(label, "truncated array data (" + std::to_string(body) + " of "
                        + std::to_string(need) + " bytes for shape " + shape_string(shape) + ")");
  if (body > need)
    return bad(label, std::to_string(body - need) + " unexpected bytes after the array data");
  const std::uint8_t* src = data + header_off + header_len;
  if (a.dtype != npy_dtype::u1)
    a.values = arena ? arena->take(count) : float_arena::own(count);
  if (a.dtype == npy_dtype::f4) {
    if (count)
      std::memcpy(a.values.data(), src, need);
  } else if (a.dtype == npy_dtype::f8) {
    for (std::size_t i = 0; i < count; ++i) {
      double d;
      std::memcpy(&d, src + 8 * i, 8);
      a.values[i] = static_cast<float>(d);
    }
  } else {
    a.bytes.assign(reinterpret_cast<const char*>(src), count);
  }
  return a;
}

} // namespace

namespace {
result<npz_archive> parse_npz_impl(const std::uint8_t* data, std::size_t size,
                                   const std::string& path);
}

result<npz_archive> parse_npz(const std::uint8_t* data, std::size_t size, const std::string& path) {
  try {
    return parse_npz_impl(data, size, path);
  } catch (const std::bad_alloc&) {
    return bad(path, "out of memory while reading the archive");
  } catch (const std::exception& e) {
    return bad(path, e.what());
  }
}

namespace {

// --- end of central directory: the last "PK\5\6" within 22 + 65535 bytes of the end ----------

struct central_directory {
  std::size_t off = 0, size = 0;
  unsigned entries = 0;
};

result<central_directory> find_central_directory(const std::uint8_t* data, std::size_t size,
                                                 const std::string& path) {
  if (size == 0)
    return bad(path, "empty file (not a zip archive)");
  if (size < 22) {
    if (size >= 4 && rd32(data) == 0x04034b50u)
      return bad(path, "truncated zip archive (" + std::to_string(size) + " bytes)");
    return bad(path, "not a zip archive (too short: " + std::to_string(size) + " bytes)");
  }
  std::size_t eocd = std::numeric_limits<std::size_t>::max();
  std::size_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
  for (std::size_t i = size - 22 + 1; i-- > lowest;) {
    if (rd32(data + i) == 0x06054b50u && i + 22 + rd16(data + i + 20) == size) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::numeric_limits<std::size_t>::max()) {
    if (rd32(data) == 0x04034b50u)
      return bad(path, "truncated zip archive (no end of central directory record)");
    return bad(path, "not a zip archive (no end of central directory record)");
  }
  std::uint16_t disk = rd16(data + eocd + 4), cd_disk = rd16(data + eocd + 6);
  std::uint16_t n_disk = rd16(data + eocd + 8), n_total = rd16(data + eocd + 10);
  std::uint32_t cd_size = rd32(data + eocd + 12), cd_off = rd32(data + eocd + 16);
  if (n_total == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu
      || (eocd >= 20 && rd32(data + eocd - 20) == 0x07064b50u))
    return bad(path, "zip64 archives are not supported (re-save with fewer/smaller arrays)");
  if (disk != 0 || cd_disk != 0 || n_disk != n_total)
    return bad(path, "multi-disk zip archives are not supported");
  if (cd_off > eocd || cd_size > eocd - cd_off)
    return bad(path, "truncated zip archive (central directory out of range)");
  return central_directory{cd_off, cd_size, n_total};
}

// Room for every member's values, from the sizes the central directory declares (a bound:
// headers and byte arrays count too); what it gets wrong only costs the arena. A declared
// size counts only as far as the file can hold it, so a tiny file never reserves much.
std::size_t declared_floats(const std::uint8_t* data, std::size_t size,
                            const central_directory& cd) {
  const std::size_t cd_end = cd.off + cd.size;
  std::size_t declared = 0;
  for (std::size_t q = cd.off, e = 0;
       e < cd.entries && cd_end - q >= 46 && rd32(data + q) == 0x02014b50u; ++e) {
    declared += std::min(std::size_t{rd32(data + q + 24)},
                         inflated_bound(rd16(data + q + 10),
                                        std::min(std::size_t{rd32(data + q + 20)}, size)))
                  / sizeof(float)
                + 16;
    q += 46 + std::size_t{rd16(data + q + 28)} + rd16(data + q + 30) + rd16(data + q + 32);
    if (q > cd_end)
      break;
  }
  return declared;
}

// --- central directory entries ---------------------------------------------------------------

struct cd_entry {
  std::uint16_t flags = 0, method = 0;
  std::uint32_t crc = 0, csize = 0, usize = 0, loff = 0;
  std::string member;
};

/// Reads entry e, which starts at p, and moves p past it.
result<cd_entry> read_entry(const std::uint8_t* data, std::size_t& p, std::size_t cd_end,
                            unsigned e, const std::string& path) {
  if (cd_end - p < 46 || rd32(data + p) != 0x02014b50u)
    return bad(path, "corrupt zip central directory (entry " + std::to_string(e) + ")");
  cd_entry z;
  z.flags = rd16(data + p + 8);
  z.method = rd16(data + p + 10);
  z.crc = rd32(data + p + 16);
  z.csize = rd32(data + p + 20);
  z.usize = rd32(data + p + 24);
  std::uint16_t nlen = rd16(data + p + 28), xlen = rd16(data + p + 30), clen = rd16(data + p + 32);
  z.loff = rd32(data + p + 42);
  if (cd_end - p - 46 < std::size_t{nlen} + xlen + clen)
    return bad(path, "corrupt zip central directory (entry " + std::to_string(e) + ")");
  z.member.assign(reinterpret_cast<const char*>(data + p + 46), nlen);
  p += 46 + std::size_t{nlen} + xlen + clen;
  return z;
}

/// What this reader does not handle (zip64, encryption, other compressions), as an error.
std::optional<error> unsupported(const cd_entry& z, const std::string& label) {
  if (z.csize == 0xFFFFFFFFu || z.usize == 0xFFFFFFFFu || z.loff == 0xFFFFFFFFu)
    return bad(label, "zip64 members are not supported");
  if (z.flags & 1u)
    return bad(label, "encrypted zip members are not supported");
  if (z.method != 0 && z.method != 8)
    return bad(label, "unsupported zip compression method " + std::to_string(z.method)
                        + " (expected stored or deflated)");
  return std::nullopt;
}

// --- member data -----------------------------------------------------------------------------

/// Inflates a deflated member into buf (one buffer for every member: faulted in once).
result<void> inflate_member(libdeflate_decompressor* inflater, const std::uint8_t* src,
                            const cd_entry& z, const std::string& label,
                            std::vector<std::uint8_t>& buf) {
  if (z.usize > inflated_bound(z.method, z.csize))
    return bad(label,
               "corrupt zip member (implausible uncompressed size: " + std::to_string(z.usize)
                 + " bytes from " + std::to_string(z.csize) + " compressed)");
  if (buf.size() < z.usize)
    buf.resize(z.usize);
  std::size_t produced = 0;
  const auto rc =
    libdeflate_deflate_decompress(inflater, src, z.csize, buf.data(), z.usize, &produced);
  if (rc == LIBDEFLATE_BAD_DATA)
    return bad(label, "corrupt deflate data");
  if (rc != LIBDEFLATE_SUCCESS || produced != z.usize)
    return bad(label, "truncated or corrupt deflate data (" + std::to_string(produced) + " of "
                        + std::to_string(z.usize) + " bytes)");
  return {};
}

/// The member's usize bytes (in the file, or inflated into buf), CRC-checked.
result<const std::uint8_t*> member_bytes(const std::uint8_t* data, std::size_t cd_off,
                                         const cd_entry& z, const std::string& label,
                                         libdeflate_decompressor* inflater,
                                         std::vector<std::uint8_t>& buf) {
  // Of the local header only its name/extra lengths matter (numpy writes 0xFFFFFFFF sizes there
  // with a zip64 extra field; the central directory has the real ones).
  if (z.loff > cd_off || cd_off - z.loff < 30 || rd32(data + z.loff) != 0x04034b50u)
    return bad(label, "corrupt zip archive (bad local header offset)");
  std::size_t doff = std::size_t{z.loff} + 30 + rd16(data + z.loff + 26) + rd16(data + z.loff + 28);
  if (doff > cd_off || z.csize > cd_off - doff)
    return bad(label, "truncated zip archive (member data out of range)");
  if (z.usize > max_member_size)
    return bad(label, "member too large (" + std::to_string(z.usize) + " bytes)");
  const std::uint8_t* src = data + doff;
  if (z.method == 0) {
    if (z.csize != z.usize)
      return bad(label, "corrupt zip member (stored sizes differ)");
  } else {
    if (auto r = inflate_member(inflater, src, z, label, buf); !r)
      return r.err();
    src = buf.data();
  }
  if (libdeflate_crc32(0, src, z.usize) != z.crc)
    return bad(label, "CRC mismatch (corrupt data)");
  return src;
}

result<npz_archive> parse_npz_impl(const std::uint8_t* data, std::size_t size,
                                   const std::string& path) {
  auto cd = find_central_directory(data, size, path);
  if (!cd)
    return cd.err();
  npz_archive out;
  std::vector<std::uint8_t> buf; // inflated member
  std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> inflater(
    libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
  if (!inflater)
    throw std::bad_alloc();
  std::size_t p = cd->off, cd_end = cd->off + cd->size;
  float_arena arena(declared_floats(data, size, *cd));
  for (unsigned e = 0; e < cd->entries; ++e) {
    auto z = read_entry(data, p, cd_end, e, path);
    if (!z)
      return z.err();
    const std::string& member = z->member;
    if (member.size() < 4 || member.compare(member.size() - 4, 4, ".npy") != 0)
      continue; // not an array
    std::string name = member.substr(0, member.size() - 4);
    std::string label = path + ": array '" + name + "'";
    if (auto u = unsupported(*z, label))
      return std::move(*u);
    if (out.count(name))
      return bad(label, "appears twice in the archive");
    auto src = member_bytes(data, cd->off, *z, label, inflater.get(), buf);
    if (!src)
      return src.err();
    auto arr = parse_npy_into(*src, z->usize, label, &arena);
    if (!arr)
      return arr.err();
    arr->name = name;
    out.emplace(name, std::move(*arr));
  }
  return out;
}

} // namespace

result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path, errc code) {
  return read_regular_file(path, code, max_member_size);
}

result<npz_archive> read_npz(const std::string& path) {
  // Only a regular file is read at all (a FIFO or /dev/zero is refused before any read). It is
  // mapped and parsed in place: no copy of it and no zeroed buffer to fault in (page faults
  // dominate start-up on a virtual machine).
  auto file = regular_file::open(path, errc::bad_checkpoint);
  if (!file)
    return file.err();
  if (file->size() == 0)
    return parse_npz(nullptr, 0, path);
  if (file->size() > max_member_size)
    return bad(path, "file too large (over 1 GiB)");
  const auto size = static_cast<std::size_t>(file->size());
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file->fd(), 0);
  if (map != MAP_FAILED) {
    auto archive = parse_npz(static_cast<const std::uint8_t*>(map), size, path);
    ::munmap(map, size);
    return archive;
  }
  auto bytes = file->read_all(max_member_size, errc::bad_checkpoint, path);
  if (!bytes)
    return bytes.err();
  return parse_npz(bytes->data(), bytes->size(), path);
}

} // namespace sonnet::model
