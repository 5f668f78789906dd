// Checks of what a layer config declares, run by the builder before a layer's factory
// allocates anything from it (quiver/limits.h, docs/limits.md).
#ifndef QUIVER_NN_DECLARED_SIZES_H_
#define QUIVER_NN_DECLARED_SIZES_H_

#include "nn/layer.h"

namespace quiver::nn {

// Every size `ctx.spec.config` declares (units, output_dim, filters, kernel_size,
// pool_size, strides, dilation_rate, n, input_length, input_dim, the shapes
// batch_input_shape / batch_shape / input_shape / target_shape / dims) and those of a
// wrapper's inner layer: ResourceExhausted naming the layer, the key and the limit when
// one exceeds quiver::limits. Negative or malformed values are left to the factories.
Status check_declared_sizes(const LayerContext& ctx);

// A built layer's output shapes: ResourceExhausted when one sample of an output would hold
// more than limits::kMaxElementsPerSample values.
Status check_output_sizes(const LayerContext& ctx, const std::vector<Shape>& outputs);

}  // namespace quiver::nn

#endif  // QUIVER_NN_DECLARED_SIZES_H_
