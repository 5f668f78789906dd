// Fills LayerSpec::weights from the two HDF5 weight layouts Keras has used.
//
// Both functions must be called while holding an Hdf5Lock. Errors name the layer
// ("layer 'lstm_1': weight group missing"); the caller adds the file name. On error the
// layers may hold some weights already: callers discard them (read_model never returns a
// half-filled spec).
#ifndef QUIVER_KERAS_IO_WEIGHTS_READER_H_
#define QUIVER_KERAS_IO_WEIGHTS_READER_H_

#include <hdf5.h>

#include <vector>

#include "keras_io/config_parser.h"
#include "keras_io/h5_objects.h"
#include "keras_io/model_spec.h"
#include "quiver/status.h"

namespace quiver::keras_io {

// Keras 1/2, tf.keras and Keras 3 legacy .h5 (shared/KERAS.md §1.1-1.4): `group` (the
// file's /model_weights, or the root of a save_weights file) has attribute layer_names
// (maybe chunked layer_names0, 1, ...); each layer group has weight_names, read in order
// (names are never parsed for meaning). Layers are matched by name; when the names do not
// match (an architecture saved in another session), by order of the layers that hold
// weights, as Keras' load_weights does.
// A nested model is one entry of layer_names; its weight_names ("dense_1/kernel:0" in
// tf.keras, the variable paths in Keras 3) go to the inner layer named by the first path
// component that names one of its layers, in file order.
// Both readers charge every array to `budget` (h5::WeightBudget) before allocating it.
Status read_layer_names_weights(hid_t group, std::vector<LayerSpec>& layers,
                                h5::WeightBudget& budget, const NestedModels& nested = {});

// .keras archives (Keras 3, tf.keras 2.12-2.15) and Keras 3 .weights.h5: layers live
// under layers/ (or _layer_checkpoint_dependencies/ in tf.keras 2.13), keyed by
// snake_case(class name) plus a per-class counter in model.layers order; each holds
// vars/0..n-1, then cell/, forward_layer/, backward_layer/ or layer/ sub-objects.
// `tree` is the file with '\' separators normalised (h5::build_tree).
// A nested model is keyed like a layer (snake_case of "Sequential" / "Functional") and holds
// its own layers/ container.
Status read_saveable_weights(hid_t file, const h5::TreeNode& tree, std::vector<LayerSpec>& layers,
                             h5::WeightBudget& budget, const NestedModels& nested = {});

}  // namespace quiver::keras_io

#endif  // QUIVER_KERAS_IO_WEIGHTS_READER_H_
