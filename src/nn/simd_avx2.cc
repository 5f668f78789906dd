// AVX2+FMA kernels (simd.h), per-function target attributes like simd_avx512.cc; and the
// run-time choice of the kernel level.
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "nn/kernels.h"
#include "nn/simd.h"

#define QUIVER_AVX2 __attribute__((target("avx2,fma")))
#define QUIVER_GATE_TARGET QUIVER_AVX2
#include "nn/gate_math_avx2.h"

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

// Dequantizes one panel's two int32 sum vectors into row r of c: c = fma(sum, dq, c).
QUIVER_AVX2 inline void int8_store(__m256i s0, __m256i s1, const PackedMatrix& b, int64_t panel,
                                   float* cr) {
  const int64_t col = panel * kW, width = std::min(kW, b.n() - col);
  const float* dq = b.dequant() + col;
  float edge[kW] = {};
  float* dst = width < kW ? edge : cr + col;
  if (width < kW) std::memcpy(edge, cr + col, static_cast<size_t>(width) * 4);
  _mm256_storeu_ps(dst, _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_loadu_ps(dq),
                                        _mm256_loadu_ps(dst)));
  _mm256_storeu_ps(dst + 8, _mm256_fmadd_ps(_mm256_cvtepi32_ps(s1), _mm256_loadu_ps(dq + 8),
                                            _mm256_loadu_ps(dst + 8)));
  if (width < kW) std::memcpy(cr + col, edge, static_cast<size_t>(width) * 4);
}

// The int8 pair kernel: kRows rows × kPanels panels, 2 ymm of int32 sums per row and panel.
// Per k pair: 16 int8 of a panel's pair row (8 columns × 2 k) sign-extended to int16
// (vpmovsxbw), times the row's (q[2kp], q[2kp+1]) broadcast as one int32, pair products
// summed into int32 lanes by vpmaddwd: twice fp32's multiply-adds per instruction.
template <int kRows, int kPanels>
QUIVER_AVX2 inline void int8_micro_kernel(const int16_t* q, int64_t ldq, const PackedMatrix& b,
                                          int64_t panel0, float* c, int64_t ldc) {
  __m256i acc[kRows][kPanels][2];
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 4
    for (int p = 0; p < kPanels; ++p) acc[r][p][0] = acc[r][p][1] = _mm256_setzero_si256();
  }
  const int64_t pairs = b.k_stored() / 2;
  const int8_t* panels[kPanels];
  for (int p = 0; p < kPanels; ++p) panels[p] = b.panel_int8(panel0 + p);
  for (int64_t kp = 0; kp < pairs; ++kp) {
#pragma GCC unroll 4
    for (int p = 0; p < kPanels; ++p) {
      const int8_t* w = panels[p] + kp * 2 * kW;
      const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
      const __m256i w1 =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + kW)));
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
        int32_t pair;
        std::memcpy(&pair, q + r * ldq + 2 * kp, sizeof(pair));
        const __m256i a = _mm256_set1_epi32(pair);
        acc[r][p][0] = _mm256_add_epi32(acc[r][p][0], _mm256_madd_epi16(w0, a));
        acc[r][p][1] = _mm256_add_epi32(acc[r][p][1], _mm256_madd_epi16(w1, a));
      }
    }
  }
#pragma GCC unroll 4
  for (int p = 0; p < kPanels; ++p) {
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
      int8_store(acc[r][p][0], acc[r][p][1], b, panel0 + p, c + r * ldc);
    }
  }
}

// The pair (at[0], at[1]) in every 32-bit lane.
QUIVER_AVX2 inline __m256i bcast(const int16_t* at) {
  int32_t pair;
  std::memcpy(&pair, at, sizeof(pair));
  return _mm256_set1_epi32(pair);
}

// The batched tile, written out: 4 rows × one panel, 8 accumulators, the two weight vectors
// and one broadcast live at a time (13 ymm registers; the generic template above made GCC
// spill and shuffle accumulators through the stack on every k pair).
QUIVER_AVX2 void int8_tile4(const int16_t* q, int64_t ldq, const PackedMatrix& b,
                            int64_t panel, float* c, int64_t ldc) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
          c30 = c00, c31 = c00;
  const int8_t* w = b.panel_int8(panel);
  const int64_t pairs = b.k_stored() / 2;
  for (int64_t kp = 0; kp < pairs; ++kp, w += 2 * kW) {
    const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
    const __m256i w1 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + kW)));
    __m256i a = bcast(q + 2 * kp);
    c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(w0, a));
    c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(w1, a));
    a = bcast(q + ldq + 2 * kp);
    c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(w0, a));
    c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(w1, a));
    a = bcast(q + 2 * ldq + 2 * kp);
    c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(w0, a));
    c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(w1, a));
    a = bcast(q + 3 * ldq + 2 * kp);
    c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(w0, a));
    c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(w1, a));
  }
  int8_store(c00, c01, b, panel, c);
  int8_store(c10, c11, b, panel, c + ldc);
  int8_store(c20, c21, b, panel, c + 2 * ldc);
  int8_store(c30, c31, b, panel, c + 3 * ldc);
}

