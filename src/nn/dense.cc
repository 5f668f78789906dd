// Dense (keras/layers/core.py): act(x·kernel + bias) over the last axis, for 2-D and 3-D
// inputs (Keras applies it per time step). Passes the mask on.
#include "nn/activation.h"
#include "nn/kernels.h"

namespace quiver::nn {
namespace {

class DenseLayer : public Layer {
 public:
  DenseLayer(const LayerContext& ctx, int64_t units, const std::vector<float>& kernel,
             std::vector<float> bias, Activation act)
      : Layer(ctx),
        units_(units),
        kernel_(kernel.data(), ctx.input_shapes[0].back(), units),
        bias_(std::move(bias)),
        act_(act) {
    Shape out = ctx.input_shapes[0];
    out.back() = units;
    output_shapes_ = {out};
    output_masked_ = ctx.input_masked;
    memory_bytes_ = kernel_.memory_bytes() + static_cast<int64_t>(bias_.size() * sizeof(float));
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    const Tensor& x = in[0]->tensor();
    int64_t rows = leading_rows(x);
    Tensor y;
    y.shape = x.shape;
    y.shape.back() = units_;
    y.data.resize(static_cast<size_t>(rows * units_));
    fill_rows(bias_, units_, rows, y.data.data(), units_);
    gemm_accumulate(x.data.data(), x.shape.back(), rows, kernel_, y.data.data(), units_);
    apply_activation(act_, y.data.data(), rows, units_);
    out->push_back(make_value(std::move(y), in[0]->mask));
  }

 private:
  int64_t units_;
  PackedMatrix kernel_;
  std::vector<float> bias_;
  Activation act_;
};

}  // namespace

Result<std::unique_ptr<Layer>> make_dense(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  ConfigReader cfg(ctx);
  // Keras 1 names the width output_dim.
  int64_t units = cfg.has("units") ? cfg.integer("units", 0) : cfg.required_integer("output_dim");
  bool use_bias = cfg.boolean("use_bias", cfg.boolean("bias", true));
  QUIVER_RETURN_IF_ERROR(cfg.status());
  QUIVER_ASSIGN_OR_RETURN(Activation act,
                          activation_field(ctx, ctx.spec.config, "activation", "linear"));
  const Shape& in = ctx.input_shapes[0];
  if (in.empty() || in.back() <= 0) {
    return ctx.unimplemented("input shape " + shape_to_string(in) + " has no known last axis");
  }
  if (units <= 0) return ctx.corrupt("units must be positive");
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, use_bias ? 2 : 1));
  QUIVER_RETURN_IF_ERROR(expect_shape(ctx, ctx.spec.weights[0], {in.back(), units}, "kernel"));
  std::vector<float> bias;
  if (use_bias) {
    QUIVER_RETURN_IF_ERROR(expect_shape(ctx, ctx.spec.weights[1], {units}, "bias"));
    bias = ctx.spec.weights[1].values;
  }
  return make_layer<DenseLayer>(ctx, units, ctx.spec.weights[0].values, std::move(bias), act);
}

}  // namespace quiver::nn
