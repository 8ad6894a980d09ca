//===- Status.h - Error values for the runtime's I/O -----------*- C++ -*-===//
//
// The runtime's file functions report failure as values, never by throwing:
// a Status is "ok" or carries one message that names the file and the
// problem, e.g. "data/ids.npy: dtype <f4, expected int64 (<i8)". Expected<T>
// is a T or such a Status. Neither depends on LLVM (the runtime must not link
// it), so this is not llvm::Error: there is no "must check" abort, only
// [[nodiscard]].
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_STATUS_H
#define DSC_RUNTIME_IO_STATUS_H

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace dsc::runtime {

class [[nodiscard]] Status {
public:
  /// Ok.
  Status() = default;

  static Status success() { return Status(); }
  static Status error(std::string message) {
    Status s;
    s.failed = true;
    s.msg = std::move(message);
    return s;
  }

  bool ok() const { return !failed; }
  /// The message of an error; empty when ok.
  const std::string &message() const { return msg; }

private:
  bool failed = false;
  std::string msg;
};

/// A T or the error that prevented making one.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : storage(std::move(value)) {}
  /// `status` must be an error.
  Expected(Status status) : storage(std::move(status)) {
    assert(!std::get<Status>(storage).ok() && "Expected from an ok Status");
  }

  bool ok() const { return storage.index() == 0; }
  explicit operator bool() const { return ok(); }

  /// The error; an ok Status when this holds a value.
  Status status() const {
    return ok() ? Status::success() : std::get<Status>(storage);
  }
  /// The error message; empty when this holds a value.
  const std::string &message() const {
    static const std::string empty;
    return ok() ? empty : std::get<Status>(storage).message();
  }

  T &value() & { return std::get<T>(storage); }
  const T &value() const & { return std::get<T>(storage); }
  T &&value() && { return std::get<T>(std::move(storage)); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

private:
  std::variant<T, Status> storage;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_STATUS_H
