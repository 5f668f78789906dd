// The recurrence shared by LSTM, GRU, SimpleRNN, their CuDNN variants and Bidirectional:
// the cell math written once (KERAS.md §2.1-2.2), masking (§2.5) and direction (§2.6).
//
// Performance layout (issue 5): the input projection x·W + b is computed per time step for
// all rows with one panel GEMM, or, when the layer is fed (through identity layers) by an
// Embedding, taken per token as the model's MemoryPolicy says (issue 18): rows of a table
// E[v]·W + b precomputed at load in fp32 or bf16, rows computed on first use and kept
// (lazy), or one GEMM per step on the gathered embedding rows (none). The recurrence runs as a
// batched product h(B×u)·U(u×Gu) on a panel-packed U, followed by fused gate math per row.
// Per-element reduction order is fixed (kernels.h), so the table path and the dense path give
// the same bits and rows are bit-identical across batch sizes and thread counts.
#ifndef QUIVER_NN_RECURRENT_H_
#define QUIVER_NN_RECURRENT_H_

#include <span>
#include <vector>

#include "nn/activation.h"
#include "nn/lazy_table.h"
#include "nn/kernels.h"
#include "nn/layer.h"

namespace quiver::nn {

enum class CellKind { kLstm, kGru, kSimpleRnn };

// A recurrent layer's options and weights in Keras 2 layout (after CuDNN / Keras 1
// conversion): kernel [d, G*u], recurrent [u, G*u], gate blocks i,f,c,o (LSTM) or z,r,h (GRU).
struct RecurrentSpec {
  CellKind kind = CellKind::kLstm;
  int64_t input_dim = 0;
  int64_t units = 0;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool reset_after = false;  // GRU only
  Activation activation;
  Activation recurrent_activation;
  std::vector<float> kernel;
  std::vector<float> recurrent_kernel;
  std::vector<float> input_bias;      // [G*u], zeros without bias
  std::vector<float> recurrent_bias;  // [G*u], GRU reset_after only (zeros otherwise)
  WeightMode weights = WeightMode::kFp32;  // storage of kernel and recurrent_kernel

  int64_t gates() const { return kind == CellKind::kLstm ? 4 : kind == CellKind::kGru ? 3 : 1; }
  int64_t state_count() const { return kind == CellKind::kLstm ? 2 : 1; }
};

// Builds the spec of a recurrent layer of class `class_name` from its config and weight
// arrays. `what` prefixes weight names in messages ("forward " inside Bidirectional).
// Unsupported options (stateful, time_major, ...) are Unimplemented.
Result<RecurrentSpec> recurrent_spec(const LayerContext& ctx, const std::string& class_name,
                                     const nlohmann::json& config,
                                     std::span<const keras_io::WeightArray> weights,
                                     const std::string& what);
// Number of weight arrays a layer of this class/config stores (to split Bidirectional's).
Result<size_t> recurrent_weight_count(const LayerContext& ctx, const std::string& class_name,
                                      const nlohmann::json& config, size_t available);

struct RecurrentResult {
  Tensor output;               // [B, T, u] in processing order, or [B, u]
  std::vector<Tensor> states;  // h (and c for LSTM), [B, u] each
};

// One direction of a recurrent layer, ready to run. Immutable after
// use_token_projection(); run() is const and thread-safe.
class RecurrentCore {
 public:
  explicit RecurrentCore(RecurrentSpec spec);

  const RecurrentSpec& spec() const { return spec_; }
  int64_t memory_bytes() const { return memory_usage().total(); }
  // Bytes by part: weights, tables (kTablesLazy: its cap), trajectories; memory_in_use():
  // the same with a lazy table's rows filled so far.
  MemoryUsage memory_usage() const;
  MemoryUsage memory_in_use() const;
  // Takes inputs coming from `embedding` as token ids and builds what `projection` says:
  // the per-token projection table (fp32, bf16, lazy, or none) and, except for kNoTables,
  // the padding trajectory: the states after 1..L steps of token 0 from the zero state,
  // L = pad_steps(time).
  void use_token_projection(const EmbeddingLayer& embedding, int64_t time,
                            const TokenProjection& projection);
  // Adds the fp32 table's bytes and rows and the trajectory's bytes for `embedding`.
  void add_table_facts(const EmbeddingLayer& embedding, int64_t time, ModelInfo* info) const;
  bool has_table_for(const EmbeddingLayer* embedding) const {
    return embedding != nullptr && embedding == table_source_;
  }
  // x's ids come from this layer's Embedding (so it may be reordered, unit-split,
  // padding-skipped); every policy then gives the bits of the fp32 table except bf16.
  bool from_table(const Value& x) const { return x.ids && has_table_for(x.embedding); }
  // The trajectory's length for a declared sequence length `time` (kDefaultPadSteps when
  // unknown, at most kMaxPadSteps).
  static int64_t pad_steps(int64_t time);

