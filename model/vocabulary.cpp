// --- char vocabulary ----------------------------------------------------------------------------
#include "model/model.hpp"
#include "model/npz.hpp"

#include <algorithm>
#include <cstdio>

namespace sonnet::model {

vocabulary::vocabulary(std::string chars) : chars_(std::move(chars)) {
  std::fill(std::begin(index_), std::end(index_), -1);
  for (std::size_t i = 0; i < chars_.size(); ++i) {
    auto c = static_cast<unsigned char>(chars_[i]);
    if (index_[c] < 0)
      index_[c] = static_cast<int>(i);
  }
  fallback_ =
    index_[static_cast<unsigned char>(' ')] >= 0 ? index_[static_cast<unsigned char>(' ')] : 0;
}

int vocabulary::encode_char(char c) const {
  int i = index_[static_cast<unsigned char>(c)];
  return i >= 0 ? i : fallback_;
}

std::vector<int> vocabulary::encode(std::string_view s) const {
  std::vector<int> out;
  out.reserve(s.size());
  for (char c : s)
    out.push_back(encode_char(c));
  return out;
}

std::string vocabulary::decode(const std::vector<int>& ids) const {
  std::string out;
  out.reserve(ids.size());
  for (int id : ids)
    out.push_back(id >= 0 && id < size() ? chars_[static_cast<std::size_t>(id)] : '?');
  return out;
}

result<void> write_vocab_from_corpus(const std::string& corpus_path, const std::string& out_path) {
  auto bytes = read_file_bytes(corpus_path, errc::bad_vocabulary);
  if (!bytes)
    return bytes.err();
  bool seen[256] = {};
  for (auto b : *bytes)
    seen[b] = true;
  std::string chars;
  for (int c = 0; c < 256; ++c)
    if (seen[c])
      chars.push_back(static_cast<char>(c));
  if (chars.empty())
    return fail(errc::bad_vocabulary, corpus_path + ": empty corpus, no vocabulary to write");
  std::FILE* f = std::fopen(out_path.c_str(), "wb");
  if (!f)
    return fail(errc::bad_vocabulary, out_path + ": cannot create vocabulary file");
  bool ok = std::fwrite(chars.data(), 1, chars.size(), f) == chars.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    return fail(errc::bad_vocabulary, out_path + ": write failed");
  return {};
}

} // namespace sonnet::model
