// Panel GEMM. See kernels.h for the fixed-reduction-order contract.
#include "nn/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sys/mman.h>

#include "nn/simd.h"

namespace quiver::nn {
namespace {

constexpr int64_t kW = PackedMatrix::kPanelWidth;

// Four floats in one SIMD register (GCC/Clang vector extension; SSE2 on baseline x86-64).
typedef float V4 __attribute__((vector_size(16)));
constexpr int kVecs = kW / 4;

inline V4 load4(const float* p) {
  V4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Row kk of a panel as floats, for each element format.
struct Fp32Panel {
  const float* p;
  void row(int64_t kk, float* out) const { std::memcpy(out, p + kk * kW, kW * sizeof(float)); }
};
// Row layout only: the pair layout is used only where AVX512_BF16 kernels run.
struct Bf16Panel {
  const uint16_t* p;
  void row(int64_t kk, float* out) const {
    for (int64_t j = 0; j < kW; ++j) out[j] = bf16_to_float(p[kk * kW + j]);
  }
};
struct Int8Panel {
  const int8_t* p;
  void row(int64_t kk, float* out) const {
    for (int64_t j = 0; j < kW; ++j) out[j] = static_cast<float>(p[kk * kW + j]);
  }
};

// `rows` rows of c (≤ 4) against one panel. The accumulators stay in registers; the k loop
// is outermost so each element sees its products in k order (a separate multiply and add,
// never fused: the build has no FMA contraction), whatever kRows is. With `scale` (int8
// panels) the sum starts at 0 and c += scale_j * sum.
template <int kRows, typename Panel>
void panel_kernel(const float* a, int64_t lda, Panel panel, const float* scale, int64_t k,
                  float* c, int64_t ldc, int64_t width) {
  V4 acc[kRows][kVecs];
  for (int r = 0; r < kRows; ++r) {
    float init[kW] = {};
    for (int64_t j = 0; j < width && scale == nullptr; ++j) init[j] = c[r * ldc + j];
    for (int v = 0; v < kVecs; ++v) acc[r][v] = load4(init + 4 * v);
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    float b[kW];
    panel.row(kk, b);
    V4 bv[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) bv[v] = load4(b + 4 * v);
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const float av = a[r * lda + kk];
      const V4 a4 = {av, av, av, av};
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) acc[r][v] += a4 * bv[v];
    }
  }
  for (int r = 0; r < kRows; ++r) {
    float out[kW];
    std::memcpy(out, acc[r], sizeof(out));
    for (int64_t j = 0; j < width; ++j) {
      c[r * ldc + j] = scale ? c[r * ldc + j] + scale[j] * out[j] : out[j];
    }
  }
}

template <int kRows>
void rows_kernel(const float* a, int64_t lda, const PackedMatrix& b, float* c, int64_t ldc) {
  for (int64_t p = 0; p < b.panels(); ++p) {
    const int64_t width = std::min(kW, b.n() - p * kW);
    float* cp = c + p * kW;
    switch (b.format()) {
      case WeightMode::kFp32:
        panel_kernel<kRows>(a, lda, Fp32Panel{b.panel(p)}, nullptr, b.k(), cp, ldc, width);
        break;
      case WeightMode::kBf16:
        panel_kernel<kRows>(a, lda, Bf16Panel{b.panel_bf16(p)}, nullptr, b.k(), cp, ldc, width);
        break;
      case WeightMode::kInt8:
        panel_kernel<kRows>(a, lda, Int8Panel{b.panel_int8(p)}, b.scales() + p * kW, b.k(), cp,
                            ldc, width);
        break;
    }
  }
}

}  // namespace

