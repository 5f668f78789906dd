// quiver::Classifier: a text classifier assembled once — the model, its tokenizer and
// segmenter, the sequence length and padding, the labels and thresholds, and the one
// decision rule. `quiver predict`, `evaluate`, `compare`, the multi-label scorer and every
// model `quiver serve` serves are built by Classifier::load, so they turn a text into the
// same ids and the same answer.
//
// Precedence. Every setting is resolved by one rule:
//     explicit option  >  config  >  what the model file records  >  default
// "explicit" and "config" are two ClassifierOptions merged by ClassifierOptions::merge (a
// CLI flag over `compare --config`'s serve.yaml entry; serve has only the config layer);
// "recorded" is quiver's metadata in the model file (ModelInfo::metadata: quiver_labels,
// quiver_maxlen, quiver_padding, quiver_truncating, quiver_tokenizer, quiver_segmenter,
// quiver_user_dict, quiver_task, quiver_thresholds), read in the same pass as the model,
// for .h5 and .keras alike. Per setting:
//   tokenizer    tokenizer object > tokenizer_path > quiver_tokenizer > fitted on
//                train_data > none (the classifier then takes id rows only). The one
//                exception to "option over recorded": a tokenizer_path whose JSON differs
//                from the quiver_tokenizer a model records is refused (Corruption,
//                check_tokenizer_belongs: the files of two training runs).
//   maxlen       maxlen > quiver_maxlen > the model's fixed input length > none (each text
//                keeps its own length, at least 1). A maxlen that contradicts the model's
//                fixed input length is InvalidArgument. A model that reads raw text
//                (takes_raw_text) sets its own length: maxlen / padding / truncating are
//                InvalidArgument there.
//   padding,
//   truncating   option > quiver_padding / quiver_truncating > "pre" (Keras' default)
//   segmenter    option > quiver_segmenter > "none"; user_dict: option > quiver_user_dict
//                (jieba modes) > none
//   labels       option > quiver_labels > "0", "1", ... (2 labels for one sigmoid unit)
//   multi-label  thresholds given, or multi_label, > quiver_task "multilabel" /
//                quiver_thresholds > single-label
//   thresholds   option (one for all labels, or one per label) > quiver_thresholds > 0.5
//   weights,
//   hard_sigmoid,
//   memory_policy,
//   memory_budget option > fp32 / auto / auto / none (files record none of them)
//
// Decision rule (decide()), Keras' own conventions:
//   - one sigmoid unit: labels[1] iff p > 0.5, else labels[0] — Keras'
//     `(model.predict(x) > 0.5).astype("int32")` (the replacement tf.keras 2.6 gives for
//     Sequential.predict_classes, whose Keras 2 body was `(proba > 0.5).astype('int32')`
//     for a one-unit output). p == 0.5 is therefore labels[0].
//   - several units: argmax, the first index on ties (numpy.argmax, as Keras'
//     `np.argmax(model.predict(x), axis=-1)`).
//   - multi-label: every label whose score is > its threshold (strictly, as above);
//     `label` is still the argmax.
//
// Coverage. encode() counts, per text, the tokens the model knew: ids in the padded row
// that are neither padding (0) nor the tokenizer's oov index. 0 means the model saw no
// word it knows ("unknown input").
//
// Errors: load() returns NotFound / Corruption / Unimplemented / InvalidArgument naming
// the file or the setting (e.g. "model.h5: quiver_maxlen '0' is not a positive integer",
// "labels: 3 labels for an output of 2 unit(s)"); encode() returns InvalidArgument for
// ill-formed UTF-8 (naming the byte) or when the classifier has no tokenizer; predict()
// InvalidArgument for wrong sizes or ids outside [0, vocab_size).
//
// Ownership and thread-safety: load() returns a shared_ptr<const Classifier> that owns
// the model, tokenizer and segmenter (segmenters may share a jieba dictionary through a
// SegmenterCache). A Classifier is immutable after load; every method is const and may
// run concurrently from any number of threads. predict() keeps Model's promise: a row's
// outputs do not depend on its batch or on the thread count.
#ifndef QUIVER_CLASSIFIER_H_
#define QUIVER_CLASSIFIER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quiver/model.h"
#include "quiver/segmenter.h"
#include "quiver/status.h"
#include "quiver/tensor.h"
#include "quiver/tokenizer.h"
#include "quiver/train.h"

