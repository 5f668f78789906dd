// Custom layers (include/quiver/layer_registry.h): the registry of user factories and the
// adapter that runs a quiver::CustomLayer as an nn::Layer.
//
// Isolation: the registry is written only before the first model build and frozen by
// it (freeze_custom_layers, called from build_model), so what a model is made of cannot
// change while any model exists; after the freeze the map is read-only.
#include <algorithm>
#include <map>
#include <mutex>

#include "base/check.h"
#include "nn/layer.h"
#include "nn/text_vectorization.h"
#include "quiver/layer_registry.h"

namespace quiver {
namespace nn {
namespace {

struct CustomRegistry {
  std::mutex mu;
  bool frozen = false;  // guarded by mu; true from the first model build on
  std::map<std::string, CustomLayerFactory, std::less<>> factories;  // guarded by mu
  // TextVectorization callables by name (guarded by mu; read-only once frozen).
  std::map<std::string, TextStandardizeFn, std::less<>> standardize;
  std::map<std::string, TextSplitFn, std::less<>> split;
};

CustomRegistry& custom_registry() {
  static CustomRegistry r;
  return r;
}

// "Custom>custom_standardization" (a Keras registered name) -> "custom_standardization".
std::string callable_name(std::string_view name) {
  const size_t gt = name.rfind('>');
  return std::string(gt == std::string_view::npos ? name : name.substr(gt + 1));
}

template <typename Fn>
Status register_callable(std::string_view kind, std::string_view given, Fn fn,
                         std::initializer_list<const char*> builtins,
                         std::map<std::string, Fn, std::less<>>& into) {
  const std::string name = callable_name(given);
  const std::string what = "register_text_" + std::string(kind) + " '" + std::string(given) + "'";
  if (name.empty()) return invalid_argument("register_text_" + std::string(kind) + ": the name is empty");
  if (!fn) return invalid_argument(what + ": the function is null");
  for (const char* b : builtins) {
    if (name == b) return invalid_argument(what + ": a Keras built-in " + std::string(kind) + " mode");
  }
  CustomRegistry& r = custom_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (into.count(name)) return invalid_argument(what + ": already registered");
  if (r.frozen) {
    return failed_precondition(what + ": TextVectorization callables must be registered before "
                               "the first model is loaded (the registry is frozen from then on)");
  }
  into.emplace(name, std::move(fn));
  return Status();
}

// Runs a CustomLayer: materialised inputs in, the user's tensors out.
class CustomLayerAdapter : public Layer {
 public:
  CustomLayerAdapter(const LayerContext& ctx, std::unique_ptr<const CustomLayer> impl)
      : Layer(ctx), impl_(std::move(impl)), where_(ctx.where()) {
    output_shapes_ = impl_->output_shapes();
    propagate_ = impl_->propagates_mask();
    const bool masked = propagate_ && !ctx.input_masked.empty() && ctx.input_masked[0];
    output_masked_.assign(output_shapes_.size(), masked);
    memory_bytes_ = impl_->memory_bytes();
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    std::vector<CustomLayerInput> inputs;
    inputs.reserve(in.size());
    for (const Value* v : in) inputs.push_back({v->dense.get(), v->mask.get()});
    std::vector<Tensor> outputs;
    impl_->forward(inputs, &outputs);
    check_outputs(outputs, in.empty() ? 0 : in[0]->tensor().shape[0]);
    for (Tensor& t : outputs) {
      out->push_back(make_value(std::move(t), propagate_ ? in[0]->mask : nullptr));
    }
  }

 private:
  // A custom layer that breaks its own contract is a bug in it: say which one and abort.
  void check_outputs(const std::vector<Tensor>& outputs, int64_t batch) const {
    bool ok = outputs.size() == output_shapes_.size();
    for (size_t i = 0; ok && i < outputs.size(); ++i) {
      const Tensor& t = outputs[i];
      const Shape& s = output_shapes_[i];
      ok = t.shape.size() == s.size() + 1 && t.shape[0] == batch &&
           static_cast<int64_t>(t.data.size()) == t.size();
      for (size_t d = 0; ok && d < s.size(); ++d) ok = s[d] < 0 || s[d] == t.shape[d + 1];
    }
    if (!ok) {
      std::fprintf(stderr, "%s: the custom layer's forward() returned outputs that do not match "
                   "its output_shapes()\n", where_.c_str());
    }
    QUIVER_CHECK(ok);
  }

