// Dense: y = x·W + b with W [in, units] (Keras layout), GlorotUniform / Zeros init.
#include "train/gemm.h"
#include "train/layers.h"

namespace quiver::train {

template <typename T>
std::vector<ParamSpec> DenseLayer<T>::params() const {
  return {{"kernel", {in_dim_, units_}, Init::kGlorotUniform}, {"bias", {units_}, Init::kZeros}};
}

template <typename T>
void DenseLayer<T>::out_shape(int in_steps, int, int* steps, int* dim) const {
  *steps = in_steps;
  *dim = units_;
}

template <typename T>
void DenseLayer<T>::forward(const PassCtx<T>& ctx, const Act<T>& in, Act<T>* out,
                            LayerCache*) const {
  const int rows = in.steps * in.batch;
  out->resize(in.steps, in.batch, units_);
  const T* bias = ctx.w + static_cast<size_t>(in_dim_) * units_;
  for (int r = 0; r < rows; ++r) {
    std::copy(bias, bias + units_, out->v.data() + static_cast<size_t>(r) * units_);
  }
  gemm(rows, units_, in_dim_, MatView<T>{in.v.data(), in_dim_}, MatView<T>{ctx.w, units_},
       out->v.data(), units_, true);
}

template <typename T>
void DenseLayer<T>::backward(const PassCtx<T>& ctx, const Act<T>& in, const Act<T>&,
                             const Act<T>& dout, Act<T>* din, LayerCache*) const {
  const int rows = in.steps * in.batch;
  // dW += x^T · dy ; db += column sums of dy ; dx = dy · W^T
  gemm(in_dim_, units_, rows, MatView<T>{in.v.data(), in_dim_, true},
       MatView<T>{dout.v.data(), units_}, ctx.g, units_, true);
  T* db = ctx.g + static_cast<size_t>(in_dim_) * units_;
  for (int r = 0; r < rows; ++r) {
    const T* dy = dout.v.data() + static_cast<size_t>(r) * units_;
    for (int j = 0; j < units_; ++j) db[j] += dy[j];
  }
  if (din == nullptr) return;
  din->resize(in.steps, in.batch, in_dim_);
  gemm(rows, in_dim_, units_, MatView<T>{dout.v.data(), units_},
       MatView<T>{ctx.w, units_, true}, din->v.data(), in_dim_, false);
}

template class DenseLayer<float>;
template class DenseLayer<double>;

}  // namespace quiver::train
