// The AVX-512 kernel templates (simd.h), included by two translation units that define
// QUIVER_AVX512 as their target attribute before including it: simd_avx512.cc (AVX-512F:
// fp32, bf16 widened, int8, and the cell math) and simd_avx512bf16.cc (AVX-512F +
// AVX512_BF16: bf16 pairs). Each gets its own internal copy compiled for its target, so the
// AVX512_BF16 instructions never reach code that runs on CPUs without them. The same
// intrinsics in both give the same bits.
#ifndef QUIVER_NN_SIMD_AVX512_KERNELS_H_
#define QUIVER_NN_SIMD_AVX512_KERNELS_H_

#ifndef QUIVER_AVX512
#error "define QUIVER_AVX512 (the target attribute) before including simd_avx512_kernels.h"
#endif

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "nn/kernels.h"
#include "nn/simd.h"

#define QUIVER_GATE_TARGET QUIVER_AVX512
#include "nn/gate_math.h"

namespace quiver::nn::simd {
namespace {

constexpr int64_t kW = PackedMatrix::kPanelWidth;  // 16 floats: one zmm register
static_assert(kW == 16);

// The kernels' element formats: the WeightModes, with bf16 in either layout (kernels.h).
enum class Fmt { kFp32, kBf16, kBf16Pairs, kInt8 };

// Loads row kk (16 values) of a panel as floats (all formats but kBf16Pairs).
template <Fmt F>
QUIVER_AVX512 inline __m512 load_row(const void* panel, int64_t at) {
  if constexpr (F == Fmt::kFp32) {
    return _mm512_loadu_ps(static_cast<const float*>(panel) + at);
  } else if constexpr (F == Fmt::kBf16) {
    const __m256i h = _mm256_loadu_si256(
        reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(panel) + at));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  } else {
    const __m128i q =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const int8_t*>(panel) + at));
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
  }
}

// acc[r][p] += a[r][kk] * panel p row kk for kk in [k0, k1), k innermost-in-time: each
// accumulator is one FMA chain in k order (the fixed-order contract), so running [0, k) in
// two ranges gives the same bits. kBf16Pairs: `a` holds bf16 pairs (to_bf16_pairs, lda in
// pairs), k0 is even, and each step adds one pair's two products (AVX512_BF16 VDPBF16PS),
// pairs in k order.
template <Fmt F, int kRows, int kPanels>
QUIVER_AVX512 __attribute__((always_inline)) inline void accumulate(
    const float* a, int64_t lda, const void* panel, int64_t panel_stride, int64_t k0,
    int64_t k1, __m512 (&acc)[kRows][kPanels]) {
  if constexpr (F == Fmt::kBf16Pairs) {
    const uint32_t* ap = reinterpret_cast<const uint32_t*>(a);
    const uint16_t* bp = static_cast<const uint16_t*>(panel);
    for (int64_t kp = k0 / 2; kp < (k1 + 1) / 2; ++kp) {
      __m512bh b[kPanels];
#pragma GCC unroll 16
      for (int p = 0; p < kPanels; ++p) {
        b[p] = (__m512bh)_mm512_loadu_si512(bp + p * panel_stride + kp * 2 * kW);
      }
#pragma GCC unroll 16
      for (int r = 0; r < kRows; ++r) {
        const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(ap[r * lda + kp]));
#pragma GCC unroll 16
        for (int p = 0; p < kPanels; ++p) acc[r][p] = _mm512_dpbf16_ps(acc[r][p], av, b[p]);
      }
    }
    return;
  }
  for (int64_t kk = k0; kk < k1; ++kk) {
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
}

// kRows rows of c × kPanels adjacent panels: c + a[0]b[0] + a[1]b[1] + ... int8 panels: the
// chain starts at 0 and c + scale * chain is stored.
template <Fmt F, int kRows, int kPanels>
QUIVER_AVX512 inline void micro_kernel(const float* a, int64_t lda, const void* panel,
                                       int64_t panel_stride, int64_t k, float* c, int64_t ldc,
                                       const float* scale, __mmask16 last_mask) {
  constexpr bool kScaled = F == Fmt::kInt8;
  __m512 acc[kRows][kPanels];
#pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 16
    for (int p = 0; p < kPanels; ++p) {
      const __mmask16 m = p == kPanels - 1 ? last_mask : __mmask16(0xffff);
      acc[r][p] = kScaled ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m, c + r * ldc + p * kW);
    }
  }
  accumulate<F, kRows, kPanels>(a, lda, panel, panel_stride, 0, k, acc);
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

