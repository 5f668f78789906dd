#include "errors.h"

#include <array>
#include <string>

namespace quiver::python {
namespace {

constexpr size_t kCodes = static_cast<size_t>(StatusCode::kInternal) + 1;
// The exception type per StatusCode (index 0, kOk, is unused). Set once at import; the
// types live as long as the interpreter (the module holds references).
std::array<PyObject*, kCodes> g_types{};

struct ErrorType {
  StatusCode code;
  const char* name;
  PyObject* extra_base;  // a builtin exception the type also derives from (or null)
  const char* doc;
};

}  // namespace

void bind_errors(py::module_& m) {
  PyObject* base = PyErr_NewExceptionWithDoc(
      "quiver.Error",
      "Base class of every error quiver raises. `code` is the status code's name "
      "(e.g. 'not found'); str(e) is the message, naming the file, model, layer or key.",
      PyExc_Exception, nullptr);
  if (base == nullptr) throw py::error_already_set();
  m.add_object("Error", py::handle(base));
  const ErrorType types[] = {
      {StatusCode::kInvalidArgument, "InvalidArgumentError", PyExc_ValueError,
       "A wrong argument or input: a bad option, shape, dtype, id or text."},
      {StatusCode::kNotFound, "NotFoundError", PyExc_FileNotFoundError,
       "A file, model, layer or key does not exist."},
      {StatusCode::kCorruption, "CorruptModelError", nullptr,
       "A model, tokenizer or data file is damaged, truncated or inconsistent."},
      {StatusCode::kUnimplemented, "UnsupportedError", PyExc_NotImplementedError,
       "Valid Keras, but a layer or option quiver does not support."},
      {StatusCode::kIOError, "FileIOError", PyExc_OSError,
       "The operating system refused (a read, a write, a full disk)."},
      {StatusCode::kResourceExhausted, "ResourceExhaustedError", nullptr,
       "A limit was hit (file size, vocabulary, nesting)."},
      {StatusCode::kUnavailable, "UnavailableError", nullptr, "Temporarily unavailable."},
      {StatusCode::kFailedPrecondition, "FailedPreconditionError", nullptr,
       "The operation is not allowed in the current state."},
      {StatusCode::kCancelled, "CancelledError", nullptr, "The operation was cancelled."},
      {StatusCode::kInternal, "InternalError", nullptr, "A bug in quiver."},
  };
  g_types[0] = base;
  for (const auto& t : types) {
    py::tuple bases = t.extra_base ? py::make_tuple(py::handle(base), py::handle(t.extra_base))
                                   : py::make_tuple(py::handle(base));
    const std::string qualified = std::string("quiver.") + t.name;
    PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), t.doc, bases.ptr(), nullptr);
    if (type == nullptr) throw py::error_already_set();
    py::handle(type).attr("code") = std::string(status_code_name(t.code));
    m.add_object(t.name, py::handle(type));
    g_types[static_cast<size_t>(t.code)] = type;
  }
  py::handle(base).attr("code") = "error";
}

void raise_status(const Status& status) {
  const size_t i = static_cast<size_t>(status.code());
  PyObject* type = i < kCodes && g_types[i] != nullptr ? g_types[i] : g_types[0];
  PyErr_SetString(type, status.message().c_str());
  throw py::error_already_set();
}

void raise_invalid(const std::string& message) { raise_status(invalid_argument(message)); }

int64_t memory_budget_bytes(double mb) {
  if (!(mb >= 0) || mb > 1e9) raise_invalid("memory_budget_mb: expected a number of MiB >= 0");
  return static_cast<int64_t>(mb * 1048576.0);
}

}  // namespace quiver::python
