// Packed GEMM: B in kc x 32 panels, A in kc x 8 panels, an 8x32 micro-kernel. Each
// micro-tile is summed from zero over one depth block with FMA, then added to C, so the
// order of operations for an element depends only on k (see gemm.h).
#include "train/gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace quiver::train {
namespace {

constexpr int64_t kMc = 128;  // rows of A packed at a time
using Kernel = void (*)(int64_t kc, const float* ap, const float* bp, float* tile);

__attribute__((target("avx512f,fma"))) void kernel_avx512(int64_t kc, const float* ap,
                                                           const float* bp, float* tile) {
  __m512 acc[kGemmMr][2];
#pragma GCC unroll 8
  for (int r = 0; r < kGemmMr; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    __m512 b0 = _mm512_loadu_ps(bp + p * kGemmNr);
    __m512 b1 = _mm512_loadu_ps(bp + p * kGemmNr + 16);
#pragma GCC unroll 8
    for (int r = 0; r < kGemmMr; ++r) {
      __m512 a = _mm512_set1_ps(ap[p * kGemmMr + r]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kGemmMr; ++r) {
    _mm512_storeu_ps(tile + r * kGemmNr, acc[r][0]);
    _mm512_storeu_ps(tile + r * kGemmNr + 16, acc[r][1]);
  }
}

__attribute__((target("avx2,fma"))) void kernel_avx2(int64_t kc, const float* ap,
                                                     const float* bp, float* tile) {
  for (int r0 = 0; r0 < kGemmMr; r0 += 2) {
    __m256 acc[2][4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) acc[0][j] = acc[1][j] = _mm256_setzero_ps();
    for (int64_t p = 0; p < kc; ++p) {
      __m256 a0 = _mm256_set1_ps(ap[p * kGemmMr + r0]);
      __m256 a1 = _mm256_set1_ps(ap[p * kGemmMr + r0 + 1]);
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        __m256 b = _mm256_loadu_ps(bp + p * kGemmNr + 8 * j);
        acc[0][j] = _mm256_fmadd_ps(a0, b, acc[0][j]);
        acc[1][j] = _mm256_fmadd_ps(a1, b, acc[1][j]);
      }
    }
    for (int j = 0; j < 4; ++j) {
      _mm256_storeu_ps(tile + r0 * kGemmNr + 8 * j, acc[0][j]);
      _mm256_storeu_ps(tile + (r0 + 1) * kGemmNr + 8 * j, acc[1][j]);
    }
  }
}

void kernel_scalar(int64_t kc, const float* ap, const float* bp, float* tile) {
  std::fill(tile, tile + kGemmMr * kGemmNr, 0.0f);
  for (int64_t p = 0; p < kc; ++p) {
    for (int r = 0; r < kGemmMr; ++r) {
      float a = ap[p * kGemmMr + r];
      for (int j = 0; j < kGemmNr; ++j) {
        tile[r * kGemmNr + j] = std::fma(a, bp[p * kGemmNr + j], tile[r * kGemmNr + j]);
      }
    }
  }
}

Kernel pick_kernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return kernel_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return kernel_avx2;
  return kernel_scalar;
}

// Rows [i0, i0 + mc) and depth [p0, p0 + kc) of op(A) into kc x 8 panels (zero padded).
void pack_a(MatView<float> a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out) {
  for (int64_t ip = 0; ip < mc; ip += kGemmMr) {
    int64_t mr = std::min<int64_t>(kGemmMr, mc - ip);
    float* panel = out + ip * kc;
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t r = 0; r < kGemmMr; ++r) {
        panel[p * kGemmMr + r] = r < mr ? a.at(i0 + ip + r, p0 + p) : 0.0f;
      }
    }
  }
}

int64_t num_panels(int64_t n) { return (n + kGemmNr - 1) / kGemmNr; }

}  // namespace

void pack_b(MatView<float> b, int64_t k, int64_t n, PackedB* out) {
  out->k = k;
  out->n = n;
  int64_t np = num_panels(n);
  out->panels.resize(static_cast<size_t>(np * kGemmNr * k));
  for (int64_t p0 = 0; p0 < k; p0 += kGemmKc) {
    int64_t kc = std::min<int64_t>(kGemmKc, k - p0);
    float* block = out->panels.data() + p0 * np * kGemmNr;
    for (int64_t jp = 0; jp < np; ++jp) {
      float* panel = block + jp * kc * kGemmNr;
      for (int64_t p = 0; p < kc; ++p) {
        for (int64_t j = 0; j < kGemmNr; ++j) {
          int64_t col = jp * kGemmNr + j;
          panel[p * kGemmNr + j] = col < n ? b.at(p0 + p, col) : 0.0f;
        }
      }
    }
  }
}

void gemm(int64_t m, int64_t n, int64_t k, MatView<float> a, const PackedB& b, float* c,
          int64_t ldc, bool accumulate) {
  static const Kernel kernel = pick_kernel();  // immutable after first use
  thread_local std::vector<float> apack;
  if (k == 0) {
    if (!accumulate) {
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    }
    return;
  }
  int64_t np = num_panels(n);
  alignas(64) float tile[kGemmMr * kGemmNr];
  for (int64_t p0 = 0; p0 < k; p0 += kGemmKc) {
    int64_t kc = std::min<int64_t>(kGemmKc, k - p0);
    bool add = accumulate || p0 > 0;
    const float* block = b.panels.data() + p0 * np * kGemmNr;
    for (int64_t i0 = 0; i0 < m; i0 += kMc) {
      int64_t mc = std::min<int64_t>(kMc, m - i0);
      int64_t mc_padded = (mc + kGemmMr - 1) / kGemmMr * kGemmMr;
      if (apack.size() < static_cast<size_t>(mc_padded * kc)) apack.resize(mc_padded * kc);
      pack_a(a, i0, mc, p0, kc, apack.data());
      for (int64_t jp = 0; jp < np; ++jp) {
        const float* bp = block + jp * kc * kGemmNr;
        int64_t nr = std::min<int64_t>(kGemmNr, n - jp * kGemmNr);
        for (int64_t ip = 0; ip < mc; ip += kGemmMr) {
          kernel(kc, apack.data() + ip * kc, bp, tile);
          int64_t mr = std::min<int64_t>(kGemmMr, mc - ip);
          for (int64_t r = 0; r < mr; ++r) {
            float* crow = c + (i0 + ip + r) * ldc + jp * kGemmNr;
            const float* trow = tile + r * kGemmNr;
            if (add) {
              for (int64_t j = 0; j < nr; ++j) crow[j] += trow[j];
            } else {
              std::memcpy(crow, trow, sizeof(float) * nr);
            }
          }
        }
      }
    }
  }
}

void gemm(int64_t m, int64_t n, int64_t k, MatView<float> a, MatView<float> b, float* c,
          int64_t ldc, bool accumulate) {
  thread_local PackedB bpack;
  pack_b(b, k, n, &bpack);
  gemm(m, n, k, a, bpack, c, ldc, accumulate);
}

void gemm(int64_t m, int64_t n, int64_t k, MatView<double> a, MatView<double> b, double* c,
          int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += a.at(i, p) * b.at(p, j);
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
    }
  }
}

}  // namespace quiver::train
