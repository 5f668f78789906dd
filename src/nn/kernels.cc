// Panel GEMM. See kernels.h for the fixed-reduction-order contract.
#include "nn/kernels.h"

#include <algorithm>
#include <cstring>

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

// `rows` rows of c (≤ 4) against one panel. The accumulators stay in registers; the k loop
// is outermost so each element sees its products in k order (a separate multiply and add,
// never fused: the build has no FMA contraction), whatever kRows is.
template <int kRows>
void panel_kernel(const float* a, int64_t lda, const float* panel, int64_t k, float* c, int64_t ldc,
                  int64_t width) {
  V4 acc[kRows][kVecs];
  for (int r = 0; r < kRows; ++r) {
    float init[kW] = {};
    for (int64_t j = 0; j < width; ++j) init[j] = c[r * ldc + j];
    for (int v = 0; v < kVecs; ++v) acc[r][v] = load4(init + 4 * v);
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const float* b = panel + kk * kW;
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
    for (int64_t j = 0; j < width; ++j) c[r * ldc + j] = out[j];
  }
}

template <int kRows>
void rows_kernel(const float* a, int64_t lda, const PackedMatrix& b, float* c, int64_t ldc) {
  for (int64_t p = 0; p < b.panels(); ++p) {
    int64_t width = std::min(kW, b.n() - p * kW);
    panel_kernel<kRows>(a, lda, b.panel(p), b.k(), c + p * kW, ldc, width);
  }
}

}  // namespace

PackedMatrix::PackedMatrix(const float* values, int64_t k, int64_t n) : k_(k), n_(n) {
  data_.assign(static_cast<size_t>(panels() * k * kW), 0.0f);
  for (int64_t p = 0; p < panels(); ++p) {
    float* dst = data_.data() + p * k * kW;
    for (int64_t kk = 0; kk < k; ++kk) {
      for (int64_t j = 0; j < kW && p * kW + j < n; ++j) {
        dst[kk * kW + j] = values[kk * n + p * kW + j];
      }
    }
  }
}

void gemm_accumulate(const float* a, int64_t lda, int64_t m, const PackedMatrix& b, float* c,
                     int64_t ldc) {
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
