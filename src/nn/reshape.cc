// Reshape(target_shape), one entry may be -1. Drops the mask.
#include "nn/reshape_layers.h"

namespace quiver::nn {

Result<std::unique_ptr<Layer>> make_reshape(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  ConfigReader cfg(ctx);
  Shape target = cfg.int_list("target_shape");
  QUIVER_RETURN_IF_ERROR(cfg.status());
  const int64_t n = known_size(ctx.input_shapes[0]);
  if (n < 0) {
    return ctx.unimplemented("input shape " + shape_to_string(ctx.input_shapes[0]) +
                             " must be fully known");
  }
  int64_t known = 1, unknown = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1 && unknown < 0) {
      unknown = static_cast<int64_t>(i);
    } else if (target[i] <= 0) {
      return ctx.corrupt("target_shape " + shape_to_string(target) + " is not valid");
    } else {
      known *= target[i];
    }
  }
  if (unknown >= 0 && known > 0 && n % known == 0) target[unknown] = n / known;
  if (target.empty() || known_size(target) != n) {
    return ctx.corrupt("cannot reshape " + shape_to_string(ctx.input_shapes[0]) + " to " +
                       shape_to_string(target));
  }
  return make_layer<ReshapeLayer>(ctx, target);
}

}  // namespace quiver::nn
