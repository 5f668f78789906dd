// Written with GCC vector extensions (16 floats): the same source compiles to one AVX-512
// op, two AVX2 ops or four SSE ops per statement in the target_clones, with identical
// per-lane arithmetic (no FMA contraction in ISO C++ mode), hence identical results.
#include "train/vmath.h"

#include <algorithm>

namespace quiver::train {
namespace {

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

// exp(x) with x clamped to [-87, 88]: x = n ln2 + r (n rounded to nearest with the
// 1.5 * 2^23 trick, no branches), exp(r) by the Cephes expf polynomial, times 2^n.
[[gnu::always_inline]] inline v16f exp_approx(v16f x) {
  x = x < -87.0f ? v16f{} - 87.0f : x;
  x = x > 88.0f ? v16f{} + 88.0f : x;
  const v16f n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const v16f r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  v16f p = r * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const v16i bits = (__builtin_convertvector(n, v16i) + 127) << 23;
  return p * (v16f)bits;  // GCC vector cast: reinterprets the bits
}

[[gnu::always_inline]] inline v16f sigmoid_v(v16f x) { return 1.0f / (1.0f + exp_approx(-x)); }

// tanh(x) = 1 - 2 / (exp(2x) + 1); near 0, where that cancels, the odd Taylor series.
[[gnu::always_inline]] inline v16f tanh_v(v16f x) {
  const v16f big = 1.0f - 2.0f / (exp_approx(2.0f * x) + 1.0f);
  const v16f x2 = x * x;
  const v16f small = x * (1.0f + x2 * (-0.333333333f + x2 * (0.133333333f - x2 * 0.0539682540f)));
  return (x > 0.25f) | (x < -0.25f) ? big : small;
}

template <typename F>
[[gnu::always_inline]] inline void apply(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v16f v;
    __builtin_memcpy(&v, x + i, sizeof v);
    v = f(v);
    __builtin_memcpy(y + i, &v, sizeof v);
  }
  if (i < n) {  // the tail through the same vector code
    v16f v{};
    __builtin_memcpy(&v, x + i, sizeof(float) * (n - i));
    v = f(v);
    __builtin_memcpy(y + i, &v, sizeof(float) * (n - i));
  }
}

}  // namespace

// One clone per instruction set, chosen once by an ifunc resolver at program load. Not under
// ThreadSanitizer: the resolver runs before the TSan runtime is initialised and, instrumented,
// crashes every binary that links this file (gcc 12; the default clone is the same code).
#if defined(__SANITIZE_THREAD__)
#define QUIVER_CLONES
#else
#define QUIVER_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

QUIVER_CLONES
void sigmoid_inplace(float* x, int64_t n) { apply(x, x, n, [](v16f v) { return sigmoid_v(v); }); }

QUIVER_CLONES
void tanh_inplace(float* x, int64_t n) { apply(x, x, n, [](v16f v) { return tanh_v(v); }); }

QUIVER_CLONES
void tanh_copy(const float* x, float* y, int64_t n) {
  apply(x, y, n, [](v16f v) { return tanh_v(v); });
}

}  // namespace quiver::train
