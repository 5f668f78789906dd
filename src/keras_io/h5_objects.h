// Thin RAII layer over the HDF5 C API, used only inside keras_io.
//
// Every function here (and every Handle destructor) must run while the calling thread
// holds an Hdf5Lock (hdf5.h). Handles never outlive the lock that was held when they were
// opened. Errors come back as Status with messages that name the attribute, group or
// dataset; callers add the file and layer in front (Status::with_context).
#ifndef QUIVER_KERAS_IO_H5_OBJECTS_H_
#define QUIVER_KERAS_IO_H5_OBJECTS_H_

#include <hdf5.h>

#include <map>
#include <string>
#include <vector>

#include "keras_io/model_spec.h"
#include "quiver/status.h"

namespace quiver::keras_io::h5 {

// Owns one HDF5 identifier (file, group, dataset, attribute, type, space or property list)
// and closes it with the matching H5*close when destroyed. Move-only.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();

 private:
  hid_t id_ = -1;
};

// Opens an HDF5 file read-only from an in-memory image (the bytes are copied; nothing
// touches the disk). Corruption when the bytes are not a readable file, or hold a global
// heap that would make libhdf5 loop forever (checked before HDF5 sees the bytes).
Result<Handle> open_image(const std::string& bytes);

// True if every component of the '/'-separated `path` below `loc` exists.
bool path_exists(hid_t loc, const std::string& path);
bool is_group(hid_t loc, const std::string& path);
Result<Handle> open_group(hid_t loc, const std::string& path);

bool has_attribute(hid_t loc, const std::string& name);
// A string attribute (fixed-length NUL-padded or variable-length; scalar -> one element).
// An attribute with zero elements gives an empty list whatever its type (Keras writes
// `np.array([])` as a float64 array for layers without weights).
Result<std::vector<std::string>> read_string_attribute(hid_t loc, const std::string& name);
// Like read_string_attribute, but also accepts the chunked form Keras uses for long lists:
// name0, name1, ... concatenated (keras saving.py load_attributes_from_hdf5_group).
// NotFound when neither `name` nor `name0` exists.
Result<std::vector<std::string>> read_string_list(hid_t loc, const std::string& name);
// The first element of a string attribute, or "" when absent.
std::string string_attribute_or_empty(hid_t loc, const std::string& name);

// Names of the links directly below a group, in name order (at most 100000).
Result<std::vector<std::string>> child_names(hid_t group);

// Every string attribute of the root group "/" that holds one string (fixed- or
// variable-length; others are skipped), by name.
Result<std::map<std::string, std::string>> root_string_attributes(hid_t file);

// The float32 bytes the weight arrays of one file may take (ReadOptions::max_memory_bytes).
// Every dataset read adds its size to `needed`; once that passes `limit`, datasets are no
// longer allocated or read (they come back with their shape and no values), so the caller
// can still report how much the whole model would need.
struct WeightBudget {
  uint64_t limit = 0;
  uint64_t needed = 0;
  bool exceeded() const { return needed > limit; }
};

// Reads a dataset as float32 (any float width; bfloat16 stored as 16-bit integers or
// opaque with attribute dtype="bfloat16"). Checks rank, element count and, for contiguous
// storage, that the stored bytes match the shape, before allocating anything; charges the
// array to `budget`. `name` goes into WeightArray::name.
Result<WeightArray> read_float_dataset(hid_t loc, const std::string& path, std::string name,
                                       WeightBudget& budget);

// A view of a file's groups with '\' in link names treated as '/' (archives written on
// Windows name groups "layers\\dense"). Only hard links are followed.
struct TreeNode {
  std::string actual_path;  // absolute HDF5 path; "" for a level implied by a '\' name
  bool is_dataset = false;
  std::map<std::string, TreeNode> children;

  const TreeNode* find(const std::string& normalised_path) const;
};
Result<TreeNode> build_tree(hid_t file);

}  // namespace quiver::keras_io::h5

#endif  // QUIVER_KERAS_IO_H5_OBJECTS_H_
