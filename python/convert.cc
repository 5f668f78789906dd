#include "convert.h"

#include <limits>
#include <utility>

#include "errors.h"

namespace quiver::python {
namespace {

std::string shape_text(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    s += std::to_string(a.shape(i)) + (a.ndim() == 1 || i + 1 < a.ndim() ? "," : "");
    if (i + 1 < a.ndim()) s += " ";
  }
  return s + ")";
}

}  // namespace

IdRows id_rows(const py::handle& ids, const char* what) {
  py::module_ np = py::module_::import("numpy");
  py::array a;
  if (py::isinstance<py::array>(ids)) {
    a = py::reinterpret_borrow<py::array>(ids);
  } else {
    try {
      a = np.attr("asarray")(ids);
    } catch (py::error_already_set& e) {  // ragged nested lists and the like
      raise_invalid(std::string(what) + ": not an array of token ids: " + e.what());
    }
  }
  if (a.ndim() != 2) {
    raise_invalid(std::string(what) + ": expected a 2-D array [batch, seq_len], got shape " +
                  shape_text(a));
  }
  const char kind = a.dtype().kind();
  if (kind != 'i' && kind != 'u') {
    raise_invalid(std::string(what) + ": expected integer token ids (int32), got dtype " +
                  py::str(a.dtype()).cast<std::string>());
  }
  const bool in_place = a.dtype().equal(py::dtype::of<int32_t>()) &&
                        (a.flags() & py::array::c_style) &&
                        (a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_);
  if (!in_place) {
    // Values outside int32 would wrap silently in astype: check them first.
    if (a.size() > 0 && (a.itemsize() > 4 || (kind == 'u' && a.itemsize() == 4))) {
      const py::int_ lo(a.attr("min")()), hi(a.attr("max")());
      if (lo < py::int_(std::numeric_limits<int32_t>::min()) ||
          hi > py::int_(std::numeric_limits<int32_t>::max())) {
        raise_invalid(std::string(what) + ": token ids outside the int32 range");
      }
    }
    a = np.attr("ascontiguousarray")(a, py::arg("dtype") = np.attr("int32"));
  }
  IdRows r;
  r.rows = a.shape(0);
  r.cols = a.shape(1);
  r.data = static_cast<const int32_t*>(a.data());
  r.keep = std::move(a);
  return r;
}

py::array tensor_to_numpy(Tensor&& t) {
  auto* owned = new std::vector<float>(std::move(t.data));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  return py::array_t<float>(shape, owned->data(), owner);
}

py::list tensors_to_list(std::vector<Tensor>&& tensors) {
  py::list out;
  for (auto& t : tensors) out.append(tensor_to_numpy(std::move(t)));
  return out;
}

PadMode pad_mode(const std::string& name, const char* what) {
  if (name == "pre") return PadMode::kPre;
  if (name == "post") return PadMode::kPost;
  raise_invalid(std::string(what) + ": expected 'pre' or 'post', got '" + name + "'");
}

std::vector<std::string> text_list(const py::handle& texts, const char* what) {
  if (py::isinstance<py::str>(texts) || py::isinstance<py::bytes>(texts)) {
    raise_invalid(std::string(what) + ": expected a list of strings, got a single string");
  }
  std::vector<std::string> out;
  try {
    for (const py::handle& t : texts) out.push_back(t.cast<std::string>());
  } catch (const py::cast_error&) {
    raise_invalid(std::string(what) + ": expected a list of strings");
  }
  return out;
}

}  // namespace quiver::python
