// Layer: one Keras layer built for inference, and the context its factory builds it from.
//
// Layers are built once by the model builder (src/nn/builder.cc) from a keras_io::LayerSpec,
// validate every option and weight shape then, and are immutable afterwards: forward() is
// const and thread-safe, and keeps its scratch memory in locals of the call.
#ifndef QUIVER_NN_LAYER_H_
#define QUIVER_NN_LAYER_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keras_io/model_spec.h"
#include "nn/value.h"
#include "quiver/model.h"
#include "quiver/status.h"

namespace quiver::nn {

// File-level facts that change layer semantics.
struct ModelMeta {
  std::string path;
  std::string format;
  std::string keras_version;
  std::string backend;
  int keras_major = 2;
  bool hard_sigmoid_keras3 = false;  // clip(x/6+0.5) instead of clip(0.2x+0.5)
  // Standalone Keras 1.x / 2.0-2.3 (not tf.keras, not Keras 3). Decides what a masked
  // Bidirectional RNN returning sequences outputs at masked steps: standalone Keras carries
  // the state; tf.keras and Keras 3 force zero_output_for_mask (KERAS.md §2.5).
  bool standalone_keras = false;
  // LoadOptions::weights: the storage of recurrent kernels.
  WeightMode weights = WeightMode::kFp32;
};

// What a recurrent layer fed by an Embedding precomputes (LoadOptions::memory_policy as the
// builder resolved it, never kAuto) and, for kTablesLazy, the share of each table's rows it
// may keep (the budget's; 1 = all).
struct TokenProjection {
  MemoryPolicy policy = MemoryPolicy::kTablesFp32;
  double lazy_fraction = 1.0;
};

// *to += from, part by part.
void add_memory(MemoryUsage* to, const MemoryUsage& from);

// Per predict() call settings passed to every layer.
struct RunContext {
  int threads = 1;
};

// What a layer factory sees: the spec, the file's facts, and the shapes (without batch) and
// mask presence of the layer's inputs.
struct LayerContext {
  const keras_io::LayerSpec& spec;
  const ModelMeta& meta;
  std::vector<Shape> input_shapes;
  std::vector<bool> input_masked;

  // "model.h5: layer 'lstm_1' (LSTM)"
  std::string where() const;
  Status error(StatusCode code, std::string_view message) const;
  Status unimplemented(std::string_view message) const;
  Status corrupt(std::string_view message) const;
};

// Reads config fields; the first problem is kept and reported by status().
class ConfigReader {
 public:
  explicit ConfigReader(const LayerContext& ctx) : ctx_(ctx), config_(ctx.spec.config) {}
  ConfigReader(const LayerContext& ctx, const nlohmann::json& config)
      : ctx_(ctx), config_(config) {}

  bool has(const char* key) const;
  int64_t integer(const char* key, int64_t fallback);
  int64_t required_integer(const char* key);
  double number(const char* key, double fallback);
  bool boolean(const char* key, bool fallback);
  std::string string(const char* key, const std::string& fallback);
  // An int, or a one-element list of ints (Keras writes kernel_size as [3]).
  int64_t int_or_first(const char* key, int64_t fallback);
  std::vector<int64_t> int_list(const char* key);  // a list of ints (or one int)
  // Fails unless the field is absent, null or equal to `allowed` (e.g. stateful false).
  void require_value(const char* key, const nlohmann::json& allowed);
  const nlohmann::json* get(const char* key) const;
  void fail(std::string_view message);
  const Status& status() const { return status_; }

 private:
  const LayerContext& ctx_;
  const nlohmann::json& config_;
  Status status_;
};

class Layer {
 public:
  explicit Layer(const LayerContext& ctx);
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }
  const std::vector<Shape>& output_shapes() const { return output_shapes_; }
  const std::vector<bool>& output_masked() const { return output_masked_; }
  int64_t memory_bytes() const { return memory_bytes_; }

  // Runs one call of the layer. `in` holds dense values except where accepts_lazy() said
  // otherwise; `out` receives one value per output. Cannot fail on shapes validated at load.
  virtual void forward(std::span<const Value* const> in, const RunContext& run,
                       std::vector<Value>* out) const = 0;

  // True if forward() takes its input in lazy form: raw ids (source == nullptr) or the
  // output of Embedding `source`. Otherwise the runner materialises it first.
  virtual bool accepts_lazy(const EmbeddingLayer* source) const { return false; }
  // True for layers that return their input unchanged at inference (Dropout, ...).
  virtual bool is_identity() const { return false; }
  // Called by the builder, before the model is frozen, on a layer whose single input is
  // (through identity layers only) the output of `embedding`: what to precompute for it.
  virtual void use_token_projection(const EmbeddingLayer& embedding,
                                    const TokenProjection& projection) {}
  // The bytes the layer holds by part (ModelInfo::memory): memory_bytes() as weights unless
  // the layer says otherwise. memory_in_use(): the same, now (a lazy table grows).
  virtual MemoryUsage memory_usage() const;
  virtual MemoryUsage memory_in_use() const { return memory_usage(); }
  // Adds what this layer's tables and trajectories would take for `embedding` under
  // kTablesFp32 (ModelInfo::table_fp32_bytes, table_rows, trajectory_bytes), built or not.
  virtual void add_table_facts(const EmbeddingLayer& embedding, ModelInfo* info) const {}

 protected:
  std::vector<Shape> output_shapes_;
  std::vector<bool> output_masked_;
  int64_t memory_bytes_ = 0;

 private:
  std::string name_;
  std::string class_name_;
};

using LayerFactory = Result<std::unique_ptr<Layer>> (*)(const LayerContext& ctx);

// The class_name -> factory registry (src/nn/registry.cc): quiver's own layers, then the
// custom layers registered through include/quiver/layer_registry.h. nullptr for unknown
// classes.
LayerFactory find_layer_factory(std::string_view class_name);
bool is_builtin_layer_class(std::string_view class_name);
// Custom layers (src/nn/custom_layer.cc). build_model freezes the registry before it
// looks anything up, so register_layer() fails from the first model build on.
void freeze_custom_layers();
bool is_custom_layer_class(std::string_view class_name);
// "Activation, AveragePooling1D, ..." for error messages.
std::string supported_layer_classes();

// Weight helpers for factories. The message names the layer and `what`:
// "model.h5: layer 'lstm_1' (LSTM): kernel shape [64,512], expected [64,256]".
Status expect_weight_count(const LayerContext& ctx, size_t expected);
Status expect_shape(const LayerContext& ctx, const keras_io::WeightArray& w, const Shape& expected,
                    std::string_view what);

// Fails (Corruption) unless the layer is called with `count` inputs.
Status expect_inputs(const LayerContext& ctx, size_t count);

// JSON text of a config value for messages (invalid UTF-8 replaced, never throws).
std::string json_text(const nlohmann::json& value);

// Wraps a new layer as the factory result.
template <typename T, typename... Args>
Result<std::unique_ptr<Layer>> make_layer(Args&&... args) {
  return std::unique_ptr<Layer>(std::make_unique<T>(std::forward<Args>(args)...));
}

// Rows of a tensor seen as [rows, last_dim].
inline int64_t leading_rows(const Tensor& t) {
  return t.shape.back() == 0 ? 0 : t.size() / t.shape.back();
}

}  // namespace quiver::nn

#endif  // QUIVER_NN_LAYER_H_
