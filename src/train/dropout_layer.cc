// Dropout and SpatialDropout1D (keras@v2.15.0 keras/layers/regularization/dropout.py,
// spatial_dropout1d.py: noise_shape (batch, 1, channels)). Identity when not training.
#include "train/layers.h"

namespace quiver::train {
namespace {
struct DropoutCache : LayerCache {
  std::vector<double> mask;  // [batch, dim] (spatial) or [steps, batch, dim]
};
}  // namespace

template <typename T>
std::unique_ptr<LayerCache> DropoutLayer<T>::new_cache() const {
  return std::make_unique<DropoutCache>();
}

template <typename T>
void DropoutLayer<T>::out_shape(int in_steps, int in_dim, int* steps, int* dim) const {
  *steps = in_steps;
  *dim = in_dim;
}

template <typename T>
void DropoutLayer<T>::forward(const PassCtx<T>& ctx, const Act<T>& in, Act<T>* out,
                              LayerCache* cache) const {
  out->resize(in.steps, in.batch, in.dim);
  if (!ctx.training || rate_ <= 0) {
    out->v.assign(in.v.begin(), in.v.end());
    return;
  }
  auto& mask = static_cast<DropoutCache*>(cache)->mask;
  const int per_row = spatial_ ? in.dim : in.steps * in.dim;
  mask.resize(static_cast<size_t>(in.batch) * per_row);
  for (int b = 0; b < in.batch; ++b) {
    fill_dropout_mask(dropout_key(ctx.row_keys[b], salt_, 0), rate_, per_row,
                      mask.data() + static_cast<size_t>(b) * per_row);
  }
  for (int t = 0; t < in.steps; ++t) {
    for (int b = 0; b < in.batch; ++b) {
      const double* m = mask.data() + static_cast<size_t>(b) * per_row +
                        (spatial_ ? 0 : static_cast<size_t>(t) * in.dim);
      const T* x = in.row(t, b);
      T* y = out->row(t, b);
      for (int d = 0; d < in.dim; ++d) y[d] = x[d] * static_cast<T>(m[d]);
    }
  }
}

template <typename T>
void DropoutLayer<T>::backward(const PassCtx<T>& ctx, const Act<T>& in, const Act<T>&,
                               const Act<T>& dout, Act<T>* din, LayerCache* cache) const {
  din->resize(in.steps, in.batch, in.dim);
  if (!ctx.training || rate_ <= 0) {
    din->v.assign(dout.v.begin(), dout.v.end());
    return;
  }
  const auto& mask = static_cast<DropoutCache*>(cache)->mask;
  const int per_row = spatial_ ? in.dim : in.steps * in.dim;
  for (int t = 0; t < in.steps; ++t) {
    for (int b = 0; b < in.batch; ++b) {
      const double* m = mask.data() + static_cast<size_t>(b) * per_row +
                        (spatial_ ? 0 : static_cast<size_t>(t) * in.dim);
      const T* dy = dout.row(t, b);
      T* dx = din->row(t, b);
      for (int d = 0; d < in.dim; ++d) dx[d] = dy[d] * static_cast<T>(m[d]);
    }
  }
}

template class DropoutLayer<float>;
template class DropoutLayer<double>;

}  // namespace quiver::train
