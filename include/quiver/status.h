// Status and Result<T>: how every fallible quiver operation reports failure.
//
// Shaped after leveldb::Status and std::expected. No quiver API throws; errors come back
// as a Status whose message names the path to the problem, e.g.
//   "model.h5: layer 'lstm_1': kernel shape [64,512], expected [64,256]".
// Thread-safety: values; a const Status/Result may be read from many threads.
#ifndef QUIVER_STATUS_H_
#define QUIVER_STATUS_H_

#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace quiver {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the caller's input is wrong (bad request, bad option)
  kNotFound,          // a file, model, layer or key does not exist
  kCorruption,        // a file is damaged, truncated or inconsistent
  kUnimplemented,     // valid Keras, but a layer/option quiver does not support
  kIOError,           // the operating system refused
  kResourceExhausted, // a limit was hit (queue full, body too large)
  kUnavailable,       // temporarily unable (model loading, shutting down)
  kFailedPrecondition,
  kCancelled,
  kInternal,          // a bug in quiver
};

// Returns a stable lower-case name, e.g. "invalid argument".
std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid argument: message"
  std::string to_string() const;

  // Returns a copy whose message is "prefix: message" (same code). For adding context
  // while an error travels outward: status.with_context("model 'spam'").
  Status with_context(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status io_error(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status failed_precondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Result<T>: a T or a non-OK Status. Accessing value() of an error aborts (a bug).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) std::abort();  // an OK status carries no value
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { check(); return std::get<T>(v_); }
  const T& value() const& { check(); return std::get<T>(v_); }
  T&& value() && { check(); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void check() const {
    if (!ok()) std::abort();
  }
  std::variant<T, Status> v_;
};

}  // namespace quiver

// Propagates a non-OK Status from an expression returning Status.
#define QUIVER_RETURN_IF_ERROR(expr)            \
  do {                                          \
    ::quiver::Status _qs = (expr);              \
    if (!_qs.ok()) return _qs;                  \
  } while (0)

#define QUIVER_CONCAT_INNER_(a, b) a##b
#define QUIVER_CONCAT_(a, b) QUIVER_CONCAT_INNER_(a, b)
// QUIVER_ASSIGN_OR_RETURN(auto x, f()): binds the value or returns the Status.
#define QUIVER_ASSIGN_OR_RETURN(lhs, expr) \
  QUIVER_ASSIGN_OR_RETURN_IMPL_(QUIVER_CONCAT_(_qr_, __LINE__), lhs, expr)
#define QUIVER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

#endif  // QUIVER_STATUS_H_
