// GlobalMaxPooling1D: max over time per channel. The gradient is split evenly between the
// steps that hold the maximum, as TF's reduce_max gradient does (ties are common: fully
// padded windows of a Conv1D give the same value at every padded step).
#include <algorithm>

#include "train/layers.h"

namespace quiver::train {

template <typename T>
void GlobalMaxPoolingLayer<T>::out_shape(int, int in_dim, int* steps, int* dim) const {
  *steps = 1;
  *dim = in_dim;
}

template <typename T>
void GlobalMaxPoolingLayer<T>::forward(const PassCtx<T>&, const Act<T>& in, Act<T>* out,
                                       LayerCache*) const {
  out->resize(1, in.batch, in.dim);
  for (int b = 0; b < in.batch; ++b) {
    T* y = out->row(0, b);
    const T* x0 = in.row(0, b);
    std::copy(x0, x0 + in.dim, y);
    for (int t = 1; t < in.steps; ++t) {
      const T* x = in.row(t, b);
      for (int d = 0; d < in.dim; ++d) y[d] = std::max(y[d], x[d]);
    }
  }
}

template <typename T>
void GlobalMaxPoolingLayer<T>::backward(const PassCtx<T>&, const Act<T>& in, const Act<T>& out,
                                        const Act<T>& dout, Act<T>* din, LayerCache*) const {
  din->resize(in.steps, in.batch, in.dim);
  std::fill(din->v.begin(), din->v.end(), T(0));
  std::vector<int> ties(static_cast<size_t>(in.dim));
  for (int b = 0; b < in.batch; ++b) {
    const T* y = out.row(0, b);
    std::fill(ties.begin(), ties.end(), 0);
    for (int t = 0; t < in.steps; ++t) {
      const T* x = in.row(t, b);
      for (int d = 0; d < in.dim; ++d) ties[d] += x[d] == y[d];
    }
    const T* dy = dout.row(0, b);
    for (int t = 0; t < in.steps; ++t) {
      const T* x = in.row(t, b);
      T* dx = din->row(t, b);
      for (int d = 0; d < in.dim; ++d) {
        if (x[d] == y[d]) dx[d] = dy[d] / static_cast<T>(ties[d]);
      }
    }
  }
}

template class GlobalMaxPoolingLayer<float>;
template class GlobalMaxPoolingLayer<double>;

}  // namespace quiver::train