template <Fmt F>
inline const void* panel_of(const PackedMatrix& b, int64_t p) {
  if constexpr (F == Fmt::kFp32) return b.panel(p);
  if constexpr (F == Fmt::kBf16 || F == Fmt::kBf16Pairs) return b.panel_bf16(p);
  return b.panel_int8(p);
}

// Masks of a row of u values: full chunks then a tail (all indices depend only on j).
QUIVER_AVX512 inline __mmask16 chunk_mask(int64_t j, int64_t u) {
  const int64_t left = u - j;
  return left >= kW ? __mmask16(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
}

// kBf16Pairs: m rows of a (k floats each, stride lda) rounded to bf16 (nearest even) as
// pairs, (k + 1) / 2 per row (an odd k pads with 0), in a thread-local buffer reused by later
// calls; *ld is set to the row stride in pairs. Returned as float* for the kernels' a. A
// template only so that it is instantiated (it needs AVX512_BF16) in simd_avx512bf16.cc alone.
template <Fmt F>
QUIVER_AVX512 const float* to_bf16_pairs(const float* a, int64_t lda, int64_t m, int64_t k,
                                         int64_t* ld) {
  thread_local std::vector<uint32_t> buffer;
  const int64_t pairs = (k + 1) / 2;
  if (buffer.size() < static_cast<size_t>(m * pairs)) {
    buffer.resize(static_cast<size_t>(m * pairs));
  }
  for (int64_t r = 0; r < m; ++r) {
    uint16_t* dst = reinterpret_cast<uint16_t*>(buffer.data() + r * pairs);
    dst[2 * pairs - 1] = 0;
    for (int64_t j = 0; j < k; j += kW) {
      const __m256i h =
          (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(chunk_mask(j, k), a + r * lda + j));
      alignas(32) uint16_t out[kW];
      _mm256_store_si256(reinterpret_cast<__m256i*>(out), h);
      std::copy_n(out, std::min(kW, k - j), dst + j);
    }
  }
  *ld = pairs;
  return reinterpret_cast<const float*>(buffer.data());
}

// kRows rows against every panel of b, kPanels panels at a time.
template <Fmt F, int kRows, int kPanels>
QUIVER_AVX512 void rows_kernel(const float* a, int64_t lda, const PackedMatrix& b, float* c,
                               int64_t ldc) {
  const int64_t panels = b.panels(), k = b.k(), stride = b.panel_stride();
  const int64_t tail = b.n() - (panels - 1) * kW;  // 1..16 columns in the last panel
  const __mmask16 tail_mask = static_cast<__mmask16>((1u << tail) - 1u);
  // Column scales of int8 panels (no pointer arithmetic on the empty vector of the others).
  auto scales = [&b](int64_t p) { return F == Fmt::kInt8 ? b.scales() + p * kW : nullptr; };
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

template <Fmt F>
QUIVER_AVX512 void gemm(const float* a, int64_t lda, int64_t m, const PackedMatrix& b, float* c,
                        int64_t ldc) {
  if constexpr (F == Fmt::kBf16Pairs) a = to_bf16_pairs<F>(a, lda, m, b.k(), &lda);
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

// The primitives of gate_math.h on 16 float lanes.
struct Avx512Ops {
  using F = __m512;
  static QUIVER_AVX512 F set1(float v) { return _mm512_set1_ps(v); }
  static QUIVER_AVX512 F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static QUIVER_AVX512 F add(F a, F b) { return _mm512_add_ps(a, b); }
  static QUIVER_AVX512 F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static QUIVER_AVX512 F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static QUIVER_AVX512 F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  // −|x| (the sign bit set), then max(lo, ·): VMAXPS returns its second operand when one is
  // NaN, so NaN stays NaN.
  static QUIVER_AVX512 F neg_abs_floor(F x, F lo) {
    return _mm512_max_ps(lo, _mm512_or_ps(x, _mm512_set1_ps(-0.0f)));
  }
  static QUIVER_AVX512 F round_nearest(F x) {
    return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static QUIVER_AVX512 F scalef(F p, F n) { return _mm512_scalef_ps(p, n); }
  static QUIVER_AVX512 F rcp14(F d) { return _mm512_rcp14_ps(d); }
  static QUIVER_AVX512 F select_negative(F x, F if_negative, F otherwise) {
    return _mm512_mask_blend_ps(_mm512_movepi32_mask(_mm512_castps_si512(x)), otherwise,
                                if_negative);
  }
  // Bit select (0xD8: c ? b : a): the magnitude bits of m, the sign bit of s.
  static QUIVER_AVX512 F copysign(F m, F s) {
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
        _mm512_castps_si512(m), _mm512_castps_si512(s), _mm512_set1_epi32(INT32_MIN), 0xD8));
  }
};

QUIVER_AVX512 __attribute__((always_inline)) inline __m512 sigmoid512(__m512 x) {
  return gate::sigmoid<Avx512Ops>(x);
}

QUIVER_AVX512 __attribute__((always_inline)) inline __m512 tanh512(__m512 x) {
  return gate::tanh<Avx512Ops>(x);
}

// sigmoid / tanh of n floats (gate_math_test checks every float through these).
template <bool kTanh>
QUIVER_AVX512 void gate_array(const float* x, float* y, int64_t n) {
  for (int64_t j = 0; j < n; j += kW) {
    const __mmask16 m = chunk_mask(j, n);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + j);
    _mm512_mask_storeu_ps(y + j, m, kTanh ? tanh512(v) : sigmoid512(v));
  }
}

// The LSTM cell on 16 lanes: pre-activations of i, f, c, o and the old c; returns the new c
// and sets h. c = f*c + i*cc is rounded as the plain path does (two products, one sum).
QUIVER_AVX512 __attribute__((always_inline)) inline __m512 lstm_cell16(
    __m512 gi, __m512 gf, __m512 gc, __m512 go, __m512 c, __m512* h) {
  const __m512 cn =
      _mm512_add_ps(_mm512_mul_ps(sigmoid512(gf), c), _mm512_mul_ps(sigmoid512(gi), tanh512(gc)));
  *h = _mm512_mul_ps(sigmoid512(go), tanh512(cn));
  return cn;
}

// The GRU reset_after cell on 16 lanes: input projections xz, xr, xh, recurrent parts (h·U +
// recurrent bias) rz, rr, rh and the old h; returns the new h (KERAS.md §2.2).
QUIVER_AVX512 __attribute__((always_inline)) inline __m512 gru_cell16(
    __m512 xz, __m512 xr, __m512 xh, __m512 rz, __m512 rr, __m512 rh, __m512 h) {
  const __m512 z = sigmoid512(_mm512_add_ps(xz, rz));
  const __m512 r = sigmoid512(_mm512_add_ps(xr, rr));
  const __m512 hh = tanh512(_mm512_add_ps(xh, _mm512_mul_ps(r, rh)));
  return _mm512_add_ps(_mm512_mul_ps(z, h),
                       _mm512_mul_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), z), hh));
}

