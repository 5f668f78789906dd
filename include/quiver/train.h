// Training Keras text classifiers from a CSV, in C++; train-when-missing.
//
// train_model() reads a CSV of texts and labels, fits a Keras Tokenizer on the texts,
// trains an Embedding → (Bi)LSTM / (Bi)GRU / Conv1D → Dense classifier with exact gradients
// and Keras' Adam, and writes
//   <model>.h5              a tf.keras 2.x full-model file (model_config, model_weights)
//                           that Keras' load_model and quiver::Model::load both read, plus
//                           the root attributes below;
//   <model>.tokenizer.json  the fitted tokenizer (Keras tokenizer_from_json format), for
//                           B.h5 -> B.tokenizer.json.
// Root attributes of the .h5 (variable-length UTF-8 strings), so a model is self-describing:
//   quiver_labels      JSON array of label names, in output order (sorted unique labels)
//   quiver_task        "binary", "multiclass" or "multilabel"
//   quiver_output      "softmax" or "sigmoid" (binary with one sigmoid unit: the score is
//                      P(labels[1]))
//   quiver_maxlen      decimal sequence length
//   quiver_padding, quiver_truncating   "pre" or "post"
//   quiver_tokenizer   the tokenizer JSON (same as the side file)
//   quiver_segmenter   the segmenter name ("none" unless one was configured)
//   quiver_version     the quiver version that trained it
// Both files are written atomically (temp file + rename), the model first. They are one
// unit: the model records its tokenizer, and every reader refuses a tokenizer file that
// differs from it (check_tokenizer_belongs), so files of two runs are never paired.
// Output paths are checked (folder exists and is writable, disk space for the model)
// before training starts.
//
// Determinism: with the same data, options and seed, the weights are bit-identical
// whatever `threads` is: each batch is split into fixed chunks of kTrainChunk examples
// whose gradients are summed in chunk order.
// Thread-safety: the functions are thread-safe; HDF5 access goes through keras_io's
// process-wide Hdf5Lock.
#ifndef QUIVER_TRAIN_H_
#define QUIVER_TRAIN_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quiver/model.h"
#include "quiver/segmenter.h"
#include "quiver/status.h"
#include "quiver/tokenizer.h"

