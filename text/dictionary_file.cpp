// The compiled pronouncing dictionary: the tables written as they are in memory, read back
// by mapping the file (nothing copied, shared with the page cache).
#include "text/dictionary_file.hpp"
#include "text/pronouncing.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <type_traits>

namespace sonnet::text {

using detail::compiled_magic;

namespace {

// Compiled dictionary: this header, the source's path, then arena, words, prons and table as
// they are in memory. Native byte order: the file is a build product of the machine that reads it.
struct compiled_header {
  char magic[8];
  std::uint64_t has_stress;
  std::uint64_t source_size;
  std::int64_t source_mtime_ns;
  std::uint64_t source_path_len;
  std::uint64_t arena_bytes;
  std::uint64_t n_words;
  std::uint64_t n_prons;
  std::uint64_t n_table;
};

static_assert(sizeof(compiled_header) % 8 == 0 && sizeof(dictionary::word_rec) == 12
              && sizeof(dictionary::pron_rec) == 12);

struct file_stamp {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

bool stamp_of(const std::string& path, file_stamp& out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return false;
  out.size = static_cast<std::uint64_t>(st.st_size);
  out.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return true;
}

struct file_closer {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

// The path and the arena are padded to 8 bytes in the file, so the records after them are
// aligned and can be read in place from a mapping.
constexpr std::uint64_t pad8(std::uint64_t n) {
  return (n + 7) & ~std::uint64_t{7};
}

template <class T>
bool write_array(std::FILE* f, const T* p, std::size_t n) {
  return n == 0 || std::fwrite(p, sizeof(T), n, f) == n;
}

} // namespace

result<void> dictionary::save_compiled(const std::string& path) const {
  if (words_.empty())
    return fail(errc::invalid_argument, path + ": refusing to compile an empty dictionary");
  compiled_header h{};
  std::memcpy(h.magic, compiled_magic, sizeof h.magic);
  file_stamp st;
  if (!stamp_of(source_, st))
    return fail(errc::invalid_argument, source_ + ": cannot stat the dictionary's source");
  h.has_stress = has_stress_ ? 1 : 0;
  h.source_size = st.size;
  h.source_mtime_ns = st.mtime_ns;
  h.source_path_len = source_.size();
  h.arena_bytes = arena_.size();
  h.n_words = words_.size();
  h.n_prons = prons_.size();
  h.n_table = table_.size();
  const std::string tmp = path + ".tmp";
  file_ptr f(std::fopen(tmp.c_str(), "wb"));
  if (!f)
    return fail(errc::invalid_argument, tmp + ": cannot create: " + std::strerror(errno));
  const char zeros[8] = {};
  bool ok = write_array(f.get(), &h, 1) && write_array(f.get(), source_.data(), source_.size())
            && write_array(f.get(), zeros, pad8(source_.size()) - source_.size())
            && write_array(f.get(), arena_.data(), arena_.size())
            && write_array(f.get(), zeros, pad8(arena_.size()) - arena_.size())
            && write_array(f.get(), words_.data(), words_.size())
            && write_array(f.get(), prons_.data(), prons_.size())
            && write_array(f.get(), table_.data(), table_.size());
  ok = std::fclose(f.release()) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return fail(errc::invalid_argument, path + ": cannot write the compiled dictionary");
  }
  return {};
}

result<std::shared_ptr<const dictionary>> dictionary::load_compiled(const std::string& path) {
  auto bad = [&](const std::string& why) {
    return fail(errc::invalid_argument, path + ": compiled pronouncing dictionary " + why);
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    if (fd >= 0)
      ::close(fd);
    return fail(errc::invalid_argument, path + ": cannot read the pronouncing dictionary");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = size < sizeof(compiled_header)
                ? MAP_FAILED
                : ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED)
    return bad("is truncated (header) or cannot be mapped");
  std::shared_ptr<const void> mapping(
    map, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  const char* base = static_cast<const char*>(map);
  compiled_header h;
  std::memcpy(&h, base, sizeof h);
  // Every count is bounded by the file size before it is used for anything.
  const std::uint64_t body = size - sizeof h;
  if (h.source_path_len > 4096 || h.arena_bytes > body || h.n_words > body / sizeof(word_rec)
      || h.n_prons > body / sizeof(pron_rec) || h.n_table > body / sizeof(std::uint32_t)
      || pad8(h.source_path_len) + pad8(h.arena_bytes) + h.n_words * sizeof(word_rec)
             + h.n_prons * sizeof(pron_rec) + h.n_table * sizeof(std::uint32_t)
           != body)
    return bad("has sizes that do not match the file (truncated or damaged)");
  const char* at = base + sizeof h;
  const std::string src(at, static_cast<std::size_t>(h.source_path_len));
  at += pad8(h.source_path_len);
  // A source that still exists must be the one it was compiled from.
  if (file_stamp now;
      stamp_of(src, now) && (now.size != h.source_size || now.mtime_ns != h.source_mtime_ns))
    return bad("is stale: " + src + " changed since it was compiled (rebuild, or remove it)");
  auto d = std::make_shared<dictionary>();
  d->source_ = path;
  d->has_stress_ = h.has_stress != 0;
  d->arena_ = std::string_view(at, static_cast<std::size_t>(h.arena_bytes));
  at += pad8(h.arena_bytes);
  auto take = [&](auto& view, std::uint64_t n) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(view.first)>>;
    view.first = reinterpret_cast<const T*>(at);
    view.n = static_cast<std::size_t>(n);
    at += n * sizeof(T);
  };
  take(d->words_, h.n_words);
  take(d->prons_, h.n_prons);
  take(d->table_, h.n_table);
  d->mapping_ = std::move(mapping);
  // Bounds of every record, so that find() and pronunciations never read outside the arena, and
  // a hash table that terminates probing (a power of two with an empty slot).
  const auto in_arena = [&](std::uint64_t off, std::uint64_t len) {
    return off <= h.arena_bytes && len <= h.arena_bytes - off;
  };
  for (const auto& w : d->words_)
    if (!in_arena(w.word_off, w.word_len) || w.first_pron > h.n_prons
        || w.n_prons > h.n_prons - w.first_pron)
      return bad("has a word record out of bounds");
  for (const auto& p : d->prons_)
    if (!in_arena(p.stress_off, p.stress_len) || !in_arena(p.rhyme_off, p.rhyme_len))
      return bad("has a pronunciation record out of bounds");
  bool has_empty = false;
  for (auto v : d->table_) {
    if (v > h.n_words)
      return bad("has a hash-table entry out of bounds");
    has_empty |= v == 0;
  }
  if (d->words_.empty() || (d->table_.size() & (d->table_.size() - 1)) != 0 || !has_empty)
    return bad("has no entries or a damaged hash table");
  return std::shared_ptr<const dictionary>(std::move(d));
}

} // namespace sonnet::text