// kRows rows over every panel, kPanels at a time (then one by one).
template <int kRows, int kPanels>
QUIVER_AVX2 void int8_rows(const int16_t* q, int64_t ldq, const PackedMatrix& b, float* c,
                           int64_t ldc) {
  if constexpr (kRows == 4 && kPanels == 1) {
    for (int64_t p = 0; p < b.panels(); ++p) int8_tile4(q, ldq, b, p, c, ldc);
    return;
  }
  int64_t p = 0;
  for (; p + kPanels <= b.panels(); p += kPanels) {
    int8_micro_kernel<kRows, kPanels>(q, ldq, b, p, c, ldc);
  }
  for (; p < b.panels(); ++p) int8_micro_kernel<kRows, 1>(q, ldq, b, p, c, ldc);
}

template <bool kTanh>
QUIVER_AVX2 void gate_array(const float* x, float* y, int64_t n) {
  using gate::Avx2Ops;
  for (int64_t j = 0; j < n; j += 8) {
    float in[8] = {}, out[8];
    const bool tail = j + 8 > n;
    if (tail) std::memcpy(in, x + j, static_cast<size_t>(n - j) * 4);
    const __m256 v = _mm256_loadu_ps(tail ? in : x + j);
    const __m256 r = kTanh ? gate::tanh<Avx2Ops>(v) : gate::sigmoid<Avx2Ops>(v);
    _mm256_storeu_ps(tail ? out : y + j, r);
    if (tail) std::memcpy(y + j, out, static_cast<size_t>(n - j) * 4);
  }
}

}  // namespace

QUIVER_AVX2 void sigmoid_avx2(const float* x, float* y, int64_t n) { gate_array<false>(x, y, n); }
QUIVER_AVX2 void tanh_avx2(const float* x, float* y, int64_t n) { gate_array<true>(x, y, n); }

QUIVER_AVX2 void quantize_activations_avx2(const float* x, int64_t ldx, int64_t m,
                                           const PackedMatrix& b, int16_t* q, int64_t ldq) {
  const int64_t k = b.k(), ks = b.k_stored();
  const __m256 lo = _mm256_set1_ps(-1.0f), hi = _mm256_set1_ps(1.0f);
  const __m256 s = _mm256_set1_ps(static_cast<float>(b.activation_scale()));
  for (int64_t r = 0; r < m; ++r) {
    const float* xr = x + r * ldx;
    int16_t* qr = q + r * ldq;
    int64_t kk = 0;
    for (; kk < ks; kk += 8) {
      float in[8] = {};  // zeros past k (the odd k's padding row)
      const float* src = xr + kk;
      if (kk + 8 > k) {
        if (kk < k) std::memcpy(in, xr + kk, static_cast<size_t>(k - kk) * 4);
        src = in;
      }
      // max(x, -1) turns NaN into -1, as the plain path's comparison does.
      const __m256 v = _mm256_mul_ps(_mm256_min_ps(_mm256_max_ps(_mm256_loadu_ps(src), lo), hi), s);
      const __m256i i32 = _mm256_cvtps_epi32(v);  // round to nearest even
      const __m128i i16 = _mm_packs_epi32(_mm256_castsi256_si128(i32),
                                          _mm256_extracti128_si256(i32, 1));
      if (kk + 8 <= ks) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(qr + kk), i16);
      } else {
        int16_t out[8];
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), i16);
        std::memcpy(qr + kk, out, static_cast<size_t>(ks - kk) * 2);
      }
    }
  }
}

QUIVER_AVX2 void gemm_accumulate_int8_avx2(const int16_t* q, int64_t ldq, int64_t m,
                                           const PackedMatrix& b, float* c, int64_t ldc) {
  if (b.n() == 0 || m == 0) return;
  if (m == 1) return int8_rows<1, 4>(q, ldq, b, c, ldc);
  // 4-row tiles: 8 accumulators, 2 weight registers and 4 broadcasts fit the 16 ymm
  // registers (6 rows spilled accumulators to the stack and ran no faster than fp32).
  int64_t r = 0;
  for (; r + 4 <= m; r += 4) int8_rows<4, 1>(q + r * ldq, ldq, b, c + r * ldc, ldc);
  const int16_t* qr = q + r * ldq;
  float* cr = c + r * ldc;
  switch (m - r) {
    case 3: int8_rows<3, 1>(qr, ldq, b, cr, ldc); break;
    case 2: int8_rows<2, 2>(qr, ldq, b, cr, ldc); break;
    case 1: int8_rows<1, 4>(qr, ldq, b, cr, ldc); break;
    default: break;
  }
}

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
