#pragma once
// result<T>: a value or an error {code, message}. The plain-C++ layers (model/, text/,
// persistence/) return it instead of throwing; actors turn it into caf::error at their boundary.

#include "core/errc.hpp"

#include <string>
#include <utility>
#include <variant>

namespace sonnet {

/// An error code plus a human-readable message (names the file / value / SQLite text).
struct error {
  errc code = errc::none;
  std::string message;
};

/// Builds an error; reads well at return sites: `return fail(errc::bad_checkpoint, path + ": ...");`
inline error fail(errc code, std::string message) {
  return error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] result {
public:
  result(T value) : v_(std::move(value)) {}
  result(error e) : v_(std::move(e)) {}

  explicit operator bool() const { return v_.index() == 0; }
  bool ok() const { return v_.index() == 0; }

  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }

  const error& err() const { return std::get<1>(v_); }

private:
  std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
public:
  result() = default;
  result(error e) : err_(std::move(e)) {}

  explicit operator bool() const { return err_.code == errc::none; }
  bool ok() const { return err_.code == errc::none; }
  const error& err() const { return err_; }

private:
  error err_;
};

} // namespace sonnet
