#pragma once
// Reading and writing the emergent layer's JSON state files (sonnetbrain.json,
// phase_transitions.json). The prototype wrote them in place with open(path, 'w'), so a crash
// or a full disk mid-write left a truncated file that the next start could not parse; here a
// write goes to PATH.tmp, is fsynced and renamed over PATH, so PATH is always either the old
// file or the new one. PATH.tmp is locked (flock) while it is written and renamed: processes
// sharing one cloud save the same state files, and must not write one temp file together.

#include "core/result.hpp"

#include <cstddef>
#include <string>

namespace sonnet::emergent {

/// The largest state file we read. The shipped files are 7.3 kB and 1.4 kB; anything near
/// this limit is not one of ours.
inline constexpr std::size_t max_state_file_bytes = 1 << 20;

/// The whole file as text; errc::bad_state_file (naming the path) if it is missing, not a
/// regular file, unreadable or larger than max_state_file_bytes.
result<std::string> read_state_file(const std::string& path);

/// Writes `text` to `path` atomically: PATH.tmp written, fsynced, renamed over PATH, then the
/// directory fsynced (so the rename itself survives a power loss). On failure PATH is
/// untouched, PATH.tmp is removed, and the error is errc::state_write_failed naming the step.
result<void> write_state_file(const std::string& path, const std::string& text);

/// read_state_file, then `parse(text, path)` (-> result<T>): every state format's loader.
template <class T, class Parse>
result<T> load_state(const std::string& path, Parse parse) {
  auto text = read_state_file(path);
  if (!text)
    return text.err();
  return parse(*text, path);
}

/// `to_json(value)` (-> result<std::string>), then write_state_file: every format's saver.
template <class T, class ToJson>
result<void> save_state(const std::string& path, const T& value, ToJson to_json) {
  auto text = to_json(value);
  if (!text)
    return text.err();
  return write_state_file(path, *text);
}

} // namespace sonnet::emergent