uint16_t to_bf16(float f) {  // round to nearest even; NaN stays a quiet NaN
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

PackedMatrix::PackedMatrix(const float* values, int64_t k, int64_t n, WeightMode format,
                           PanelLayout layout)
    : k_(k), n_(n), format_(format) {
  pairs_ = (format == WeightMode::kBf16 &&
            (layout == PanelLayout::kPairs ||
             (layout == PanelLayout::kAuto && simd_level() == SimdLevel::kAvx512Bf16))) ||
           (format == WeightMode::kInt8 && layout == PanelLayout::kPairs);
  const size_t size = static_cast<size_t>(panels() * panel_stride());
  if (format == WeightMode::kInt8) {
    scales_.assign(static_cast<size_t>(panels() * kW), 0.0f);
    for (int64_t j = 0; j < n; ++j) {
      float m = 0.0f;
      for (int64_t kk = 0; kk < k; ++kk) m = std::max(m, std::fabs(values[kk * n + j]));
      scales_[j] = m / 127.0f;
    }
    int8_.assign(size, 0);
    if (pairs_) {
      const int64_t limit = (int64_t{1} << 31) - 1;
      activation_scale_ =
          static_cast<int32_t>(std::min<int64_t>(32767, limit / (127 * k_stored())));
      dequant_.resize(scales_.size());
      for (size_t j = 0; j < scales_.size(); ++j) dequant_[j] = scales_[j] / activation_scale_;
    }
  } else if (format == WeightMode::kBf16) {
    bf16_.assign(size, 0);
  } else {
    data_.assign(size, 0.0f);
  }
  for (int64_t p = 0; p < panels(); ++p) {
    const int64_t base = p * panel_stride();
    for (int64_t kk = 0; kk < k; ++kk) {
      for (int64_t j = 0; j < kW && p * kW + j < n; ++j) {
        const float v = values[kk * n + p * kW + j];
        const size_t at = static_cast<size_t>(base + offset_in_panel(kk, j));
        if (format == WeightMode::kFp32) {
          data_[at] = v;
        } else if (format == WeightMode::kBf16) {
          bf16_[at] = to_bf16(v);
        } else {
          const float s = scales_[static_cast<size_t>(p * kW + j)];
          const float q = s > 0.0f ? std::nearbyint(v / s) : 0.0f;
          int8_[at] = static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
        }
      }
    }
  }
}

TableBuffer::TableBuffer(size_t floats) : size_(floats) {
  if (floats == 0) return;
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t bytes = floats * sizeof(float);
  void* p = std::aligned_alloc(kHuge, (bytes + kHuge - 1) / kHuge * kHuge);
  if (p == nullptr) throw std::bad_alloc();
  data_.reset(static_cast<float*>(p));
#ifdef MADV_HUGEPAGE
  // Advice only: without THP (or in "never" mode) the pages are ordinary ones.
  if (bytes >= kHuge) madvise(p, bytes / kHuge * kHuge, MADV_HUGEPAGE);
#endif
}

void TableBuffer::Free::operator()(float* p) const { std::free(p); }

int64_t PackedMatrix::memory_bytes() const {
  return static_cast<int64_t>(data_.size() * sizeof(float) + bf16_.size() * sizeof(uint16_t) +
                              int8_.size() + (scales_.size() + dequant_.size()) * sizeof(float));
}

void gemm_accumulate(const float* a, int64_t lda, int64_t m, const PackedMatrix& b, float* c,
                     int64_t ldc) {
  // One kernel per machine for every caller (table precompute, projections, recurrence,
  // Dense, Conv1D), so the table path and the per-step path still give the same bits.
  switch (simd_level()) {
    case SimdLevel::kAvx512:
    case SimdLevel::kAvx512Bf16:
      simd::gemm_accumulate_avx512(a, lda, m, b, c, ldc);
      return;
    case SimdLevel::kAvx2:
      simd::gemm_accumulate_avx2(a, lda, m, b, c, ldc);
      return;
    case SimdLevel::kPlain:
      break;
  }
  int64_t r = 0;
  for (; r + 4 <= m; r += 4) rows_kernel<4>(a + r * lda, lda, b, c + r * ldc, ldc);
  switch (m - r) {
    case 3:
      rows_kernel<3>(a + r * lda, lda, b, c + r * ldc, ldc);
      break;
    case 2:
      rows_kernel<2>(a + r * lda, lda, b, c + r * ldc, ldc);
      break;
    case 1:
      rows_kernel<1>(a + r * lda, lda, b, c + r * ldc, ldc);
      break;
    default:
      break;
  }
}

void quantize_activations(const float* x, int64_t ldx, int64_t m, const PackedMatrix& b,
                          int16_t* q, int64_t ldq) {
  if (simd_level() >= SimdLevel::kAvx2) {
    simd::quantize_activations_avx2(x, ldx, m, b, q, ldq);
  } else {
    simd::quantize_activations_plain(x, ldx, m, b, q, ldq);
  }
}

void gemm_accumulate_int8(const int16_t* q, int64_t ldq, int64_t m, const PackedMatrix& b,
                          float* c, int64_t ldc) {
  if (simd_level() >= SimdLevel::kAvx2) {
    simd::gemm_accumulate_int8_avx2(q, ldq, m, b, c, ldc);
  } else {
    simd::gemm_accumulate_int8_plain(q, ldq, m, b, c, ldc);
  }
}

namespace simd {

void quantize_activations_plain(const float* x, int64_t ldx, int64_t m, const PackedMatrix& b,
                                int16_t* q, int64_t ldq) {
  const float s = static_cast<float>(b.activation_scale());
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t kk = 0; kk < b.k_stored(); ++kk) {
      // The AVX2 kernel's arithmetic: max(x, -1) (NaN gives -1, as VMAXPS), min(·, 1), times
      // S, rounded to nearest even.
      float v = kk < b.k() ? x[r * ldx + kk] : 0.0f;
      v = v > -1.0f ? v : -1.0f;
      v = v < 1.0f ? v : 1.0f;
      q[r * ldq + kk] = static_cast<int16_t>(std::nearbyint(v * s));
    }
  }
}

void gemm_accumulate_int8_plain(const int16_t* q, int64_t ldq, int64_t m, const PackedMatrix& b,
                                float* c, int64_t ldc) {
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t p = 0; p < b.panels(); ++p) {
      const int8_t* panel = b.panel_int8(p);
      for (int64_t j = 0; j < kW && p * kW + j < b.n(); ++j) {
        int32_t sum = 0;
        for (int64_t kk = 0; kk < b.k_stored(); ++kk) {
          sum += int32_t{q[r * ldq + kk]} * panel[b.offset_in_panel(kk, j)];
        }
        float& out = c[r * ldc + p * kW + j];
        out = std::fma(static_cast<float>(sum), b.dequant()[p * kW + j], out);
      }
    }
  }
}

}  // namespace simd

void fill_rows(const std::vector<float>& bias, int64_t n, int64_t m, float* c, int64_t ldc) {
  for (int64_t r = 0; r < m; ++r) {
    if (bias.empty()) {
      std::memset(c + r * ldc, 0, static_cast<size_t>(n) * sizeof(float));
    } else {
      std::memcpy(c + r * ldc, bias.data(), static_cast<size_t>(n) * sizeof(float));
    }
  }
}

}  // namespace quiver::nn
