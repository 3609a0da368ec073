#include "text/pronouncing.hpp"

#include "text/unicode.hpp"

#include "core/paths.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <fstream>
#include <iostream>
#include <unordered_map>
#include <algorithm>
#include <cstdint>

namespace sonnet::text {

namespace {

bool is_vowel_letter(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

// CMU vowel phones all start with a vowel letter (AA AE AH AO AW AX AY EH ER EY IH IY OW OY UH UW).
bool is_vowel_phone(std::string_view ph) {
  if (ph.empty())
    return false;
  char c = static_cast<char>(ph[0] & ~0x20); // upper-case
  return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
}

// Canonical upper-case phone names (static storage, so parsed entries can hold views).
std::string_view canonical_phone(std::string_view ph) {
  static constexpr std::string_view names[] = {
    "AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH", "EH", "ER", "EY",
    "F",  "G",  "HH", "IH", "IY", "JH", "K",  "L",  "M",  "N",  "NG", "OW", "OY",
    "P",  "R",  "S",  "SH", "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};
  char buf[4];
  std::size_t n = 0;
  for (char c : ph) {
    if (c >= '0' && c <= '9')
      break;
    if (n == sizeof buf)
      return ph;
    buf[n++] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  }
  std::string_view up(buf, n);
  if (up == "AX")
    return "AH"; // Festival's schwa is CMUdict's AH0
  if (up == "AXR")
    return "ER";
  for (auto name : names)
    if (name == up)
      return name;
  return ph; // unknown phone: kept as written
}

std::string strip_apostrophes(std::string_view w) {
  std::string out;
  out.reserve(w.size());
  for (char c : w)
    if (c != '\'')
      out.push_back(c);
  return out;
}

// One parsed entry, flat so that the buffers are reused from line to line: phone i belongs to
// syllable k when start[k] <= i < start[k + 1]; stress[k] is its stress char.
struct entry {
  std::vector<std::string_view> phones;
  std::vector<std::size_t> start;
  std::string stress;
  void clear() {
    phones.clear();
    start.clear();
    stress.clear();
  }
  std::size_t syllables() const { return start.size(); }
  std::size_t end_of(std::size_t k) const {
    return k + 1 < start.size() ? start[k + 1] : phones.size();
  }
};

// Rhyme key: from the vowel of the last syllable with stress 1 or 2 (else the last syllable) to
// the end of the word. `stress` is stored as given.
struct parsed_pron {
  std::string stress;
  std::string rhyme;
};

parsed_pron make_pronunciation(const entry& e, bool from_last_vowel = false) {
  parsed_pron p;
  p.stress = e.stress;
  const std::size_t n = e.syllables();
  std::size_t from = n == 0 ? 0 : n - 1;
  if (!from_last_vowel)
    for (std::size_t k = n; k-- > 0;)
      if (e.stress[k] == '1' || e.stress[k] == '2') {
        from = k;
        break;
      }
  if (n == 0)
    return p;
  std::size_t i = e.start[from];
  while (i < e.end_of(from) && !is_vowel_phone(e.phones[i]))
    ++i;
  for (; i < e.phones.size(); ++i) {
    if (!p.rhyme.empty())
      p.rhyme.push_back(' ');
    p.rhyme += e.phones[i];
  }
  return p;
}

// ("summer" nil (((s ah) 1) ((m er) 0)))
bool parse_festival(std::string_view line, std::string& word, entry& e) {
  auto q1 = line.find('"');
  auto q2 = q1 == std::string_view::npos ? q1 : line.find('"', q1 + 1);
  if (q2 == std::string_view::npos)
    return false;
  word.assign(line.substr(q1 + 1, q2 - q1 - 1));
  e.clear();
  std::size_t i = q2 + 1;
  while (i + 1 < line.size()) {
    // a phone list is a '(' directly followed by a letter
    i = line.find('(', i);
    if (i == std::string_view::npos || i + 1 >= line.size())
      break;
    const char next = line[i + 1];
    if (!((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z'))) {
      ++i;
      continue;
    }
    const auto close = line.find(')', i);
    if (close == std::string_view::npos)
      return false;
    e.start.push_back(e.phones.size());
    std::size_t a = i + 1;
    while (a < close) {
      while (a < close && line[a] == ' ')
        ++a;
      std::size_t b = a;
      while (b < close && line[b] != ' ')
        ++b;
      if (b > a)
        e.phones.push_back(canonical_phone(line.substr(a, b - a)));
      a = b;
    }
    std::size_t k = close + 1;
    while (k < line.size() && line[k] == ' ')
      ++k;
    e.stress.push_back(k < line.size() && line[k] >= '0' && line[k] <= '2' ? line[k] : '?');
    i = close + 1;
  }
  return !e.start.empty();
}

// summer S AH1 M ER0   /   summer(2) S AH M ER   (digits optional). Each vowel opens a
// syllable; consonants go to the preceding vowel (only the part from the last stressed vowel on
// matters for rhyme keys, so exact syllable boundaries are irrelevant).
bool parse_plain(std::string_view line, std::string& word, entry& e, bool& had_digits) {
  e.clear();
  std::size_t a = 0;
  const std::size_t n = line.size();
  auto next_token = [&]() -> std::string_view {
    while (a < n && (line[a] == ' ' || line[a] == '\t' || line[a] == '\r'))
      ++a;
    std::size_t b = a;
    while (b < n && line[b] != ' ' && line[b] != '\t' && line[b] != '\r')
      ++b;
    auto t = line.substr(a, b - a);
    a = b;
    return t;
  };
  auto w = next_token();
  if (w.empty())
    return false;
  if (auto paren = w.find('('); paren != std::string_view::npos && paren > 0)
    w = w.substr(0, paren);
  word.clear();
  for (char c : w)
    word.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  for (auto ph = next_token(); !ph.empty(); ph = next_token()) {
    const auto canon = canonical_phone(ph);
    if (is_vowel_phone(ph)) {
      const char digit = ph.back() >= '0' && ph.back() <= '2' ? ph.back() : 0;
      had_digits |= digit != 0;
      e.start.push_back(e.start.empty() ? 0 : e.phones.size());
      e.stress.push_back(digit ? digit : '?');
    }
    e.phones.push_back(canon); // consonants before the first vowel belong to its syllable
  }
  if (e.start.empty())
    return false;
  if (e.stress.size() == 1 && e.stress[0] == '?')
    e.stress[0] = '1'; // a monosyllable without marks: its one vowel is the stressed one
  return true;
}

// Early Modern words that CMUdict 0.4 lacks and sonnets use, in plain CMU format with stress.
// Added to every loaded dictionary where the word is missing (never to empty()).
constexpr const char* early_modern =
  "doth D AH1 TH\n"
  "dost D AH1 S T\n"
  "ere EH1 R\n"
  "e'er EH1 R\n"
  "ne'er N EH1 R\n"
  "o'er OW1 R\n"
  "whilst W AY1 L S T\n"
  "'twas T W AH1 Z\n"
  "'tis T IH1 Z\n"
  "canst K AE1 N S T\n"
  "wouldst W UH1 D S T\n"
  "couldst K UH1 D S T\n"
  "shouldst SH UH1 D S T\n"
  "mayst M EY1 S T\n"
  "didst D IH1 D S T\n"
  "hadst HH AE1 D S T\n"
  "thyself DH AY0 S EH1 L F\n"
  "thither TH IH1 DH ER0\n"
  "wherefore W EH1 R F AO2 R\n"
  "anon AH0 N AA1 N\n"
  "perchance P ER0 CH AE1 N S\n"
  "methinks M IY0 TH IH1 NG K S\n"
  "prithee P R IH1 DH IY0\n"
  "betwixt B IH0 T W IH1 K S T\n"
  "whereon W EH0 R AA1 N\n"
  "forsooth F AO0 R S UW1 TH\n"
  "alack AH0 L AE1 K\n"
  "beseech B IH0 S IY1 CH\n"
  "fie F AY1\n"
  "beauteous B Y UW1 T IY0 AH0 S\n"
  "untrimmed AH0 N T R IH1 M D\n";

const char* env_path() {
  return std::getenv("SONNET_CMUDICT");
}

} // namespace

namespace {

std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

} // namespace

// Builds a dictionary's tables: words are added to the arena and the hash table as they come;
// pronunciations are collected as (word index, interned stress, interned rhyme) and grouped per
// word at the end (a word's lines need not be adjacent: "its" and "it's" share the key "its").
struct dictionary_builder {
  dictionary& d;
  std::unordered_map<std::string, std::uint32_t> interned; // stress patterns and rhyme keys
  struct pending {
    std::uint32_t word;
    dictionary::pron_rec p;
  };
  std::vector<pending> prons;

  std::string_view text(std::uint32_t off, std::uint32_t len) const {
    return std::string_view(d.arena_store_).substr(off, len);
  }

  std::uint32_t intern(const std::string& s, std::uint16_t& len) {
    len = static_cast<std::uint16_t>(s.size());
    auto [it, fresh] = interned.try_emplace(s, static_cast<std::uint32_t>(d.arena_store_.size()));
    if (fresh)
      d.arena_store_ += s;
    return it->second;
  }

  void grow_table() {
    std::size_t n = d.table_store_.empty() ? 1u << 16 : d.table_store_.size() * 2;
    d.table_store_.assign(n, 0);
    for (std::uint32_t i = 0; i < d.words_store_.size(); ++i) {
      const auto& w = d.words_store_[i];
      std::size_t slot = fnv1a(text(w.word_off, w.word_len)) & (n - 1);
      while (d.table_store_[slot] != 0)
        slot = (slot + 1) & (n - 1);
      d.table_store_[slot] = i + 1;
    }
  }

  // The index of `key`'s record, or npos; with `insert`, adds it when missing.
  std::uint32_t find(std::string_view key, bool insert) {
    if (key.size() > 0xFFFF)
      return UINT32_MAX;
    if (insert && (d.table_store_.empty() || 2 * (d.words_store_.size() + 1) > d.table_store_.size()))
      grow_table();
    if (d.table_store_.empty())
      return UINT32_MAX;
    const std::size_t mask = d.table_store_.size() - 1;
    for (std::size_t slot = fnv1a(key) & mask;; slot = (slot + 1) & mask) {
      const std::uint32_t v = d.table_store_[slot];
      if (v == 0) {
        if (!insert)
          return UINT32_MAX;
        dictionary::word_rec w{static_cast<std::uint32_t>(d.arena_store_.size()), 0,
                               static_cast<std::uint16_t>(key.size()), 0};
        d.arena_store_.append(key.data(), key.size());
        d.words_store_.push_back(w);
        d.table_store_[slot] = static_cast<std::uint32_t>(d.words_store_.size());
        return static_cast<std::uint32_t>(d.words_store_.size() - 1);
      }
      const auto& w = d.words_store_[v - 1];
      if (text(w.word_off, w.word_len) == key)
        return v - 1;
    }
  }

  void add(std::uint32_t word, const parsed_pron& p) {
    pending x{word, {}};
    x.p.stress_off = intern(p.stress, x.p.stress_len);
    x.p.rhyme_off = intern(p.rhyme, x.p.rhyme_len);
    prons.push_back(x);
  }

  // Groups the pronunciations per word (file order kept, duplicates dropped).
  void finish() {
    std::stable_sort(prons.begin(), prons.end(),
                     [](const pending& a, const pending& b) { return a.word < b.word; });
    d.prons_store_.reserve(prons.size());
    for (std::size_t i = 0; i < prons.size();) {
      std::size_t j = i;
      auto& w = d.words_store_[prons[i].word];
      w.first_pron = static_cast<std::uint32_t>(d.prons_store_.size());
      for (; j < prons.size() && prons[j].word == prons[i].word; ++j) {
        bool dup = false;
        for (std::uint32_t k = w.first_pron; k < d.prons_store_.size(); ++k)
          dup |= d.prons_store_[k].stress_off == prons[j].p.stress_off
                 && d.prons_store_[k].stress_len == prons[j].p.stress_len
                 && d.prons_store_[k].rhyme_off == prons[j].p.rhyme_off
                 && d.prons_store_[k].rhyme_len == prons[j].p.rhyme_len;
        if (!dup && w.n_prons < 0xFFFF) {
          d.prons_store_.push_back(prons[j].p);
          w.n_prons += 1;
        }
      }
      i = j;
    }
    std::vector<pending>().swap(prons);
    d.prons_store_.shrink_to_fit();
    d.words_store_.shrink_to_fit();
    d.arena_store_.shrink_to_fit();
    d.arena_ = d.arena_store_;
    d.words_ = {d.words_store_.data(), d.words_store_.size()};
    d.prons_ = {d.prons_store_.data(), d.prons_store_.size()};
    d.table_ = {d.table_store_.data(), d.table_store_.size()};
  }
};

namespace {

// Compiled dictionary: this header, the source's path, then arena, words, prons and table as
// they are in memory. Native byte order: the file is a build product of the machine that reads it.
constexpr char compiled_magic[8] = {'S', 'N', 'T', 'D', 'I', 'C', 'T', '1'};
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
  std::shared_ptr<const void> mapping(map, [size](const void* p) {
    ::munmap(const_cast<void*>(p), size);
  });
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
  if (file_stamp now; stamp_of(src, now)
                      && (now.size != h.source_size || now.mtime_ns != h.source_mtime_ns))
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

result<std::shared_ptr<const dictionary>> dictionary::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(errc::invalid_argument, path + ": cannot read the pronouncing dictionary");
  char magic[sizeof compiled_magic] = {};
  in.read(magic, sizeof magic);
  if (in.gcount() == sizeof magic && std::memcmp(magic, compiled_magic, sizeof magic) == 0)
    return load_compiled(path);
  in.clear();
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::size_t>(std::max<std::streamoff>(0, in.tellg()));
  in.seekg(0, std::ios::beg);
  auto d = std::make_shared<dictionary>();
  d->source_ = path;
  dictionary_builder b{*d, {}, {}};
  // ~36 bytes per line in CMUdict; words average ~8 letters
  d->words_store_.reserve(file_size / 30 + 64);
  d->arena_store_.reserve(file_size / 4 + 4096);
  b.prons.reserve(file_size / 30 + 64);
  std::string word;
  entry e;
  bool any_digits = false;
  bool any_festival = false;
  auto handle = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty() || line[0] == ';' || line[0] == '#')
      return;
    parsed_pron p;
    if (line[0] == '(') {
      if (!parse_festival(line, word, e))
        return;
      any_festival = true;
      p = make_pronunciation(e);
    } else {
      bool digits = false;
      if (!parse_plain(line, word, e, digits))
        return;
      any_digits |= digits;
      // without stress marks the rhyme key starts at the last vowel
      p = make_pronunciation(e, !digits);
    }
    const auto idx = b.find(strip_apostrophes(word), true);
    if (idx != UINT32_MAX)
      b.add(idx, p);
  };
  // 64 KiB at a time; a line cut by the chunk end is carried over.
  std::string buf(1 << 16, '\0');
  std::string carry;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0)
      break;
    std::string_view chunk(buf.data(), got);
    std::size_t pos = 0;
    for (auto nl = chunk.find('\n'); nl != std::string_view::npos; nl = chunk.find('\n', pos)) {
      if (!carry.empty()) {
        carry.append(chunk.substr(pos, nl - pos));
        handle(carry);
        carry.clear();
      } else {
        handle(chunk.substr(pos, nl - pos));
      }
      pos = nl + 1;
    }
    carry.append(chunk.substr(pos));
  }
  if (!carry.empty())
    handle(carry);
  if (d->words_store_.empty())
    return fail(errc::invalid_argument, path + ": no pronouncing-dictionary entries");
  std::string_view extra(early_modern);
  while (!extra.empty()) {
    auto nl = extra.find('\n');
    auto line = extra.substr(0, nl);
    extra = nl == std::string_view::npos ? std::string_view() : extra.substr(nl + 1);
    bool digits = false;
    if (parse_plain(line, word, e, digits)) {
      const auto key = strip_apostrophes(word);
      if (b.find(key, false) == UINT32_MAX)
        b.add(b.find(key, true), make_pronunciation(e));
    }
  }
  b.finish();
  d->has_stress_ = any_festival || any_digits;
  return std::shared_ptr<const dictionary>(std::move(d));
}

std::size_t dictionary::memory_bytes() const {
  return arena_.size() + words_.size() * sizeof(word_rec) + prons_.size() * sizeof(pron_rec)
         + table_.size() * sizeof(std::uint32_t);
}

std::shared_ptr<const dictionary> dictionary::empty() {
  static const auto e = std::make_shared<const dictionary>();
  return e;
}

std::vector<std::string> dictionary::default_paths() {
  std::vector<std::string> out;
  if (const char* p = env_path()) {
    std::string s(p);
    if (!s.empty() && s != "none")
      out.push_back(s);
    return out; // the variable, when set, is the only source
  }
  if (auto compiled = paths::compiled_dictionary(); !compiled.path.empty())
    out.push_back(compiled.path);
  out.push_back("/usr/share/festival/dicts/cmu/cmudict-0.4.out");
  out.push_back("/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict");
  return out;
}

pronunciations dictionary::find(std::string_view key) const {
  if (table_.empty())
    return {};
  const std::size_t mask = table_.size() - 1;
  for (std::size_t slot = fnv1a(key) & mask;; slot = (slot + 1) & mask) {
    const std::uint32_t v = table_[slot];
    if (v == 0)
      return {};
    const auto& w = words_[v - 1];
    if (text(w.word_off, w.word_len) == key)
      return pronunciations(this, w.first_pron, w.n_prons);
  }
}

std::shared_ptr<const dictionary> shared_dictionary() {
  static const std::shared_ptr<const dictionary> shared = [] {
    auto paths = dictionary::default_paths();
    std::string tried;
    for (const auto& p : paths) {
      auto d = dictionary::load(p);
      if (d)
        return *d;
      tried += (tried.empty() ? "" : ", ") + p;
    }
    if (const char* e = env_path(); e && (std::string(e).empty() || std::string(e) == "none"))
      return dictionary::empty(); // asked for on purpose: no note
    std::cerr << "sonnet: no pronouncing dictionary found ("
              << (tried.empty() ? std::string("no path") : tried)
              << "); syllables and rhymes fall back to spelling. Install festlex-cmu or "
                 "pocketsphinx-en-us, or set SONNET_CMUDICT.\n";
    return dictionary::empty();
  }();
  return shared;
}

std::string normalize_word(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size();) {
    code_point cp = decode_at(token, i);
    std::string_view bytes = token.substr(i, cp.size);
    i += cp.size;
    char32_t c = cp.valid ? cp.value : replacement_char;
    if (c >= 'A' && c <= 'Z')
      out.push_back(static_cast<char>(c + 32));
    else if ((c >= 'a' && c <= 'z') || c == '\'')
      out.push_back(static_cast<char>(c));
    else if (c == 0x2019 || c == 0x2018 || c == 0x02BC)
      out.push_back('\'');
    else if (c >= 0x80 && (is_lower(c) || is_upper(c)))
      out += lower(bytes);
  }
  // an apostrophe alone, or only apostrophes, is no word
  if (out.find_first_not_of('\'') == std::string::npos)
    out.clear();
  return out;
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    auto w = normalize_word(cur);
    if (!w.empty())
      out.push_back(std::move(w));
    cur.clear();
  };
  for (std::size_t i = 0; i < line.size();) {
    code_point cp = decode_at(line, i);
    std::string_view bytes = line.substr(i, cp.size);
    i += cp.size;
    char32_t c = cp.valid ? cp.value : replacement_char;
    bool part = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '\'' || c == 0x2019
                || c == 0x2018 || c == 0x02BC || (c >= 0x80 && (is_lower(c) || is_upper(c)));
    if (part)
      cur += bytes;
    else
      flush();
  }
  flush();
  return out;
}

