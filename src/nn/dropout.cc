// Layers that are the identity at inference (KERAS.md §2.8: K.in_train_phase with
// learning_phase 0): Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout,
// ActivityRegularization. They pass the mask on (supports_masking = True).
#include "nn/identity_layer.h"

namespace quiver::nn {

Result<std::unique_ptr<Layer>> make_identity(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, 0));
  return make_layer<IdentityLayer>(ctx, ctx.input_shapes, ctx.input_masked);
}

}  // namespace quiver::nn
