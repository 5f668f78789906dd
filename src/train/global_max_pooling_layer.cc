// GlobalMaxPooling1D: max over time per channel; the gradient goes to the first step that
// holds the maximum (TF's reduce_max gradient splits ties evenly; ties between ReLU
// outputs are measure-zero except exact zeros, where the split does not change training
// noticeably).
#include <algorithm>

#include "train/layers.h"

namespace quiver::train {
namespace {
struct PoolCache : LayerCache {
  std::vector<int> argmax;  // [batch, dim]
};
}  // namespace

template <typename T>
std::unique_ptr<LayerCache> GlobalMaxPoolingLayer<T>::new_cache() const {
  return std::make_unique<PoolCache>();
}

template <typename T>
void GlobalMaxPoolingLayer<T>::out_shape(int, int in_dim, int* steps, int* dim) const {
  *steps = 1;
  *dim = in_dim;
}

template <typename T>
void GlobalMaxPoolingLayer<T>::forward(const PassCtx<T>&, const Act<T>& in, Act<T>* out,
                                       LayerCache* cache) const {
  auto& arg = static_cast<PoolCache*>(cache)->argmax;
  out->resize(1, in.batch, in.dim);
  arg.assign(static_cast<size_t>(in.batch) * in.dim, 0);
  for (int b = 0; b < in.batch; ++b) {
    T* y = out->row(0, b);
    const T* x0 = in.row(0, b);
    std::copy(x0, x0 + in.dim, y);
    int* a = arg.data() + static_cast<size_t>(b) * in.dim;
    for (int t = 1; t < in.steps; ++t) {
      const T* x = in.row(t, b);
      for (int d = 0; d < in.dim; ++d) {
        if (x[d] > y[d]) {
          y[d] = x[d];
          a[d] = t;
        }
      }
    }
  }
}

template <typename T>
void GlobalMaxPoolingLayer<T>::backward(const PassCtx<T>&, const Act<T>& in, const Act<T>&,
                                        const Act<T>& dout, Act<T>* din,
                                        LayerCache* cache) const {
  const auto& arg = static_cast<PoolCache*>(cache)->argmax;
  din->resize(in.steps, in.batch, in.dim);
  std::fill(din->v.begin(), din->v.end(), T(0));
  for (int b = 0; b < in.batch; ++b) {
    const T* dy = dout.row(0, b);
    const int* a = arg.data() + static_cast<size_t>(b) * in.dim;
    for (int d = 0; d < in.dim; ++d) din->row(a[d], b)[d] = dy[d];
  }
}

template class GlobalMaxPoolingLayer<float>;
template class GlobalMaxPoolingLayer<double>;

}  // namespace quiver::train
