// Masking(mask_value) (keras/layers/core.py): a step is masked when all its features equal
// mask_value; masked steps are zeroed (x * mask) and the mask is passed on.
#include "nn/layer.h"

namespace quiver::nn {
namespace {

class MaskingLayer : public Layer {
 public:
  MaskingLayer(const LayerContext& ctx, float mask_value) : Layer(ctx), mask_value_(mask_value) {
    output_shapes_ = ctx.input_shapes;
    output_masked_ = {true};
  }
  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    Tensor y = in[0]->tensor();
    const int64_t d = y.shape.back(), steps = leading_rows(y);
    auto mask = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(steps));
    for (int64_t s = 0; s < steps; ++s) {
      float* x = y.data.data() + s * d;
      bool keep = false;
      for (int64_t j = 0; j < d; ++j) keep = keep || x[j] != mask_value_;
      (*mask)[s] = keep;
      if (!keep) std::fill(x, x + d, 0.0f);
    }
    out->push_back(make_value(std::move(y), std::move(mask)));
  }

 private:
  float mask_value_;
};

}  // namespace

Result<std::unique_ptr<Layer>> make_masking(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  ConfigReader cfg(ctx);
  const double mask_value = cfg.number("mask_value", 0.0);
  QUIVER_RETURN_IF_ERROR(cfg.status());
  if (ctx.input_shapes[0].size() != 2 || ctx.input_shapes[0][1] <= 0) {
    return ctx.unimplemented("input shape " + shape_to_string(ctx.input_shapes[0]) +
                             " is not [time, features]");
  }
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, 0));
  return make_layer<MaskingLayer>(ctx, static_cast<float>(mask_value));
}

}  // namespace quiver::nn
