// Google Benchmark micro-benchmarks of the nn kernels at the reference model's shapes
// (issue 5: Embedding(2000, 128) -> LSTM(196) / GRU(196), T = 40).
//   build-perf/bench/kernels_bench [--benchmark_filter=Gemm]
// Counters: flops (FMA = 2 flops) per second, rows (sentences) per second for whole layers,
// bytes per second for BM_StreamRead (the cache bandwidth that bounds batch 1).
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <random>
#include <vector>

#include "nn/activation.h"
#include "nn/kernels.h"
#include "nn/recurrent.h"
#include "nn/simd.h"
#include "nn/value.h"

namespace quiver::nn {
namespace {

constexpr int64_t kEmbed = 128, kUnits = 196, kSeqLen = 40;

std::vector<float> random_floats(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// c[m × n] += a[m × k] · B[k × n] through gemm_accumulate (B in `format`), with a flops
// counter. int8 pair panels (the int8 weight mode's recurrent kernels, issue 19) time the
// whole integer product: quantize a, then gemm_accumulate_int8.
void run_gemm(benchmark::State& state, int64_t m, int64_t k, int64_t n,
              WeightMode format = WeightMode::kFp32, PanelLayout layout = PanelLayout::kAuto) {
  PackedMatrix b(random_floats(static_cast<size_t>(k * n), 0.1f, 1).data(), k, n, format, layout);
  std::vector<float> a = random_floats(static_cast<size_t>(m * k), 1.0f, 2);
  std::vector<float> c(static_cast<size_t>(m * n), 0.0f);
  std::vector<int16_t> q(static_cast<size_t>(m * b.k_stored()));
  for (auto _ : state) {
    if (b.int8_pairs()) {
      quantize_activations(a.data(), k, m, b, q.data(), b.k_stored());
      gemm_accumulate_int8(q.data(), b.k_stored(), m, b, c.data(), n);
    } else {
      gemm_accumulate(a.data(), k, m, b, c.data(), n);
    }
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["flops"] = benchmark::Counter(static_cast<double>(2 * m * k * n),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// The recurrent product of one time step: h[m × u] · U[u × 4u] accumulated into gates.
void BM_GemmRecurrentLstm(benchmark::State& state) {
  run_gemm(state, state.range(0), kUnits, 4 * kUnits);
}
BENCHMARK(BM_GemmRecurrentLstm)->Arg(1)->Arg(2)->Arg(4)->Arg(16)->Arg(64)->Arg(256);
void BM_GemmRecurrentLstmBf16(benchmark::State& state) {
  run_gemm(state, state.range(0), kUnits, 4 * kUnits, WeightMode::kBf16);
}
BENCHMARK(BM_GemmRecurrentLstmBf16)->Arg(1)->Arg(256);
// int8 storage, float products (rows layout: the int8 mode's input kernel).
void BM_GemmRecurrentLstmInt8Float(benchmark::State& state) {
  run_gemm(state, state.range(0), kUnits, 4 * kUnits, WeightMode::kInt8);
}
BENCHMARK(BM_GemmRecurrentLstmInt8Float)->Arg(1)->Arg(256);
// int8 storage, integer products of the quantized state (the int8 mode's recurrent kernels).
void BM_GemmRecurrentLstmInt8(benchmark::State& state) {
  run_gemm(state, state.range(0), kUnits, 4 * kUnits, WeightMode::kInt8, PanelLayout::kPairs);
}
BENCHMARK(BM_GemmRecurrentLstmInt8)->Arg(1)->Arg(4)->Arg(256);

// The input projection of a dense (non-table) input: x[m × 128] · W[128 × 4u].
void BM_GemmInputProjection(benchmark::State& state) {
  run_gemm(state, state.range(0), kEmbed, 4 * kUnits);
}
BENCHMARK(BM_GemmInputProjection)->Arg(1)->Arg(256);

// The gate nonlinearities of one step (sigmoid on 3u, tanh on 2u per row).
void BM_LstmGateActivations(benchmark::State& state) {
  const int64_t m = state.range(0);
  std::vector<float> g = random_floats(static_cast<size_t>(m * 5 * kUnits), 4.0f, 5);
  std::vector<float> work(g.size());
  const Activation sigmoid{ActivationKind::kSigmoid}, tanh{ActivationKind::kTanh};
  for (auto _ : state) {
    work = g;
    apply_elementwise(sigmoid, work.data(), m * 3 * kUnits);
    apply_elementwise(tanh, work.data() + m * 3 * kUnits, m * 2 * kUnits);
    benchmark::DoNotOptimize(work.data());
  }
  state.counters["rows"] = benchmark::Counter(static_cast<double>(m),
                                              benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_LstmGateActivations)->Arg(1)->Arg(256);

// The same through the recurrent cells' AVX2 gate math (simd_avx2.cc).
void BM_LstmGateActivationsAvx2(benchmark::State& state) {
  const int64_t m = state.range(0);
  std::vector<float> g = random_floats(static_cast<size_t>(m * 5 * kUnits), 4.0f, 5);
  std::vector<float> work(g.size());
  for (auto _ : state) {
    work = g;
    simd::sigmoid_avx2(work.data(), work.data(), m * 3 * kUnits);
    simd::tanh_avx2(work.data() + m * 3 * kUnits, work.data() + m * 3 * kUnits, m * 2 * kUnits);
    benchmark::DoNotOptimize(work.data());
  }
  state.counters["rows"] = benchmark::Counter(static_cast<double>(m),
                                              benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_LstmGateActivationsAvx2)->Arg(1)->Arg(256);

// Sums `bytes` of floats with AVX-512 loads (8 independent accumulators), `reps` times: the
// read bandwidth of the cache level that holds them. At batch 1 each step of one direction
// streams its recurrent weights (615 KB for the reference model, 308 KB per unit slice) once.
__attribute__((target("avx512f"))) float stream_read(const float* p, size_t n, int reps) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (int r = 0; r < reps; ++r) {
    for (size_t i = 0; i < n; i += 128) {
      a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
      a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + 16));
      a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 32));
      a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 48));
      a4 = _mm512_add_ps(a4, _mm512_loadu_ps(p + i + 64));
      a5 = _mm512_add_ps(a5, _mm512_loadu_ps(p + i + 80));
      a6 = _mm512_add_ps(a6, _mm512_loadu_ps(p + i + 96));
      a7 = _mm512_add_ps(a7, _mm512_loadu_ps(p + i + 112));
    }
  }
  const __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                   _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  float total = 0.0f;
  for (float v : lanes) total += v;
  return total;
}

// The same with AVX2 loads (8 accumulators of 8 floats) for CPUs without AVX-512.
__attribute__((target("avx2"))) float stream_read_avx2(const float* p, size_t n, int reps) {
  __m256 a[8];
  for (__m256& v : a) v = _mm256_setzero_ps();
  for (int r = 0; r < reps; ++r) {
    for (size_t i = 0; i < n; i += 64) {
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) a[j] = _mm256_add_ps(a[j], _mm256_loadu_ps(p + i + 8 * j));
    }
  }
  float lanes[8], total = 0.0f;
  for (const __m256& v : a) {
    _mm256_storeu_ps(lanes, v);
    for (float x : lanes) total += x;
  }
  return total;
}

