// Custom layers: C++ implementations of Keras layers quiver does not ship, registered by
// the program that embeds quiver (no fork needed).
//
// A Keras model that uses a custom layer (a subclass of keras.layers.Layer, saved under its
// class name, e.g. "AttentionLayer") loads with Unimplemented naming the file, the layer and
// the class unless a C++ implementation is registered for that class name:
//
//   class MyAttention : public quiver::CustomLayer { ... };
//   quiver::Status s = quiver::register_layer(
//       "AttentionLayer", [](const quiver::CustomLayerConfig& c)
//           -> quiver::Result<std::unique_ptr<const quiver::CustomLayer>> {
//         ... validate c.config_json, c.weights, c.input_shapes ...
//         return std::unique_ptr<const quiver::CustomLayer>(new MyAttention(...));
//       });
//   auto model = quiver::Model::load("model.h5");   // now finds AttentionLayer
//
// The isolation rule: the set of layer classes is fixed before any model exists. Every
// register_layer() call must happen before the first model load in the process (typically
// at the top of main()); after the first load begins the registry is frozen and
// register_layer() returns FailedPrecondition. So a model's behaviour never depends on what
// was registered while it or another model was serving, and lookups need no locking.
// docs/nn.md ("Custom layers") has a complete example; tests/nn/custom_layer_test.cc runs it.
//
// Thread-safety: register_layer() is thread-safe (internally locked). A CustomLayer is
// built once per model load and then shared by every request of that model: forward() is
// const and must be thread-safe and re-entrant (keep scratch memory in locals), and must
// give a row the same result whatever else is in its batch.
#ifndef QUIVER_LAYER_REGISTRY_H_
#define QUIVER_LAYER_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quiver/status.h"
#include "quiver/tensor.h"

namespace quiver {

// One weight array of the layer, as Keras' layer.get_weights() lists them.
struct LayerWeight {
  std::string name;             // as stored ("attention_layer/W:0", "vars/0"); informational
  std::vector<int64_t> shape;   // as stored
  std::vector<float> values;    // row-major float32
};

// What a custom layer's factory receives when a model that uses the class is loaded.
struct CustomLayerConfig {
  std::string model_path;     // the model file, for messages
  std::string name;           // the layer's name in the model ("attention_layer_1")
  std::string class_name;     // the registered class name
  std::string config_json;    // the layer's Keras "config" object, as JSON text
  std::vector<LayerWeight> weights;                // get_weights() order
  std::vector<std::vector<int64_t>> input_shapes;  // per input, without batch; -1 = any size
  std::vector<bool> input_masked;  // per input: whether a time mask (mask_zero, Masking)
                                   // can arrive with it
  int keras_major = 2;             // 1, 2 or 3: the Keras that wrote the file

  // "model.h5: layer 'attention_layer_1' (AttentionLayer)": the prefix for error messages.
  std::string where() const;
};

// One input of one call: the dense tensor [batch, ...] and its time mask, if any.
struct CustomLayerInput {
  const Tensor* tensor = nullptr;
  const std::vector<uint8_t>* mask = nullptr;  // [batch * time], 1 = real step; or null
};

// A built custom layer. Immutable after its factory returns.
class CustomLayer {
 public:
  virtual ~CustomLayer() = default;

  // The shapes of the outputs without the batch dimension, one per output (-1 for a size
  // known only at run time, e.g. the time axis of a sequence). Read once, at load.
  virtual std::vector<std::vector<int64_t>> output_shapes() const = 0;

  // True to pass the first input's time mask on to every output (Keras: supports_masking
  // with the default compute_mask); false drops it (Keras 3's behaviour for a layer that
  // does not support masking). Read once, at load.
  virtual bool propagates_mask() const { return false; }

  // Bytes the layer holds beyond its factory's inputs (for ModelInfo::memory_bytes).
  virtual int64_t memory_bytes() const { return 0; }

  // Computes one call: `inputs` has one entry per input of the call, `outputs` is empty
  // and receives one tensor per output, each with the batch dimension first and the shape
  // output_shapes() announced. Cannot fail (validate everything in the factory); a wrong
  // output count or shape is a bug and aborts with the layer named.
  virtual void forward(std::span<const CustomLayerInput> inputs,
                       std::vector<Tensor>* outputs) const = 0;
};

// Builds the layer from its config, weights and input shapes, or says why it cannot
// (e.g. Corruption for a wrong weight shape, Unimplemented for an option it lacks; start
// the message with config.where()).
using CustomLayerFactory =
    std::function<Result<std::unique_ptr<const CustomLayer>>(const CustomLayerConfig& config)>;

// Registers `factory` for layers whose Keras class_name is `class_name`.
// Errors: InvalidArgument for an empty name, a null factory, a name quiver implements
// itself ("LSTM") or one already registered; FailedPrecondition once any model load has
// begun in this process (the registry is frozen then, see the isolation rule above).
Status register_layer(std::string_view class_name, CustomLayerFactory factory);

// The registered custom class names, sorted.
std::vector<std::string> registered_custom_layers();

// TextVectorization callables. A Keras TextVectorization built with a Python function as
// `standardize` or `split` (`TextVectorization(standardize=custom_standardization)`, as the
// Keras text classification tutorial does) saves only the function's name: tf.keras writes
// "standardize": "custom_standardization", Keras 3 {"class_name": "function", "config":
// "custom_standardization", "registered_name": "Custom>custom_standardization"}. Such a
// model loads with Unimplemented naming the callable and the file unless a C++
// implementation is registered under that name (the function's name; a registered name
// "Package>name" is accepted and stands for "name"):
//
//   quiver::register_text_standardize("custom_standardization", [](std::string_view s) {
//     std::string out = ...;   // lowercase, strip "<br />", strip punctuation, ...
//     return out;
//   });
//
// A standardize function maps one text to the standardized text; a split function maps
// one standardized text to its tokens (in order). Keras calls them on a batch tensor; the
// registered function must give each text what the Python function gives it as one row.
// The same isolation rule as register_layer: register before the first model load (then
// FailedPrecondition); the functions must be thread-safe and pure (a text's tokens never
// depend on anything but the text). InvalidArgument for an empty name, a null function, a
// Keras built-in name ("lower", "whitespace", ...) or a name registered twice.
using TextStandardizeFn = std::function<std::string(std::string_view text)>;
using TextSplitFn = std::function<std::vector<std::string>(std::string_view text)>;
Status register_text_standardize(std::string_view name, TextStandardizeFn fn);
Status register_text_split(std::string_view name, TextSplitFn fn);

}  // namespace quiver

#endif  // QUIVER_LAYER_REGISTRY_H_
