#include "train/h5_writer.h"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "base/file.h"
#include "keras_io/hdf5.h"
#include "keras_io/quiver_checksum.h"

namespace quiver::train {
namespace {

// Closes an HDF5 handle with the matching H5*close when it goes out of scope.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

Status fail(const std::string& path, const std::string& what) {
  return io_error(path + ": HDF5 could not write " + what);
}

// A variable-length UTF-8 scalar string attribute (how h5py stores a Python str).
bool put_vlen(hid_t obj, const char* name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* p = value.c_str();
  return attr.ok() && H5Awrite(attr.get(), type.get(), &p) >= 0;
}

// Fixed-length NUL-padded strings: a scalar (one value, as h5py stores bytes) or a 1-D
// array (as h5py stores a list of bytes). An empty list is a float64 array of shape (0,),
// which is what numpy makes of [] in tf.keras' save_attributes_to_hdf5_group.
bool put_fixed(hid_t obj, const char* name, const std::vector<std::string>& values, bool scalar) {
  if (values.empty()) {
    hsize_t zero = 0;
    Handle space(H5Screate_simple(1, &zero, nullptr), H5Sclose);
    Handle attr(H5Acreate2(obj, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    return attr.ok();
  }
  size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  std::vector<char> buf(width * values.size(), '\0');
  for (size_t i = 0; i < values.size(); ++i) std::memcpy(&buf[i * width], values[i].data(), values[i].size());
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  hsize_t n = values.size();
  Handle space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  return attr.ok() && H5Awrite(attr.get(), type.get(), buf.data()) >= 0;
}

bool put_dataset(hid_t group, const H5Weight& w) {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  std::vector<hsize_t> dims(w.shape.begin(), w.shape.end());
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle ds(H5Dcreate2(group, w.name.c_str(), H5T_IEEE_F32LE, space.get(), lcpl.get(), H5P_DEFAULT,
                       H5P_DEFAULT),
            H5Dclose);
  return ds.ok() && H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w.values.data()) >= 0;
}

Status write_groups(hid_t file, const std::string& path, const H5Model& m) {
  const hid_t root = file;
  if (!put_vlen(root, "backend", "tensorflow") || !put_vlen(root, "keras_version", m.keras_version) ||
      !put_fixed(root, "model_config", {m.model_config}, true)) {
    return fail(path, "the root attributes");
  }
  for (const auto& [k, v] : m.string_attrs) {
    if (!put_vlen(root, k.c_str(), v)) return fail(path, "attribute " + k);
  }
  Handle mw(H5Gcreate2(file, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  std::vector<std::string> names;
  for (const auto& l : m.layers) names.push_back(l.name);
  if (!mw.ok() || !put_fixed(mw.get(), "layer_names", names, false) ||
      !put_vlen(mw.get(), "backend", "tensorflow") || !put_vlen(mw.get(), "keras_version", m.keras_version)) {
    return fail(path, "model_weights");
  }
  std::vector<const H5Layer*> sorted;
  for (const auto& l : m.layers) sorted.push_back(&l);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const H5Layer* l : sorted) {
    Handle g(H5Gcreate2(mw.get(), l->name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    std::vector<std::string> wnames;
    for (const auto& w : l->weights) wnames.push_back(w.name);
    if (!g.ok() || !put_fixed(g.get(), "weight_names", wnames, false)) return fail(path, "layer " + l->name);
    for (const auto& w : l->weights) {
      if (!put_dataset(g.get(), w)) return fail(path, "weight " + l->name + "/" + w.name);
    }
  }
  Handle top(H5Gcreate2(mw.get(), "top_level_model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!top.ok() || !put_fixed(top.get(), "weight_names", {}, false)) return fail(path, "top_level_model_weights");
  return Status();
}

// A file access list for an HDF5 file that lives in memory only (the core driver without
// a backing store): HDF5 never touches the disk, so a full disk or a read-only folder
// cannot leave an HDF5 handle half-closed (libhdf5's exit handler then crashes while
// flushing it). The finished image is written by base::write_file_atomic.
Handle memory_fapl(const std::string* image) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.ok() || H5Pset_fapl_core(fapl.get(), 1 << 20, /*backing_store=*/0) < 0 ||
      H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG) < 0) {
    return Handle(-1, H5Pclose);
  }
  if (image != nullptr &&
      H5Pset_file_image(fapl.get(), const_cast<char*>(image->data()), image->size()) < 0) {
    return Handle(-1, H5Pclose);
  }
  return fapl;
}

// The bytes of an open in-memory file.
Result<std::string> file_image(hid_t file, const std::string& path) {
  if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) return fail(path, "the file (flush failed)");
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  if (size <= 0) return fail(path, "the file image");
  std::string bytes(static_cast<size_t>(size), '\0');
  if (H5Fget_file_image(file, bytes.data(), bytes.size()) != size) return fail(path, "the file image");
  return bytes;
}

// Runs `edit` on an in-memory HDF5 file (a new one, or a copy of `image`) and returns the
// finished bytes. Every handle is closed on every path (H5F_CLOSE_STRONG closes the rest).
template <typename Edit>
Result<std::string> build_image(const std::string& path, const std::string* image, Edit edit) {
  keras_io::Hdf5Lock lock;
  Handle fapl = memory_fapl(image);
  if (!fapl.ok()) return fail(path, "(cannot set up an in-memory HDF5 file)");
  Handle file(image != nullptr ? H5Fopen("quiver-image.h5", H5F_ACC_RDWR, fapl.get())
                               : H5Fcreate("quiver-image.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
              H5Fclose);
  if (!file.ok()) {
    return image != nullptr ? corruption(path + ": not a readable HDF5 file")
                            : fail(path, "(cannot create an in-memory HDF5 file)");
  }
  QUIVER_RETURN_IF_ERROR(edit(file.get()));
  return file_image(file.get(), path);
}

// quiver_checksum (keras_io/quiver_checksum.h) of what write_groups writes.
std::string checksum_of(const H5Model& m) {
  std::map<std::string, std::string> attrs(m.string_attrs.begin(), m.string_attrs.end());
  attrs["model_config"] = m.model_config;
  std::map<std::string, uint32_t> layers;
  for (const H5Layer& l : m.layers) {
    keras_io::WeightsCrc crc;
    for (const H5Weight& w : l.weights) crc.add(w.name, w.shape, w.values.data(), w.values.size());
    layers[l.name] = crc.value();
  }
  return keras_io::checksum_text(keras_io::attributes_crc(attrs), layers);
}

// After quiver changed root attributes of a file it wrote: "attributes" recomputed, so the
// file stays verifiable (train-multilabel's quiver_thresholds).
Status update_checksum(hid_t file, const std::string& path) {
  Result<std::string> text = keras_io::recomputed_checksum(file);
  if (!text.ok()) return text.status().with_context(path);
  if (text->empty()) return Status();  // not a file quiver wrote with a checksum
  if (H5Adelete(file, keras_io::kChecksumAttribute) < 0 ||
      !put_vlen(file, keras_io::kChecksumAttribute, *text)) {
    return fail(path, "attribute quiver_checksum");
  }
  return Status();
}

}  // namespace

Status write_keras_h5(const std::string& path, const H5Model& model) {
  H5Model m = model;
  m.string_attrs.push_back({keras_io::kChecksumAttribute, checksum_of(model)});
  QUIVER_ASSIGN_OR_RETURN(std::string bytes, build_image(path, nullptr, [&](hid_t file) {
                            return write_groups(file, path, m);
                          }));
  return base::write_file_atomic(path, bytes);
}

Status set_root_string_attributes(const std::string& path,
                                  const std::vector<std::pair<std::string, std::string>>& attrs) {
  QUIVER_ASSIGN_OR_RETURN(std::string old, base::read_file(path));
  QUIVER_ASSIGN_OR_RETURN(std::string bytes, build_image(path, &old, [&](hid_t file) -> Status {
                            for (const auto& [k, v] : attrs) {
                              if (H5Aexists(file, k.c_str()) > 0 && H5Adelete(file, k.c_str()) < 0) {
                                return fail(path, "attribute " + k + " (delete failed)");
                              }
                              if (!put_vlen(file, k.c_str(), v)) return fail(path, "attribute " + k);
                            }
                            return update_checksum(file, path);
                          }));
  return base::write_file_atomic(path, bytes);
}

}  // namespace quiver::train
