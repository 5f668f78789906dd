// Matrix kernels shared by Dense, Conv1D and the recurrent layers.
//
// Isolation promise (issue 2/5): every output element is computed by the same sequence of
// float operations whatever the number of rows in the call, the row's position, or the
// thread that runs it. gemm_accumulate therefore accumulates c + a[0]*b[0] + a[1]*b[1] + ...
// strictly in k order for every element; rows are only grouped to reuse loaded weights, and
// SIMD runs across output columns, never across k. Results of a row are bit-identical for
// any batch size and thread count.
#ifndef QUIVER_NN_KERNELS_H_
#define QUIVER_NN_KERNELS_H_

#include <cstdint>
#include <vector>

namespace quiver::nn {

// A k × n matrix stored as column panels of kPanelWidth: panel p holds columns
// [p*kPanelWidth, (p+1)*kPanelWidth) for every k row, contiguously (zero padded), so a
// kernel streams one panel linearly while its accumulators stay in registers.
class PackedMatrix {
 public:
  static constexpr int64_t kPanelWidth = 16;

  PackedMatrix() = default;
  // From a row-major k × n matrix.
  PackedMatrix(const float* values, int64_t k, int64_t n);

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  int64_t panels() const { return (n_ + kPanelWidth - 1) / kPanelWidth; }
  const float* panel(int64_t p) const { return data_.data() + p * k_ * kPanelWidth; }
  int64_t memory_bytes() const { return static_cast<int64_t>(data_.size() * sizeof(float)); }

 private:
  int64_t k_ = 0;
  int64_t n_ = 0;
  std::vector<float> data_;
};

// c[r][j] += sum_k a[r][k] * b[k][j] for r < m, j < b.n(); a has row stride lda, c ldc.
void gemm_accumulate(const float* a, int64_t lda, int64_t m, const PackedMatrix& b, float* c,
                     int64_t ldc);

// Fills m rows of c (stride ldc) with `bias` (n values), or zeros when bias is empty.
void fill_rows(const std::vector<float>& bias, int64_t n, int64_t m, float* c, int64_t ldc);

// Runs fn(begin, end) over [0, count) split into at most `threads` contiguous chunks, on
// new threads (the calling thread runs the first chunk). Chunks never split a row.
template <typename Fn>
void parallel_rows(int64_t count, int threads, Fn&& fn);

}  // namespace quiver::nn

#include "nn/kernels_inl.h"

#endif  // QUIVER_NN_KERNELS_H_
