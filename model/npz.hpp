#pragma once
// Reader for NumPy's .npz checkpoints: a zip archive (stored or deflated members) of .npy arrays.
// Plain C++ + libdeflate. Every failure is a result with errc::bad_checkpoint and a message naming the
// file, the array (when relevant) and the problem; no input bytes can make it crash or throw.

#include "core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sonnet::model {

/// Element types the reader understands. Floating arrays are converted to float on load.
enum class npy_dtype { f4, f8, u1 };

/// The floats of one array. The arrays of an archive share one block (a page_buffer, in huge
/// pages when large: the reference checkpoint's 3.5 MB would otherwise be ~900 first-touch page
/// faults, ~10 ms of a start-up in a VM); the block lives while any array of it does.
class float_array {
public:
  float_array() = default;
  float_array(std::shared_ptr<float> data, std::size_t size)
      : data_(std::move(data)), size_(size) {}

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  float& operator[](std::size_t i) { return data_.get()[i]; }
  float operator[](std::size_t i) const { return data_.get()[i]; }
  const float* begin() const { return data(); }
  const float* end() const { return data() + size_; }

private:
  std::shared_ptr<float> data_;
  std::size_t size_ = 0;
};

/// One array of a checkpoint, C order, shape as stored.
struct npy_array {
  std::string name;                ///< member name without ".npy"
  npy_dtype dtype = npy_dtype::f4; ///< dtype as stored in the file
  std::vector<std::size_t> shape;  ///< () for a scalar
  float_array values;              ///< f4/f8 arrays, converted to float
  std::string bytes;               ///< u1 arrays (raw bytes, e.g. a vocabulary)

  /// Number of elements (1 for a scalar).
  std::size_t size() const;
};

/// "(65,128)", "(128,)" or "()".
std::string shape_string(const std::vector<std::size_t>& shape);

/// All arrays of an archive, by name.
using npz_archive = std::map<std::string, npy_array>;

/// Parses one .npy image (its values in memory of their own). `label` names it in error
/// messages ("file.npz: array 'x'").
result<npy_array> parse_npy(const std::uint8_t* data, std::size_t size, const std::string& label);

/// Parses a whole .npz image held in memory. `path` only names it in messages.
/// Members whose names do not end in ".npy" are ignored. Zip64 and encrypted members are refused.
result<npz_archive> parse_npz(const std::uint8_t* data, std::size_t size, const std::string& path);

/// Reads and parses a .npz file.
result<npz_archive> read_npz(const std::string& path);

/// Reads a whole regular file into memory (core/regular_file.hpp; refuses files over 1 GiB).
result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path, errc code);

} // namespace sonnet::model
