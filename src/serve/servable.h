// Servable: one loaded version of one configured model, ready to answer requests.
//
// A Servable bundles what a request needs: the predictor (the Keras model), the tokenizer,
// the resolved labels, thresholds and sequence length. It is immutable once built and is
// shared as std::shared_ptr<const Servable>; a reload builds a new one beside it.
//
// Model lifecycle (one configured name, see registry.h):
//
//   (config) --load--> LOADING --ok--> AVAILABLE --reload--> AVAILABLE (v+1 swapped in)
//                         |                |   \--reload fails--> AVAILABLE (v kept, error)
//                         '--fails--> UNAVAILABLE (error)     '--unload--> END
//
// Thread-safety: Servable and Predictor are immutable and thread-safe.
#ifndef QUIVER_SERVE_SERVABLE_H_
#define QUIVER_SERVE_SERVABLE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "quiver/model.h"
#include "quiver/segmenter.h"
#include "quiver/status.h"
#include "quiver/tensor.h"
#include "quiver/tokenizer.h"
#include "serve/config.h"

namespace quiver::serve {

// What serving needs from a model. ModelPredictor wraps quiver::Model; tests use fakes.
// predict must be const, re-entrant and give each row the same bits whatever its batch.
class Predictor {
 public:
  virtual ~Predictor() = default;
  virtual Result<std::vector<Tensor>> predict(std::span<const int32_t> ids, int64_t batch,
                                              int64_t seq_len) const = 0;
  // Raw texts, for a model whose info().text_input is set (Model::predict_texts).
  virtual Result<std::vector<Tensor>> predict_texts(std::span<const std::string> texts) const {
    return unimplemented("the model takes token ids, not texts");
  }
  virtual const ModelInfo& info() const = 0;
};

// Loads the model file of a config (Model::load in production).
using PredictorLoader =
    std::function<Result<std::shared_ptr<const Predictor>>(const ModelConfig& config)>;

// What a model trained by quiver says about itself (the quiver_* attributes of its .h5;
// TrainedModelInfo in include/quiver/train.h). Serving takes defaults from it.
struct TrainedModelFacts {
  std::vector<std::string> labels;
  int64_t maxlen = 0;
  PadMode padding = PadMode::kPre;
  PadMode truncating = PadMode::kPre;
  std::string tokenizer_json;
  std::string segmenter = "none";  // quiver_segmenter
  std::string user_dict;           // quiver_user_dict (text; "" = none)
  bool multi_label = false;        // quiver_task "multilabel"
  std::vector<double> thresholds;  // quiver_thresholds (one per label), or empty
};

// Creates missing files before a load: train_if_missing (trains the model and writes it,
// with its tokenizer) and fitting a tokenizer from train_data. Empty functions mean
// "not available": the load then fails with a clear message.
// `describe` reads a model file's TrainedModelFacts; NotFound for files not trained by
// quiver.
// `validate` checks a model's files before anything parses them in this process (the
// sandbox of serve/model_sandbox.h); empty = no check.
struct TrainingHooks {
  std::function<Status(const ModelConfig& config)> train;
  std::function<Status(const ModelConfig& config)> validate;
  std::function<Result<Tokenizer>(const ModelConfig& config)> fit_tokenizer;
  std::function<Result<TrainedModelFacts>(const std::string& model_path)> describe;
};

// The Model::load-backed loader.
PredictorLoader model_file_loader();

struct Servable {
  std::string name;
  int64_t version = 0;
  ModelConfig config;
  std::shared_ptr<const Predictor> predictor;
  // null: the model serves id inputs only, or takes raw texts itself (its first layer is a
  // TextVectorization: predictor->info().text_input)
  std::shared_ptr<const Tokenizer> tokenizer;
  std::shared_ptr<const Segmenter> segmenter;  // null: none (texts go to the tokenizer as is)
  std::vector<std::string> labels;             // one per score shown (2 for one sigmoid unit)
  std::vector<double> thresholds;              // one per label (multi-label only)
  int64_t seq_len = -1;                        // padded length of text inputs; -1 = any
  PadMode padding = PadMode::kPre;             // for text inputs
  PadMode truncating = PadMode::kPre;
  int64_t input_length = -1;          // the model's own fixed length or -1
  int64_t vocab_size = 0;             // valid ids are [0, vocab_size)
  int64_t output_units = 0;           // last dim of the first output
  std::vector<int64_t> output_shape;  // first output's shape without batch dim
  int64_t memory_bytes = 0;
  // Equal for versions that turn a text into the same ids: a hash of the tokenizer's JSON,
  // seq_len, padding, truncating and segmenter (mode and user dictionary). Group requests
  // tokenize once per key.
  uint64_t encoding_key = 0;
};

// Builds and checks a Servable: trains / fits what is missing (hooks), loads the model,
// tokenizer and segmenter (from `segmenters`, which shares jieba dictionaries between
// models; null: a private one), resolves labels and lengths, runs a warm-up prediction
// and, when a golden file exists, compares its outputs. Any failure is an error naming
// the model.
Result<std::shared_ptr<const Servable>> make_servable(const ModelConfig& config, int64_t version,
                                                      const PredictorLoader& loader,
                                                      const TrainingHooks& hooks,
                                                      SegmenterCache* segmenters = nullptr);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_SERVABLE_H_
