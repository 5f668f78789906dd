// Conv1D(padding="valid", strides=1, dilation=1, activation="relu"). Kernel [k, in, filters]
// as Keras stores it (keras@v2.15.0 keras/layers/convolutional/base_conv.py), GlorotUniform
// with fan_in = k * in and fan_out = k * filters. Computed as im2col + one product: the
// window of output step t is the k input rows t..t+k-1 side by side, which matches the
// row-major kernel reshaped to [k * in, filters].
#include <algorithm>

#include "train/gemm.h"
#include "train/layers.h"

namespace quiver::train {
namespace {
template <typename T>
struct ConvCache : LayerCache {
  std::vector<T> cols;   // [out_steps * batch, k * in]
  std::vector<T> dcols;  // same shape, backward
};
}  // namespace

template <typename T>
std::vector<ParamSpec> Conv1DLayer<T>::params() const {
  return {{"kernel", {kernel_size_, in_dim_, filters_}, Init::kGlorotUniform},
          {"bias", {filters_}, Init::kZeros}};
}

template <typename T>
std::unique_ptr<LayerCache> Conv1DLayer<T>::new_cache() const {
  return std::make_unique<ConvCache<T>>();
}

template <typename T>
void Conv1DLayer<T>::out_shape(int in_steps, int, int* steps, int* dim) const {
  *steps = in_steps - kernel_size_ + 1;
  *dim = filters_;
}

template <typename T>
void Conv1DLayer<T>::forward(const PassCtx<T>& ctx, const Act<T>& in, Act<T>* out,
                             LayerCache* cache) const {
  auto& cols = static_cast<ConvCache<T>*>(cache)->cols;
  const int steps = in.steps - kernel_size_ + 1, batch = in.batch, width = kernel_size_ * in_dim_;
  cols.resize(static_cast<size_t>(steps) * batch * width);
  for (int t = 0; t < steps; ++t) {
    for (int b = 0; b < batch; ++b) {
      T* dst = cols.data() + (static_cast<size_t>(t) * batch + b) * width;
      for (int j = 0; j < kernel_size_; ++j) {
        const T* src = in.row(t + j, b);
        std::copy(src, src + in_dim_, dst + j * in_dim_);
      }
    }
  }
  out->resize(steps, batch, filters_);
  const T* bias = ctx.w + static_cast<size_t>(width) * filters_;
  for (int r = 0; r < steps * batch; ++r) {
    std::copy(bias, bias + filters_, out->v.data() + static_cast<size_t>(r) * filters_);
  }
  gemm(steps * batch, filters_, width, MatView<T>{cols.data(), width},
       MatView<T>{ctx.w, filters_}, out->v.data(), filters_, true);
  for (auto& y : out->v) y = y > T(0) ? y : T(0);
}

template <typename T>
void Conv1DLayer<T>::backward(const PassCtx<T>& ctx, const Act<T>& in, const Act<T>& out,
                              const Act<T>& dout, Act<T>* din, LayerCache* cache) const {
  auto* c = static_cast<ConvCache<T>*>(cache);
  const int steps = out.steps, batch = in.batch, width = kernel_size_ * in_dim_;
  const int rows = steps * batch;
  // dz = dy where the ReLU was active (dcols holds dz here).
  std::vector<T>& dz = c->dcols;
  dz.resize(static_cast<size_t>(rows) * filters_);
  for (size_t i = 0; i < dz.size(); ++i) dz[i] = out.v[i] > T(0) ? dout.v[i] : T(0);
  gemm(width, filters_, rows, MatView<T>{c->cols.data(), width, true},
       MatView<T>{dz.data(), filters_}, ctx.g, filters_, true);
  T* db = ctx.g + static_cast<size_t>(width) * filters_;
  for (int r = 0; r < rows; ++r) {
    for (int f = 0; f < filters_; ++f) db[f] += dz[static_cast<size_t>(r) * filters_ + f];
  }
  if (din == nullptr) return;
  // dcols = dz · K^T, then scatter-add the windows back (col2im), in step order.
  std::vector<T>& dcols = c->cols;  // the forward columns are no longer needed
  gemm(rows, width, filters_, MatView<T>{dz.data(), filters_},
       MatView<T>{ctx.w, filters_, true}, dcols.data(), width, false);
  din->resize(in.steps, batch, in_dim_);
  std::fill(din->v.begin(), din->v.end(), T(0));
  for (int t = 0; t < steps; ++t) {
    for (int b = 0; b < batch; ++b) {
      const T* src = dcols.data() + (static_cast<size_t>(t) * batch + b) * width;
      for (int j = 0; j < kernel_size_; ++j) {
        T* dst = din->row(t + j, b);
        for (int d = 0; d < in_dim_; ++d) dst[d] += src[j * in_dim_ + d];
      }
    }
  }
}

template class Conv1DLayer<float>;
template class Conv1DLayer<double>;

}  // namespace quiver::train