  // Runs over the whole input value ([B, T, d] dense, or lazy from the table's Embedding).
  // zero_masked_outputs: masked steps output 0 instead of the carried state.
  void run(const Value& x, bool zero_masked_outputs, int threads, RecurrentResult* out) const;

  static constexpr int64_t kDefaultPadSteps = 256;
  static constexpr int64_t kMaxPadSteps = 1024;

 private:
  // Units [unit0, unit0 + units), whose gate columns are [col0, col0 + G * units) in the
  // permuted layout (recurrent.cc), with their recurrent weights.
  struct Slice {
    int64_t unit0 = 0;
    int64_t units = 0;
    int64_t col0 = 0;
    PackedMatrix recurrent;  // empty for GRU reset_after=False (recurrent_zr_, recurrent_h_)
  };
  struct Scratch;
  struct StepWork;
  // x·W + b for token `id` (gates·units floats): the table's row, or computed into `buf`.
  const float* token_row(int32_t id, float* buf) const;
  void compute_row(int32_t id, float* dst) const;
  void build_table(const EmbeddingLayer& embedding, const TokenProjection& projection);
  void build_trajectory(const EmbeddingLayer& embedding, int64_t time);
  void step(const Value& x, const StepWork& w, int64_t step_index, int64_t seq_len,
            bool zero_masked, bool zero_state, Scratch& s, RecurrentResult* out) const;
  int64_t skip_cap(const Value& x, int64_t seq_len) const;
  int64_t leading_padding(const Value& x, int64_t row, int64_t seq_len, int64_t cap) const;
  void start_row(const Value& x, int64_t start, int64_t row, float* h, float* c,
                 RecurrentResult* out) const;
  void finish_rows(const int64_t* rows, int64_t n, const float* h, const float* c,
                   RecurrentResult* out) const;
  int64_t gate_buffers(const Value& x, bool split) const;
  void run_split(const Value& x, int64_t batch, int64_t seq_len, int64_t skip, bool zero_masked,
                 RecurrentResult* out) const;
  void input_projection(const Value& x, const StepWork& w, int64_t seq_len, int64_t t,
                        int64_t c0, int64_t c1, float* xproj) const;
  void state_product(const float* h, int64_t n, const PackedMatrix& m, float* c, int64_t ldc,
                     size_t task, Scratch& s) const;
  void recurrent_product(const Slice& sl, const float* h, int64_t n, bool h_zero,
                         Scratch& s) const;
  void gru_reset_before_product(const float* h, int64_t n, Scratch& s) const;
  void cells(const Slice& sl, int64_t n, const uint8_t* live, Scratch& s, const float* h_old,
             float* h_new) const;

  RecurrentSpec spec_;  // kernel columns and biases in the permuted gate layout
  PackedMatrix kernel_;
  std::vector<Slice> slices_;
  PackedMatrix recurrent_zr_;  // GRU reset_after=False: z,r columns
  PackedMatrix recurrent_h_;   // GRU reset_after=False: h columns
  // The token projection (use_token_projection): kTablesFp32 table_, kTablesBf16
  // table_bf16_, kTablesLazy lazy_ ([vocab, G*u], permuted gate layout), kNoTables none.
  MemoryPolicy projection_ = MemoryPolicy::kNoTables;
  TableBuffer table_;
  std::vector<uint16_t> table_bf16_;
  std::unique_ptr<LazyTable> lazy_;
  const EmbeddingLayer* table_source_ = nullptr;
  // The padding trajectory (use_token_projection): row t of pad_h_ (and pad_c_, LSTM) is the
  // state after t steps of token 0 from zeros, t in [0, pad_steps_]. A row that starts with p
  // such steps (in processing order) joins the run at step min(p, pad_steps_) from it.
  std::vector<float> pad_h_, pad_c_;
  int64_t pad_steps_ = 0;
  // LSTM / GRU (reset_after) with the Keras default activations on AVX-512: gate columns in
  // 16-unit blocks, product and cell in one kernel (simd::fused_step_avx512), no gate
  // buffer; the state alternates between two arrays.
  bool fused_ = false;
  // kInt8 with a state bounded by 1 (issue 19): the recurrent kernels are int8 pair panels
  // and h·U is an integer product of the state quantized each step (gemm_accumulate_int8);
  // the input projection and tables stay float products of the int8 kernel.
  bool int8_products_ = false;
};

}  // namespace quiver::nn

#endif  // QUIVER_NN_RECURRENT_H_
