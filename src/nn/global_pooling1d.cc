// GlobalMaxPooling1D / GlobalAveragePooling1D over the time axis (data_format channels_last,
// or channels_first: over the last axis), keepdims. With a mask, the average is the masked
// mean sum(x*m)/sum(m) (Keras >= 2.2.3 and tf.keras; a fully masked row gives 0/0 = NaN as
// in Keras); the max ignores the mask (tf.keras drops it). No mask comes out.
#include <algorithm>
#include <limits>

#include "nn/layer.h"

namespace quiver::nn {
namespace {

class GlobalPooling1DLayer : public Layer {
 public:
  GlobalPooling1DLayer(const LayerContext& ctx, bool is_max, bool channels_first, bool keepdims)
      : Layer(ctx), is_max_(is_max), channels_first_(channels_first) {
    const Shape& in = ctx.input_shapes[0];
    const int64_t c = channels_first ? in[0] : in[1];
    output_shapes_ = {keepdims ? (channels_first ? Shape{c, 1} : Shape{1, c}) : Shape{c}};
    output_masked_ = {false};
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    const Tensor& x = in[0]->tensor();
    const int64_t batch = x.shape[0];
    const int64_t t_len = channels_first_ ? x.shape[2] : x.shape[1];
    const int64_t c = channels_first_ ? x.shape[1] : x.shape[2];
    // Element (b, t, j) at b*T*C + t*ts + j*cs.
    const int64_t ts = channels_first_ ? 1 : c, cs = channels_first_ ? t_len : 1;
    const std::vector<uint8_t>* mask = is_max_ || channels_first_ ? nullptr : in[0]->mask.get();
    Tensor y = zeros({batch, c});
    for (int64_t b = 0; b < batch; ++b) {
      const float* xb = x.data.data() + b * t_len * c;
      for (int64_t j = 0; j < c; ++j) {
        float acc = is_max_ ? -std::numeric_limits<float>::infinity() : 0.0f, count = 0.0f;
        for (int64_t t = 0; t < t_len; ++t) {
          const float v = xb[t * ts + j * cs];
          if (is_max_) {
            acc = std::max(acc, v);
          } else if (!mask || (*mask)[b * t_len + t]) {
            acc += v;
            count += 1.0f;
          }
        }
        y.data[b * c + j] = is_max_ ? acc : acc / (mask ? count : static_cast<float>(t_len));
      }
    }
    y.shape = {batch};
    for (int64_t d : output_shapes_[0]) y.shape.push_back(d);
    out->push_back(make_value(std::move(y)));
  }

 private:
  bool is_max_;
  bool channels_first_;
};

}  // namespace

Result<std::unique_ptr<Layer>> make_global_pooling1d(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  ConfigReader cfg(ctx);
  std::string format = cfg.string("data_format", "channels_last");
  bool keepdims = cfg.boolean("keepdims", false);
  QUIVER_RETURN_IF_ERROR(cfg.status());
  const Shape& in = ctx.input_shapes[0];
  if (in.size() != 2 || (format != "channels_last" && format != "channels_first")) {
    return ctx.unimplemented("input shape " + shape_to_string(in) + " with data_format " + format +
                             " is not supported ([time, channels])");
  }
  if ((format == "channels_last" ? in[1] : in[0]) < 0) {
    return ctx.unimplemented("the channel axis must have a known size");
  }
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, 0));
  const bool is_max = ctx.spec.class_name.find("Max") != std::string::npos;
  return make_layer<GlobalPooling1DLayer>(ctx, is_max, format == "channels_first", keepdims);
}

}  // namespace quiver::nn
