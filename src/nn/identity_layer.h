// IdentityLayer: returns its input unchanged (lazy values included). Used for the InputLayer
// and for the layers that are the identity at inference (dropout.cc).
#ifndef QUIVER_NN_IDENTITY_LAYER_H_
#define QUIVER_NN_IDENTITY_LAYER_H_

#include "nn/layer.h"

namespace quiver::nn {

class IdentityLayer : public Layer {
 public:
  IdentityLayer(const LayerContext& ctx, std::vector<Shape> shapes, std::vector<bool> masked)
      : Layer(ctx) {
    output_shapes_ = std::move(shapes);
    output_masked_ = std::move(masked);
  }
  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    out->push_back(*in[0]);
  }
  bool accepts_lazy(const EmbeddingLayer*) const override { return true; }
  bool is_identity() const override { return true; }
};

}  // namespace quiver::nn

#endif  // QUIVER_NN_IDENTITY_LAYER_H_