// Where a gate chain starts: LSTM (kG = 4) at x·W + b (the row's table row), GRU (kG = 3) at
// the recurrent bias, as Keras' reset_after GRU adds the input projection after the product.
template <int kG>
QUIVER_AVX512 inline const float* chain_start(const FusedStep& s, int64_t row, int64_t col) {
  return kG == 4 ? s.init[row] + col : s.recurrent_bias + col;
}

// Rows [row0, row0 + kRows) × kBlocks full blocks starting at the slice's unit `unit`:
// pre-activations chain_start + h·U in registers, then the cell, then h_next (and c).
// a / lda: the previous state h as the kernels read it (s.h, or its bf16 pairs).
template <Fmt F, int kG, int kRows, int kBlocks>
QUIVER_AVX512 inline void fused_tile(const FusedStep& s, const float* a, int64_t lda, int64_t row0,
                                     int64_t unit) {
  constexpr int kP = kG * kBlocks;
  constexpr bool kScaled = F == Fmt::kInt8;
  const PackedMatrix& b = *s.recurrent;
  const int64_t col = s.col0 + kG * unit, panel0 = kG * unit / kW;
  __m512 acc[kRows][kP];
#pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 16
    for (int p = 0; p < kP; ++p) {
      acc[r][p] = kScaled ? _mm512_setzero_ps()
                          : _mm512_loadu_ps(chain_start<kG>(s, row0 + r, col) + p * kW);
    }
  }
  // The next tile's x·W + b lines come from L3 (random rows). For the LSTM's 6-row tiles the
  // k loop runs in two halves (the same chain, in the same order) and they are fetched in
  // between, late enough that the streaming U panels do not evict them from L1 before that
  // tile starts (2-3 % faster at batch 256, measured); other tiles fetch them first.
  const int64_t k_half = kG == 4 && kRows >= 4 ? b.k() / 4 * 2 : 0;  // even: whole bf16 pairs
  if (!s.zero_state) {
    const float* ar = a + row0 * lda;
    const void* panel = panel_of<F>(b, panel0);
    accumulate<F, kRows, kP>(ar, lda, panel, b.panel_stride(), 0, k_half, acc);
#pragma GCC unroll 16
    for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 16
      for (int p = 0; p < kP; ++p) {
        _mm_prefetch(s.init[row0 + r] + col + (kP + p) * kW, _MM_HINT_T0);
      }
    }
    accumulate<F, kRows, kP>(ar, lda, panel, b.panel_stride(), k_half, b.k(), acc);
  }
#pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) {
    const int64_t at = (row0 + r) * s.ld + unit;
    if (!s.live[row0 + r]) {
#pragma GCC unroll 16
      for (int q = 0; q < kBlocks; ++q) {
        _mm512_storeu_ps(s.h_next + at + q * kW, _mm512_loadu_ps(s.h_prev + at + q * kW));
      }
      continue;
    }
    if constexpr (kScaled) {
#pragma GCC unroll 16
      for (int p = 0; p < kP; ++p) {
        acc[r][p] = _mm512_fmadd_ps(acc[r][p], _mm512_loadu_ps(b.scales() + (panel0 + p) * kW),
                                    _mm512_loadu_ps(chain_start<kG>(s, row0 + r, col) + p * kW));
      }
    }
#pragma GCC unroll 16
    for (int q = 0; q < kBlocks; ++q) {
      __m512 hn;
      if constexpr (kG == 4) {
        const __m512 cn = lstm_cell16(acc[r][4 * q], acc[r][4 * q + 1], acc[r][4 * q + 2],
                                      acc[r][4 * q + 3], _mm512_loadu_ps(s.c + at + q * kW), &hn);
        _mm512_storeu_ps(s.c + at + q * kW, cn);
      } else {
        const float* xp = s.init[row0 + r] + col + 3 * q * kW;
        hn = gru_cell16(_mm512_loadu_ps(xp), _mm512_loadu_ps(xp + kW),
                        _mm512_loadu_ps(xp + 2 * kW), acc[r][3 * q], acc[r][3 * q + 1],
                        acc[r][3 * q + 2],
                        _mm512_loadu_ps(s.h_prev + at + q * kW));
      }
      _mm512_storeu_ps(s.h_next + at + q * kW, hn);
    }
  }
}

// All full blocks of the slice for rows [row0, row0 + kRows), kBlocks at a time.
template <Fmt F, int kG, int kRows, int kBlocks>
QUIVER_AVX512 void fused_rows(const FusedStep& s, const float* a, int64_t lda, int64_t row0) {
  const int64_t full = s.units / kFusedBlockUnits;
  int64_t blk = 0;
  for (; blk + kBlocks <= full; blk += kBlocks) {
    fused_tile<F, kG, kRows, kBlocks>(s, a, lda, row0, blk * kW);
  }
  if constexpr (kBlocks > 1) {
    for (; blk < full; ++blk) fused_tile<F, kG, kRows, 1>(s, a, lda, row0, blk * kW);
  }
}

