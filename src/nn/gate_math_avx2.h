// gate_math.h's vector primitives on 8 AVX2+FMA float lanes (simd_avx2.cc's recurrent cells;
// tests/nn/gate_math_test.cc also runs the algorithm through them with AVX-512's rcp14
// bound). The including file defines QUIVER_GATE_TARGET as target("avx2,fma") first.
#ifndef QUIVER_NN_GATE_MATH_AVX2_H_
#define QUIVER_NN_GATE_MATH_AVX2_H_

#include <immintrin.h>

#include "nn/gate_math.h"

namespace quiver::nn::gate {

struct Avx2Ops {
  using F = __m256;
  static QUIVER_GATE_TARGET F set1(float v) { return _mm256_set1_ps(v); }
  static QUIVER_GATE_TARGET F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static QUIVER_GATE_TARGET F add(F a, F b) { return _mm256_add_ps(a, b); }
  static QUIVER_GATE_TARGET F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static QUIVER_GATE_TARGET F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static QUIVER_GATE_TARGET F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  // VMAXPS returns its second operand when one is NaN, so NaN stays NaN.
  static QUIVER_GATE_TARGET F neg_abs_floor(F x, F lo) {
    return _mm256_max_ps(lo, _mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
  }
  static QUIVER_GATE_TARGET F round_nearest(F x) {
    return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  // VSCALEFPS for integral n in [-252, 254]: two exact powers of two, so only the second
  // product rounds (once, also to a subnormal).
  static QUIVER_GATE_TARGET F scalef(F p, F n) {
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i half = _mm256_srai_epi32(ni, 1);
    return _mm256_mul_ps(_mm256_mul_ps(p, pow2(half)), pow2(_mm256_sub_epi32(ni, half)));
  }
  static QUIVER_GATE_TARGET F pow2(__m256i k) {  // 2^k for k in [-126, 127]
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
  }
  // AVX2 has no 14-bit estimate (VRCPPS is 12-bit): a correctly rounded division, which the
  // Newton step of gate::reciprocal keeps within half an ulp.
  static QUIVER_GATE_TARGET F rcp14(F d) { return _mm256_div_ps(_mm256_set1_ps(1.0f), d); }
  static QUIVER_GATE_TARGET F select_negative(F x, F if_negative, F otherwise) {
    return _mm256_blendv_ps(otherwise, if_negative, x);
  }
  static QUIVER_GATE_TARGET F copysign(F m, F s) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(sign, m), _mm256_and_ps(sign, s));
  }
};

}  // namespace quiver::nn::gate

#endif  // QUIVER_NN_GATE_MATH_AVX2_H_
