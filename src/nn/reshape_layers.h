// ReshapingLayer: layers that only rearrange data (Flatten, Reshape, Permute, RepeatVector).
// The subclass gives the output shape and an index map; the mask is dropped.
#ifndef QUIVER_NN_RESHAPE_LAYERS_H_
#define QUIVER_NN_RESHAPE_LAYERS_H_

#include "nn/layer.h"

namespace quiver::nn {

// A layer whose output keeps the input's data in row-major order under a new shape (Flatten,
// Reshape): a copy of the shared tensor with a new shape.
class ReshapeLayer : public Layer {
 public:
  ReshapeLayer(const LayerContext& ctx, Shape out) : Layer(ctx) {
    output_shapes_ = {std::move(out)};
    output_masked_ = {false};
  }
  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    Tensor y = in[0]->tensor();
    y.shape = {y.shape[0]};
    for (int64_t d : output_shapes_[0]) y.shape.push_back(d);
    out->push_back(make_value(std::move(y)));
  }
};

// Product of a shape's sizes, or -1 if any is unknown.
inline int64_t known_size(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

}  // namespace quiver::nn

#endif  // QUIVER_NN_RESHAPE_LAYERS_H_
