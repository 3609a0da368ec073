#include "model/page_buffer.hpp"

#include <cstdint>
#include <new>
#include <utility>
#include <sys/mman.h>

namespace sonnet::model {

namespace {
constexpr std::size_t huge_page = std::size_t{2} << 20;
}

page_buffer::page_buffer(std::size_t bytes) {
  if (bytes == 0)
    return;
  if (bytes < huge_page / 2) { // small (test models): a huge page would only inflate the RSS
    const std::size_t size = (bytes + 4095) / 4096 * 4096;
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      throw std::bad_alloc();
    map_ = data_ = p;
    mapped_ = size_ = size;
    return;
  }
  // Whole huge pages, plus one to align the start: the kernel backs only aligned 2 MB ranges
  // with huge pages. The slack stays reserved address space, never touched.
  const std::size_t size = (bytes + huge_page - 1) / huge_page * huge_page;
  if (size < bytes || size + huge_page < size)
    throw std::bad_alloc();
  void* p =
    ::mmap(nullptr, size + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw std::bad_alloc();
  map_ = p;
  mapped_ = size + huge_page;
  const auto start = (reinterpret_cast<std::uintptr_t>(p) + huge_page - 1) & ~(huge_page - 1);
  data_ = reinterpret_cast<void*>(start);
  size_ = size;
#ifdef MADV_HUGEPAGE
  ::madvise(data_, size_, MADV_HUGEPAGE); // advice: ignored where THP is off
#endif
}

page_buffer::~page_buffer() {
  if (map_)
    ::munmap(map_, mapped_);
}

page_buffer::page_buffer(page_buffer&& other) noexcept
    : map_(std::exchange(other.map_, nullptr)), mapped_(std::exchange(other.mapped_, 0)),
      data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

page_buffer& page_buffer::operator=(page_buffer&& other) noexcept {
  if (this != &other) {
    page_buffer tmp(std::move(other));
    std::swap(map_, tmp.map_);
    std::swap(mapped_, tmp.mapped_);
    std::swap(data_, tmp.data_);
    std::swap(size_, tmp.size_);
  }
  return *this;
}

} // namespace sonnet::model
