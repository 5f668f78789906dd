// Servable: one loaded version of one configured model, ready to answer requests.
//
// A Servable bundles what a request needs: one quiver::Classifier (the Keras model with
// its tokenizer, segmenter, labels, thresholds and sequence length, assembled exactly as
// `quiver predict` assembles it). It is immutable once built and is
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

#include "quiver/classifier.h"
#include "quiver/model.h"
#include "quiver/segmenter.h"
#include "quiver/status.h"
#include "quiver/tensor.h"
#include "quiver/tokenizer.h"
#include "serve/config.h"

namespace quiver::serve {

// What serving needs from a model: quiver::ClassifierModel (a quiver::Model, or a fake in
// unit tests). predict must be const, re-entrant and give each row the same bits whatever
// its batch.
using Predictor = quiver::ClassifierModel;

// Loads the model file of a config. Empty (the production default): Model::load with the
// config's load options, inside Classifier::load; tests give fakes.
using PredictorLoader =
    std::function<Result<std::shared_ptr<const Predictor>>(const ModelConfig& config)>;

// Creates missing files before a load: train_if_missing (trains the model and writes it,
// with its tokenizer) and fitting a tokenizer from train_data. Empty functions mean
// "not available": the load then fails with a clear message. Classifier::load runs them
// (train under the model's flock, as `quiver predict --train-data` does).
// `validate` checks a model's files before anything parses them in this process (the
// sandbox of serve/model_sandbox.h), after any training; empty = no check.
struct TrainingHooks {
  std::function<Status(const ModelConfig& config)> train;
  std::function<Status(const ModelConfig& config)> validate;
  std::function<Result<Tokenizer>(const ModelConfig& config)> fit_tokenizer;
};

// The production loader (an empty PredictorLoader: Classifier::load's Model::load).
PredictorLoader model_file_loader();

// The Classifier settings a model's config gives (the "config" layer of the precedence
// rule in include/quiver/classifier.h). Used by serve and by `quiver compare --config`.
ClassifierOptions classifier_options(const ModelConfig& config);

// One loaded version of one configured model. `classifier` is the model with its text
// side; the other fields are copies of classifier->info() that the routes read.
struct Servable {
  std::string name;
  int64_t version = 0;
  ModelConfig config;
  std::shared_ptr<const Classifier> classifier;
  std::shared_ptr<const Predictor> predictor;  // classifier->shared_model()
  // null: the model serves id inputs only, or reads raw text itself
  // (classifier->takes_raw_text(): its first layer is a TextVectorization)
  const Tokenizer* tokenizer = nullptr;
  std::vector<std::string> labels;             // one per score shown (2 for one sigmoid unit)
  std::vector<double> thresholds;              // one per label (multi-label only)
  int64_t seq_len = -1;                        // padded length of text inputs; -1 = any
  int64_t input_length = -1;          // the model's own fixed length or -1
  int64_t vocab_size = 0;             // valid ids are [0, vocab_size)
  int64_t output_units = 0;           // last dim of the first output
  std::vector<int64_t> output_shape;  // first output's shape without batch dim
  int64_t memory_bytes = 0;     // the model's bytes at load plus tokenizer_bytes
  int64_t tokenizer_bytes = 0;  // the tokenizer's (estimated from its vocabulary)
  // Equal for versions that turn a text into the same ids (ClassifierInfo::encoding_key).
  // Group requests tokenize once per key.
  uint64_t encoding_key = 0;
  // model_files_identity(config) when the build began (after training a missing model).
  std::string files;
};

// Identity of every file a model of `config` is built from — model, architecture,
// tokenizer, user dictionary, train data and the golden files (`golden:`, else the
// defaults beside the model) — by device, inode, size and mtime (an absent file counts
// as absent). Equal identities and an equal ModelConfig::entry: the same model.
std::string model_files_identity(const ModelConfig& config);

// Builds and checks a Servable: Classifier::load (trains / fits what is missing through
// `hooks`, loads the model with its metadata, tokenizer and segmenter — from `segmenters`,
// which shares jieba dictionaries between models; null: a private one — and resolves
// labels and lengths), then runs a warm-up prediction and, when a golden file exists,
// compares its outputs. Any failure is an error naming the model.
Result<std::shared_ptr<const Servable>> make_servable(const ModelConfig& config, int64_t version,
                                                      const PredictorLoader& loader,
                                                      const TrainingHooks& hooks,
                                                      SegmenterCache* segmenters = nullptr);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_SERVABLE_H_
