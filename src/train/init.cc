// GlorotUniform: U(±sqrt(6 / (fan_in + fan_out))) with Keras' _compute_fans (conv kernels
// multiply both fans by the receptive field). Orthogonal (gain 1): QR of a normal matrix
// of shape (max(r, c), min(r, c)) with the signs of diag(R) folded into Q, transposed when
// r < c; Gram-Schmidt gives exactly that positive-diagonal QR. RandomUniform(-0.05, 0.05)
// for embeddings; LSTM bias zeros with the forget block set to 1 (unit_forget_bias).
#include "train/init.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace quiver::train {
namespace {

void orthogonal(int64_t rows, int64_t cols, Rng& rng, std::vector<double>* out) {
  const int64_t big = std::max(rows, cols), small = std::min(rows, cols);
  std::vector<double> a(static_cast<size_t>(big * small));  // [big, small]
  for (auto& x : a) x = rng.normal();
  for (int64_t j = 0; j < small; ++j) {  // modified Gram-Schmidt on the columns
    for (int64_t k = 0; k < j; ++k) {
      double dot = 0;
      for (int64_t i = 0; i < big; ++i) dot += a[i * small + j] * a[i * small + k];
      for (int64_t i = 0; i < big; ++i) a[i * small + j] -= dot * a[i * small + k];
    }
    double norm = 0;
    for (int64_t i = 0; i < big; ++i) norm += a[i * small + j] * a[i * small + j];
    norm = std::sqrt(norm);
    for (int64_t i = 0; i < big; ++i) a[i * small + j] /= norm;
  }
  out->resize(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      (*out)[r * cols + c] = rows >= cols ? a[r * small + c] : a[c * small + r];
    }
  }
}

}  // namespace

template <typename T>
void init_param(const ParamSpec& spec, uint64_t key, T* out) {
  Rng rng(key);
  const int64_t n = spec.size();
  switch (spec.init) {
    case Init::kZeros:
      std::fill(out, out + n, T(0));
      return;
    case Init::kLstmBias: {
      const int64_t u = n / 4;
      for (int64_t i = 0; i < n; ++i) out[i] = (i >= u && i < 2 * u) ? T(1) : T(0);
      return;
    }
    case Init::kEmbeddingUniform:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(-0.05 + 0.1 * rng.uniform_double());
      return;
    case Init::kGlorotUniform: {
      int64_t receptive = 1;
      for (size_t i = 0; i + 2 < spec.shape.size(); ++i) receptive *= spec.shape[i];
      const double fan_in = double(spec.shape[spec.shape.size() - 2]) * receptive;
      const double fan_out = double(spec.shape.back()) * receptive;
      const double limit = std::sqrt(6.0 / (fan_in + fan_out));
      for (int64_t i = 0; i < n; ++i) {
        out[i] = static_cast<T>(limit * (2.0 * rng.uniform_double() - 1.0));
      }
      return;
    }
    case Init::kOrthogonal: {
      std::vector<double> q;
      const int64_t cols = spec.shape.back();
      orthogonal(n / cols, cols, rng, &q);
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(q[i]);
      return;
    }
  }
}

template void init_param(const ParamSpec&, uint64_t, float*);
template void init_param(const ParamSpec&, uint64_t, double*);

}  // namespace quiver::train
