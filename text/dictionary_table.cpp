#include "text/dictionary_table.hpp"

namespace sonnet::text {

std::size_t dictionary::memory_bytes() const {
  return arena_.size() + words_.size() * sizeof(word_rec) + prons_.size() * sizeof(pron_rec)
         + table_.size() * sizeof(std::uint32_t);
}

std::shared_ptr<const dictionary> dictionary::empty() {
  static const auto e = std::make_shared<const dictionary>();
  return e;
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

} // namespace sonnet::text
