// Status and Result<T>: how incidentd reports failure on input and I/O.
//
// Malformed input is ordinary, not exceptional: every function that can fail on what it reads returns a Status (or a
// Result<T>, which holds either a T or a non-ok Status). A Status carries a code, a message meant for the operator
// (it must never contain secrets), and whether retrying the same operation later may succeed.
//
// Thread rule: plain values; copy freely.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace incidentd {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the input is wrong; retrying it unchanged fails again
  kNotFound,
  kAlreadyExists,
  kResourceExhausted,  // a limit was hit (queue full, too large); retry later may succeed
  kUnavailable,        // a dependency is down; retry later may succeed
  kFailedPrecondition,
  kInternal,
};

class Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Invalid(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }
  static Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
  static Status Exhausted(std::string message) { return {StatusCode::kResourceExhausted, std::move(message)}; }
  static Status Unavailable(std::string message) { return {StatusCode::kUnavailable, std::move(message)}; }
  static Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // True when the same operation may succeed later without changing its input.
  bool retryable() const { return code_ == StatusCode::kResourceExhausted || code_ == StatusCode::kUnavailable; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Holds a T or a non-ok Status. REQUIRES: a Result is never built from an ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; REQUIRES: !ok().
  const Status& status() const { return std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace incidentd