// The last block of w < 16 units (kG × w columns = kP panels, the last one masked): the
// pre-activations go through a small buffer and lstm_cell_avx512 / gru_cell_avx512 (the same
// arithmetic as the tiles).
template <Fmt F, int kG, int kP>
QUIVER_AVX512 void fused_tail(const FusedStep& s, const float* h, int64_t lda) {
  const PackedMatrix& b = *s.recurrent;
  const int64_t w = s.units % kFusedBlockUnits, unit = s.units - w, col = s.col0 + kG * unit;
  const int64_t panel0 = kG * unit / kW, stride = b.panel_stride();
  const __mmask16 last = chunk_mask((kP - 1) * kW, kG * w);
  const float* scale = F == Fmt::kInt8 ? b.scales() + panel0 * kW : nullptr;
  constexpr int kRows = 6;
  alignas(64) float g[kRows][4 * kW];
  for (int64_t row0 = 0; row0 < s.n; row0 += kRows) {
    const int64_t rows = std::min<int64_t>(kRows, s.n - row0);
    for (int64_t r = 0; r < rows; ++r) {
      std::copy_n(chain_start<kG>(s, row0 + r, col), kG * w, g[r]);
    }
    const float* a = h + row0 * lda;
    // Under zero_state g keeps the chains' starts.
    const int64_t product_rows = s.zero_state ? 0 : rows;
    if (product_rows == kRows) {
      micro_kernel<F, kRows, kP>(a, lda, panel_of<F>(b, panel0), stride, b.k(), g[0], 4 * kW,
                                 scale, last);
    } else {
      for (int64_t r = 0; r < product_rows; ++r) {
        micro_kernel<F, 1, kP>(a + r * lda, lda, panel_of<F>(b, panel0), stride, b.k(), g[r],
                               4 * kW, scale, last);
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t at = (row0 + r) * s.ld + unit;
      std::copy_n(s.h_prev + at, w, s.h_next + at);
      if (!s.live[row0 + r]) continue;
      if constexpr (kG == 4) {
        lstm_cell_avx512(g[r], s.c + at, s.h_next + at, w);
      } else {
        gru_cell_avx512(s.init[row0 + r] + col, g[r], s.h_next + at, w);
      }
    }
  }
}

template <Fmt F, int kG>
QUIVER_AVX512 void fused_step(const FusedStep& s) {
  if (s.n == 0 || s.units == 0) return;
  const float* a = s.h;
  int64_t lda = s.ld;
  if constexpr (F == Fmt::kBf16Pairs) {
    if (!s.zero_state) a = to_bf16_pairs<F>(s.h, s.ld, s.n, s.ld, &lda);
  }
  int64_t r = 0;
  for (; r + 6 <= s.n; r += 6) fused_rows<F, kG, 6, 1>(s, a, lda, r);
  switch (s.n - r) {  // fewer rows: more blocks at once hide the FMA latency
    case 5: fused_rows<F, kG, 5, 1>(s, a, lda, r); break;
    case 4: fused_rows<F, kG, 4, 1>(s, a, lda, r); break;
    case 3: fused_rows<F, kG, 3, 2>(s, a, lda, r); break;
    case 2: fused_rows<F, kG, 2, 2>(s, a, lda, r); break;
    case 1: fused_rows<F, kG, 1, 2>(s, a, lda, r); break;
    default: break;
  }
  switch ((kG * (s.units % kFusedBlockUnits) + kW - 1) / kW) {
    case 1: fused_tail<F, kG, 1>(s, a, lda); break;
    case 2: fused_tail<F, kG, 2>(s, a, lda); break;
    case 3: fused_tail<F, kG, 3>(s, a, lda); break;
    case 4: fused_tail<F, kG, 4>(s, a, lda); break;
    default: break;
  }
}

// LSTM (s.gates == 4) or GRU (3) in format F.
template <Fmt F>
QUIVER_AVX512 void fused_step_of(const FusedStep& s) {
  if (s.gates == 4) {
    fused_step<F, 4>(s);
  } else {
    fused_step<F, 3>(s);
  }
}

}  // namespace
}  // namespace quiver::nn::simd

#endif  // QUIVER_NN_SIMD_AVX512_KERNELS_H_
