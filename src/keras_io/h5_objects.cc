// HDF5 C API wrappers. Callers hold an Hdf5Lock (see hdf5.cc for why).
#include "keras_io/h5_objects.h"

#include <cstring>
#include <utility>

#include "quiver/limits.h"

namespace quiver::keras_io::h5 {
namespace {

// Limits that keep a crafted file from making us allocate absurd amounts of memory.
constexpr hssize_t kMaxAttributeElements = 1 << 24;
constexpr size_t kMaxStringBytes = size_t{1} << 30;
constexpr uint64_t kMaxDatasetElements = uint64_t{1} << 32;
constexpr size_t kMaxChildren = 100000;
constexpr int kMaxTreeDepth = 24;

std::vector<std::string> split_path(const std::string& path, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(sep, start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

Result<std::vector<std::string>> read_vlen_strings(hid_t attr, hid_t file_type, hid_t space,
                                                   size_t n) {
  Handle mem(H5Tcopy(H5T_C_S1));
  if (!mem.valid() || H5Tset_size(mem.get(), H5T_VARIABLE) < 0 ||
      H5Tset_cset(mem.get(), H5Tget_cset(file_type)) < 0) {
    return corruption("cannot make a string type");
  }
  std::vector<char*> ptrs(n, nullptr);
  if (H5Aread(attr, mem.get(), ptrs.data()) < 0) return corruption("unreadable string data");
  std::vector<std::string> out;
  out.reserve(n);
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  H5Dvlen_reclaim(mem.get(), space, H5P_DEFAULT, ptrs.data());
  return out;
}

Result<std::vector<std::string>> read_fixed_strings(hid_t attr, hid_t file_type, size_t n) {
  size_t size = H5Tget_size(file_type);
  if (size == 0 || size > kMaxStringBytes / (n ? n : 1)) return corruption("bad string size");
  Handle mem(H5Tcopy(H5T_C_S1));
  if (!mem.valid() || H5Tset_size(mem.get(), size) < 0 ||
      H5Tset_strpad(mem.get(), H5T_STR_NULLPAD) < 0) {
    return corruption("cannot make a string type");
  }
  std::vector<char> buf(size * n);
  if (n > 0 && H5Aread(attr, mem.get(), buf.data()) < 0) {
    return corruption("unreadable string data");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    const char* p = buf.data() + i * size;
    out.emplace_back(p, strnlen(p, size));  // fixed-length strings are NUL-padded
  }
  return out;
}

// bfloat16 is the top half of a float32.
float bfloat16_to_float(uint16_t bits) {
  uint32_t wide = uint32_t{bits} << 16;
  float f;
  std::memcpy(&f, &wide, sizeof f);
  return f;
}

Status read_bfloat16(hid_t ds, hid_t file_type, H5T_class_t cls, std::vector<float>& values) {
  std::vector<uint16_t> raw(values.size());
  // Opaque data has no byte order in HDF5; numpy wrote it little-endian (x86/arm hosts).
  hid_t mem_type = cls == H5T_INTEGER ? H5T_NATIVE_UINT16 : file_type;
  if (H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) {
    return corruption("unreadable bfloat16 data");
  }
  for (size_t i = 0; i < raw.size(); ++i) values[i] = bfloat16_to_float(raw[i]);
  return Status();
}

// The bytes a dataset's shape needs must be backed by the file: exactly for contiguous
// storage (what Keras writes); for chunked storage (possibly compressed) within a generous
// ratio, so that a small damaged file cannot make us allocate gigabytes.
Status check_storage(hid_t ds, uint64_t elements, size_t type_size) {
  constexpr uint64_t kMaxCompression = 1024, kSlackBytes = 1 << 20;
  Handle dcpl(H5Dget_create_plist(ds));
  if (!dcpl.valid()) return corruption("unreadable dataset properties");
  if (elements == 0) return Status();
  H5D_layout_t layout = H5Pget_layout(dcpl.get());
  hsize_t stored = H5Dget_storage_size(ds);
  // Compact data lives in the object header, with its own byte count: libhdf5 1.10.8 does not
  // check that count against the shape, and reads past it (garbage) or, when it is 0, from a
  // null buffer (SIGSEGV in H5D__compact_readvv; the CI fuzzer's model_build finding).
  // Contiguous and compact storage must hold exactly what the shape needs.
  if (layout != H5D_CONTIGUOUS && layout != H5D_COMPACT) {
    if (elements * type_size > stored * kMaxCompression + kSlackBytes) {
      return corruption("claims " + std::to_string(elements * type_size) + " bytes but stores " +
                        std::to_string(stored));
    }
    return Status();
  }
  if (stored != elements * type_size) {
    return corruption("holds " + std::to_string(stored) + " bytes, its shape needs " +
                      std::to_string(elements * type_size));
  }
  return Status();
}

struct Shape {
  std::vector<int64_t> dims;
  uint64_t elements = 1;
};

Result<Shape> dataset_shape(hid_t ds) {
  Handle space(H5Dget_space(ds));
  if (!space.valid()) return corruption("unreadable dataspace");
  if (H5Sget_simple_extent_type(space.get()) == H5S_NULL) return corruption("has no data");
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > 8) return corruption("has an unreadable or too large rank");
  hsize_t dims[8] = {};
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0) {
    return corruption("has unreadable dimensions");
  }
  Shape shape;
  for (int i = 0; i < rank; ++i) {
    if (dims[i] != 0 && shape.elements > kMaxDatasetElements / dims[i]) {
      return corruption("is too large");
    }
    shape.elements *= dims[i];
    shape.dims.push_back(static_cast<int64_t>(dims[i]));
  }
  return shape;
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t* info, void* data) {
  auto* names = static_cast<std::vector<std::string>*>(data);
  if (info->type != H5L_TYPE_HARD) return 0;  // never follow soft or external links
  names->emplace_back(name);
  return names->size() > kMaxChildren ? 1 : 0;
}

Status fill_tree(hid_t file, TreeNode& node, const std::string& actual, int depth, size_t& budget) {
  if (depth > kMaxTreeDepth) return corruption("groups nested too deeply at '" + actual + "'");
  Handle group(H5Gopen2(file, actual.c_str(), H5P_DEFAULT));
  if (!group.valid()) return corruption("unreadable group '" + actual + "'");
  QUIVER_ASSIGN_OR_RETURN(std::vector<std::string> names, child_names(group.get()));
  for (const std::string& name : names) {
    if (budget-- == 0) return corruption("too many objects in the file");
    std::string child_actual = (actual == "/" ? "" : actual) + "/" + name;
    std::vector<std::string> parts = split_path(name, '\\');
    if (parts.empty()) continue;  // a name made only of separators
    TreeNode* target = &node;
    for (const std::string& part : parts) target = &target->children[part];
    target->actual_path = child_actual;
    if (is_group(file, child_actual)) {
      QUIVER_RETURN_IF_ERROR(fill_tree(file, *target, child_actual, depth + 1, budget));
    } else {
      target->is_dataset = true;
    }
  }
  return Status();
}

uint64_t read_le(const std::string& bytes, size_t at, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

// libhdf5 1.10 (H5HG__cache_heap_deserialize) loops forever on a global heap collection
// whose free-space object has size 0, and walks out of bounds on sizes that overflow.
// Vlen strings (tf.keras attributes) live in such collections, so a damaged file could
// hang a load. Every collection ("GCOL", version 1, 8-byte lengths) is walked here first
// the way HDF5 will walk it; one that HDF5 could not walk safely is Corruption.
Status check_global_heaps(const std::string& bytes) {
  constexpr size_t kHeader = 16, kObjectHeader = 16, kMinCollection = 4096;
  for (size_t at = bytes.find("GCOL"); at != std::string::npos; at = bytes.find("GCOL", at + 4)) {
    if (at + kHeader > bytes.size() || bytes[at + 4] != 1) continue;
    uint64_t size = read_le(bytes, at + 8, 8);
    if (size < kMinCollection || size > bytes.size() - at) continue;  // not a collection
    for (uint64_t p = kHeader; p < size && p + kObjectHeader <= size;) {
      uint64_t index = read_le(bytes, at + p, 2);
      uint64_t object_size = read_le(bytes, at + p + 8, 8);
      uint64_t need = index > 0 ? kObjectHeader + ((object_size + 7) & ~uint64_t{7}) : object_size;
      if (object_size > size || need == 0 || need > size - p) {
        return corruption("damaged global heap at byte " + std::to_string(at));
      }
      p += need;
    }
  }
  return Status();
}

}  // namespace

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = std::exchange(other.id_, -1);
  }
  return *this;
}

