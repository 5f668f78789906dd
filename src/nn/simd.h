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

// kAvx512: AVX-512F and DQ. kAvx512Bf16: plus AVX512_BF16 dot products, which the bf16
// weight mode uses.
enum class SimdLevel { kPlain, kAvx2, kAvx512, kAvx512Bf16 };

// The best level this CPU supports (cpuid, cached by the compiler runtime), capped by the
// QUIVER_SIMD environment variable ("plain", "avx2", "avx512", "avx512bf16") read once per
// process.
SimdLevel simd_level();

namespace simd {

// gemm_accumulate (kernels.h) for AVX2+FMA and AVX-512F CPUs.
void gemm_accumulate_avx2(const float* a, int64_t lda, int64_t m, const PackedMatrix& b,
                          float* c, int64_t ldc);
void gemm_accumulate_avx512(const float* a, int64_t lda, int64_t m, const PackedMatrix& b,
                            float* c, int64_t ldc);
// quantize_activations and gemm_accumulate_int8 (kernels.h), plain C++ and AVX2: int16 pairs of the
// activations times sign-extended int8 pairs of b with vpmaddwd, summed in int32 (exact), and
// the plain path's one fma per element to dequantize: the same bits as the plain path.
void quantize_activations_plain(const float* x, int64_t ldx, int64_t m, const PackedMatrix& b,
                                int16_t* q, int64_t ldq);
void gemm_accumulate_int8_plain(const int16_t* q, int64_t ldq, int64_t m, const PackedMatrix& b,
                                float* c, int64_t ldc);
void quantize_activations_avx2(const float* x, int64_t ldx, int64_t m, const PackedMatrix& b,
                               int16_t* q, int64_t ldq);
void gemm_accumulate_int8_avx2(const int16_t* q, int64_t ldq, int64_t m, const PackedMatrix& b,
                               float* c, int64_t ldc);

// One LSTM or GRU (reset_after) time step of one unit slice with the gate product and the
// cell fused: each tile's gate pre-activations stay in registers and go straight into the
// cell (no gate buffer). The slice's gate columns are in block layout: consecutive blocks of
// min(kFusedBlockUnits, units left) units, each [i f c o] (LSTM) or [z r h] (GRU) over its w
// units (G·w columns; full blocks are G whole panels). Each pre-activation is the one FMA
// chain of gemm_accumulate_avx512 — LSTM: x·W + b + h0·U0 + h1·U1 + ...; GRU: recurrent bias
// + h·U, to which the cell adds x·W + b — and the cell is lstm_cell_avx512's /
// gru_cell_avx512's arithmetic, so a row's bits do not depend on the rows beside it.
constexpr int64_t kFusedBlockUnits = 16;
struct FusedStep {
  int gates;                      // 4: LSTM, 3: GRU with reset_after
  const float* const* init;       // [n]: row r's x·W + b, all gate columns (layer layout)
  int64_t col0;                   // the slice's first gate column in init's rows
  const float* recurrent_bias;    // GRU: the layer's recurrent bias (layer layout); LSTM: unused
  const float* h;                 // [n rows, stride ld]: the previous state, all units
  int64_t ld;                     // row stride of h, c, h_prev and h_next (the layer's units)
  const PackedMatrix* recurrent;  // the slice's U: k = ld, G * units columns, block layout
  int64_t units;                  // the slice's units
  float* c;                       // LSTM: cell state at the slice's first unit (updated)
  const float* h_prev;            // h at the slice's first unit (carried by masked rows)
  float* h_next;                  // new state at the slice's first unit (never aliases h)
  const uint8_t* live;            // [n]: 0 = masked step, the row keeps h (and c)
  int64_t n;                      // rows
  bool zero_state;                // h is all zeros (the first step): h·U is skipped, as
                                  // every product in it is ±0 and leaves the chain's start
};
void fused_step_avx512(const FusedStep& s);

// The bf16 pair-layout kernels (AVX512_BF16; PackedMatrix::bf16_pairs()): gemm_accumulate
// and fused_step with a rounded to bf16. The avx512 entry points forward pair-layout matrices
// here; callers must check simd_level() == kAvx512Bf16 first.
void gemm_accumulate_avx512bf16(const float* a, int64_t lda, int64_t m, const PackedMatrix& b,
                                float* c, int64_t ldc);
void fused_step_avx512bf16(const FusedStep& s);

// The fused LSTM cell with sigmoid gates and tanh activations (Keras i, f, c, o blocks) for
// one row: g [4u] pre-activations (overwritten), c [u] cell state, h [u] output state.
void lstm_cell_avx512(float* g, float* c, float* h, int64_t u);
// The GRU reset_after=True cell (Keras z, r, h blocks) for one row: xp [3u] input
// projection, rec [3u] h·U + recurrent bias, h [u] state (updated).
void gru_cell_avx512(const float* xp, const float* rec, float* h, int64_t u);

// The AVX-512 cells' sigmoid and tanh (gate_math.h) over n floats, as each kernel file
// compiles them (tests/nn/gate_math_test.cc checks every float through them).
void sigmoid_avx512(const float* x, float* y, int64_t n);
// The same gate_math.h algorithm on AVX2+FMA (gate_math_avx2.h; the reciprocal is a
// division): the recurrent cells' sigmoid and tanh at the avx2 level and on AVX-512 CPUs
// outside the fused step. x and y may be the same array.
void sigmoid_avx2(const float* x, float* y, int64_t n);
void tanh_avx2(const float* x, float* y, int64_t n);
void tanh_avx512(const float* x, float* y, int64_t n);
void sigmoid_avx512bf16(const float* x, float* y, int64_t n);
void tanh_avx512bf16(const float* x, float* y, int64_t n);

}  // namespace simd
}  // namespace quiver::nn

#endif  // QUIVER_NN_SIMD_H_
