#pragma once
// Writes .npz archives as numpy.savez / savez_compressed do (a zip of .npy v1 images), atomically:
// to `path.tmp`, fsynced, renamed over `path`, directory fsynced.

#include "core/result.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace sonnet::train {

/// One array: `descr` is "<f4", "<f8" or "|u1"; `data` holds size bytes, C order, little-endian.
struct npy_member {
  std::string name; ///< without ".npy"
  std::string descr;
  std::vector<std::size_t> shape;
  const void* data;
  std::size_t size;
};

/// `level` 0 stores the members; 1..12 deflates them (libdeflate's levels). A failure leaves any
/// existing file at `path` untouched and no temporary file behind.
result<void> write_npz(const std::string& path, const std::vector<npy_member>& members, int level);

} // namespace sonnet::train
