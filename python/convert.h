// Conversions between Python / NumPy values and quiver's C++ types, shared by the bindings.
#ifndef QUIVER_PYTHON_CONVERT_H_
#define QUIVER_PYTHON_CONVERT_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "quiver/model.h"
#include "quiver/tensor.h"
#include "quiver/tokenizer.h"

namespace quiver::python {

namespace py = pybind11;

// A str or os.PathLike argument as a path string.
inline std::string path_string(const std::filesystem::path& p) { return p.string(); }

// A 2-D array of token ids as quiver::Model::predict takes it. A C-contiguous, aligned,
// native int32 NumPy array is used in place (zero-copy; `keep` holds it); any other integer
// array or nested list is copied into a new int32 array after checking that every value
// fits int32. Other dtypes (float, bool, object, strings) and other ranks are
// InvalidArgumentError naming `what`.
struct IdRows {
  py::array keep;
  const int32_t* data = nullptr;
  int64_t rows = 0, cols = 0;
};
IdRows id_rows(const py::handle& ids, const char* what);

// A float32 NumPy array that owns the tensor's data (moved, not copied).
py::array tensor_to_numpy(Tensor&& t);
py::list tensors_to_list(std::vector<Tensor>&& tensors);

// "pre" / "post" -> PadMode; InvalidArgumentError naming `what` otherwise.
PadMode pad_mode(const std::string& name, const char* what);

// A list of str (bytes are taken as UTF-8). A single str is refused (a common slip: it would
// be read as its characters).
std::vector<std::string> text_list(const py::handle& texts, const char* what);

}  // namespace quiver::python

#endif  // QUIVER_PYTHON_CONVERT_H_
