// Writes a tf.keras 2.x full-model .h5 (KERAS.md §1.3) with the HDF5 C API:
//   /                       attrs backend, keras_version (variable-length UTF-8),
//                           model_config (fixed-length bytes, JSON), extra string attrs
//   /model_weights          attrs layer_names (fixed-length strings), backend, keras_version
//   /model_weights/<layer>  attr weight_names; datasets at /model_weights/<layer>/<name>
//                           ("lstm/lstm_cell/kernel:0" makes intermediate groups, as h5py)
//   /model_weights/top_level_model_weights   empty weight_names (tf.keras >= 2.7)
// Layer groups are created in sorted name order (tf.keras >= 2.7); layer_names keeps the
// model's order. The file is built in memory (HDF5's core driver, no backing store) and
// then written by base::write_file_atomic (temp file beside `path`, fsync, rename), so a
// full disk or a read-only folder is an IOError naming `path` with no temp file left and
// no HDF5 handle open. All HDF5 calls hold keras_io's process-wide Hdf5Lock.
#ifndef QUIVER_TRAIN_H5_WRITER_H_
#define QUIVER_TRAIN_H5_WRITER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "quiver/status.h"

namespace quiver::train {

struct H5Weight {
  std::string name;              // e.g. "lstm/lstm_cell/kernel:0"
  std::vector<int64_t> shape;
  std::vector<float> values;     // row-major
};

struct H5Layer {
  std::string name;
  std::vector<H5Weight> weights;
};

struct H5Model {
  std::string model_config;  // JSON
  std::string keras_version = "2.15.0";
  std::vector<H5Layer> layers;  // model.layers order (no InputLayer)
  std::vector<std::pair<std::string, std::string>> string_attrs;  // extra root attributes
};

Status write_keras_h5(const std::string& path, const H5Model& model);

// Sets variable-length UTF-8 string attributes on the root of an existing .h5 (replacing
// attributes of the same name), atomically: the file is read, changed in memory and
// written back with base::write_file_atomic. Used by quiver train-multilabel for quiver_thresholds.
Status set_root_string_attributes(const std::string& path,
                                  const std::vector<std::pair<std::string, std::string>>& attrs);

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_H5_WRITER_H_
