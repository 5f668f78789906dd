// AVX-512F kernels (simd.h). Compiled with per-function target attributes, so the rest of the
// binary stays baseline x86-64 and runs on any CPU; simd_level() decides at run time.
// GCC 12 reports its own _mm512_undefined_* helpers inside the intrinsics as "may be used
// uninitialized" (a known false positive of the header); nothing here reads undefined lanes.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <algorithm>

#include "nn/kernels.h"
#include "nn/simd.h"

#define QUIVER_AVX512 __attribute__((target("avx512f,fma")))

namespace quiver::nn::simd {
namespace {

constexpr int64_t kW = PackedMatrix::kPanelWidth;  // 16 floats: one zmm register
static_assert(kW == 16);

// Loads row kk (16 values) of a panel as floats, for each element format.
template <WeightMode F>
QUIVER_AVX512 inline __m512 load_row(const void* panel, int64_t at) {
  if constexpr (F == WeightMode::kFp32) {
    return _mm512_loadu_ps(static_cast<const float*>(panel) + at);
  } else if constexpr (F == WeightMode::kBf16) {
    const __m256i h = _mm256_loadu_si256(
        reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(panel) + at));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  } else {
    const __m128i q =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const int8_t*>(panel) + at));
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
  }
}

// kRows rows of c × kPanels adjacent panels, k innermost-in-time: each accumulator is one
// FMA chain c + a[0]b[0] + a[1]b[1] + ... in k order (the fixed-order contract). int8
// panels: the chain starts at 0 and c + scale * chain is stored.
template <WeightMode F, int kRows, int kPanels>
QUIVER_AVX512 inline void micro_kernel(const float* a, int64_t lda, const void* panel,
                                       int64_t panel_stride, int64_t k, float* c, int64_t ldc,
                                       const float* scale, __mmask16 last_mask) {
  constexpr bool kScaled = F == WeightMode::kInt8;
  __m512 acc[kRows][kPanels];
#pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 16
    for (int p = 0; p < kPanels; ++p) {
      const __mmask16 m = p == kPanels - 1 ? last_mask : __mmask16(0xffff);
      acc[r][p] = kScaled ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m, c + r * ldc + p * kW);
    }
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    __m512 b[kPanels];
#pragma GCC unroll 16
    for (int p = 0; p < kPanels; ++p) b[p] = load_row<F>(panel, p * panel_stride + kk * kW);
#pragma GCC unroll 16
    for (int r = 0; r < kRows; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + kk]);
#pragma GCC unroll 16
      for (int p = 0; p < kPanels; ++p) acc[r][p] = _mm512_fmadd_ps(av, b[p], acc[r][p]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 16
    for (int p = 0; p < kPanels; ++p) {
      const __mmask16 m = p == kPanels - 1 ? last_mask : __mmask16(0xffff);
      float* dst = c + r * ldc + p * kW;
      if constexpr (kScaled) {
        acc[r][p] = _mm512_fmadd_ps(acc[r][p], _mm512_loadu_ps(scale + p * kW),
                                    _mm512_maskz_loadu_ps(m, dst));
      }
      _mm512_mask_storeu_ps(dst, m, acc[r][p]);
    }
  }
}

template <WeightMode F>
inline const void* panel_of(const PackedMatrix& b, int64_t p) {
  if constexpr (F == WeightMode::kFp32) return b.panel(p);
  if constexpr (F == WeightMode::kBf16) return b.panel_bf16(p);
  return b.panel_int8(p);
}

// kRows rows against every panel of b, kPanels panels at a time.
template <WeightMode F, int kRows, int kPanels>
QUIVER_AVX512 void rows_kernel(const float* a, int64_t lda, const PackedMatrix& b, float* c,
                               int64_t ldc) {
  const int64_t panels = b.panels(), k = b.k(), stride = k * kW;
  const int64_t tail = b.n() - (panels - 1) * kW;  // 1..16 columns in the last panel
  const __mmask16 tail_mask = static_cast<__mmask16>((1u << tail) - 1u);
  // Column scales of int8 panels (no pointer arithmetic on the empty vector of the others).
  auto scales = [&b](int64_t p) { return F == WeightMode::kInt8 ? b.scales() + p * kW : nullptr; };
  int64_t p = 0;
  for (; p + kPanels < panels; p += kPanels) {  // never includes the last panel
    micro_kernel<F, kRows, kPanels>(a, lda, panel_of<F>(b, p), stride, k, c + p * kW, ldc,
                                    scales(p), 0xffff);
  }
  for (; p < panels; ++p) {
    micro_kernel<F, kRows, 1>(a, lda, panel_of<F>(b, p), stride, k, c + p * kW, ldc,
                              scales(p), p == panels - 1 ? tail_mask : __mmask16(0xffff));
  }
}

