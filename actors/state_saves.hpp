#pragma once
// How the emergent layer's parts report a state file they could not save: once, when saving
// starts failing, not at every step (they go on in memory), and again after a save worked.

#include <cstdio>

#include "core/result.hpp"

namespace sonnet {

/// Reports `saved` for part `who` as above; returns whether it was saved.
inline bool report_save(const result<void>& saved, bool& failing, const char* who) {
  if (!saved && !failing)
    std::fprintf(stderr, "%s: cannot save (it goes on in memory): %s\n", who,
                 saved.err().message.c_str());
  failing = !saved;
  return saved.ok();
}

} // namespace sonnet
