// RecurrentCore: the recurrence loop and the fused cell math (KERAS.md §2.1, §2.2, §2.5).
//
// Gate column layout: the units are cut into slices (two halves for units >= 32, except GRU
// with reset_after=False) and the gate columns are permuted at load so that each slice's
// gates are contiguous: [slice 0: i f c o (units 0..h)] [slice 1: i f c o (units h..u)].
// The fused AVX-512 LSTM and GRU cut each slice further into blocks of 16 units, each
// [i f c o] or [z r h] (simd.h, FusedStep), and its halves end on a block boundary. A slice's
// recurrent weights are their own PackedMatrix. Batched calls run every slice on one thread;
// a call with fewer rows than threads (batch 1) lets two threads share each step's two slices
// (run_split; each core streams half of U from its own L2). The permutation changes no
// arithmetic: every gate element is still the same chain over h0·U0 + h1·U1 + ... in k order.
#include "nn/recurrent.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

#include "nn/embedding.h"
#include "nn/simd.h"
#include "nn/worker_pool.h"

namespace quiver::nn {
namespace {

void copy_floats(float* dst, const float* src, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

// Columns [c0, c0+width) of a row-major k × n matrix, packed.
PackedMatrix pack_columns(const std::vector<float>& m, int64_t k, int64_t n, int64_t c0,
                          int64_t width, WeightMode format, PanelLayout layout) {
  std::vector<float> sub(static_cast<size_t>(k * width));
  for (int64_t r = 0; r < k; ++r) copy_floats(sub.data() + r * width, m.data() + r * n + c0, width);
  return PackedMatrix(sub.data(), k, width, format, layout);
}

// |f(x)| <= 1 for every x.
bool bounded_by_one(const Activation& a) {
  switch (a.kind) {
    case ActivationKind::kTanh:
    case ActivationKind::kSigmoid:
    case ActivationKind::kHardSigmoid2:
    case ActivationKind::kHardSigmoid3:
    case ActivationKind::kSoftsign:
      return true;
    default:
      return false;
  }
}

// Whether every value the recurrent kernel multiplies stays in [-1, 1], so that it can be
// quantized with the fixed scale of gemm_accumulate_int8: h = o·act(c) (LSTM), z·h + (1 −
// z)·act(…) and r·h (GRU, z and r in [0, 1]), act(…) (SimpleRNN), from the zero state.
bool state_bounded_by_one(const RecurrentSpec& spec) {
  const ActivationKind r = spec.recurrent_activation.kind;
  const bool unit_gate = r == ActivationKind::kSigmoid || r == ActivationKind::kHardSigmoid2 ||
                         r == ActivationKind::kHardSigmoid3;
  switch (spec.kind) {
    case CellKind::kLstm:
      return bounded_by_one(spec.activation) && bounded_by_one(spec.recurrent_activation);
    case CellKind::kGru:
      return bounded_by_one(spec.activation) && unit_gate;
    case CellKind::kSimpleRnn:
      return bounded_by_one(spec.activation);
  }
  return false;
}

// Reorders the columns of a row-major matrix (rows × order.size()): new column i = old
// column order[i].
void permute_columns(const std::vector<int64_t>& order, std::vector<float>* m) {
  if (m->empty()) return;
  const int64_t n = static_cast<int64_t>(order.size()), rows = static_cast<int64_t>(m->size()) / n;
  std::vector<float> out(m->size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < n; ++i) out[r * n + i] = (*m)[r * n + order[i]];
  }
  *m = std::move(out);
}

// A cell's activation, in place: tanh and sigmoid through the vectorised gate math
// (gate_math.h) on AVX2 CPUs, anything else (and the plain level) through activation.cc.
void apply_gate(const Activation& act, float* x, int64_t n) {
  if (simd_level() >= SimdLevel::kAvx2) {
    if (act.kind == ActivationKind::kTanh) return simd::tanh_avx2(x, x, n);
    if (act.kind == ActivationKind::kSigmoid) return simd::sigmoid_avx2(x, x, n);
  }
  apply_elementwise(act, x, n);
}

}  // namespace

// run_rows' working memory for n rows, carved from a thread-local arena of the calling
// thread that is reused by every later call on it (no allocation per call once it has grown
// to the largest batch seen; never holds results across calls). A unit-split call shares
// one Scratch between its two tasks, which touch disjoint columns and units.
struct RecurrentCore::Scratch {
  // gate_buffers: how many of gates, xproj, rec ([n, gu] each) the caller uses; alternate:
  // the state alternates between h and h2 (see state()) instead of being updated in place.
  Scratch(int64_t n, int64_t u, int64_t gu, int64_t gate_buffers, bool alternate)
      : alternate(alternate) {
    thread_local std::vector<float> floats;
    thread_local std::vector<uint8_t> flags;
    thread_local std::vector<const float*> pointers;
    thread_local std::vector<int64_t> indices;
    thread_local std::vector<int16_t> quantized;
    const size_t need = static_cast<size_t>(n * (4 * u + gate_buffers * gu));
    if (floats.size() < need) floats.resize(need);
    if (flags.size() < static_cast<size_t>(2 * n)) flags.resize(static_cast<size_t>(2 * n));
    if (pointers.size() < static_cast<size_t>(2 * n)) pointers.resize(static_cast<size_t>(2 * n));
    if (indices.size() < static_cast<size_t>(2 * n)) indices.resize(static_cast<size_t>(2 * n));
    q_stride = (u + 1) / 2 * 2;
    if (quantized.size() < static_cast<size_t>(2 * n * q_stride)) {
      quantized.resize(static_cast<size_t>(2 * n * q_stride));
    }
    hq = quantized.data();
    float* p = floats.data();
    for (float** f : {&h, &c, &h2, &tmp}) *f = p, p += n * u;
    for (float** f : {&gates, &xproj, &rec}) *f = gate_buffers-- > 0 ? p : nullptr, p += n * gu;
    std::fill(h, h2, 0.0f);  // h and c start at zero
    live = flags.data();
    init = pointers.data();
    rows = indices.data();
    starts = rows + n;
  }
  // The state after `steps` steps: h, or, when it alternates (the fused step and the unit
  // split read one array and write the other), h or h2.
  float* state(int64_t steps) const { return alternate && steps % 2 == 1 ? h2 : h; }

