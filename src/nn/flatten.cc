// Flatten: [batch, ...] -> [batch, prod(...)] (channels_last order). Drops the mask.
#include "nn/reshape_layers.h"

namespace quiver::nn {

Result<std::unique_ptr<Layer>> make_flatten(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  ConfigReader cfg(ctx);
  cfg.require_value("data_format", "channels_last");
  QUIVER_RETURN_IF_ERROR(cfg.status());
  int64_t n = known_size(ctx.input_shapes[0]);
  if (n < 0) {
    return ctx.unimplemented("input shape " + shape_to_string(ctx.input_shapes[0]) +
                             " must be fully known (set the input length)");
  }
  return make_layer<ReshapeLayer>(ctx, Shape{n});
}

}  // namespace quiver::nn