namespace quiver {

// What a Classifier runs: a quiver::Model (the default), or a stand-in with the same
// contract in tests. predict must be const, re-entrant, and give a row the same bits
// whatever its batch. info().metadata carries the file's quiver_* metadata.
class ClassifierModel {
 public:
  virtual ~ClassifierModel() = default;
  virtual Result<std::vector<Tensor>> predict(std::span<const int32_t> ids, int64_t batch,
                                              int64_t seq_len,
                                              const PredictOptions& options = {}) const = 0;
  virtual const ModelInfo& info() const = 0;
  // Raw texts, for a model whose info().text_input is set (Model::predict_texts).
  // Default: Unimplemented.
  virtual Result<std::vector<Tensor>> predict_texts(std::span<const std::string> texts,
                                                    const PredictOptions& options = {}) const;
  // One array per input, info().inputs order (Model::predict_inputs). Default: Unimplemented.
  virtual Result<std::vector<Tensor>> predict_inputs(std::span<const Tensor> inputs,
                                                     const PredictOptions& options = {}) const;
  // For a text_input model: the tokens of `text` its TextVectorization knows
  // (Model::text_known_tokens). Default: 0.
  virtual int64_t text_known_tokens(std::string_view text) const;
  // The bytes held now, by part (Model::memory_in_use: a lazy table grows). Default:
  // info().memory, with whatever of info().memory_bytes it leaves out counted as other.
  virtual MemoryUsage memory_in_use() const;
};

// A Model as a ClassifierModel.
std::shared_ptr<const ClassifierModel> classifier_model(std::shared_ptr<const Model> model);

struct ClassifierOptions {
  std::string model_path;  // .h5 or .keras (format detected from the bytes)
  // Model::load's LoadOptions, field by field (unset: LoadOptions' default).
  std::optional<std::string> architecture_path;
  std::optional<HardSigmoidMode> hard_sigmoid;
  std::optional<WeightMode> weights;
  std::optional<MemoryPolicy> memory_policy;    // LoadOptions::memory_policy
  std::optional<int64_t> memory_budget_bytes;   // LoadOptions::memory_budget_bytes
  // Text side (unset: see the precedence table above).
  std::shared_ptr<const Tokenizer> tokenizer;  // wins over tokenizer_path
  std::optional<std::string> tokenizer_path;
  std::optional<std::vector<std::string>> labels;
  std::optional<int64_t> maxlen;
  std::optional<PadMode> padding;
  std::optional<PadMode> truncating;
  std::optional<std::string> segmenter;   // a mode name (include/quiver/segmenter.h)
  std::optional<std::string> user_dict;   // jieba user dictionary file
  std::optional<std::string> jieba_dir;   // default kDefaultJiebaDir
  std::optional<bool> multi_label;
  std::optional<std::vector<double>> thresholds;  // one for all labels, or one per label
  // Train-if-missing: when model_path does not exist, train_data is set and
  // train_if_missing is true, load() trains
  // it (train_model with `training`, its segmenter defaulting to the segmenter above)
  // under an exclusive flock on "<model_path>.lock", so racing processes and threads
  // train once and the others load the winner's file. train_data also fits the tokenizer
  // (training.tokenizer, training.text_column) when no other source gives one.
  std::optional<std::string> train_data;
  std::optional<bool> train_if_missing;  // unset: false (train_data then only fits)
  std::optional<TrainOptions> training;
  // Shares loaded jieba dictionaries between classifiers (not owned; may be null).
  SegmenterCache* segmenters = nullptr;
  // Seams for tests and embedders; empty = the defaults (Model::load, train_model,
  // fit_tokenizer_on_csv).
  std::function<Result<std::shared_ptr<const ClassifierModel>>(const std::string& path,
                                                               const LoadOptions& options)>
      load_model;
  std::function<Status(const std::string& csv, const std::string& model_path,
                       const TrainOptions& options)>
      train;
  std::function<Result<Tokenizer>(const std::string& csv, const TrainOptions& options)>
      fit_tokenizer;

