// RecurrentCore: the recurrence loop and the fused cell math (KERAS.md §2.1, §2.2, §2.5).
#include "nn/recurrent.h"

#include <algorithm>
#include <cstring>

#include "nn/embedding.h"
#include "nn/simd.h"

namespace quiver::nn {
namespace {

void copy_floats(float* dst, const float* src, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

// Columns [c0, c0+width) of a row-major k × n matrix, packed.
PackedMatrix pack_columns(const std::vector<float>& m, int64_t k, int64_t n, int64_t c0,
                          int64_t width, WeightMode format) {
  std::vector<float> sub(static_cast<size_t>(k * width));
  for (int64_t r = 0; r < k; ++r) copy_floats(sub.data() + r * width, m.data() + r * n + c0, width);
  return PackedMatrix(sub.data(), k, width, format);
}

}  // namespace

// run_rows' working memory for n rows, carved from a thread-local arena that is reused by
// every later call on the same thread (no allocation per call once it has grown to the
// largest batch seen; never shared between threads, never holding results across calls).
struct RecurrentCore::Scratch {
  Scratch(int64_t n, int64_t u, int64_t gu) {
    thread_local std::vector<float> floats;
    thread_local std::vector<uint8_t> flags;
    const size_t need = static_cast<size_t>(n * (3 * u + 3 * gu));
    if (floats.size() < need) floats.resize(need);
    if (flags.size() < static_cast<size_t>(n)) flags.resize(static_cast<size_t>(n));
    float* p = floats.data();
    for (float** f : {&h, &c, &tmp}) *f = p, p += n * u;
    for (float** f : {&xproj, &gates, &rec}) *f = p, p += n * gu;
    std::fill(h, tmp, 0.0f);  // h and c start at zero
    std::fill(flags.begin(), flags.begin() + n, uint8_t{1});
    live = flags.data();
  }
  float *h, *c, *tmp, *xproj, *gates, *rec;
  uint8_t* live;  // [n]: 1 = the row's current step is not masked
};

RecurrentCore::RecurrentCore(RecurrentSpec spec) : spec_(std::move(spec)) {
  const int64_t u = spec_.units, gu = spec_.gates() * u;
  const WeightMode f = spec_.weights;
  kernel_ = PackedMatrix(spec_.kernel.data(), spec_.input_dim, gu, f);
  if (spec_.kind == CellKind::kGru && !spec_.reset_after) {
    recurrent_zr_ = pack_columns(spec_.recurrent_kernel, u, gu, 0, 2 * u, f);
    recurrent_h_ = pack_columns(spec_.recurrent_kernel, u, gu, 2 * u, u, f);
  } else {
    recurrent_ = PackedMatrix(spec_.recurrent_kernel.data(), u, gu, f);
  }
  // The fused AVX-512 cells cover the Keras defaults (tanh, sigmoid); others take the
  // generic per-activation path.
  fused_cell_ = simd_level() == SimdLevel::kAvx512 &&
                spec_.activation.kind == ActivationKind::kTanh &&
                spec_.recurrent_activation.kind == ActivationKind::kSigmoid &&
                (spec_.kind == CellKind::kLstm || (spec_.kind == CellKind::kGru && spec_.reset_after));
  // The packed copies are all that run() needs.
  spec_.kernel = {};
  spec_.recurrent_kernel = {};
}

int64_t RecurrentCore::memory_bytes() const {
  auto bytes = [](const std::vector<float>& v) { return static_cast<int64_t>(v.size() * 4); };
  return kernel_.memory_bytes() + recurrent_.memory_bytes() + recurrent_zr_.memory_bytes() +
         recurrent_h_.memory_bytes() + bytes(table_) + bytes(spec_.input_bias) +
         bytes(spec_.recurrent_bias);
}

void RecurrentCore::use_token_projection(const EmbeddingLayer& embedding) {
  const int64_t vocab = embedding.input_dim(), gu = spec_.gates() * spec_.units;
  if (embedding.output_dim() != spec_.input_dim || vocab * gu * 4 > kMaxTableBytes) return;
  table_.resize(static_cast<size_t>(vocab * gu));
  fill_rows(spec_.input_bias, gu, vocab, table_.data(), gu);
  gemm_accumulate(embedding.row(0), embedding.output_dim(), vocab, kernel_, table_.data(), gu);
  table_source_ = &embedding;
}

void RecurrentCore::input_projection(const Value& x, int64_t b0, int64_t n, int64_t seq_len,
                                     int64_t t, float* xproj) const {
  const int64_t gu = spec_.gates() * spec_.units;
  if (x.ids && has_table_for(x.embedding)) {
    for (int64_t r = 0; r < n; ++r) {
      int32_t id = x.ids->ids[static_cast<size_t>((b0 + r) * seq_len + t)];
      copy_floats(xproj + r * gu, table_.data() + int64_t{id} * gu, gu);
    }
    return;
  }
  const int64_t d = spec_.input_dim;
  fill_rows(spec_.input_bias, gu, n, xproj, gu);
  gemm_accumulate(x.tensor().data.data() + (b0 * seq_len + t) * d, seq_len * d, n, kernel_, xproj,
                  gu);
}

// One time step for n rows; rows with live[r] == 0 keep their state (masked step).
void RecurrentCore::step(Scratch& s, int64_t n, const uint8_t* live) const {
  const int64_t u = spec_.units, gu = spec_.gates() * u;
  const Activation& act = spec_.activation;
  const Activation& ract = spec_.recurrent_activation;
  float* h = s.h;
  if (spec_.kind == CellKind::kLstm) {
    gemm_accumulate(h, u, n, recurrent_, s.gates, gu);
    for (int64_t r = 0; r < n; ++r) {
      if (!live[r]) continue;
      float* g = s.gates + r * gu;  // i, f, c, o
      if (fused_cell_) {
        simd::lstm_cell_avx512(g, s.c + r * u, h + r * u, u);
        continue;
      }
      float *hr = h + r * u, *cr = s.c + r * u, *tr = s.tmp + r * u;
      apply_elementwise(ract, g, 2 * u);
      apply_elementwise(act, g + 2 * u, u);
      apply_elementwise(ract, g + 3 * u, u);
      for (int64_t j = 0; j < u; ++j) cr[j] = g[u + j] * cr[j] + g[j] * g[2 * u + j];
      copy_floats(tr, cr, u);
      apply_elementwise(act, tr, u);
      for (int64_t j = 0; j < u; ++j) hr[j] = g[3 * u + j] * tr[j];
    }
    return;
  }
  if (spec_.kind == CellKind::kSimpleRnn) {
    gemm_accumulate(h, u, n, recurrent_, s.gates, gu);
    for (int64_t r = 0; r < n; ++r) {
      if (!live[r]) continue;
      apply_elementwise(act, s.gates + r * gu, u);
      copy_floats(h + r * u, s.gates + r * gu, u);
    }
    return;
  }
  // GRU, gate blocks z, r, h. rec holds h·U (+ recurrent bias when reset_after).
  if (spec_.reset_after) {
    fill_rows(spec_.recurrent_bias, gu, n, s.rec, gu);
    gemm_accumulate(h, u, n, recurrent_, s.rec, gu);
    if (fused_cell_) {
      for (int64_t r = 0; r < n; ++r) {
        if (live[r]) simd::gru_cell_avx512(s.xproj + r * gu, s.rec + r * gu, h + r * u, u);
      }
      return;
    }
  } else {
    fill_rows({}, 2 * u, n, s.rec, gu);
    gemm_accumulate(h, u, n, recurrent_zr_, s.rec, gu);
  }
  for (int64_t r = 0; r < n; ++r) {
    float *g = s.gates + r * gu, *xp = s.xproj + r * gu;
    const float* rc = s.rec + r * gu;
    for (int64_t j = 0; j < 2 * u; ++j) g[j] = xp[j] + rc[j];
    apply_elementwise(ract, g, 2 * u);
    if (!spec_.reset_after) {  // tmp = r ⊙ h, the input of the h block's recurrent product
      for (int64_t j = 0; j < u; ++j) s.tmp[r * u + j] = g[u + j] * h[r * u + j];
    }
  }
  if (!spec_.reset_after) {
    fill_rows({}, u, n, s.rec + 2 * u, gu);
    gemm_accumulate(s.tmp, u, n, recurrent_h_, s.rec + 2 * u, gu);
  }
  for (int64_t r = 0; r < n; ++r) {
    if (!live[r]) continue;
    float *g = s.gates + r * gu, *xp = s.xproj + r * gu, *hr = h + r * u;
    const float* rc = s.rec + r * gu;
    if (spec_.reset_after) {
      for (int64_t j = 0; j < u; ++j) g[2 * u + j] = xp[2 * u + j] + g[u + j] * rc[2 * u + j];
    } else {
      for (int64_t j = 0; j < u; ++j) g[2 * u + j] = xp[2 * u + j] + rc[2 * u + j];
    }
    apply_elementwise(act, g + 2 * u, u);
    for (int64_t j = 0; j < u; ++j) hr[j] = g[j] * hr[j] + (1.0f - g[j]) * g[2 * u + j];
  }
}

void RecurrentCore::run_rows(const Value& x, int64_t b0, int64_t b1, int64_t seq_len,
                             bool zero_masked, RecurrentResult* out) const {
  const int64_t n = b1 - b0, u = spec_.units;
  Scratch s(n, u, spec_.gates() * u);
  uint8_t* live = s.live;
  const std::vector<uint8_t>* mask = x.mask.get();
  float* seq_out = out->output.data.data();
  for (int64_t step_index = 0; step_index < seq_len; ++step_index) {
    // go_backwards processes time in reverse and returns outputs in processing order.
    const int64_t t = spec_.go_backwards ? seq_len - 1 - step_index : step_index;
    // LSTM and SimpleRNN accumulate h·U onto the projection in place; GRU keeps it apart.
    input_projection(x, b0, n, seq_len, t, spec_.kind == CellKind::kGru ? s.xproj : s.gates);
    if (mask) {
      for (int64_t r = 0; r < n; ++r) live[r] = (*mask)[(b0 + r) * seq_len + t];
    }
    step(s, n, live);
    if (!spec_.return_sequences) continue;
    for (int64_t r = 0; r < n; ++r) {
      float* dst = seq_out + ((b0 + r) * seq_len + step_index) * u;
      // Masked steps repeat the carried state (= the previous output; zeros before the
      // first real step), or output zeros under zero_output_for_mask.
      if (live[r] || !zero_masked) {
        copy_floats(dst, s.h + r * u, u);
      } else {
        std::memset(dst, 0, static_cast<size_t>(u) * sizeof(float));
      }
    }
  }
  if (!spec_.return_sequences) copy_floats(seq_out + b0 * u, s.h, n * u);
  copy_floats(out->states[0].data.data() + b0 * u, s.h, n * u);
  if (spec_.kind == CellKind::kLstm) {
    copy_floats(out->states[1].data.data() + b0 * u, s.c, n * u);
  }
}

void RecurrentCore::run(const Value& x, bool zero_masked_outputs, int threads,
                        RecurrentResult* out) const {
  const int64_t batch = x.is_dense() ? x.tensor().shape[0] : x.ids->batch;
  const int64_t seq_len = x.is_dense() ? x.tensor().shape[1] : x.ids->seq_len;
  const int64_t u = spec_.units;
  out->output = spec_.return_sequences ? zeros({batch, seq_len, u}) : zeros({batch, u});
  out->states.assign(static_cast<size_t>(spec_.state_count()), zeros({batch, u}));
  parallel_rows(batch, threads, [&](int64_t b0, int64_t b1) {
    if (b1 > b0) run_rows(x, b0, b1, seq_len, zero_masked_outputs, out);
  });
}

}  // namespace quiver::nn
