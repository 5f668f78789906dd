// AVX-512F + AVX512_BF16 kernels (simd.h): the templates of simd_avx512_kernels.h for bf16
// matrices in the pair layout (kernels.h), whose products are VDPBF16PS dot products of
// bf16-rounded activations and weights accumulated in float. Only called when the matrix has
// that layout, which PackedMatrix chooses only when simd_level() is kAvx512Bf16.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define QUIVER_AVX512 __attribute__((target("avx512f,avx512dq,fma,avx512bf16")))
#include "nn/simd_avx512_kernels.h"

namespace quiver::nn::simd {

QUIVER_AVX512 void gemm_accumulate_avx512bf16(const float* a, int64_t lda, int64_t m,
                                              const PackedMatrix& b, float* c, int64_t ldc) {
  if (b.n() == 0 || m == 0) return;
  gemm<Fmt::kBf16Pairs>(a, lda, m, b, c, ldc);
}

QUIVER_AVX512 void fused_step_avx512bf16(const FusedStep& s) { fused_step_of<Fmt::kBf16Pairs>(s); }

QUIVER_AVX512 void sigmoid_avx512bf16(const float* x, float* y, int64_t n) { gate_array<false>(x, y, n); }
QUIVER_AVX512 void tanh_avx512bf16(const float* x, float* y, int64_t n) { gate_array<true>(x, y, n); }

}  // namespace quiver::nn::simd