void Handle::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE:
      H5Fclose(id_);
      break;
    case H5I_GROUP:
      H5Gclose(id_);
      break;
    case H5I_DATASET:
      H5Dclose(id_);
      break;
    case H5I_ATTR:
      H5Aclose(id_);
      break;
    case H5I_DATATYPE:
      H5Tclose(id_);
      break;
    case H5I_DATASPACE:
      H5Sclose(id_);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id_);
      break;
    default:
      break;
  }
  id_ = -1;
}

Result<Handle> open_image(const std::string& bytes) {
  QUIVER_RETURN_IF_ERROR(check_global_heaps(bytes));
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), 1 << 16, /*backing_store=*/0) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0) {
    return corruption("cannot prepare an in-memory HDF5 image");
  }
  Handle file(H5Fopen("model.weights.h5", H5F_ACC_RDONLY, fapl.get()));
  if (!file.valid()) return corruption("not a readable HDF5 file (damaged or truncated)");
  return file;
}

bool path_exists(hid_t loc, const std::string& path) {
  std::string prefix = path.starts_with("/") ? "/" : "";
  for (const std::string& part : split_path(path, '/')) {
    prefix += part;
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    // An external link would make HDF5 open another file on this machine: refuse.
    H5L_info_t info;
    if (H5Lget_info(loc, prefix.c_str(), &info, H5P_DEFAULT) < 0 ||
        info.type == H5L_TYPE_EXTERNAL) {
      return false;
    }
    prefix += "/";
  }
  return true;
}

