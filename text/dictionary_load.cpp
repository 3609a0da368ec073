// Loading a pronouncing dictionary: a text file read in 64 KiB chunks into the tables, or a
// compiled one mapped; where the process-wide dictionary comes from.
#include "text/dictionary_file.hpp"
#include "text/dictionary_table.hpp"

#include "core/paths.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

namespace sonnet::text {

using namespace detail;

namespace {

const char* env_path() {
  return std::getenv("SONNET_CMUDICT");
}

} // namespace

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

} // namespace sonnet::text
