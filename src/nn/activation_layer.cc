// Activation (keras/layers/core.py) and the advanced-activation layers that are a plain
// activation (ReLU, LeakyReLU, ELU, Softmax over the last axis). Pass the mask on.
#include "nn/activation.h"

namespace quiver::nn {
namespace {

class ActivationLayer : public Layer {
 public:
  ActivationLayer(const LayerContext& ctx, Activation act) : Layer(ctx), act_(act) {
    output_shapes_ = ctx.input_shapes;
    output_masked_ = ctx.input_masked;
  }
  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    Tensor y = in[0]->tensor();
    apply_activation(act_, y.data.data(), leading_rows(y), y.shape.back());
    out->push_back(make_value(std::move(y), in[0]->mask));
  }

 private:
  Activation act_;
};

Result<Activation> advanced_activation(const LayerContext& ctx) {
  ConfigReader cfg(ctx);
  const std::string& cls = ctx.spec.class_name;
  nlohmann::json obj = {{"class_name", cls}, {"config", ctx.spec.config}};
  if (cls == "ReLU") {
    if (cfg.number("max_value", -1) >= 0 || cfg.number("negative_slope", 0) != 0 ||
        cfg.number("threshold", 0) != 0) {
      if (cfg.number("max_value", -1) == 6 && cfg.number("negative_slope", 0) == 0 &&
          cfg.number("threshold", 0) == 0) {
        return parse_activation(ctx, "relu6");
      }
      return ctx.unimplemented("ReLU with max_value/negative_slope/threshold is not supported");
    }
    return parse_activation(ctx, "relu");
  }
  if (cls == "Softmax") {
    int64_t axis = cfg.int_or_first("axis", -1);
    QUIVER_RETURN_IF_ERROR(cfg.status());
    if (axis != -1 && axis != static_cast<int64_t>(ctx.input_shapes[0].size())) {
      return ctx.unimplemented("Softmax over axis " + std::to_string(axis) +
                               " is not supported (only the last axis)");
    }
  }
  return parse_activation(ctx, obj);
}

}  // namespace

Result<std::unique_ptr<Layer>> make_activation(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  if (ctx.input_shapes[0].empty() || ctx.input_shapes[0].back() < 0) {
    return ctx.unimplemented("input shape " + shape_to_string(ctx.input_shapes[0]) +
                             " has no known last axis");
  }
  Activation act;
  if (ctx.spec.class_name == "Activation") {
    QUIVER_ASSIGN_OR_RETURN(act, activation_field(ctx, ctx.spec.config, "activation", "linear"));
  } else {
    QUIVER_ASSIGN_OR_RETURN(act, advanced_activation(ctx));
  }
  return make_layer<ActivationLayer>(ctx, act);
}

}  // namespace quiver::nn