int spelling_syllables(std::string_view word) {
  int count = 0;
  bool prev = false;
  bool any = false;
  for (char c : word) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    bool v = is_vowel_letter(l);
    any |= l != '\'';
    if (v && !prev)
      ++count;
    prev = v;
  }
  return any && count == 0 ? 1 : count;
}

std::string spelling_rhyme(std::string_view word) {
  std::string w;
  for (char c : word) {
    if (c >= 'A' && c <= 'Z')
      w.push_back(static_cast<char>(c + 32));
    else if (c >= 'a' && c <= 'z')
      w.push_back(c);
  }
  // vowel groups as [begin, end)
  std::vector<std::pair<std::size_t, std::size_t>> groups;
  for (std::size_t i = 0; i < w.size();) {
    if (is_vowel_letter(w[i]) && !(w[i] == 'y' && i == 0)) {
      std::size_t j = i;
      while (j < w.size() && is_vowel_letter(w[j]))
        ++j;
      groups.emplace_back(i, j);
      i = j;
    } else {
      ++i;
    }
  }
  if (groups.empty())
    return "";
  auto last = groups.back();
  bool silent_e = groups.size() >= 2 && last.second - last.first == 1 && w[last.first] == 'e'
                  && (last.second == w.size()
                      || (last.second + 1 == w.size() && (w.back() == 's' || w.back() == 'd')));
  std::size_t from = silent_e ? groups[groups.size() - 2].first : last.first;
  return w.substr(from);
}

