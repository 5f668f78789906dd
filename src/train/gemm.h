// Small dense matrix products for training (no BLAS allowed): C (+)= op(A) · op(B).
//
// Determinism: every element of C is accumulated in the same order (k ascending, in fixed
// blocks of kGemmKc) whatever the matrix sizes, the caller's thread or the CPU: the float
// kernels use fused multiply-add on every path (AVX-512, AVX2 or scalar std::fma), so the
// results are bit-identical across machines and thread counts.
// Thread-safety: the functions are re-entrant (packing scratch is thread_local).
#ifndef QUIVER_TRAIN_GEMM_H_
#define QUIVER_TRAIN_GEMM_H_

#include <cstdint>
#include <vector>

namespace quiver::train {

inline constexpr int kGemmMr = 8;    // rows per micro-tile
inline constexpr int kGemmNr = 32;   // columns per micro-tile (two AVX-512 vectors)
inline constexpr int kGemmKc = 256;  // depth block

// A row-major matrix view with an optional transpose: element (i, j) of op(M) is
// data[i * ld + j] (trans = false) or data[j * ld + i] (trans = true).
template <typename T>
struct MatView {
  const T* data;
  int64_t ld;
  bool trans = false;
  T at(int64_t i, int64_t j) const { return trans ? data[j * ld + i] : data[i * ld + j]; }
};

// B packed once into kc x kGemmNr panels, for reuse across many products (an RNN's
// recurrent kernel is packed once per batch and used at every time step).
struct PackedB {
  int64_t k = 0, n = 0;
  std::vector<float> panels;
};
void pack_b(MatView<float> b, int64_t k, int64_t n, PackedB* out);

// C[m x n] (row stride ldc) = (accumulate ? C : 0) + op(A)[m x k] · op(B)[k x n].
void gemm(int64_t m, int64_t n, int64_t k, MatView<float> a, MatView<float> b, float* c,
          int64_t ldc, bool accumulate);
void gemm(int64_t m, int64_t n, int64_t k, MatView<float> a, const PackedB& b, float* c,
          int64_t ldc, bool accumulate);
// The double version (used by the finite-difference gradient checks) is a plain loop.
void gemm(int64_t m, int64_t n, int64_t k, MatView<double> a, MatView<double> b, double* c,
          int64_t ldc, bool accumulate);

// Same contract for the layer templates: T = float uses the packed kernels.
template <typename T>
struct RecurrentKernel;  // packed weights per scalar type, defined below
template <>
struct RecurrentKernel<float> {
  PackedB packed;
  void pack(MatView<float> b, int64_t k, int64_t n) { pack_b(b, k, n, &packed); }
  void apply(int64_t m, MatView<float> a, float* c, int64_t ldc, bool acc) const {
    gemm(m, packed.n, packed.k, a, packed, c, ldc, acc);
  }
};
template <>
struct RecurrentKernel<double> {
  MatView<double> view{nullptr, 0};
  int64_t k = 0, n = 0;
  void pack(MatView<double> b, int64_t kk, int64_t nn) { view = b; k = kk; n = nn; }
  void apply(int64_t m, MatView<double> a, double* c, int64_t ldc, bool acc) const {
    gemm(m, n, k, a, view, c, ldc, acc);
  }
};

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_GEMM_H_