namespace quiver {

inline constexpr int kTrainChunk = 16;  // examples per gradient chunk (fixed: determinism)

struct EpochStats {
  int epoch = 0;  // 1-based
  double loss = 0, acc = 0;
  bool has_validation = false;
  double val_loss = 0, val_acc = 0;
  double seconds = 0;
};

// Called on the training thread: after every batch (done = false) and after every epoch
// (done = true, stats complete).
struct TrainProgress {
  int epoch = 0, epochs = 0;
  int64_t step = 0, steps = 0;
  double elapsed_seconds = 0;
  EpochStats stats;  // running loss / acc so far in the epoch
  bool done = false;
};

struct TrainOptions {
  // Data.
  std::string text_column = "text";
  std::string label_column = "label";
  std::vector<std::string> label_columns;  // multi-label from 0/1 columns (overrides the above)
  bool multi_label = false;  // force `|`-joined multi-label (auto when a label holds '|')
  bool skip_bad_rows = false;  // rows with a wrong field count, an empty text or no label
                               // are skipped and counted instead of failing (file:line)
  std::string validation_path;   // a separate validation CSV, or
  double validation_split = 0;   // the LAST fraction of the rows (as Keras)
  // Text preprocessing. The segmenter (when set) splits each raw text into words that are
  // joined with the tokenizer's split string (segment_for_tokenizer); its mode name is
  // recorded in the file as quiver_segmenter.
  TokenizerConfig tokenizer = [] {
    TokenizerConfig c;
    c.num_words = 2000;
    return c;
  }();
  std::shared_ptr<const Segmenter> segmenter;  // null: none
  // Keras pad_sequences' maxlen: every sequence is padded / truncated to exactly this
  // length (padding / truncating say at which end); 0 = the longest training sequence.
  int64_t maxlen = 0;
  PadMode padding = PadMode::kPre, truncating = PadMode::kPre;
  // Architecture. One set of defaults for the CLI, the serve config and this API
  // (src/train/option_table.cc reads them from here): a small network that trains in
  // seconds and serves fast; the team's reference shape (issue 5) is embed_dim 128,
  // units 196 (docs/training.md, "Options").
  std::string type = "lstm";  // lstm, bilstm, gru, bigru, cnn ("model_type")
  int embed_dim = 32, units = 32, filters = 32, kernel_size = 5;
  float dropout = 0.2f, recurrent_dropout = 0.2f, spatial_dropout = 0.4f;
  bool mask_zero = false;
  bool binary_sigmoid = false;  // binary task as one sigmoid unit instead of a 2-way softmax
  // Optimisation.
  int epochs = 5, batch_size = 32;
  float learning_rate = 1e-3f;
  uint64_t seed = 1;
  int threads = 0;   // 0 = all cores; the result does not depend on it
  int patience = 0;  // > 0: early stopping on val_loss, restoring the best weights
  bool class_weight_balanced = false;  // sklearn "balanced" weights (single-label only)
  // Reporting and cancellation (both optional, owned by the caller).
  std::function<void(const TrainProgress&)> on_progress;
  const std::atomic<bool>* stop = nullptr;  // set → stop after the current batch
};

struct TrainReport {
  std::vector<EpochStats> epochs;
  int best_epoch = 0;          // whose weights were written (1-based)
  bool interrupted = false;    // `stop` was raised
  bool early_stopped = false;
  int64_t train_rows = 0, validation_rows = 0, skipped_rows = 0;
  std::vector<std::string> labels;
  std::string task;            // binary, multiclass, multilabel
  int64_t maxlen = 0, vocab_size = 0, params = 0;
  std::string tokenizer_path;
};

// How fit_tokenizer_on_csv treats a bad row: a field count unlike the header's, or an empty
// (or all-blank) text.
struct CsvRowOptions {
  bool skip_bad_rows = false;     // leave bad rows out (counted) instead of failing
  bool allow_empty_text = false;  // empty texts are fine (Keras counts them as documents)
};

// A Tokenizer with `config` fitted on the `text_column` of a CSV, each text first segmented
// (words joined by config.split) when `segmenter` is not null. A bad row is an
// InvalidArgument naming the file and line, unless rows.skip_bad_rows: then it is left out
// and counted in *skipped (if given).
Result<Tokenizer> fit_tokenizer_on_csv(const std::string& csv_path, const std::string& text_column,
                                       TokenizerConfig config, const Segmenter* segmenter = nullptr,
                                       CsvRowOptions rows = {}, int64_t* skipped = nullptr);

// Trains on csv_path and writes model_path (+ its tokenizer JSON). Errors: NotFound /
// IOError for files, InvalidArgument for bad options or data (naming the file, line and
// column), Cancelled if stopped before the first batch finished.
Result<TrainReport> train_model(const std::string& csv_path, const std::string& model_path,
                                const TrainOptions& options);

// The tokenizer file beside a model: "B.h5" -> "B.tokenizer.json".
std::string tokenizer_path_for(const std::string& model_path);

// If model_path does not exist, trains it from csv_path (as train_model) and then loads
// it; otherwise just loads it. Several processes or threads racing on the same missing
// model are safe: the trainer holds an flock on "<model_path>.lock"; the others wait for
// it, then load the winner's file.
Result<std::shared_ptr<const Model>> load_or_train(const std::string& model_path,
                                                   const std::string& csv_path,
                                                   const TrainOptions& options,
                                                   const LoadOptions& load_options = {});

// Runs `train` (which must write model_path) when model_path does not exist, holding the
// flock on "<model_path>.lock" that load_or_train uses; a caller that finds the file
// written by a racing process while it waited for the lock does not train. Errors: the
// lock's IOError, or `train`'s with context.
Status train_if_missing_locked(const std::string& model_path, const std::function<Status()>& train);

// The quiver_* root attributes of a model trained by quiver.
struct TrainedModelInfo {
  std::vector<std::string> labels;
  std::string task, output;
  int64_t maxlen = 0;
  PadMode padding = PadMode::kPre, truncating = PadMode::kPre;
  std::string tokenizer_json;
  std::string segmenter = "none";
  std::string user_dict;           // quiver_user_dict: the user dictionary's text ("" = none)
  std::vector<double> thresholds;  // quiver_thresholds (train-multilabel); empty when absent
};
// NotFound if the file has no quiver_labels attribute (not trained by quiver); Corruption
// for malformed quiver_* attributes, naming the file.
// Reads the file again: prefer trained_model_info(model->info().metadata, ...) on a loaded
// model, which also covers a .keras archive.
Result<TrainedModelInfo> read_trained_model_info(const std::string& model_path);
// The same from metadata already read with the model (ModelInfo::metadata); `model_path`
// names the file in messages.
Result<TrainedModelInfo> trained_model_info(const std::map<std::string, std::string>& metadata,
                                            const std::string& model_path);

// Checks that a tokenizer JSON read from `tokenizer_path` is the one the model was trained
// with. A model trained by quiver records its tokenizer (quiver_tokenizer, passed here as
// `recorded_json`; "" for other models); a different
// tokenizer beside it comes from another training run (e.g. a run killed between writing
// the model and its tokenizer) and would give wrong numbers silently: Corruption naming
// both files. OK when they match (same bytes or the same JSON) or the model records none.
Status check_tokenizer_belongs(const std::string& recorded_json, const std::string& model_path,
                               const std::string& tokenizer_json,
                               const std::string& tokenizer_path);

// quiver_thresholds' value: a JSON array of `labels` numbers in [0, 1]; Corruption otherwise.
Result<std::vector<double>> parse_thresholds(const std::string& json, size_t labels);

}  // namespace quiver

#endif  // QUIVER_TRAIN_H_
