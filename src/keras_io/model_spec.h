// ModelSpec: what a Keras file says, normalised across Keras versions and formats.
// keras_io produces it from the bytes; nn builds an executable Model from it.
//
// The reader does no math and no Keras-semantics conversion of weights: arrays come in the
// order Keras' get_weights() gives them (Bidirectional: forward layer's then backward
// layer's; within a layer trainable then non-trainable), with the stored shapes.
// Conversions that depend on the layer class (CuDNN layouts, Keras 1's 12-array LSTM, the
// theano kernel flip) belong to the nn layer factories, which know the class.
#ifndef QUIVER_KERAS_IO_MODEL_SPEC_H_
#define QUIVER_KERAS_IO_MODEL_SPEC_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quiver/limits.h"
#include "quiver/status.h"

namespace quiver::keras_io {

struct WeightArray {
  std::string name;             // as stored (e.g. "lstm_1/kernel:0", "vars/0"); informational
  std::vector<int64_t> shape;   // as stored
  std::vector<float> values;    // row-major, converted to float32 (from f16/bf16/f64)
};

// One input of one call of a layer: the tensor_index-th output of node node_index of layer.
struct InboundRef {
  std::string layer;
  int node_index = 0;
  int tensor_index = 0;
};

struct LayerSpec {
  std::string name;
  std::string class_name;  // Keras class_name ("LSTM", "Bidirectional", "InputLayer", ...)
  // The layer's "config" object as written (normalised: Keras 3 module/registered_name
  // wrappers unwrapped, dtype policy dicts replaced by their name, InputLayer's
  // "batch_shape" also available as "batch_input_shape"). Wrappers (Bidirectional,
  // TimeDistributed) keep their inner {"class_name","config"} under "layer" (and
  // "backward_layer" when present), unwrapped the same way.
  nlohmann::json config;
  // One entry per call of the layer (node); each lists that call's inputs. Empty for an
  // InputLayer. Sequential models are converted to this form by the reader (a chain).
  std::vector<std::vector<InboundRef>> inbound_nodes;
  // Per call (as inbound_nodes; may be shorter, e.g. for Sequential chains): the call's
  // keyword arguments that are not tensors, e.g. {"use_causal_mask": true}; {} for none.
  // Tensors given by keyword (query=, value=, key=) are in inbound_nodes after the
  // positional ones.
  std::vector<nlohmann::json> call_kwargs;
  std::vector<WeightArray> weights;  // get_weights() order
  // .keras archives: the layer's object path in model.weights.h5 ("layers/text_vectorization")
  // and the files Keras' save_assets wrote for it under assets/<that path>/, keyed by their
  // path below that folder ("vocabulary.txt", "_lookup_layer/vocabulary.txt").
  std::string object_path;
  std::map<std::string, std::string> assets;
};

struct ModelSpec {
  std::string path;
  std::string format;         // see quiver::ModelInfo::format
  std::string keras_version;  // "" if the file has none
  std::string backend;        // "tensorflow", "theano", ... ("" if absent)
  int keras_major = 2;        // 1, 2 or 3 (from keras_version; 3 for .keras zips of Keras 3;
                              // 1 for a layer_names .h5 with no version anywhere)
  // Every layer, InputLayers included (synthesised for a Sequential without one, named
  // "input_1" unless the config names it), in the config's order, which is topological.
  std::vector<LayerSpec> layers;
  std::vector<InboundRef> inputs;   // the model's input tensors
  std::vector<InboundRef> outputs;  // the model's output tensors
  // quiver's own metadata, read in the same pass as the model: the quiver_* string
  // attributes on an .h5 file's root group, or the string members of the "quiver" object
  // in a .keras archive's metadata.json (keys as the .h5 attribute names). Empty for files
  // quiver did not write.
  std::map<std::string, std::string> metadata;
};

struct ReadOptions {
  std::string architecture_path;  // JSON/YAML architecture for weights-only .h5 files
  // The file and its weight arrays (as float32) must each fit; ResourceExhausted with the
  // bytes needed otherwise, before any weight array is allocated beyond the limit.
  int64_t max_memory_bytes = limits::kDefaultMaxModelBytes;
};

// Reads a Keras model file. Checks that nothing it declares exceeds quiver/limits.h
// (ResourceExhausted). Detects the format from the bytes (HDF5 signature, zip
// signature), not the extension. Errors: NotFound (no file), Corruption (damaged,
// truncated, missing groups, inconsistent), Unimplemented (unsupported layer class or
// option; the message names the file, the layer, its class and what is supported),
// InvalidArgument (weights-only file without architecture).
Result<ModelSpec> read_model(const std::string& path, const ReadOptions& options = {});

// The same for a file's bytes already in memory (an upload, a fuzzer). `name` stands for
// the file in messages and in ModelSpec::path. Thread-safe, like read_model.
Result<ModelSpec> read_model_bytes(std::string bytes, const std::string& name,
                                   const ReadOptions& options = {});

}  // namespace quiver::keras_io

#endif  // QUIVER_KERAS_IO_MODEL_SPEC_H_
