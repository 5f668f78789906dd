// PReLU (keras/src/layers/activations/prelu.py, keras@3422977; tf.keras 2.x
// advanced_activations/prelu.py): relu(x) - alpha * relu(-x), i.e. x for x >= 0 and
// alpha * x below, with one learned alpha per element of the input shape (without batch),
// broadcast along `shared_axes` (those axes have size 1 in alpha). supports_masking: the
// mask passes.
#include "nn/layer.h"

namespace quiver::nn {
namespace {

class PReLULayer : public Layer {
 public:
  PReLULayer(const LayerContext& ctx, std::vector<float> alpha, Shape alpha_shape)
      : Layer(ctx), alpha_(std::move(alpha)), alpha_shape_(std::move(alpha_shape)) {
    output_shapes_ = {ctx.input_shapes[0]};
    output_masked_ = {ctx.input_masked[0]};
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    Tensor y = in[0]->tensor();
    const size_t rank = alpha_shape_.size();
    const int64_t per_row = y.shape[0] ? y.size() / y.shape[0] : 0;
    for (int64_t n = 0; n < y.shape[0]; ++n) {
      float* row = y.data.data() + n * per_row;
      for (int64_t e = 0; e < per_row; ++e) {
        if (row[e] >= 0.0f) continue;
        // The alpha element: each index modulo alpha's size on that axis (1 when shared).
        int64_t rest = e, index = 0, stride = 1;
        for (size_t d = rank; d-- > 0;) {
          const int64_t size = y.shape[d + 1];
          const int64_t i = rest % size;
          rest /= size;
          index += (alpha_shape_[d] == 1 ? 0 : i) * stride;
          stride *= alpha_shape_[d];
        }
        row[e] = -alpha_[static_cast<size_t>(index)] * -row[e];
      }
    }
    out->push_back(make_value(std::move(y), in[0]->mask));
  }

 private:
  std::vector<float> alpha_;
  Shape alpha_shape_;
};

}  // namespace

Result<std::unique_ptr<Layer>> make_prelu(const LayerContext& ctx) {
  if (ctx.input_shapes.size() != 1) return ctx.corrupt("PReLU takes one input");
  const Shape& in = ctx.input_shapes[0];
  ConfigReader cfg(ctx);
  std::vector<int64_t> shared;
  if (const nlohmann::json* s = cfg.get("shared_axes"); s && !s->is_null()) {
    shared = cfg.int_list("shared_axes");
  }
  QUIVER_RETURN_IF_ERROR(cfg.status());
  Shape alpha_shape = in;
  for (int64_t a : shared) {
    const int64_t d = a < 0 ? a + static_cast<int64_t>(in.size()) + 1 : a;
    if (d < 1 || d > static_cast<int64_t>(in.size())) {
      return ctx.corrupt("shared_axes holds " + std::to_string(a));
    }
    alpha_shape[static_cast<size_t>(d - 1)] = 1;
  }
  for (int64_t d : alpha_shape) {
    if (d < 0) return ctx.unimplemented("an axis of unknown size that is not in shared_axes");
  }
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, 1));
  const keras_io::WeightArray& w = ctx.spec.weights[0];
  QUIVER_RETURN_IF_ERROR(expect_shape(ctx, w, alpha_shape, "alpha"));
  return make_layer<PReLULayer>(ctx, w.values, alpha_shape);
}

}  // namespace quiver::nn