namespace {

// Appends phones to every rhyme key and syllables to the stress of found pronunciations.
bool from_base(const dictionary& dict, const std::string& base, const char* phones,
               const char* extra_stress, word_info& info) {
  const auto prons = dict.find(strip_apostrophes(base));
  if (prons.empty())
    return false;
  info.known = true;
  info.stress = std::string(prons.front().stress) + extra_stress;
  info.syllables = static_cast<int>(info.stress.size());
  for (std::size_t i = 0; i < prons.size(); ++i) {
    const auto p = prons[i];
    info.rhymes.push_back(*phones ? std::string(p.rhyme) + " " + phones : std::string(p.rhyme));
  }
  return true;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool resolve(const dictionary& dict, const std::string& w, word_info& info) {
  if (from_base(dict, w, "", "", info))
    return true;
  if (w == "th'" || w == "th")
    return from_base(dict, "the", "", "", info);
  if (ends_with(w, "'s") || ends_with(w, "s'"))
    return from_base(dict, w.substr(0, w.size() - 2), "Z", "", info);
  if (ends_with(w, "'d")) {
    const auto stem = w.substr(0, w.size() - 2);
    return from_base(dict, stem + "ed", "", "", info) || from_base(dict, stem + "d", "", "", info)
           || from_base(dict, stem, "D", "", info);
  }
  if (ends_with(w, "'st"))
    return from_base(dict, w.substr(0, w.size() - 3), "S T", "", info)
           || from_base(dict, w.substr(0, w.size() - 3) + "e", "S T", "", info);
  if (ends_with(w, "eth") && w.size() > 4) {
    const auto stem = w.substr(0, w.size() - 3);
    return from_base(dict, stem, "AH TH", "0", info)
           || from_base(dict, stem + "e", "AH TH", "0", info);
  }
  if (ends_with(w, "est") && w.size() > 4) {
    const auto stem = w.substr(0, w.size() - 3);
    return from_base(dict, stem, "AH S T", "0", info)
           || from_base(dict, stem + "e", "AH S T", "0", info);
  }
  return false;
}

} // namespace

word_info lookup(const dictionary& dict, std::string_view raw) {
  word_info info;
  info.word = normalize_word(raw);
  const std::string& w = info.word;
  info.spelling_rhyme = spelling_rhyme(w);
  if (w.empty())
    return info;
  if (dict.size() > 0) {
    bool ok = resolve(dict, w, info);
    if (!ok) {
      // quotes or elisions at the edges: 'tis, o', lov'
      auto b = w.find_first_not_of('\'');
      auto e = w.find_last_not_of('\'');
      if (b != std::string::npos && (b > 0 || e + 1 < w.size())) {
        info.rhymes.clear();
        ok = resolve(dict, w.substr(b, e - b + 1), info);
      }
    }
    if (ok)
      return info;
    info.rhymes.clear();
    info.known = false;
  }
  info.syllables = spelling_syllables(w);
  info.stress.assign(static_cast<std::size_t>(info.syllables), '?');
  return info;
}

bool rhymes(const word_info& a, const word_info& b) {
  if (a.word.empty() || b.word.empty() || strip_apostrophes(a.word) == strip_apostrophes(b.word))
    return false;
  if (a.known && b.known) {
    for (const auto& x : a.rhymes)
      for (const auto& y : b.rhymes)
        if (!x.empty() && x == y)
          return true;
    return false;
  }
  return !a.spelling_rhyme.empty() && a.spelling_rhyme == b.spelling_rhyme;
}

} // namespace sonnet::text