  bool alternate;

  float *h, *c, *h2, *tmp, *gates, *xproj, *rec;
  uint8_t* live;       // [2n]: per task, 1 = the row's current step is not masked
  const float** init;  // [2n]: per task, the fused step's row pointers to x·W + b
  int64_t* rows;       // [n]: the input row of each scratch row (run: ordered by start)
  int64_t* starts;     // [n]: per scratch row, the step it joins the run at
  int16_t* hq;         // [2 tasks][n rows][q_stride]: the quantized state (int8 products)
  int64_t q_stride;    // units rounded up to even
};

// One time step's work: scratch rows [0, b1 - b0), which are input rows b0, b0 + 1, ... or,
// with `rows`, input rows rows[0], rows[1], ... (table inputs only); slices [s0, s1), state
// read from h_cur and written to h_next (the same array when one thread runs every slice,
// except for the fused step), live flags in `live`, the fused step's row pointers in `init`
// and its token rows computed per use in `rowbuf` ([rows, G*u]; per task).
struct RecurrentCore::StepWork {
  int64_t b0, b1;
  size_t s0, s1;
  const float* h_cur;
  float* h_next;
  uint8_t* live;
  const float** init;
  float* rowbuf;
  const int64_t* rows = nullptr;

  int64_t row(int64_t r) const { return rows ? rows[r] : b0 + r; }
};

RecurrentCore::RecurrentCore(RecurrentSpec spec) : spec_(std::move(spec)) {
  const int64_t u = spec_.units, g = spec_.gates(), gu = g * u;
  const WeightMode f = spec_.weights;
  const bool gru_reset_before = spec_.kind == CellKind::kGru && !spec_.reset_after;
  // int8: integer products on the quantized state when it stays in [-1, 1]; otherwise (relu,
  // linear, ... activations) int8 storage with float products.
  int8_products_ = f == WeightMode::kInt8 && state_bounded_by_one(spec_);
  const PanelLayout u_layout = int8_products_ ? PanelLayout::kPairs : PanelLayout::kAuto;
  // The fused AVX-512 steps cover the Keras defaults (tanh, sigmoid) of LSTM and GRU
  // (reset_after); others take the two-pass, per-activation path.
  fused_ = !int8_products_ && simd_level() >= SimdLevel::kAvx512 &&
           spec_.activation.kind == ActivationKind::kTanh &&
           spec_.recurrent_activation.kind == ActivationKind::kSigmoid &&
           (spec_.kind == CellKind::kLstm || (spec_.kind == CellKind::kGru && spec_.reset_after));
  const int64_t count = gru_reset_before || u < 32 ? 1 : 2;
  const int64_t block = simd::kFusedBlockUnits;
  std::vector<int64_t> order(static_cast<size_t>(gu));
  for (int64_t s = 0; s < count; ++s) {
    Slice sl;
    // The fused step's first half ends on a block boundary (u >= 32: at least one block).
    const int64_t split = fused_ ? block * (u / block / 2) : u / 2;
    sl.unit0 = s == 0 ? 0 : split;
    sl.units = count == 1 ? u : s == 0 ? split : u - split;
    sl.col0 = g * sl.unit0;
    // Blocks of bw units (one block per slice unless fused): [gate 0, gate 1, ...] × w.
    const int64_t bw = fused_ ? block : sl.units;
    for (int64_t b0 = 0; b0 < sl.units; b0 += bw) {
      const int64_t w = std::min(bw, sl.units - b0);
      for (int64_t k = 0; k < g; ++k) {
        for (int64_t j = 0; j < w; ++j) {
          order[sl.col0 + g * b0 + k * w + j] = k * u + sl.unit0 + b0 + j;
        }
      }
    }
    slices_.push_back(std::move(sl));
  }
  permute_columns(order, &spec_.kernel);
  permute_columns(order, &spec_.recurrent_kernel);
  permute_columns(order, &spec_.input_bias);
  permute_columns(order, &spec_.recurrent_bias);
  kernel_ = PackedMatrix(spec_.kernel.data(), spec_.input_dim, gu, f);
  if (gru_reset_before) {
    recurrent_zr_ = pack_columns(spec_.recurrent_kernel, u, gu, 0, 2 * u, f, u_layout);
    recurrent_h_ = pack_columns(spec_.recurrent_kernel, u, gu, 2 * u, u, f, u_layout);
  } else {
    for (Slice& sl : slices_) {
      sl.recurrent =
          pack_columns(spec_.recurrent_kernel, u, gu, sl.col0, g * sl.units, f, u_layout);
    }
  }
  // The packed copies are all that run() needs. Move-assign empty vectors: `v = {}` is
  // operator=(initializer_list), which keeps v's storage (2 MB of a reference BiLSTM, 40 %
  // of its bytes with no tables, was held so until this).
  spec_.kernel = std::vector<float>();
  spec_.recurrent_kernel = std::vector<float>();
}

MemoryUsage RecurrentCore::memory_usage() const {
  auto bytes = [](const auto& v) {
    return static_cast<int64_t>(v.size() * sizeof(*v.data()));
  };
  MemoryUsage m;
  m.weights = kernel_.memory_bytes() + recurrent_zr_.memory_bytes() +
              recurrent_h_.memory_bytes() + bytes(spec_.input_bias) + bytes(spec_.recurrent_bias);
  for (const Slice& sl : slices_) m.weights += sl.recurrent.memory_bytes();
  m.tables = static_cast<int64_t>(table_.size() * sizeof(float)) + bytes(table_bf16_) +
             (lazy_ ? lazy_->reserved_bytes() : 0);
  m.trajectories = bytes(pad_h_) + bytes(pad_c_);
  return m;
}

MemoryUsage RecurrentCore::memory_in_use() const {
  MemoryUsage m = memory_usage();
  if (lazy_) m.tables = lazy_->bytes_in_use();
  return m;
}

int64_t RecurrentCore::pad_steps(int64_t time) {
  return time > 0 ? std::min(time, kMaxPadSteps) : kDefaultPadSteps;
}

void RecurrentCore::add_table_facts(const EmbeddingLayer& embedding, int64_t time,
                                    ModelInfo* info) const {
  if (embedding.output_dim() != spec_.input_dim) return;
  const int64_t vocab = embedding.input_dim(), u = spec_.units;
  info->table_fp32_bytes += vocab * spec_.gates() * u * 4;
  info->table_rows += vocab;
  if (!embedding.mask_zero()) {
    info->trajectory_bytes += (pad_steps(time) + 1) * u * 4 * spec_.state_count();
  }
}

void RecurrentCore::use_token_projection(const EmbeddingLayer& embedding, int64_t time,
                                         const TokenProjection& projection) {
  if (embedding.output_dim() != spec_.input_dim) return;
  table_source_ = &embedding;
  projection_ = projection.policy;
  build_table(embedding, projection);
  // Without tables every step computes its projection anyway: no trajectory either.
  if (projection_ != MemoryPolicy::kNoTables) build_trajectory(embedding, time);
}

// Every table row is fill_rows + gemm_accumulate over the row's embedding vector, the same
// float operations whatever the number of rows in the call (kernels.h), so a table built
// whole, a row computed on first use and a step's GEMM over gathered rows agree bit for
// bit; bf16 then rounds each value to nearest even.
void RecurrentCore::build_table(const EmbeddingLayer& embedding,
                                const TokenProjection& projection) {
  const int64_t vocab = embedding.input_dim(), d = embedding.output_dim();
  const int64_t gu = spec_.gates() * spec_.units;
  switch (projection_) {
    case MemoryPolicy::kTablesFp32:
      table_ = TableBuffer(static_cast<size_t>(vocab * gu));
      fill_rows(spec_.input_bias, gu, vocab, table_.data(), gu);
      gemm_accumulate(embedding.row(0), d, vocab, kernel_, table_.data(), gu);
      break;
    case MemoryPolicy::kTablesBf16: {
      table_bf16_.resize(static_cast<size_t>(vocab * gu));
      constexpr int64_t kChunk = 256;  // rows computed in fp32 at a time
      std::vector<float> chunk(static_cast<size_t>(std::min(vocab, kChunk) * gu));
      for (int64_t r0 = 0; r0 < vocab; r0 += kChunk) {
        const int64_t n = std::min(kChunk, vocab - r0);
        fill_rows(spec_.input_bias, gu, n, chunk.data(), gu);
        gemm_accumulate(embedding.row(static_cast<int32_t>(r0)), d, n, kernel_, chunk.data(), gu);
        for (int64_t i = 0; i < n * gu; ++i) table_bf16_[r0 * gu + i] = to_bf16(chunk[i]);
      }
      break;
    }
    case MemoryPolicy::kTablesLazy:
      lazy_ = std::make_unique<LazyTable>(
          vocab, gu, static_cast<int64_t>(projection.lazy_fraction * static_cast<double>(vocab)));
      break;
    case MemoryPolicy::kNoTables:
    case MemoryPolicy::kAuto:
      projection_ = MemoryPolicy::kNoTables;
      break;
  }
}

void RecurrentCore::compute_row(int32_t id, float* dst) const {
  const int64_t gu = spec_.gates() * spec_.units;
  fill_rows(spec_.input_bias, gu, 1, dst, gu);
  gemm_accumulate(table_source_->row(id), spec_.input_dim, 1, kernel_, dst, gu);
}

const float* RecurrentCore::token_row(int32_t id, float* buf) const {
  const int64_t gu = spec_.gates() * spec_.units;
  switch (projection_) {
    case MemoryPolicy::kTablesFp32:
      return table_.data() + int64_t{id} * gu;
    case MemoryPolicy::kTablesBf16: {
      const uint16_t* row = table_bf16_.data() + int64_t{id} * gu;
      for (int64_t j = 0; j < gu; ++j) buf[j] = bf16_to_float(row[j]);
      return buf;
    }
    case MemoryPolicy::kTablesLazy:
      return lazy_->row(id, buf, [&](float* dst) { compute_row(id, dst); });
    case MemoryPolicy::kNoTables:
    case MemoryPolicy::kAuto:
      break;
  }
  compute_row(id, buf);
  return buf;
}

// The padding trajectory: one row of token 0 run through step() like any input, so each
// state has the bits a row of a batch reaches after as many padding steps (rows do not
// depend on their batch). Not needed when the Embedding masks token 0: masked padding
// leaves the zero state (skip_cap).
void RecurrentCore::build_trajectory(const EmbeddingLayer& embedding, int64_t time) {
  if (embedding.mask_zero()) return;
  const int64_t u = spec_.units, gu = spec_.gates() * u, steps = pad_steps(time);
  const std::vector<int32_t> pad_ids(static_cast<size_t>(steps), 0);
  const TokenIds ids{pad_ids, 1, steps};
  Value x;
  x.ids = &ids;
  x.embedding = &embedding;
  RecurrentResult discard;
  discard.output = spec_.return_sequences ? zeros({1, steps, u}) : zeros({1, u});
  std::vector<float> pad_h(static_cast<size_t>((steps + 1) * u), 0.0f), pad_c;
  if (spec_.kind == CellKind::kLstm) pad_c.assign(pad_h.size(), 0.0f);
  Scratch s(1, u, gu, gate_buffers(x, false), fused_);
  for (int64_t i = 0; i < steps; ++i) {
    step(x,
         StepWork{0, 1, 0, slices_.size(), s.state(i), s.state(i + 1), s.live, s.init, s.gates},
         i, steps, false, i == 0, s, &discard);
    copy_floats(pad_h.data() + (i + 1) * u, s.state(i + 1), u);
    if (!pad_c.empty()) copy_floats(pad_c.data() + (i + 1) * u, s.c, u);
  }
  pad_h_ = std::move(pad_h);
  pad_c_ = std::move(pad_c);
  pad_steps_ = steps;
}

// How many leading steps (in processing order) a row of x may skip: masked steps (the state
// stays zero, whatever the input) or, without a mask, token 0 read from the table (the state
// follows the padding trajectory, at most pad_steps_ of them); 0 for other inputs.
int64_t RecurrentCore::skip_cap(const Value& x, int64_t seq_len) const {
  if (x.mask) return seq_len;
  return from_table(x) ? std::min(seq_len, pad_steps_) : 0;
}

// Row `row`'s leading padding steps, at most cap (skip_cap).
int64_t RecurrentCore::leading_padding(const Value& x, int64_t row, int64_t seq_len,
                                       int64_t cap) const {
  int64_t p = 0;
  for (; p < cap; ++p) {
    const int64_t t = spec_.go_backwards ? seq_len - 1 - p : p;
    const size_t at = static_cast<size_t>(row * seq_len + t);
    if (x.mask ? (*x.mask)[at] != 0 : x.ids->ids[at] != 0) break;
  }
  return p;
}

// Input row `row` joins a run after `start` padding steps: its scratch state (h, c: rows of
// u floats) and, under return_sequences, its outputs for those steps (masked: zeros, as
// Keras, which the output already holds). The bits are those of running the steps.
void RecurrentCore::start_row(const Value& x, int64_t start, int64_t row, float* h, float* c,
                              RecurrentResult* out) const {
  const int64_t u = spec_.units;
  const bool lstm = spec_.kind == CellKind::kLstm;
  if (start == 0 || x.mask) {  // the zero state
    std::fill(h, h + u, 0.0f);
    if (lstm) std::fill(c, c + u, 0.0f);
    return;
  }
  copy_floats(h, pad_h_.data() + start * u, u);
  if (lstm) copy_floats(c, pad_c_.data() + start * u, u);
  if (!spec_.return_sequences) return;
  const int64_t seq_len = x.ids->seq_len;
  for (int64_t i = 0; i < start; ++i) {
    copy_floats(out->output.data.data() + (row * seq_len + i) * u, pad_h_.data() + (i + 1) * u,
                u);
  }
}

// Gate columns [c0, c1) of the input projection of the step's rows at time t (the dense
// and kNoTables paths always compute all columns: only table inputs are unit-split).
void RecurrentCore::input_projection(const Value& x, const StepWork& w, int64_t seq_len,
                                     int64_t t, int64_t c0, int64_t c1, float* xproj) const {
  const int64_t gu = spec_.gates() * spec_.units, n = w.b1 - w.b0, b0 = w.b0;
  const int64_t d = spec_.input_dim;
  auto id_of = [&](int64_t r) { return x.ids->ids[static_cast<size_t>(w.row(r) * seq_len + t)]; };
  if (from_table(x) && projection_ != MemoryPolicy::kNoTables) {
    thread_local std::vector<float> buf;  // a row computed per use (bf16, lazy)
    if (buf.size() < static_cast<size_t>(gu)) buf.resize(static_cast<size_t>(gu));
    for (int64_t r = 0; r < n; ++r) {
      copy_floats(xproj + r * gu + c0, token_row(id_of(r), buf.data()) + c0, c1 - c0);
    }
    return;
  }
  fill_rows(spec_.input_bias, gu, n, xproj, gu);
  if (from_table(x)) {  // kNoTables: one GEMM over the rows' embedding vectors
    thread_local std::vector<float> gathered;
    if (gathered.size() < static_cast<size_t>(n * d)) gathered.resize(static_cast<size_t>(n * d));
    for (int64_t r = 0; r < n; ++r) copy_floats(gathered.data() + r * d, table_source_->row(id_of(r)), d);
    gemm_accumulate(gathered.data(), d, n, kernel_, xproj, gu);
    return;
  }
  gemm_accumulate(x.tensor().data.data() + (b0 * seq_len + t) * d, seq_len * d, n, kernel_, xproj,
                  gu);
}

// c (row stride ldc) += h·U for n rows of h ([n, u]): the float kernel, or, for int8
// products, h quantized into task `task`'s part of s.hq and the integer kernel.
void RecurrentCore::state_product(const float* h, int64_t n, const PackedMatrix& m, float* c,
                                  int64_t ldc, size_t task, Scratch& s) const {
  const int64_t u = spec_.units;
  if (!m.int8_pairs()) {
    gemm_accumulate(h, u, n, m, c, ldc);
    return;
  }
  int16_t* q = s.hq + static_cast<int64_t>(task) * n * s.q_stride;
  quantize_activations(h, u, n, m, q, s.q_stride);
  gemm_accumulate_int8(q, s.q_stride, n, m, c, ldc);
}

// The recurrent product of one slice: gates (LSTM, SimpleRNN) or rec (GRU) += h·U.
// h_zero: h is all zeros (the first step); every product in h·U is then ±0 and adding it
// changes no value, so it is skipped.
void RecurrentCore::recurrent_product(const Slice& sl, const float* h, int64_t n, bool h_zero,
                                      Scratch& s) const {
  const int64_t u = spec_.units, gu = spec_.gates() * u, width = spec_.gates() * sl.units;
  const size_t task = sl.unit0 == 0 ? 0 : 1;  // run_split: one slice per task
  if (spec_.kind != CellKind::kGru) {
    if (!h_zero) state_product(h, n, sl.recurrent, s.gates + sl.col0, gu, task, s);
  } else if (spec_.reset_after) {  // rec = recurrent bias + h·U
    for (int64_t r = 0; r < n; ++r) {
      copy_floats(s.rec + r * gu + sl.col0, spec_.recurrent_bias.data() + sl.col0, width);
    }
    if (!h_zero) state_product(h, n, sl.recurrent, s.rec + sl.col0, gu, task, s);
  } else {
    gru_reset_before_product(h, n, s);
  }
}

// GRU reset_after=False (one slice): z, r from h·U_zr, then (r ⊙ h)·U_h for the h block.
void RecurrentCore::gru_reset_before_product(const float* h, int64_t n, Scratch& s) const {
  const int64_t u = spec_.units, gu = 3 * u;
  fill_rows({}, 2 * u, n, s.rec, gu);
  state_product(h, n, recurrent_zr_, s.rec, gu, 0, s);
  for (int64_t r = 0; r < n; ++r) {
    float *g = s.gates + r * gu, *xp = s.xproj + r * gu;
    const float* rc = s.rec + r * gu;
    for (int64_t j = 0; j < 2 * u; ++j) g[j] = xp[j] + rc[j];
    apply_gate(spec_.recurrent_activation, g, 2 * u);
    for (int64_t j = 0; j < u; ++j) s.tmp[r * u + j] = g[u + j] * h[r * u + j];
  }
  fill_rows({}, u, n, s.rec + 2 * u, gu);
  state_product(s.tmp, n, recurrent_h_, s.rec + 2 * u, gu, 0, s);
}

// The cell update of one slice for n rows: h_new (and c) for the slice's units from the gate
// pre-activations; h_old is the state the product used (h_new may be the same array).
// Rows with live[r] == 0 keep their state (masked step).
void RecurrentCore::cells(const Slice& sl, int64_t n, const uint8_t* live, Scratch& s,
                          const float* h_old, float* h_new) const {
  const int64_t u = spec_.units, gu = spec_.gates() * u, w = sl.units;
  const Activation& act = spec_.activation;
  const Activation& ract = spec_.recurrent_activation;
  for (int64_t r = 0; r < n; ++r) {
    const float* ho = h_old + r * u + sl.unit0;
    float* hn = h_new + r * u + sl.unit0;
    if (hn != ho) copy_floats(hn, ho, w);
    if (!live[r]) continue;
    float *g = s.gates + r * gu + sl.col0, *xp = s.xproj + r * gu + sl.col0;
    const float* rc = s.rec + r * gu + sl.col0;
    if (spec_.kind == CellKind::kLstm) {  // blocks i, f, c, o of w units
      float *cr = s.c + r * u + sl.unit0, *tr = s.tmp + r * u + sl.unit0;
      apply_gate(ract, g, 2 * w);
      apply_gate(act, g + 2 * w, w);
      apply_gate(ract, g + 3 * w, w);
      for (int64_t j = 0; j < w; ++j) cr[j] = g[w + j] * cr[j] + g[j] * g[2 * w + j];
      copy_floats(tr, cr, w);
      apply_gate(act, tr, w);
      for (int64_t j = 0; j < w; ++j) hn[j] = g[3 * w + j] * tr[j];
    } else if (spec_.kind == CellKind::kSimpleRnn) {
      apply_gate(act, g, w);
      copy_floats(hn, g, w);
    } else {  // GRU, blocks z, r, h
      if (spec_.reset_after) {
        for (int64_t j = 0; j < 2 * w; ++j) g[j] = xp[j] + rc[j];
        apply_gate(ract, g, 2 * w);
        for (int64_t j = 0; j < w; ++j) g[2 * w + j] = xp[2 * w + j] + g[w + j] * rc[2 * w + j];
      } else {  // z, r already in g (gru_reset_before_product)
        for (int64_t j = 0; j < w; ++j) g[2 * w + j] = xp[2 * w + j] + rc[2 * w + j];
      }
      apply_gate(act, g + 2 * w, w);
      for (int64_t j = 0; j < w; ++j) hn[j] = g[j] * hn[j] + (1.0f - g[j]) * g[2 * w + j];
    }
  }
}

// zero_state: h (and c) are all zeros, so h·U is skipped.
void RecurrentCore::step(const Value& x, const StepWork& w, int64_t step_index, int64_t seq_len,
                         bool zero_masked, bool zero_state, Scratch& s,
                         RecurrentResult* out) const {
  const int64_t n = w.b1 - w.b0, u = spec_.units;
  const Slice &first = slices_[w.s0], &last = slices_[w.s1 - 1];
  const int64_t u0 = first.unit0, width = last.unit0 + last.units - u0;
  // go_backwards processes time in reverse and returns outputs in processing order.
  const int64_t t = spec_.go_backwards ? seq_len - 1 - step_index : step_index;
  const std::vector<uint8_t>* mask = x.mask.get();
  for (int64_t r = 0; r < n; ++r) w.live[r] = mask ? (*mask)[w.row(r) * seq_len + t] : 1;
  if (fused_) {
    // The kernel reads x·W + b from the table row (no copy) or the dense projection.
    const int64_t gu = spec_.gates() * u;
    if (from_table(x) && projection_ != MemoryPolicy::kNoTables) {
      const int32_t* ids = x.ids->ids.data() + t;
      for (int64_t r = 0; r < n; ++r) {
        w.init[r] = token_row(ids[w.row(r) * seq_len], w.rowbuf + r * gu);
      }
    } else {
      input_projection(x, w, seq_len, t, 0, gu, s.gates);
      for (int64_t r = 0; r < n; ++r) w.init[r] = s.gates + r * gu;
    }
    for (size_t i = w.s0; i < w.s1; ++i) {
      const Slice& sl = slices_[i];
      simd::fused_step_avx512({static_cast<int>(spec_.gates()), w.init, sl.col0,
                               spec_.recurrent_bias.data(), w.h_cur, u, &sl.recurrent, sl.units,
                               s.c + sl.unit0, w.h_cur + sl.unit0, w.h_next + sl.unit0, w.live, n,
                               zero_state});
    }
  } else {
    // LSTM and SimpleRNN accumulate h·U onto the projection in place; GRU keeps it apart.
    input_projection(x, w, seq_len, t, first.col0, last.col0 + spec_.gates() * last.units,
                     spec_.kind == CellKind::kGru ? s.xproj : s.gates);
    // All products read h_cur before any cell writes h_next (which may be the same array).
    for (size_t i = w.s0; i < w.s1; ++i) {
      recurrent_product(slices_[i], w.h_cur, n, zero_state, s);
    }
    for (size_t i = w.s0; i < w.s1; ++i) cells(slices_[i], n, w.live, s, w.h_cur, w.h_next);
  }
  if (!spec_.return_sequences) return;
  float* seq_out = out->output.data.data();
  for (int64_t r = 0; r < n; ++r) {
    float* dst = seq_out + (w.row(r) * seq_len + step_index) * u + u0;
    // Masked steps repeat the carried state (= the previous output; zeros before the first
    // real step), or output zeros under zero_output_for_mask.
    if (w.live[r] || !zero_masked) {
      copy_floats(dst, w.h_next + r * u + u0, width);
    } else {
      std::memset(dst, 0, static_cast<size_t>(width) * sizeof(float));
    }
  }
}

// Final output (without return_sequences) and states of the n scratch rows, which are input
// rows rows[0], rows[1], ...
void RecurrentCore::finish_rows(const int64_t* rows, int64_t n, const float* h, const float* c,
                                RecurrentResult* out) const {
  const int64_t u = spec_.units;
  for (int64_t r = 0; r < n; ++r) {
    const int64_t at = rows[r] * u;
    if (!spec_.return_sequences) copy_floats(out->output.data.data() + at, h + r * u, u);
    copy_floats(out->states[0].data.data() + at, h + r * u, u);
    if (spec_.kind == CellKind::kLstm) copy_floats(out->states[1].data.data() + at, c + r * u, u);
  }
}

// Fewer rows than threads: two tasks share the steps' slices. Task k owns slice k (its half
// of U stays in its core's L2) and, after its own slice of step t, waits until both slices of
// step t are finished. Each slice has a claim counter and a finish counter on cache lines of
// their own, so a step costs each core one look at the other's line, not a contended ticket.
// A task that lost its core is overtaken: once a wait has lasted a while and the other slice
// of the step is still unclaimed, the waiting task claims and runs it, and the late task skips
// the steps already claimed. Who runs a slice never changes its bits; the state alternates
// between s.h and s.h2.
void RecurrentCore::run_split(const Value& x, int64_t batch, int64_t seq_len, int64_t skip,
                              bool zero_masked, RecurrentResult* out) const {
  Scratch s(batch, spec_.units, spec_.gates() * spec_.units, gate_buffers(x, true), true);
  const int64_t u = spec_.units;
  for (int64_t r = 0; r < batch; ++r) {
    s.rows[r] = r;
    start_row(x, skip, r, s.state(skip) + r * u, s.c + r * u, out);
  }
  struct alignas(64) Counter {
    std::atomic<int64_t> value;
  };
  // Per slice: steps claimed / finished (the skipped ones count as both).
  Counter claimed[2] = {{skip}, {skip}}, finished[2] = {{skip}, {skip}};
  auto run_slice = [&](size_t k, int64_t i) {
    // Claims slice k of step i if nobody has; the claim makes its runner unique.
    int64_t expected = i;
    if (!claimed[k].value.compare_exchange_strong(expected, i + 1, std::memory_order_acq_rel)) {
      return;
    }
    step(x,
         StepWork{0, batch, k, k + 1, s.state(i), s.state(i + 1), s.live + k * batch,
                  s.init + k * batch, k == 0 ? s.gates : s.xproj},
         i, seq_len, zero_masked, i == 0 || (i == skip && x.mask), s, out);
    finished[k].value.store(i + 1, std::memory_order_release);
  };
  auto task = [&](int own) {
    const size_t k = static_cast<size_t>(own), other = 1 - k;
    for (int64_t i = skip; i < seq_len; ++i) {
      run_slice(k, i);
      // About a slice's time (a few µs) before taking over the other task's work.
      for (int spins = 0; finished[other].value.load(std::memory_order_acquire) <= i; ++spins) {
        if (spins >= 512 && claimed[other].value.load(std::memory_order_relaxed) == i) {
          run_slice(other, i);
        } else {
          spin_round(spins);
        }
      }
      spin_until([&] { return finished[k].value.load(std::memory_order_acquire) > i; });
    }
  };
  WorkerPool::for_this_thread().run(2, task);
  finish_rows(s.rows, batch, s.state(seq_len), s.c, out);
}

// How many [rows, G*u] buffers a run needs: gates, xproj (GRU), rec (GRU); the fused step
// needs none on the fp32 table path and one for the dense projection or the token rows
// computed per use (bf16, lazy, none), one per task when two tasks split the units.
int64_t RecurrentCore::gate_buffers(const Value& x, bool split) const {
  if (!fused_) return 3;
  if (from_table(x) && projection_ == MemoryPolicy::kTablesFp32) return 0;
  return split ? 2 : 1;
}

void RecurrentCore::run(const Value& x, bool zero_masked_outputs, int threads,
                        RecurrentResult* out) const {
  const int64_t batch = x.is_dense() ? x.tensor().shape[0] : x.ids->batch;
  const int64_t seq_len = x.is_dense() ? x.tensor().shape[1] : x.ids->seq_len;
  const int64_t u = spec_.units, gu = spec_.gates() * u;
  out->output = spec_.return_sequences ? zeros({batch, seq_len, u}) : zeros({batch, u});
  out->states.assign(static_cast<size_t>(spec_.state_count()), zeros({batch, u}));
  if (batch == 0) return;
  const int64_t cap = skip_cap(x, seq_len);
  // kNoTables computes all columns of a step at once: no unit split.
  if (threads >= 2 && batch < threads && slices_.size() == 2 && from_table(x) &&
      projection_ != MemoryPolicy::kNoTables) {
    int64_t skip = cap;
    for (int64_t r = 0; r < batch; ++r) skip = std::min(skip, leading_padding(x, r, seq_len, cap));
    run_split(x, batch, seq_len, skip, zero_masked_outputs, out);
    return;
  }
  // Each row joins the run when its leading padding ends (start_row). Table inputs order
  // their rows by that step, so the rows running at a step are a prefix of the scratch and
  // the step only computes them; dense inputs keep their row order and start together.
  const bool reorder = from_table(x);
  parallel_rows(batch, threads, [&](int64_t b0, int64_t b1) {
    const int64_t n = b1 - b0;
    Scratch s(n, u, gu, gate_buffers(x, false), fused_);
    int64_t first = cap;
    for (int64_t r = 0; r < n; ++r) {
      s.rows[r] = b0 + r;
      s.starts[r] = leading_padding(x, b0 + r, seq_len, cap);
      first = std::min(first, s.starts[r]);
    }
    if (reorder) {
      std::stable_sort(s.rows, s.rows + n,
                       [&](int64_t a, int64_t b) { return s.starts[a - b0] < s.starts[b - b0]; });
    }
    auto start_of = [&](int64_t r) { return reorder ? s.starts[s.rows[r] - b0] : first; };
    int64_t running = 0;
    auto join = [&](int64_t i) {  // the rows whose padding is over by step i start running
      for (; running < n && start_of(running) <= i; ++running) {
        start_row(x, start_of(running), s.rows[running], s.state(i) + running * u,
                  s.c + running * u, out);
      }
    };
    for (int64_t i = first; i < seq_len; ++i) {
      join(i);
      step(x,
           StepWork{b0, b0 + running, 0, slices_.size(), s.state(i), s.state(i + 1), s.live,
                    s.init, s.gates, reorder ? s.rows : nullptr},
           i, seq_len, zero_masked_outputs, i == 0 || (i == first && x.mask), s, out);
    }
    join(seq_len);
    finish_rows(s.rows, n, s.state(seq_len), s.c, out);
  });
}

}  // namespace quiver::nn
