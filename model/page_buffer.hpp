#pragma once
// Zero-filled memory for the model's large, long-lived arrays, in transparent huge pages where
// the kernel allows them (MADV_HUGEPAGE). Why: the packed weights are ~3 MB, and first touching
// them in 4 KB pages is ~800 page faults, ~10 ms of a start-up in a virtual machine; in 2 MB
// pages it is two faults. Where huge pages are off, and for buffers under 1 MB, this is plain
// anonymous memory.

#include <cstddef>

namespace sonnet::model {

class page_buffer {
public:
  page_buffer() = default;
  /// At least `bytes` zeroed bytes, page aligned. Throws std::bad_alloc.
  explicit page_buffer(std::size_t bytes);
  ~page_buffer();
  page_buffer(page_buffer&& other) noexcept;
  page_buffer& operator=(page_buffer&& other) noexcept;
  page_buffer(const page_buffer&) = delete;
  page_buffer& operator=(const page_buffer&) = delete;

  void* data() const { return data_; }
  std::size_t size() const { return size_; }

private:
  void* map_ = nullptr; // what munmap gets
  std::size_t mapped_ = 0;
  void* data_ = nullptr; // the huge-page-aligned start
  std::size_t size_ = 0;
};

} // namespace sonnet::model