// arg: working set in KiB (rounded down to 512 bytes). AVX-512 loads where the CPU has them.
void BM_StreamRead(benchmark::State& state) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const size_t n = static_cast<size_t>(state.range(0)) * 1024 / 4 / 128 * 128;
  std::vector<float> data = random_floats(n, 1.0f, 11);
  for (auto _ : state) {
    benchmark::DoNotOptimize(avx512 ? stream_read(data.data(), n, 16)
                                    : stream_read_avx2(data.data(), n, 16));
  }
  state.counters["bytes"] = benchmark::Counter(static_cast<double>(n * 4 * 16),
                                               benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_StreamRead)->Arg(24)->Arg(308)->Arg(615)->Arg(1230)->Arg(8192);

RecurrentSpec reference_spec(CellKind kind) {
  RecurrentSpec s;
  s.kind = kind;
  s.input_dim = kEmbed;
  s.units = kUnits;
  s.reset_after = kind == CellKind::kGru;
  s.activation = Activation{ActivationKind::kTanh};
  s.recurrent_activation = Activation{ActivationKind::kSigmoid};
  const int64_t gu = s.gates() * kUnits;
  s.kernel = random_floats(static_cast<size_t>(kEmbed * gu), 0.15f, 6);
  s.recurrent_kernel = random_floats(static_cast<size_t>(kUnits * gu), 0.1f, 7);
  s.input_bias = random_floats(static_cast<size_t>(gu), 0.3f, 8);
  s.recurrent_bias = kind == CellKind::kGru ? random_floats(static_cast<size_t>(gu), 0.3f, 9)
                                            : std::vector<float>(static_cast<size_t>(gu), 0.0f);
  return s;
}

// One direction of a recurrent layer over T = 40 steps on a dense [B, T, 128] input
// (args: batch, threads; kind 0 = LSTM, 1 = GRU reset_after).
void BM_RecurrentLayer(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  RecurrentCore core(reference_spec(state.range(2) == 0 ? CellKind::kLstm : CellKind::kGru));
  Tensor x;
  x.shape = {batch, kSeqLen, kEmbed};
  x.data = random_floats(static_cast<size_t>(batch * kSeqLen * kEmbed), 1.0f, 10);
  Value v = make_value(std::move(x));
  RecurrentResult out;
  for (auto _ : state) {
    core.run(v, false, threads, &out);
    benchmark::DoNotOptimize(out.output.data.data());
  }
  state.counters["rows"] = benchmark::Counter(static_cast<double>(batch),
                                              benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_RecurrentLayer)
    ->ArgNames({"batch", "threads", "gru"})
    ->Args({1, 1, 0})->Args({256, 1, 0})->Args({256, 2, 0})->Args({1, 1, 1})->Args({256, 1, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace quiver::nn

BENCHMARK_MAIN();
