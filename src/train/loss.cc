#include "train/loss.h"

#include <algorithm>
#include <cmath>

namespace quiver::train {
namespace {

// Loss of one row and, if d != nullptr, its gradient times `scale`.
template <typename T>
T row_loss(OutputKind kind, const T* x, const float* y, int n, T scale, T* d) {
  if (kind == OutputKind::kSoftmax) {
    T mx = x[0];
    for (int j = 1; j < n; ++j) mx = std::max(mx, x[j]);
    T sum = 0;
    for (int j = 0; j < n; ++j) sum += std::exp(x[j] - mx);
    const T lse = mx + std::log(sum);
    T loss = 0;
    for (int j = 0; j < n; ++j) {
      loss += static_cast<T>(y[j]) * (lse - x[j]);
      if (d) d[j] = scale * (std::exp(x[j] - lse) - static_cast<T>(y[j]));
    }
    return loss;
  }
  // max(x, 0) - x * y + log(1 + exp(-|x|)), averaged over the units.
  T loss = 0;
  for (int j = 0; j < n; ++j) {
    const T yj = static_cast<T>(y[j]);
    loss += std::max(x[j], T(0)) - x[j] * yj + std::log1p(std::exp(-std::abs(x[j])));
    if (d) d[j] = scale * (T(1) / (T(1) + std::exp(-x[j])) - yj) / T(n);
  }
  return loss / T(n);
}

}  // namespace

template <typename T>
T loss_and_grad(OutputKind kind, const T* logits, const float* targets, const float* weights,
                int batch, int n, T scale, T* dlogits) {
  T total = 0;
  for (int b = 0; b < batch; ++b) {
    const T w = weights ? static_cast<T>(weights[b]) : T(1);
    T* d = dlogits ? dlogits + static_cast<size_t>(b) * n : nullptr;
    total += w * row_loss(kind, logits + static_cast<size_t>(b) * n,
                          targets + static_cast<size_t>(b) * n, n, scale * w, d);
  }
  return total;
}

template <typename T>
void row_losses(OutputKind kind, const T* logits, const float* targets, int batch, int n,
                double* losses) {
  for (int b = 0; b < batch; ++b) {
    losses[b] = static_cast<double>(row_loss<T>(kind, logits + static_cast<size_t>(b) * n,
                                                targets + static_cast<size_t>(b) * n, n, T(0),
                                                nullptr));
  }
}

template <typename T>
void activate(OutputKind kind, T* x, int batch, int n) {
  for (int b = 0; b < batch; ++b) {
    T* r = x + static_cast<size_t>(b) * n;
    if (kind == OutputKind::kSigmoid) {
      for (int j = 0; j < n; ++j) r[j] = T(1) / (T(1) + std::exp(-r[j]));
      continue;
    }
    T mx = *std::max_element(r, r + n), sum = 0;
    for (int j = 0; j < n; ++j) sum += (r[j] = std::exp(r[j] - mx));
    for (int j = 0; j < n; ++j) r[j] /= sum;
  }
}

template float loss_and_grad(OutputKind, const float*, const float*, const float*, int, int,
                             float, float*);
template double loss_and_grad(OutputKind, const double*, const float*, const float*, int, int,
                              double, double*);
template void row_losses(OutputKind, const float*, const float*, int, int, double*);
template void row_losses(OutputKind, const double*, const float*, int, int, double*);
template void activate(OutputKind, float*, int, int);
template void activate(OutputKind, double*, int, int);

}  // namespace quiver::train
