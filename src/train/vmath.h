// Elementwise sigmoid / tanh over arrays for the recurrent layers. The float versions use
// a Cephes-style exp (range reduction + degree-6 polynomial, max relative error ~2e-7) in
// plain arithmetic that the compiler vectorises (AVX-512 / AVX2 / SSE clones picked at run
// time); every lane computes exactly the same operations, so results do not depend on the
// vector width. The double versions (gradient checks) call std::exp / std::tanh.
#ifndef QUIVER_TRAIN_VMATH_H_
#define QUIVER_TRAIN_VMATH_H_

#include <cmath>
#include <cstdint>

namespace quiver::train {

void sigmoid_inplace(float* x, int64_t n);
void tanh_inplace(float* x, int64_t n);
void tanh_copy(const float* x, float* y, int64_t n);

inline void sigmoid_inplace(double* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = 1.0 / (1.0 + std::exp(-x[i]));
}
inline void tanh_inplace(double* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
}
inline void tanh_copy(const double* x, double* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_VMATH_H_