template <WeightMode F>
QUIVER_AVX512 void gemm(const float* a, int64_t lda, int64_t m, const PackedMatrix& b, float* c,
                        int64_t ldc) {
  if (m == 1) {  // a vector × matrix: more panels at once hide the FMA latency
    rows_kernel<F, 1, 8>(a, lda, b, c, ldc);
    return;
  }
  int64_t r = 0;
  for (; r + 6 <= m; r += 6) rows_kernel<F, 6, 4>(a + r * lda, lda, b, c + r * ldc, ldc);
  const float* ar = a + r * lda;
  float* cr = c + r * ldc;
  switch (m - r) {
    case 5: rows_kernel<F, 5, 4>(ar, lda, b, cr, ldc); break;
    case 4: rows_kernel<F, 4, 4>(ar, lda, b, cr, ldc); break;
    case 3: rows_kernel<F, 3, 6>(ar, lda, b, cr, ldc); break;
    case 2: rows_kernel<F, 2, 6>(ar, lda, b, cr, ldc); break;
    case 1: rows_kernel<F, 1, 8>(ar, lda, b, cr, ldc); break;
    default: break;
  }
}

}  // namespace

QUIVER_AVX512 void gemm_accumulate_avx512(const float* a, int64_t lda, int64_t m,
                                          const PackedMatrix& b, float* c, int64_t ldc) {
  if (b.n() == 0 || m == 0) return;
  switch (b.format()) {
    case WeightMode::kFp32: gemm<WeightMode::kFp32>(a, lda, m, b, c, ldc); break;
    case WeightMode::kBf16: gemm<WeightMode::kBf16>(a, lda, m, b, c, ldc); break;
    case WeightMode::kInt8: gemm<WeightMode::kInt8>(a, lda, m, b, c, ldc); break;
  }
}

namespace {

// exp(x) for |x| <= 88 (callers clamp): x = n ln2 + r, |r| <= ln2/2, Cephes expf polynomial
// (max relative error about 2 ulp), scaled by 2^n through the exponent bits.
QUIVER_AVX512 inline __m512 exp512(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

QUIVER_AVX512 inline __m512 sigmoid512(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

// tanh(x) = sign(x) (1 - 2 / (exp(2|x|) + 1)); below |x| < 0.0625 the odd Taylor series
// x - x^3/3 + 2x^5/15 avoids the cancellation of the first form.
QUIVER_AVX512 inline __m512 tanh512(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f);
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 e = exp512(_mm512_mul_ps(two, ax));
  __m512 big = _mm512_sub_ps(one, _mm512_div_ps(two, _mm512_add_ps(e, one)));
  big = _mm512_castsi512_ps(_mm512_or_si512(
      _mm512_castps_si512(big),
      _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN))));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 s = _mm512_fmadd_ps(x2, _mm512_set1_ps(2.0f / 15.0f), _mm512_set1_ps(-1.0f / 3.0f));
  s = _mm512_fmadd_ps(_mm512_mul_ps(s, x2), x, x);
  const __mmask16 small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.0625f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(small, big, s);
}

// Masks of a row of u values: full chunks then a tail (all indices depend only on j).
QUIVER_AVX512 inline __mmask16 chunk_mask(int64_t j, int64_t u) {
  const int64_t left = u - j;
  return left >= kW ? __mmask16(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
}

}  // namespace

QUIVER_AVX512 void lstm_cell_avx512(float* g, float* c, float* h, int64_t u) {
  for (int64_t j = 0; j < u; j += kW) {
    const __mmask16 m = chunk_mask(j, u);
    const __m512 i = sigmoid512(_mm512_maskz_loadu_ps(m, g + j));
    const __m512 f = sigmoid512(_mm512_maskz_loadu_ps(m, g + u + j));
    const __m512 cc = tanh512(_mm512_maskz_loadu_ps(m, g + 2 * u + j));
    const __m512 o = sigmoid512(_mm512_maskz_loadu_ps(m, g + 3 * u + j));
    // c = f*c + i*cc, rounded as the plain path does (two products, one sum).
    const __m512 cn = _mm512_add_ps(_mm512_mul_ps(f, _mm512_maskz_loadu_ps(m, c + j)),
                                    _mm512_mul_ps(i, cc));
    _mm512_mask_storeu_ps(c + j, m, cn);
    _mm512_mask_storeu_ps(h + j, m, _mm512_mul_ps(o, tanh512(cn)));
  }
}

QUIVER_AVX512 void gru_cell_avx512(const float* xp, const float* rec, float* h, int64_t u) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t j = 0; j < u; j += kW) {
    const __mmask16 m = chunk_mask(j, u);
    const __m512 z = sigmoid512(_mm512_add_ps(_mm512_maskz_loadu_ps(m, xp + j), _mm512_maskz_loadu_ps(m, rec + j)));
    const __m512 r = sigmoid512(_mm512_add_ps(_mm512_maskz_loadu_ps(m, xp + u + j), _mm512_maskz_loadu_ps(m, rec + u + j)));
    const __m512 hh = tanh512(_mm512_add_ps(_mm512_maskz_loadu_ps(m, xp + 2 * u + j),
                                            _mm512_mul_ps(r, _mm512_maskz_loadu_ps(m, rec + 2 * u + j))));
    const __m512 hn = _mm512_add_ps(_mm512_mul_ps(z, _mm512_maskz_loadu_ps(m, h + j)),
                                    _mm512_mul_ps(_mm512_sub_ps(one, z), hh));
    _mm512_mask_storeu_ps(h + j, m, hn);
  }
}

}  // namespace quiver::nn::simd
