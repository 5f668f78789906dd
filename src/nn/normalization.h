// Helpers shared by BatchNormalization and LayerNormalization.
#ifndef QUIVER_NN_NORMALIZATION_H_
#define QUIVER_NN_NORMALIZATION_H_

#include "nn/layer.h"

namespace quiver::nn {

// The normalised axis of the config field "axis" (an int or a one-element list; negative
// counts from the end of the batched shape). Only the last axis is supported.
Status expect_last_axis(const LayerContext& ctx, int64_t fallback);

// Reads the optional gamma / beta and then `extra` more [channels] arrays, in order.
// Missing gamma is 1, missing beta 0.
Status read_affine_weights(const LayerContext& ctx, bool scale, bool center, size_t extra,
                           int64_t channels, std::vector<std::vector<float>>* out);

}  // namespace quiver::nn

#endif  // QUIVER_NN_NORMALIZATION_H_
