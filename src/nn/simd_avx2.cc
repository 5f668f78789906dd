// AVX2+FMA kernels (simd.h), per-function target attributes like simd_avx512.cc; and the
// run-time choice of the kernel level.
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "nn/kernels.h"
#include "nn/simd.h"

#define QUIVER_AVX2 __attribute__((target("avx2,fma")))

namespace quiver::nn {
namespace simd {
namespace {

constexpr int64_t kW = PackedMatrix::kPanelWidth;  // 16 floats: two ymm registers
static_assert(kW == 16);

// Loads 8 values of a panel at `at` as floats, for each element format.
template <WeightMode F>
QUIVER_AVX2 inline __m256 load8(const void* panel, int64_t at) {
  if constexpr (F == WeightMode::kFp32) {
    return _mm256_loadu_ps(static_cast<const float*>(panel) + at);
  } else if constexpr (F == WeightMode::kBf16) {
    const __m128i h =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(panel) + at));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  } else {
    const __m128i q =
        _mm_loadl_epi64(reinterpret_cast<const __m128i*>(static_cast<const int8_t*>(panel) + at));
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
  }
}

// kRows rows × one panel (two ymm columns); one FMA chain per element, in k order (int8:
// from 0, then c + scale * chain, as the AVX-512 kernel). The last panel's partial width
// goes through a zero-padded copy of c.
template <WeightMode F, int kRows>
QUIVER_AVX2 inline void micro_kernel(const float* a, int64_t lda, const void* panel, int64_t k,
                                     float* c, int64_t ldc, const float* scale, int64_t width) {
  constexpr bool kScaled = F == WeightMode::kInt8;
  __m256 acc[kRows][2];
  float edge[kRows][kW];
  if (width < kW) {
    for (int r = 0; r < kRows; ++r) {
      for (int64_t j = 0; j < kW; ++j) edge[r][j] = j < width ? c[r * ldc + j] : 0.0f;
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
    const float* src = width < kW ? edge[r] : c + r * ldc;
    acc[r][0] = kScaled ? _mm256_setzero_ps() : _mm256_loadu_ps(src);
    acc[r][1] = kScaled ? _mm256_setzero_ps() : _mm256_loadu_ps(src + 8);
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const __m256 b0 = load8<F>(panel, kk * kW), b1 = load8<F>(panel, kk * kW + 8);
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + kk);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
    float* dst = width < kW ? edge[r] : c + r * ldc;
    if constexpr (kScaled) {
      acc[r][0] = _mm256_fmadd_ps(acc[r][0], _mm256_loadu_ps(scale), _mm256_loadu_ps(dst));
      acc[r][1] = _mm256_fmadd_ps(acc[r][1], _mm256_loadu_ps(scale + 8), _mm256_loadu_ps(dst + 8));
    }
    _mm256_storeu_ps(dst, acc[r][0]);
    _mm256_storeu_ps(dst + 8, acc[r][1]);
    if (width < kW) std::memcpy(c + r * ldc, edge[r], static_cast<size_t>(width) * 4);
  }
}

template <WeightMode F, int kRows>
QUIVER_AVX2 void rows_kernel(const float* a, int64_t lda, const PackedMatrix& b, float* c,
                             int64_t ldc) {
  for (int64_t p = 0; p < b.panels(); ++p) {
    const int64_t width = std::min(kW, b.n() - p * kW);
    const void* panel = F == WeightMode::kFp32   ? static_cast<const void*>(b.panel(p))
                        : F == WeightMode::kBf16 ? static_cast<const void*>(b.panel_bf16(p))
                                                 : static_cast<const void*>(b.panel_int8(p));
    const float* scale = F == WeightMode::kInt8 ? b.scales() + p * kW : nullptr;
    micro_kernel<F, kRows>(a, lda, panel, b.k(), c + p * kW, ldc, scale, width);
  }
}

template <WeightMode F>
QUIVER_AVX2 void gemm(const float* a, int64_t lda, int64_t m, const PackedMatrix& b, float* c,
                      int64_t ldc) {
  int64_t r = 0;
  for (; r + 6 <= m; r += 6) rows_kernel<F, 6>(a + r * lda, lda, b, c + r * ldc, ldc);
  const float* ar = a + r * lda;
  float* cr = c + r * ldc;
  switch (m - r) {
    case 5: rows_kernel<F, 5>(ar, lda, b, cr, ldc); break;
    case 4: rows_kernel<F, 4>(ar, lda, b, cr, ldc); break;
    case 3: rows_kernel<F, 3>(ar, lda, b, cr, ldc); break;
    case 2: rows_kernel<F, 2>(ar, lda, b, cr, ldc); break;
    case 1: rows_kernel<F, 1>(ar, lda, b, cr, ldc); break;
    default: break;
  }
}

}  // namespace

QUIVER_AVX2 void gemm_accumulate_avx2(const float* a, int64_t lda, int64_t m,
                                      const PackedMatrix& b, float* c, int64_t ldc) {
  if (b.n() == 0 || m == 0) return;
  switch (b.format()) {
    case WeightMode::kFp32: gemm<WeightMode::kFp32>(a, lda, m, b, c, ldc); break;
    case WeightMode::kBf16: gemm<WeightMode::kBf16>(a, lda, m, b, c, ldc); break;
    case WeightMode::kInt8: gemm<WeightMode::kInt8>(a, lda, m, b, c, ldc); break;
  }
}

}  // namespace simd

namespace {

SimdLevel detect_simd_level() {
  SimdLevel best = SimdLevel::kPlain;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = SimdLevel::kAvx2;
  // AVX-512F with DQ (VREDUCEPS in the gate math): every AVX-512 CPU but Xeon Phi.
  if (best == SimdLevel::kAvx2 && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512dq")) {
    best = SimdLevel::kAvx512;
  }
  if (best == SimdLevel::kAvx512 && __builtin_cpu_supports("avx512bf16")) {
    best = SimdLevel::kAvx512Bf16;
  }
  // QUIVER_SIMD caps the level (to measure or test the other paths on one machine).
  const char* cap = std::getenv("QUIVER_SIMD");
  if (cap == nullptr) return best;
  SimdLevel want = std::strcmp(cap, "plain") == 0    ? SimdLevel::kPlain
                   : std::strcmp(cap, "avx2") == 0   ? SimdLevel::kAvx2
                   : std::strcmp(cap, "avx512") == 0 ? SimdLevel::kAvx512
                                                     : SimdLevel::kAvx512Bf16;
  return want < best ? want : best;
}

}  // namespace

SimdLevel simd_level() {
  static const SimdLevel level = detect_simd_level();  // immutable after the first call
  return level;
}

}  // namespace quiver::nn
