// Status -> Python exceptions: quiver.Error and one subclass per StatusCode. Every binding
// turns a non-OK Status into the matching exception with the Status message, so a failure in
// C++ is an ordinary Python exception, never a crash.
#ifndef QUIVER_PYTHON_ERRORS_H_
#define QUIVER_PYTHON_ERRORS_H_

#include <pybind11/pybind11.h>

#include <utility>

#include "quiver/status.h"

namespace quiver::python {

namespace py = pybind11;

// Creates quiver.Error and its subclasses in `m`.
void bind_errors(py::module_& m);

// Raises the exception for `status` (not OK). Needs the GIL.
[[noreturn]] void raise_status(const Status& status);

inline void check(const Status& status) {
  if (!status.ok()) raise_status(status);
}

template <typename T>
T unwrap(Result<T>&& result) {
  if (!result.ok()) raise_status(result.status());
  return std::move(result).value();
}

// Raises quiver.InvalidArgumentError with `message`.
[[noreturn]] void raise_invalid(const std::string& message);

// memory_budget_mb (MiB, >= 0) in bytes; InvalidArgumentError otherwise.
int64_t memory_budget_bytes(double mb);

}  // namespace quiver::python

#endif  // QUIVER_PYTHON_ERRORS_H_