  std::unique_ptr<const CustomLayer> impl_;
  std::string where_;
  bool propagate_ = false;
};

CustomLayerConfig public_config(const LayerContext& ctx) {
  CustomLayerConfig c;
  c.model_path = ctx.meta.path;
  c.name = ctx.spec.name;
  c.class_name = ctx.spec.class_name;
  c.config_json = json_text(ctx.spec.config);
  for (const auto& w : ctx.spec.weights) c.weights.push_back({w.name, w.shape, w.values});
  c.input_shapes = ctx.input_shapes;
  c.input_masked = ctx.input_masked;
  c.keras_major = ctx.meta.keras_major;
  return c;
}

}  // namespace

void freeze_custom_layers() {
  CustomRegistry& r = custom_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.frozen = true;
}

bool is_custom_layer_class(std::string_view class_name) {
  CustomRegistry& r = custom_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.factories.find(class_name) != r.factories.end();
}

const TextStandardizeFn* find_text_standardize(std::string_view name) {
  CustomRegistry& r = custom_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  QUIVER_CHECK(r.frozen);  // build_model froze it: the maps no longer change
  auto it = r.standardize.find(callable_name(name));
  return it == r.standardize.end() ? nullptr : &it->second;
}

const TextSplitFn* find_text_split(std::string_view name) {
  CustomRegistry& r = custom_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  QUIVER_CHECK(r.frozen);
  auto it = r.split.find(callable_name(name));
  return it == r.split.end() ? nullptr : &it->second;
}

Result<std::unique_ptr<Layer>> make_custom_layer(const LayerContext& ctx) {
  const CustomLayerFactory* factory = nullptr;
  {
    CustomRegistry& r = custom_registry();
    std::lock_guard<std::mutex> lock(r.mu);
    QUIVER_CHECK(r.frozen);  // build_model froze it: the map no longer changes
    auto it = r.factories.find(ctx.spec.class_name);
    QUIVER_CHECK(it != r.factories.end());
    factory = &it->second;
  }
  Result<std::unique_ptr<const CustomLayer>> made = (*factory)(public_config(ctx));
  if (!made.ok()) return made.status();
  if (!made.value()) return internal_error(ctx.where() + ": the custom layer factory returned null");
  const std::vector<std::vector<int64_t>> shapes = made.value()->output_shapes();
  if (shapes.empty()) {
    return internal_error(ctx.where() + ": the custom layer declares no outputs");
  }
  return make_layer<CustomLayerAdapter>(ctx, std::move(made).value());
}

}  // namespace nn

std::string CustomLayerConfig::where() const {
  return model_path + ": layer '" + name + "' (" + class_name + ")";
}

Status register_layer(std::string_view class_name, CustomLayerFactory factory) {
  const std::string name(class_name);
  if (name.empty()) return invalid_argument("register_layer: the class name is empty");
  if (!factory) return invalid_argument("register_layer '" + name + "': the factory is null");
  if (nn::is_builtin_layer_class(name)) {
    return invalid_argument("register_layer '" + name +
                            "': quiver implements this layer class itself");
  }
  nn::CustomRegistry& r = nn::custom_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.factories.count(name)) {
    return invalid_argument("register_layer '" + name + "': already registered");
  }
  if (r.frozen) {
    return failed_precondition("register_layer '" + name +
                               "': layers must be registered before the first model is loaded "
                               "(the layer registry is frozen from then on)");
  }
  r.factories.emplace(name, std::move(factory));
  return Status();
}

Status register_text_standardize(std::string_view name, TextStandardizeFn fn) {
  return nn::register_callable(
      "standardize", name, std::move(fn),
      {"lower_and_strip_punctuation", "lower", "strip_punctuation"},
      nn::custom_registry().standardize);
}

Status register_text_split(std::string_view name, TextSplitFn fn) {
  return nn::register_callable("split", name, std::move(fn), {"whitespace", "character"},
                               nn::custom_registry().split);
}

std::vector<std::string> registered_custom_layers() {
  nn::CustomRegistry& r = nn::custom_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> names;
  for (const auto& [name, f] : r.factories) names.push_back(name);
  return names;
}

}  // namespace quiver
