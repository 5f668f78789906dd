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
#include <memory>
#include <vector>

#include "quiver/model.h"

namespace quiver::nn {

// A k × n matrix stored as column panels of kPanelWidth: panel p holds columns
// [p*kPanelWidth, (p+1)*kPanelWidth) for every k row, contiguously (zero padded), so a
// kernel streams one panel linearly while its accumulators stay in registers.
//
// Element formats (LoadOptions::weights, issue 5): kFp32 keeps the floats; kBf16 keeps the
// upper 16 bits of each float rounded to nearest even; kInt8 keeps round(w / scale_j) in
// [-127, 127] with one symmetric scale per column (scale_j = max_k |w_kj| / 127), and kernels
// compute c + scale_j * sum_k a_k q_kj.
//
// int8 layouts: kRows (kAuto) stores round(w / scale_j) row by row like fp32 and the float
// kernels widen it (c + scale_j * sum_k a_k q_kj, float a). kPairs interleaves rows kk, kk+1
// like bf16 pairs: the operand layout of integer pair dot products (vpmaddwd on AVX2,
// vpdpwssd with VNNI), used by gemm_accumulate_int8 below with a quantized to int16.
//
// bf16 layouts: kRows stores row kk of a panel as 16 contiguous values (kernels widen them
// to float exactly and multiply by float a). kPairs stores rows kk, kk+1 interleaved, value
// (kk, j) at (kk/2 * 16 + j) * 2 + kk % 2 (an odd k gets a zero row), the operand layout of
// AVX512_BF16 dot products: those kernels round a to bf16 too and accumulate in float.
// kAuto is kPairs when simd_level() is kAvx512Bf16, kRows otherwise.
enum class PanelLayout { kAuto, kRows, kPairs };
using Bf16Layout = PanelLayout;

class PackedMatrix {
 public:
  static constexpr int64_t kPanelWidth = 16;

  PackedMatrix() = default;
  // From a row-major k × n matrix.
  PackedMatrix(const float* values, int64_t k, int64_t n, WeightMode format = WeightMode::kFp32,
               PanelLayout layout = PanelLayout::kAuto);

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  WeightMode format() const { return format_; }
  bool bf16_pairs() const { return pairs_ && format_ == WeightMode::kBf16; }
  bool int8_pairs() const { return pairs_ && format_ == WeightMode::kInt8; }
  int64_t panels() const { return (n_ + kPanelWidth - 1) / kPanelWidth; }
  // Rows stored per panel (k, or k rounded up to even for bf16 pairs) and the distance
  // between two panels in elements.
  int64_t k_stored() const { return pairs_ ? (k_ + 1) / 2 * 2 : k_; }
  int64_t panel_stride() const { return k_stored() * kPanelWidth; }
  // Panel p in the matrix's format (float, bf16 bits as uint16_t, or int8_t).
  const float* panel(int64_t p) const { return data_.data() + p * panel_stride(); }
  const uint16_t* panel_bf16(int64_t p) const { return bf16_.data() + p * panel_stride(); }
  const int8_t* panel_int8(int64_t p) const { return int8_.data() + p * panel_stride(); }
  // Where element (kk, col) of a panel is stored, from the panel's start.
  int64_t offset_in_panel(int64_t kk, int64_t col) const {
    return pairs_ ? (kk / 2 * kPanelWidth + col) * 2 + kk % 2 : kk * kPanelWidth + col;
  }
  // kBf16: the stored bits of element (kk, j), whatever the layout.
  uint16_t bf16_at(int64_t kk, int64_t j) const {
    return panel_bf16(j / kPanelWidth)[offset_in_panel(kk, j % kPanelWidth)];
  }
  // kInt8: the column scales, panels() * kPanelWidth values (zero padded).
  const float* scales() const { return scales_.data(); }
  // kInt8 pairs: the fixed scale S of the activations (gemm_accumulate_int8's a = round(x·S)
  // for |x| <= 1), the largest S <= 32767 with k_stored·S·127 < 2^31, so no int32 sum can
  // overflow; and the column dequantization factors scale_j / S (panels() * kPanelWidth).
  int32_t activation_scale() const { return activation_scale_; }
  const float* dequant() const { return dequant_.data(); }
  int64_t memory_bytes() const;

 private:
  int64_t k_ = 0;
  int64_t n_ = 0;
  WeightMode format_ = WeightMode::kFp32;
  bool pairs_ = false;
  int32_t activation_scale_ = 0;
  std::vector<float> data_;
  std::vector<uint16_t> bf16_;
  std::vector<int8_t> int8_;
  std::vector<float> scales_;
  std::vector<float> dequant_;
};

// An uninitialized float array for large read-mostly tables (the token projection tables):
// 2 MiB aligned and, where the kernel allows it (transparent huge pages in "madvise" mode),
// backed by huge pages: a 6 MB table then takes a handful of page faults to fill at load
// instead of ~1,500, and random row reads at predict time miss the TLB less.
class TableBuffer {
 public:
  TableBuffer() = default;
  explicit TableBuffer(size_t floats);
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float[], Free> data_;
  size_t size_ = 0;
};

// f rounded to bfloat16 (nearest even; a NaN stays a quiet NaN): its upper 16 bits.
uint16_t to_bf16(float f);

// The float a bf16 value stands for (exact).
inline float bf16_to_float(uint16_t v) {
  const uint32_t bits = uint32_t{v} << 16;
  float f;
  __builtin_memcpy(&f, &bits, sizeof(f));
  return f;
}

// c[r][j] += sum_k a[r][k] * b[k][j] for r < m, j < b.n(); a has row stride lda, c ldc.
void gemm_accumulate(const float* a, int64_t lda, int64_t m, const PackedMatrix& b, float* c,
                     int64_t ldc);

// The integer recurrent product (issue 19) for an int8 pair-layout b (int8_pairs()):
// quantize_activations writes m rows of round(clamp(x, -1, 1) · S) as int16, S =
// b.activation_scale(), k_stored() values per row (an odd k gets a zero last value), row
// stride ldq; gemm_accumulate_int8 then computes c[r][j] = fma(float(sum_k q_a[r][k] ·
// q_b[k][j]), dequant_j, c[r][j]) with the sum exact in int32 (so the order of the integer
// additions cannot change a bit: every kernel level gives the same result).
void quantize_activations(const float* x, int64_t ldx, int64_t m, const PackedMatrix& b,
                          int16_t* q, int64_t ldq);
void gemm_accumulate_int8(const int16_t* q, int64_t ldq, int64_t m, const PackedMatrix& b,
                          float* c, int64_t ldc);

// Fills m rows of c (stride ldc) with `bias` (n values), or zeros when bias is empty.
void fill_rows(const std::vector<float>& bias, int64_t n, int64_t m, float* c, int64_t ldc);

// Runs fn(begin, end) over [0, count) split into at most `threads` contiguous chunks, on the
// calling thread's WorkerPool (the calling thread runs the first chunk). Chunks never split
// a row.
template <typename Fn>
void parallel_rows(int64_t count, int threads, Fn&& fn);

}  // namespace quiver::nn

#include "nn/kernels_inl.h"

#endif  // QUIVER_NN_KERNELS_H_
