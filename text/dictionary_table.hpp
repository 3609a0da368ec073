#pragma once
// Internal to text/: the dictionary's tables as they are built from a text file (the layout is
// described at `class dictionary` in text/pronouncing.hpp): words into the arena and the
// open-addressing hash table, pronunciations interned and grouped per word.

#include "text/cmudict_format.hpp"
#include "text/pronouncing.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sonnet::text {

/// FNV-1a: the hash of the word table (built here, probed by dictionary::find).
inline std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

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
    if (insert
        && (d.table_store_.empty() || 2 * (d.words_store_.size() + 1) > d.table_store_.size()))
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

  void add(std::uint32_t word, const detail::parsed_pron& p) {
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

} // namespace sonnet::text
