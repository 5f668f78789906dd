// libFuzzer target: arbitrary bytes as an HDF5 file image — the object walk keras_io does
// (h5::build_tree with its depth / count limits, attribute reads, dataset reads with the
// storage checks) without going through a config. libhdf5 itself is not instrumented.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "keras_io/h5_objects.h"
#include "keras_io/hdf5.h"

namespace h5 = quiver::keras_io::h5;

namespace {

void visit(hid_t file, const h5::TreeNode& node, h5::WeightBudget& budget, int& datasets) {
  for (const auto& [name, child] : node.children) {
    if (child.is_dataset && !child.actual_path.empty() && ++datasets <= 64) {
      (void)h5::read_float_dataset(file, child.actual_path, name, budget);
    }
    visit(file, child, budget, datasets);  // the tree's depth is bounded by build_tree
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  quiver::keras_io::Hdf5Lock lock;
  auto file = h5::open_image(bytes);
  if (!file.ok()) return 0;
  for (const char* attr : {"model_config", "keras_version", "layer_names", "layer_names0"}) {
    (void)h5::read_string_list(file->get(), attr);
  }
  auto tree = h5::build_tree(file->get());
  if (!tree.ok()) return 0;
  h5::WeightBudget budget{uint64_t{1} << 26};
  int datasets = 0;
  visit(file->get(), *tree, budget, datasets);
  return 0;
}