  // Explicit over config: each setting `explicit_options` sets wins, the others come from
  // `config` (model_path, seams and the cache likewise).
  static ClassifierOptions merge(const ClassifierOptions& explicit_options,
                                 const ClassifierOptions& config);
  LoadOptions load_options() const;
};

// Settings as resolved at load.
struct ClassifierInfo {
  ModelInfo model;
  bool trained_by_quiver = false;  // the file records quiver_labels
  bool has_tokenizer = false;
  std::vector<std::string> labels;  // one per score (2 for one sigmoid unit)
  bool multi_label = false;
  std::vector<double> thresholds;   // one per label when multi_label, else empty
  int64_t seq_len = -1;             // padded length of a text; -1: each text its own
  PadMode padding = PadMode::kPre;
  PadMode truncating = PadMode::kPre;
  std::string segmenter = "none";   // mode name
  std::vector<int64_t> output_shape;  // first output without the batch dim
  int64_t output_units = 0;           // its last dim
  // Equal for classifiers that turn a text into the same ids (tokenizer JSON, seq_len,
  // padding, truncating, segmenter mode and user dictionary).
  uint64_t encoding_key = 0;
};

struct EncodedText {
  std::vector<int32_t> ids;  // the padded row
  int64_t known_tokens = 0;  // ids that are neither padding nor the oov index
};

struct Decision {
  size_t label = 0;            // index into labels
  std::vector<size_t> chosen;  // multi-label: every label above its threshold
};

class Classifier {
 public:
  // Trains if missing (see ClassifierOptions::train_data), loads the model, reads its
  // metadata from the same pass, and resolves every setting (precedence above).
  static Result<std::shared_ptr<const Classifier>> load(const ClassifierOptions& options);

  const ClassifierInfo& info() const { return info_; }
  const ClassifierModel& model() const { return *model_; }
  const std::shared_ptr<const ClassifierModel>& shared_model() const { return model_; }
  // Null when the classifier takes id rows only.
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }
  const Segmenter* segmenter() const { return segmenter_.get(); }

  // The model reads raw strings itself (its first layer is a Keras TextVectorization,
  // ModelInfo::text_input) and no tokenizer was given: texts go to predict_texts(), and
  // encode() gives no ids, only the known-token count.
  bool takes_raw_text() const { return !tokenizer_ && info_.model.text_input; }

  // Segments, tokenizes and pads one text (to info().seq_len, or to its own length >= 1).
  // For takes_raw_text(): `ids` is empty and known_tokens is what the model's
  // TextVectorization knows of the text.
  Result<EncodedText> encode(std::string_view text) const;

  // Runs the model on `rows` rows of `seq_len` ids (row-major). InvalidArgument for a
  // length the model does not take or ids outside [0, vocab_size), naming the row.
  Result<std::vector<Tensor>> predict(std::span<const int32_t> ids, int64_t rows,
                                      int64_t seq_len, const PredictOptions& options = {}) const;

  // A takes_raw_text() model on texts (InvalidArgument otherwise); a row's bits depend on
  // its text only.
  Result<std::vector<Tensor>> predict_texts(std::span<const std::string> texts,
                                            const PredictOptions& options = {}) const;
  // One array per model input (info().model.inputs order), for models with several inputs
  // (any model, in fact): Model::predict_inputs.
  Result<std::vector<Tensor>> predict_inputs(std::span<const Tensor> inputs,
                                             const PredictOptions& options = {}) const;

  // One prediction on a neutral input of the kind the model takes ("warm up" for a raw-text
  // model, a row of zeros per input for several inputs, else info().seq_len zero ids, at
  // least 1): proves the loaded model runs. Errors say "warm-up prediction: ...".
  Status warm_up() const;

  // Scores per label for one row of the first output: [1 - p, p] for one sigmoid unit
  // with two labels, else the row itself.
  std::vector<float> label_scores(const float* row) const;
  // The decision for one row of the first output (rule above).
  Decision decide(const float* row) const;

 private:
  Classifier() = default;
  std::shared_ptr<const ClassifierModel> model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::shared_ptr<const Segmenter> segmenter_;
  ClassifierInfo info_;
  int32_t oov_index_ = -1;
};

// "pre" / "post".
Result<PadMode> parse_pad_mode(std::string_view name);
// "auto" / "keras2" / "keras3".
Result<HardSigmoidMode> parse_hard_sigmoid_mode(std::string_view name);

}  // namespace quiver

#endif  // QUIVER_CLASSIFIER_H_
