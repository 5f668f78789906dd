// quiver::Model: a Keras text classifier loaded from its file, immutable after load.
//
// Thread-safety: a loaded Model is immutable and thread-safe. predict() is const and
// re-entrant; its scratch memory belongs to the call. Results for a row are bit-identical
// whatever batch it is in, however many threads run, and whatever other models exist.
// Model holds no global state: any number of models may be loaded, used and destroyed
// in any order from any threads.
#ifndef QUIVER_MODEL_H_
#define QUIVER_MODEL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quiver/limits.h"
#include "quiver/status.h"
#include "quiver/tensor.h"

namespace quiver {

// hard_sigmoid differs between Keras 2 (clip(0.2x+0.5)) and Keras 3 (clip(x/6+0.5)).
enum class HardSigmoidMode { kAuto, kKeras2, kKeras3 };

// How the recurrent layers' kernels are stored and multiplied (issue 5). kFp32 is exact
// (Keras' own weights); kBf16 rounds each weight to bfloat16 (8 bits of mantissa: half the
// memory and bandwidth); kInt8 quantizes each output column symmetrically to int8 with one
// float scale (a quarter of the memory). Activations, states and sums stay float32 in every
// mode. The reduced modes are opt-in: they change outputs slightly (docs/performance.md
// lists the measured change on real models).
enum class WeightMode { kFp32, kBf16, kInt8 };

// "fp32", "bf16", "int8".
const char* weight_mode_name(WeightMode mode);
// Parses "fp32" | "bf16" | "int8"; InvalidArgument otherwise.
Result<WeightMode> parse_weight_mode(const std::string& name);

// What a loaded model precomputes for a recurrent layer fed by an Embedding (issue 18):
// the per-token input-projection table E[v]·W + b ([vocab, gates·units] per direction) and
// the padding trajectory (the states after 1..L steps of token 0). Every policy gives a row
// the same bits as fp32 tables except kTablesBf16, whose table entries are rounded to
// bfloat16 (docs/performance.md lists its measured error; never chosen by kAuto):
//   kTablesFp32  whole table in float32 and the trajectory, built at load (the fastest);
//   kTablesBf16  whole table in bfloat16 (half the bytes) and the trajectory;
//   kTablesLazy  a table row is computed on the first request that uses its token and kept
//                (at most as many rows as the budget allows; the rest computed per use);
//                the trajectory at load;
//   kNoTables    neither: the projection is one GEMM per step on the gathered embedding
//                rows (the least memory, the slowest);
//   kAuto        kTablesFp32 without a budget; with one, the fastest of fp32, lazy, none
//                whose estimate_memory() total fits (none when nothing does).
// Names for configs and the CLI: "auto", "fp32", "bf16", "lazy", "none".
enum class MemoryPolicy { kAuto, kTablesFp32, kTablesBf16, kTablesLazy, kNoTables };

const char* memory_policy_name(MemoryPolicy policy);
// Parses a memory_policy_name(); InvalidArgument naming the choices otherwise.
Result<MemoryPolicy> parse_memory_policy(const std::string& name);

// A loaded model's bytes by part.
struct MemoryUsage {
  int64_t weights = 0;       // layer weights as stored (packed kernels, embeddings, biases)
  int64_t tables = 0;        // token projection tables (kTablesLazy: its row cap + row index)
  int64_t trajectories = 0;  // padding trajectories
  int64_t tokenizer = 0;     // a TextVectorization's vocabulary (a separate Tokenizer is
                             // its owner's: serve and Classifier add it)
  int64_t other = 0;         // anything else the model holds
  int64_t total() const { return weights + tables + trajectories + tokenizer + other; }
};

struct LoadOptions {
  // Architecture file (model.to_json() / model.to_yaml() output) for weights-only .h5.
  std::string architecture_path;
  // kAuto picks the formula from the file's keras_version major (3 -> Keras 3, else Keras 2).
  HardSigmoidMode hard_sigmoid = HardSigmoidMode::kAuto;
  // Storage of the recurrent kernels (LSTM, GRU, SimpleRNN, their CuDNN and Bidirectional
  // forms); every other layer keeps float32.
  WeightMode weights = WeightMode::kFp32;
  // The most memory the model may take: the file's bytes while it is read, its weights,
  // and what the loaded model holds (packed kernels, token tables, padding trajectories).
  // A model that needs more fails with ResourceExhausted naming the bytes it would need,
  // before the weights are allocated where the file declares them (docs/limits.md).
  int64_t max_memory_bytes = limits::kDefaultMaxModelBytes;
  // What to precompute (MemoryPolicy), and this model's memory budget: 0 = none (kAuto is
  // then kTablesFp32). With a budget, kAuto picks by estimate_memory() and kTablesLazy keeps
  // at most the table rows that fit; kTablesFp32 / kTablesBf16 / kNoTables ignore it. The
  // budget guides the choice, it does not refuse a model (max_memory_bytes does).
  MemoryPolicy memory_policy = MemoryPolicy::kAuto;
  int64_t memory_budget_bytes = 0;
};

struct LayerInfo {
  std::string name;
  std::string class_name;
  std::vector<std::vector<int64_t>> output_shapes;  // -1 for the batch / unknown dims
  int64_t params = 0;
};

// One input of the model, in the order Keras lists them (input_layers).
struct InputInfo {
  std::string name;            // the InputLayer's name ("input_1", "features", ...)
  std::vector<int64_t> shape;  // without the batch dim; -1 where any size goes
  bool token_ids = false;      // integer ids for an Embedding (a single-input model's input)
  int64_t vocab_size = 0;      // token_ids: valid ids are 0..vocab_size-1 (0 = unchecked)
  bool text = false;           // raw strings (a TextVectorization takes it)
  // A text input without output_sequence_length whose padding is not masked on the way to
  // the outputs (no Embedding mask_zero, or a layer that drops the mask, e.g. Conv1D or
  // GlobalMaxPooling1D). Keras pads a batch to its longest text, so its answer for a row
  // then depends on the batch; quiver gives every row its batch-of-one answer
  // (docs/text.md). `quiver inspect` warns about such inputs.
  bool unmasked_batch_padding = false;
};

struct ModelInfo {
  std::string path;
  std::string format;         // "keras2-h5", "tf.keras-h5", "keras3-h5", "keras-zip", "weights-h5"
  std::string keras_version;  // as written in the file ("2.2.4-tf", "3.8.0", ...), "" if absent
  std::string backend;
  int64_t input_length = -1;  // the fixed sequence length, or -1 when the model accepts any
  int64_t vocab_size = 0;     // the Embedding's input_dim (valid ids are 0..vocab_size-1)
  // The model takes raw strings: its first layer is a Keras TextVectorization (vocabulary
  // and settings from the file). predict_texts() runs it; with output_mode "int" predict()
  // also takes its ids. text_vocab_size: its vocabulary, the mask and OOV tokens included.
  bool text_input = false;
  int64_t text_vocab_size = 0;
  std::vector<InputInfo> inputs;  // one per model input
  std::vector<LayerInfo> layers;
  std::vector<std::vector<int64_t>> output_shapes;  // per model output, batch dim -1
  int64_t total_params = 0;
  int64_t memory_bytes = 0;   // bytes held by the loaded model: memory.total()
  MemoryUsage memory;         // the same by part, for the policy chosen
  MemoryPolicy memory_policy = MemoryPolicy::kTablesFp32;  // the policy chosen (never kAuto)
  // Policy-independent facts estimate_memory() works from: the bytes of every token table
  // in float32 over its whole vocabulary, their rows (summed), and the trajectories' bytes.
  int64_t table_fp32_bytes = 0;
  int64_t table_rows = 0;
  int64_t trajectory_bytes = 0;
  // quiver's metadata, read in the same pass as the model (never a second read of the
  // file): an .h5's quiver_* root string attributes (include/quiver/train.h lists them), or
  // the "quiver" object of a .keras archive's metadata.json with the same keys. Empty for
  // a file quiver did not write.
  std::map<std::string, std::string> metadata;
};

// The bytes `info`'s model would hold under `policy` (with `budget_bytes`, 0 = none, as
// LoadOptions::memory_budget_bytes), from the facts any load of it records, whatever policy
// that load used: a server may load once, or read a stored ModelInfo, and pick policies for
// many models against one budget. kAuto: the policy choose_memory_policy() picks.
// Pure; thread-safe.
MemoryUsage estimate_memory(const ModelInfo& info, MemoryPolicy policy, int64_t budget_bytes = 0);
// What kAuto resolves to for `info` under `budget_bytes` (see MemoryPolicy); any other
// policy is returned unchanged.
MemoryPolicy choose_memory_policy(const ModelInfo& info, MemoryPolicy policy,
                                  int64_t budget_bytes);

struct PredictOptions {
  // Threads this call may use (1 = the calling thread only). Results do not depend on it.
  int threads = 1;
};

class ModelImpl;

class Model {
 public:
  // Loads a .h5 / .keras file (format detected from the bytes). Never throws; a damaged
  // or unsupported file gives an error naming the file, the layer and the reason, and no
  // half-loaded model.
  static Result<std::shared_ptr<const Model>> load(const std::string& path,
                                                   const LoadOptions& options = {});

