// CPU-specific kernels behind runtime dispatch (issue 5). Each function has the contract of
// its plain counterpart in kernels.h / recurrent.cc and keeps the fixed reduction order:
// every output element is one FMA chain over k in order, so a row's bits do not depend on
// the batch it is in or the thread that runs it (they may differ from the plain path's
// mul+add by rounding: agreement 1e-6, tested in tests/nn/simd_kernels_test.cc).
// Callers must check the matching cpu_has_*() first: calling an AVX-512 function on a CPU
// without AVX-512 is an illegal instruction.
#ifndef QUIVER_NN_SIMD_H_
#define QUIVER_NN_SIMD_H_

#include <cstdint>

namespace quiver::nn {

class PackedMatrix;

enum class SimdLevel { kPlain, kAvx2, kAvx512 };

// The best level this CPU supports (cpuid, cached by the compiler runtime), capped by the
// QUIVER_SIMD environment variable ("plain", "avx2", "avx512") read once per process.
SimdLevel simd_level();

namespace simd {

// gemm_accumulate (kernels.h) for AVX2+FMA and AVX-512F CPUs.
void gemm_accumulate_avx2(const float* a, int64_t lda, int64_t m, const PackedMatrix& b,
                          float* c, int64_t ldc);
void gemm_accumulate_avx512(const float* a, int64_t lda, int64_t m, const PackedMatrix& b,
                            float* c, int64_t ldc);

// The fused LSTM cell with sigmoid gates and tanh activations (Keras i, f, c, o blocks) for
// one row: g [4u] pre-activations (overwritten), c [u] cell state, h [u] output state.
void lstm_cell_avx512(float* g, float* c, float* h, int64_t u);
// The GRU reset_after=True cell (Keras z, r, h blocks) for one row: xp [3u] input
// projection, rec [3u] h·U + recurrent bias, h [u] state (updated).
void gru_cell_avx512(const float* xp, const float* rec, float* h, int64_t u);

}  // namespace simd
}  // namespace quiver::nn

#endif  // QUIVER_NN_SIMD_H_
