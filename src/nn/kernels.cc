// Panel GEMM. See kernels.h for the fixed-reduction-order contract.
#include "nn/kernels.h"

#include <cstring>

namespace quiver::nn {
namespace {

constexpr int64_t kW = PackedMatrix::kPanelWidth;

// `rows` rows of c (≤ 4) against one panel. Accumulators live in registers; the k loop is
// outermost so each element sees its products in k order.
template <int kRows>
void panel_kernel(const float* a, int64_t lda, const float* panel, int64_t k, float* c,
                  int64_t ldc, int64_t width) {
  float acc[kRows][kW];
  for (int r = 0; r < kRows; ++r) {
    for (int64_t j = 0; j < kW; ++j) acc[r][j] = j < width ? c[r * ldc + j] : 0.0f;
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const float* b = panel + kk * kW;
    for (int r = 0; r < kRows; ++r) {
      const float av = a[r * lda + kk];
      for (int64_t j = 0; j < kW; ++j) acc[r][j] += av * b[j];
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int64_t j = 0; j < width; ++j) c[r * ldc + j] = acc[r][j];
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
    case 3: rows_kernel<3>(a + r * lda, lda, b, c + r * ldc, ldc); break;
    case 2: rows_kernel<2>(a + r * lda, lda, b, c + r * ldc, ldc); break;
    case 1: rows_kernel<1>(a + r * lda, lda, b, c + r * ldc, ldc); break;
    default: break;
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
