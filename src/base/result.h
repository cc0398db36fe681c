// Result<T>: a value or a Linux errno code. The socket layer returns these codes unchanged to
// the C API, so one error vocabulary (Linux's errno values) is used everywhere.
#pragma once

#include <cerrno>
#include <utility>
#include <variant>

namespace ustack {

struct Error {
  int code = 0;  // a positive Linux errno value (EINVAL, EAGAIN, ...)
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(e) {}                 // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  int error() const { return ok() ? 0 : std::get<1>(v_).code; }

 private:
  std::variant<T, Error> v_;
};

// Status: success or an errno code.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : code_(e.code) {}  // NOLINT: implicit by design
  bool ok() const { return code_ == 0; }
  explicit operator bool() const { return ok(); }
  int error() const { return code_; }

 private:
  int code_ = 0;
};

}  // namespace ustack