  const ModelInfo& info() const;
  // The bytes held now: info().memory, except that a kTablesLazy model's tables count the
  // rows filled so far (and its row index). Thread-safe.
  MemoryUsage memory_in_use() const;

  // Runs a single-input model on `batch` rows of `seq_len` padded token ids (row-major,
  // ids.size() == batch * seq_len). Models with several inputs: predict_inputs().
  // Returns one Tensor per model output with a leading batch dim.
  // Errors (InvalidArgument): wrong sizes, a seq_len the model does not accept, ids
  // outside [0, vocab_size).
  Result<std::vector<Tensor>> predict(std::span<const int32_t> ids, int64_t batch,
                                      int64_t seq_len,
                                      const PredictOptions& options = {}) const;

  // Runs a model on one array per input (info().inputs order), each [batch, ...] row-major
  // with the input's shape (-1 dims: any size >= 1, the same for every row). A token-id
  // input's values must be integers in [0, vocab_size). Works for single-input models too.
  // InvalidArgument names the input and the problem. Row isolation as predict().
  Result<std::vector<Tensor>> predict_inputs(std::span<const Tensor> inputs,
                                             const PredictOptions& options = {}) const;

  // For a model with info().text_input: runs TextVectorization on each text, then the
  // model. One output Tensor per model output, `texts.size()` rows. A row's bits depend on
  // its text only (without output_sequence_length, Keras pads a batch to its longest text;
  // here each text is run at its own length, as Keras does for a batch of one).
  // InvalidArgument for a model without text input.
  Result<std::vector<Tensor>> predict_texts(std::span<const std::string> texts,
                                            const PredictOptions& options = {}) const;
  // The ids TextVectorization gives `text` (output_mode "int" only; padded/cut to
  // output_sequence_length when set): what predict() receives for it.
  Result<std::vector<int32_t>> text_ids(std::string_view text) const;
  // For a model with info().text_input: how many tokens of `text` its TextVectorization
  // knows (neither mask nor OOV; within output_sequence_length in int mode). 0 otherwise.
  int64_t text_known_tokens(std::string_view text) const;

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  explicit Model(std::unique_ptr<ModelImpl> impl);  // used by the loader only
  const ModelImpl& impl() const { return *impl_; }

 private:
  std::unique_ptr<ModelImpl> impl_;
};

}  // namespace quiver

#endif  // QUIVER_MODEL_H_
