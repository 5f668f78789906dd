// Embedding: a row gather. Keras initialises embeddings with RandomUniform(-0.05, 0.05)
// (keras@v2.15.0 keras/layers/core/embedding.py); the gradient is a scatter-add of the
// output gradients into the rows that were used (TF's IndexedSlices, applied densely).
#include <algorithm>

#include "train/layers.h"

namespace quiver::train {

template <typename T>
std::vector<ParamSpec> EmbeddingLayer<T>::params() const {
  return {{"embeddings", {input_dim_, output_dim_}, Init::kEmbeddingUniform}};
}

template <typename T>
void EmbeddingLayer<T>::out_shape(int in_steps, int, int* steps, int* dim) const {
  *steps = in_steps;
  *dim = output_dim_;
}

template <typename T>
void EmbeddingLayer<T>::forward(const PassCtx<T>& ctx, const Act<T>& in, Act<T>* out,
                                LayerCache*) const {
  out->resize(in.steps, in.batch, output_dim_);
  const size_t n = static_cast<size_t>(in.steps) * in.batch;
  for (size_t r = 0; r < n; ++r) {
    const T* src = ctx.w + static_cast<size_t>(in.ids[r]) * output_dim_;
    std::copy(src, src + output_dim_, out->v.data() + r * output_dim_);
  }
}

template <typename T>
void EmbeddingLayer<T>::backward(const PassCtx<T>& ctx, const Act<T>& in, const Act<T>&,
                                 const Act<T>& dout, Act<T>*, LayerCache*) const {
  const size_t n = static_cast<size_t>(in.steps) * in.batch;
  for (size_t r = 0; r < n; ++r) {
    T* dst = ctx.g + static_cast<size_t>(in.ids[r]) * output_dim_;
    const T* src = dout.v.data() + r * output_dim_;
    for (int d = 0; d < output_dim_; ++d) dst[d] += src[d];
  }
}

template class EmbeddingLayer<float>;
template class EmbeddingLayer<double>;

}  // namespace quiver::train
