// AVX-512F/DQ kernels (simd.h): the templates of simd_avx512_kernels.h for fp32, bf16 (row
// layout, widened) and int8, and the cell math. Compiled with per-function target attributes,
// so the rest of the binary stays baseline x86-64 and runs on any CPU; simd_level() decides
// at run time. bf16 matrices in the pair layout go to simd_avx512bf16.cc.
// GCC 12 reports its own _mm512_undefined_* helpers inside the intrinsics as "may be used
// uninitialized" (a known false positive of the header); nothing here reads undefined lanes.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define QUIVER_AVX512 __attribute__((target("avx512f,avx512dq,fma")))
#include "nn/simd_avx512_kernels.h"

namespace quiver::nn::simd {

QUIVER_AVX512 void gemm_accumulate_avx512(const float* a, int64_t lda, int64_t m,
                                          const PackedMatrix& b, float* c, int64_t ldc) {
  if (b.n() == 0 || m == 0) return;
  switch (b.format()) {
    case WeightMode::kFp32: gemm<Fmt::kFp32>(a, lda, m, b, c, ldc); break;
    case WeightMode::kBf16:
      if (b.bf16_pairs()) {
        gemm_accumulate_avx512bf16(a, lda, m, b, c, ldc);
      } else {
        gemm<Fmt::kBf16>(a, lda, m, b, c, ldc);
      }
      break;
    case WeightMode::kInt8: gemm<Fmt::kInt8>(a, lda, m, b, c, ldc); break;
  }
}

QUIVER_AVX512 void lstm_cell_avx512(float* g, float* c, float* h, int64_t u) {
  for (int64_t j = 0; j < u; j += kW) {
    const __mmask16 m = chunk_mask(j, u);
    __m512 hn;
    const __m512 cn = lstm_cell16(
        _mm512_maskz_loadu_ps(m, g + j), _mm512_maskz_loadu_ps(m, g + u + j),
        _mm512_maskz_loadu_ps(m, g + 2 * u + j), _mm512_maskz_loadu_ps(m, g + 3 * u + j),
        _mm512_maskz_loadu_ps(m, c + j), &hn);
    _mm512_mask_storeu_ps(c + j, m, cn);
    _mm512_mask_storeu_ps(h + j, m, hn);
  }
}

QUIVER_AVX512 void gru_cell_avx512(const float* xp, const float* rec, float* h, int64_t u) {
  for (int64_t j = 0; j < u; j += kW) {
    const __mmask16 m = chunk_mask(j, u);
    const __m512 hn = gru_cell16(
        _mm512_maskz_loadu_ps(m, xp + j), _mm512_maskz_loadu_ps(m, xp + u + j),
        _mm512_maskz_loadu_ps(m, xp + 2 * u + j), _mm512_maskz_loadu_ps(m, rec + j),
        _mm512_maskz_loadu_ps(m, rec + u + j), _mm512_maskz_loadu_ps(m, rec + 2 * u + j),
        _mm512_maskz_loadu_ps(m, h + j));
    _mm512_mask_storeu_ps(h + j, m, hn);
  }
}

QUIVER_AVX512 void fused_step_avx512(const FusedStep& s) {
  switch (s.recurrent->format()) {
    case WeightMode::kFp32: fused_step_of<Fmt::kFp32>(s); break;
    case WeightMode::kBf16:
      if (s.recurrent->bf16_pairs()) {
        fused_step_avx512bf16(s);
      } else {
        fused_step_of<Fmt::kBf16>(s);
      }
      break;
    case WeightMode::kInt8: fused_step_of<Fmt::kInt8>(s); break;
  }
}

QUIVER_AVX512 void sigmoid_avx512(const float* x, float* y, int64_t n) { gate_array<false>(x, y, n); }
QUIVER_AVX512 void tanh_avx512(const float* x, float* y, int64_t n) { gate_array<true>(x, y, n); }

}  // namespace quiver::nn::simd