bool is_group(hid_t loc, const std::string& path) {
  if (!path_exists(loc, path)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name2(loc, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    return false;
  }
  return info.type == H5O_TYPE_GROUP;
}

Result<Handle> open_group(hid_t loc, const std::string& path) {
  if (!is_group(loc, path)) return not_found("group '" + path + "' missing");
  Handle group(H5Gopen2(loc, path.c_str(), H5P_DEFAULT));
  if (!group.valid()) return corruption("group '" + path + "' unreadable");
  return group;
}

bool has_attribute(hid_t loc, const std::string& name) { return H5Aexists(loc, name.c_str()) > 0; }

Result<std::vector<std::string>> read_string_attribute(hid_t loc, const std::string& name) {
  auto fail = [&](const std::string& why) { return corruption("attribute '" + name + "' " + why); };
  Handle attr(H5Aopen(loc, name.c_str(), H5P_DEFAULT));
  if (!attr.valid()) return fail("unreadable");
  Handle type(H5Aget_type(attr.get()));
  Handle space(H5Aget_space(attr.get()));
  if (!type.valid() || !space.valid()) return fail("unreadable");
  hssize_t n = H5Sget_simple_extent_type(space.get()) == H5S_NULL
                   ? 0
                   : H5Sget_simple_extent_npoints(space.get());
  if (n < 0 || n > kMaxAttributeElements) return fail("has an unreadable size");
  if (const hsize_t stored = H5Aget_storage_size(attr.get());
      stored > static_cast<hsize_t>(limits::kMaxAttributeBytes)) {
    return resource_exhausted("attribute '" + name + "' holds " + std::to_string(stored) +
                              " bytes, more than the limit of " +
                              std::to_string(limits::kMaxAttributeBytes));
  }
  if (n == 0) return std::vector<std::string>{};
  if (H5Tget_class(type.get()) != H5T_STRING) return fail("is not a string");
  Result<std::vector<std::string>> strings =
      H5Tis_variable_str(type.get()) > 0
          ? read_vlen_strings(attr.get(), type.get(), space.get(), static_cast<size_t>(n))
          : read_fixed_strings(attr.get(), type.get(), static_cast<size_t>(n));
  if (!strings.ok()) return fail(strings.status().message());
  return strings;
}

Result<std::vector<std::string>> read_string_list(hid_t loc, const std::string& name) {
  if (has_attribute(loc, name)) return read_string_attribute(loc, name);
  if (!has_attribute(loc, name + "0")) return not_found("attribute '" + name + "' missing");
  std::vector<std::string> all;
  for (int chunk = 0; has_attribute(loc, name + std::to_string(chunk)); ++chunk) {
    QUIVER_ASSIGN_OR_RETURN(std::vector<std::string> part,
                            read_string_attribute(loc, name + std::to_string(chunk)));
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

std::string string_attribute_or_empty(hid_t loc, const std::string& name) {
  if (!has_attribute(loc, name)) return "";
  Result<std::vector<std::string>> values = read_string_attribute(loc, name);
  return values.ok() && !values->empty() ? values->front() : "";
}

Result<std::map<std::string, std::string>> root_string_attributes(hid_t file) {
  Handle root(H5Gopen2(file, "/", H5P_DEFAULT));
  if (!root.valid()) return corruption("root group unreadable");
  const int count = H5Aget_num_attrs(root.get());
  std::map<std::string, std::string> out;
  for (int i = 0; i < count; ++i) {
    char name[1024] = {};
    if (H5Aget_name_by_idx(root.get(), ".", H5_INDEX_NAME, H5_ITER_INC, static_cast<hsize_t>(i),
                           name, sizeof name, H5P_DEFAULT) < 0) {
      continue;
    }
    Result<std::vector<std::string>> values = read_string_attribute(root.get(), name);
    if (values.ok() && values->size() == 1) out[name] = values->front();
  }
  return out;
}

Result<std::vector<std::string>> child_names(hid_t group) {
  std::vector<std::string> names;
  hsize_t index = 0;
  herr_t rc = H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect_name, &names);
  if (rc < 0) return corruption("unreadable group listing");
  if (rc > 0) return corruption("group has too many members");
  return names;
}

Result<WeightArray> read_float_dataset(hid_t loc, const std::string& path, std::string name,
                                       WeightBudget& budget) {
  auto fail = [&](const std::string& why) { return corruption("dataset '" + path + "' " + why); };
  if (!path_exists(loc, path) || is_group(loc, path)) return fail("missing");
  Handle ds(H5Dopen2(loc, path.c_str(), H5P_DEFAULT));
  if (!ds.valid()) return fail("unreadable");
  Result<Shape> shape = dataset_shape(ds.get());
  if (!shape.ok()) return fail(shape.status().message());
  Handle type(H5Dget_type(ds.get()));
  if (!type.valid()) return fail("has an unreadable type");
  H5T_class_t cls = H5Tget_class(type.get());
  size_t type_size = H5Tget_size(type.get());
  if (type_size == 0 || type_size > 8) return fail("is not floating point");
  if (Status s = check_storage(ds.get(), shape->elements, type_size); !s.ok()) {
    return fail(s.message());
  }
  budget.needed += shape->elements * sizeof(float);
  if (budget.exceeded()) return WeightArray{std::move(name), shape->dims, {}};
  WeightArray array{std::move(name), shape->dims, std::vector<float>(shape->elements)};
  if (shape->elements == 0) return array;
  bool bf16 = type_size == 2 && (cls == H5T_INTEGER || cls == H5T_OPAQUE) &&
              string_attribute_or_empty(ds.get(), "dtype") == "bfloat16";
  if (bf16) {
    if (Status s = read_bfloat16(ds.get(), type.get(), cls, array.values); !s.ok()) {
      return fail(s.message());
    }
  } else if (cls != H5T_FLOAT) {
    return fail("is not floating point");
  } else if (H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     array.values.data()) < 0) {
    return fail("unreadable (damaged data)");
  }
  return array;
}

const TreeNode* TreeNode::find(const std::string& normalised_path) const {
  const TreeNode* node = this;
  for (const std::string& part : split_path(normalised_path, '/')) {
    auto it = node->children.find(part);
    if (it == node->children.end()) return nullptr;
    node = &it->second;
  }
  return node;
}

Result<TreeNode> build_tree(hid_t file) {
  TreeNode root;
  root.actual_path = "/";
  size_t budget = 200000;
  QUIVER_RETURN_IF_ERROR(fill_tree(file, root, "/", 0, budget));
  return root;
}

}  // namespace quiver::keras_io::h5
