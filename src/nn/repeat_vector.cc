// RepeatVector(n): [batch, d] -> [batch, n, d].
#include <algorithm>

#include "nn/layer.h"

namespace quiver::nn {
namespace {

class RepeatVectorLayer : public Layer {
 public:
  RepeatVectorLayer(const LayerContext& ctx, int64_t n) : Layer(ctx), n_(n) {
    output_shapes_ = {{n, ctx.input_shapes[0][0]}};
    output_masked_ = {false};
  }
  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    const Tensor& x = in[0]->tensor();
    const int64_t batch = x.shape[0], d = x.shape[1];
    Tensor y = zeros({batch, n_, d});
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t i = 0; i < n_; ++i) {
        std::copy_n(x.data.data() + b * d, d, y.data.data() + (b * n_ + i) * d);
      }
    }
    out->push_back(make_value(std::move(y)));
  }

 private:
  int64_t n_;
};

}  // namespace

Result<std::unique_ptr<Layer>> make_repeat_vector(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  ConfigReader cfg(ctx);
  int64_t n = cfg.required_integer("n");
  QUIVER_RETURN_IF_ERROR(cfg.status());
  if (n <= 0) return ctx.corrupt("n must be positive");
  if (ctx.input_shapes[0].size() != 1) {
    return ctx.unimplemented("input shape " + shape_to_string(ctx.input_shapes[0]) +
                             " is not [features]");
  }
  return make_layer<RepeatVectorLayer>(ctx, n);
}

}  // namespace quiver::nn
