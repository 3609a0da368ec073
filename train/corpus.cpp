// Training text: read, map to ids, split into a training and a held-out part per file.
#include "train/train.hpp"

#include "model/model.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace sonnet::train {

namespace {

result<std::string> read_text(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return fail(errc::bad_corpus, path + ": cannot open (" + std::strerror(errno) + ")");
  // A FIFO or device would block or never end; a directory reads as nothing.
  if (!S_ISREG(st.st_mode))
    return fail(errc::bad_corpus, path + ": not a regular file");
  if (st.st_size > (int64_t{1} << 30))
    return fail(errc::bad_corpus, path + ": larger than 1 GiB");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(errc::bad_corpus, path + ": cannot open (" + std::strerror(errno) + ")");
  std::string s(static_cast<std::size_t>(st.st_size), '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  if (in.gcount() != static_cast<std::streamsize>(s.size()))
    return fail(errc::bad_corpus, path + ": read failed");
  if (s.empty())
    return fail(errc::bad_corpus, path + ": empty file");
  return s;
}

} // namespace

result<corpus> load_corpus(const std::vector<std::string>& paths, double val_fraction,
                           int block_size, const std::string& vocab) {
  if (paths.empty())
    return fail(errc::bad_corpus, "no corpus file given");
  if (!(val_fraction > 0 && val_fraction < 1))
    return fail(errc::invalid_argument, "the held-out fraction must be in (0, 1)");
  corpus c;
  std::vector<std::string> texts;
  for (const auto& p : paths) {
    auto t = read_text(p);
    if (!t)
      return t.err();
    texts.push_back(std::move(*t));
    c.files.push_back(p);
  }
  if (vocab.empty()) {
    bool seen[256] = {};
    for (const auto& t : texts)
      for (char ch : t)
        seen[static_cast<unsigned char>(ch)] = true;
    for (int i = 0; i < 256; ++i)
      if (seen[i])
        c.vocab.push_back(static_cast<char>(i));
  } else {
    c.vocab = vocab;
  }
  if (c.vocab.size() > 256)
    return fail(errc::bad_corpus, "vocabulary larger than 256 chars");
  const model::vocabulary voc(c.vocab);
  for (std::size_t f = 0; f < texts.size(); ++f) {
    const auto& t = texts[f];
    const auto cut = static_cast<std::size_t>((1.0 - val_fraction) * static_cast<double>(t.size()));
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (!voc.contains(t[i]))
        ++c.unknown_chars;
      (i < cut ? c.train : c.val).push_back(static_cast<uint8_t>(voc.encode_char(t[i])));
    }
  }
  const auto need = static_cast<std::size_t>(block_size) + 1;
  if (c.train.size() < need || c.val.size() < need)
    return fail(errc::bad_corpus, "corpus too small: " + std::to_string(c.train.size())
                                    + " training and " + std::to_string(c.val.size())
                                    + " held-out chars; each part needs at least "
                                    + std::to_string(need) + " (block size + 1)");
  return c;
}

} // namespace sonnet::train
