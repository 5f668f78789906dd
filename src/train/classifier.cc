// Classifier::load: train if missing, load the model (its quiver_* metadata comes with it,
// from the same read), then resolve every setting by the one precedence rule of
// include/quiver/classifier.h: option > (config, merged into the options by the caller) >
// recorded in the file > default.
#include "quiver/classifier.h"

#include <algorithm>
#include <filesystem>
#include <functional>

#include "base/file.h"

namespace quiver {
namespace {

namespace fs = std::filesystem;

class ModelAdapter final : public ClassifierModel {
 public:
  explicit ModelAdapter(std::shared_ptr<const Model> model) : model_(std::move(model)) {}
  Result<std::vector<Tensor>> predict(std::span<const int32_t> ids, int64_t batch,
                                      int64_t seq_len,
                                      const PredictOptions& options) const override {
    return model_->predict(ids, batch, seq_len, options);
  }
  const ModelInfo& info() const override { return model_->info(); }
  Result<std::vector<Tensor>> predict_texts(std::span<const std::string> texts,
                                            const PredictOptions& options) const override {
    return model_->predict_texts(texts, options);
  }
  Result<std::vector<Tensor>> predict_inputs(std::span<const Tensor> inputs,
                                             const PredictOptions& options) const override {
    return model_->predict_inputs(inputs, options);
  }
  int64_t text_known_tokens(std::string_view text) const override {
    return model_->text_known_tokens(text);
  }
  MemoryUsage memory_in_use() const override { return model_->memory_in_use(); }

 private:
  std::shared_ptr<const Model> model_;
};

// What load() works out, step by step; becomes the Classifier.
struct Resolving {
  const ClassifierOptions& o;
  std::optional<TrainedModelInfo> recorded;  // the file's quiver_* metadata, when any
  std::shared_ptr<const ClassifierModel> model;
  std::shared_ptr<const Tokenizer> tokenizer;
  std::shared_ptr<const Segmenter> segmenter;
  ClassifierInfo info;
};

TrainOptions training_options(const ClassifierOptions& o,
                              const std::shared_ptr<const Segmenter>& segmenter) {
  TrainOptions t = o.training.value_or(TrainOptions());
  if (!t.segmenter) t.segmenter = segmenter;
  return t;
}

// The segmenter the options name (for training and tokenizer fitting, before any file
// records one); null for none.
Result<std::shared_ptr<const Segmenter>> explicit_segmenter(const ClassifierOptions& o) {
  if (!o.segmenter || (*o.segmenter == "none" && !o.user_dict)) {
    return std::shared_ptr<const Segmenter>();
  }
  SegmenterOptions so;
  if (o.jieba_dir) so.jieba_dir = *o.jieba_dir;
  so.user_dict = o.user_dict.value_or("");
  auto seg = o.segmenters ? o.segmenters->get(*o.segmenter, so) : Segmenter::create(*o.segmenter, so);
  if (!seg.ok()) return seg.status().with_context("segmenter '" + *o.segmenter + "'");
  return seg;
}

Status ensure_model(const ClassifierOptions& o) {
  // Only a path where nothing exists is "missing": a symlink loop, a directory or a device
  // is reported as what it is (check_regular_file's message), never trained over or loaded.
  const Status present = base::check_regular_file(o.model_path);
  if (!present.ok() && present.code() != StatusCode::kNotFound) return present;
  if (!o.train_data || !o.train_if_missing.value_or(false) || present.ok()) return Status();
  return train_if_missing_locked(o.model_path, [&o]() -> Status {
    QUIVER_ASSIGN_OR_RETURN(auto segmenter, explicit_segmenter(o));
    const TrainOptions t = training_options(o, segmenter);
    if (o.train) return o.train(*o.train_data, o.model_path, t);
    auto report = train_model(*o.train_data, o.model_path, t);
    return report.ok() ? Status() : report.status();
  });
}

Status load_model(Resolving& r) {
  const ClassifierOptions& o = r.o;
  const LoadOptions lo = o.load_options();
  if (o.load_model) {
    QUIVER_ASSIGN_OR_RETURN(r.model, o.load_model(o.model_path, lo));
  } else {
    QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Model> m, Model::load(o.model_path, lo));
    r.model = classifier_model(std::move(m));
  }
  r.info.model = r.model->info();
  auto recorded = trained_model_info(r.info.model.metadata, o.model_path);
  if (recorded.ok()) {
    r.recorded = std::move(recorded).value();
  } else if (recorded.status().code() != StatusCode::kNotFound) {
    return recorded.status();
  }
  r.info.trained_by_quiver = r.recorded.has_value();
  return Status();
}

// segmenter option > quiver_segmenter > none; user_dict option > quiver_user_dict.
Status resolve_segmenter(Resolving& r) {
  const ClassifierOptions& o = r.o;
  const std::string mode = o.segmenter.value_or(r.recorded ? r.recorded->segmenter : "none");
  r.info.segmenter = mode;
  if (mode == "none" && !o.user_dict) return Status();  // create() refuses a dict with none
  SegmenterOptions so;
  if (o.jieba_dir) so.jieba_dir = *o.jieba_dir;
  so.user_dict = o.user_dict.value_or("");
  so = with_recorded_user_dict(so, mode, r.recorded ? r.recorded->user_dict : "");
  auto seg = o.segmenters ? o.segmenters->get(mode, so) : Segmenter::create(mode, so);
  if (!seg.ok()) return seg.status().with_context("segmenter '" + mode + "'");
  r.segmenter = std::move(seg).value();
  return Status();
}

// tokenizer object > tokenizer_path > quiver_tokenizer > fitted on train_data > none.
Status resolve_tokenizer(Resolving& r) {
  const ClassifierOptions& o = r.o;
  if (r.info.model.text_input) {  // its TextVectorization is its tokenizer
    if (o.tokenizer || o.tokenizer_path) {
      return invalid_argument("tokenizer: the model takes text itself (its first layer is "
                              "TextVectorization)");
    }
    if (r.segmenter) {
      return invalid_argument("segmenter '" + r.info.segmenter + "': the model takes text "
                              "itself (its first layer is TextVectorization)");
    }
    return Status();
  }
  if (o.tokenizer) {
    r.tokenizer = o.tokenizer;
  } else if (o.tokenizer_path) {
    QUIVER_ASSIGN_OR_RETURN(std::string text, base::read_file(*o.tokenizer_path, 1u << 30));
    // A quiver-trained model and its tokenizer are one unit: a different file beside it
    // comes from another training run and is refused (Corruption naming both files).
    QUIVER_RETURN_IF_ERROR(check_tokenizer_belongs(r.recorded ? r.recorded->tokenizer_json : "",
                                                   o.model_path, text, *o.tokenizer_path));
    Result<Tokenizer> t = Tokenizer::from_bytes(text);  // JSON or pickle, by content
    if (!t.ok()) return t.status().with_context(*o.tokenizer_path);
    r.tokenizer = std::make_shared<const Tokenizer>(std::move(t).value());
  } else if (r.recorded && !r.recorded->tokenizer_json.empty()) {
    Result<Tokenizer> t = Tokenizer::from_json(r.recorded->tokenizer_json);
    if (!t.ok()) return t.status().with_context(o.model_path + ": quiver_tokenizer");
    r.tokenizer = std::make_shared<const Tokenizer>(std::move(t).value());
  } else if (o.train_data) {
    const TrainOptions t = training_options(o, r.segmenter);
    Result<Tokenizer> fitted =
        o.fit_tokenizer ? o.fit_tokenizer(*o.train_data, t)
                        : fit_tokenizer_on_csv(*o.train_data, t.text_column, t.tokenizer,
                                               t.segmenter.get());
    if (!fitted.ok()) return fitted.status().with_context(*o.train_data);
    r.tokenizer = std::make_shared<const Tokenizer>(std::move(fitted).value());
  }
  r.info.has_tokenizer = r.tokenizer != nullptr;
  if (r.segmenter && !r.tokenizer) {
    return invalid_argument("segmenter '" + r.info.segmenter + "' needs a tokenizer");
  }
  return Status();
}

// maxlen > quiver_maxlen > the model's fixed input length > none; padding and truncating
// option > recorded > pre.
Status resolve_lengths(Resolving& r) {
  const ClassifierOptions& o = r.o;
  const int64_t fixed = r.info.model.input_length;
  auto fixed_text = [&] { return std::to_string(fixed); };
  if (!r.tokenizer && r.info.model.text_input) {  // Classifier::takes_raw_text
    if (o.maxlen || o.padding || o.truncating) {
      return invalid_argument("maxlen / padding / truncating: the model's TextVectorization "
                              "sets the length");
    }
    return Status();
  }
  if (o.maxlen) {
    if (*o.maxlen < 1) return invalid_argument("maxlen " + std::to_string(*o.maxlen) + ": must be >= 1");
    if (fixed > 0 && *o.maxlen != fixed) {
      return invalid_argument("maxlen " + std::to_string(*o.maxlen) +
                              " differs from the model's input length " + fixed_text());
    }
    r.info.seq_len = *o.maxlen;
  } else if (r.recorded) {
    if (fixed > 0 && r.recorded->maxlen != fixed) {
      return corruption(o.model_path + ": quiver_maxlen " + std::to_string(r.recorded->maxlen) +
                        " differs from the model's input length " + fixed_text());
    }
    r.info.seq_len = r.recorded->maxlen;
  } else {
    r.info.seq_len = fixed > 0 ? fixed : -1;
  }
  r.info.padding = o.padding.value_or(r.recorded ? r.recorded->padding : PadMode::kPre);
  r.info.truncating = o.truncating.value_or(r.recorded ? r.recorded->truncating : PadMode::kPre);
  return Status();
}

std::string label_count_error(size_t labels, int64_t units) {
  return std::to_string(labels) + " labels for an output of " + std::to_string(units) +
         " unit(s) (expected " + (units == 1 ? "2 for one sigmoid unit" : std::to_string(units)) +
         ")";
}

bool labels_fit(size_t labels, int64_t units) {
  return (units == 1 && labels == 2) || static_cast<int64_t>(labels) == units;
}

// labels > quiver_labels > "0", "1", ...; multi-label and thresholds likewise.
Status resolve_labels(Resolving& r) {
  const ClassifierOptions& o = r.o;
  ClassifierInfo& info = r.info;
  const auto& shapes = info.model.output_shapes;
  if (!shapes.empty() && shapes[0].size() >= 2) {
    info.output_shape.assign(shapes[0].begin() + 1, shapes[0].end());
    info.output_units = info.output_shape.back();
  }
  const int64_t units = info.output_units;
  if (units <= 0 || info.output_shape.size() != 1) {  // not one score vector per text
    if (o.labels) return invalid_argument("labels: the model does not output one score vector per text");
    return Status();
  }
  if (o.labels) {
    if (!labels_fit(o.labels->size(), units)) {
      return invalid_argument("labels: " + label_count_error(o.labels->size(), units));
    }
    info.labels = *o.labels;
  } else if (r.recorded) {
    if (!labels_fit(r.recorded->labels.size(), units)) {
      return corruption(o.model_path + ": quiver_labels: " +
                        label_count_error(r.recorded->labels.size(), units));
    }
    info.labels = r.recorded->labels;
  } else {
    for (int64_t i = 0; i < (units == 1 ? 2 : units); ++i) info.labels.push_back(std::to_string(i));
  }
  const bool recorded_multi =
      r.recorded && (r.recorded->task == "multilabel" || !r.recorded->thresholds.empty());
  info.multi_label = o.multi_label.value_or(o.thresholds.has_value() || recorded_multi);
  if (!info.multi_label) return Status();
  std::vector<double> t = o.thresholds.value_or(
      r.recorded && r.recorded->thresholds.size() == info.labels.size() ? r.recorded->thresholds
                                                                      : std::vector<double>{0.5});
  if (t.size() == 1) t.assign(info.labels.size(), t[0]);
  if (t.size() != info.labels.size()) {
    return invalid_argument("thresholds: " + std::to_string(t.size()) + " thresholds for " +
                            std::to_string(info.labels.size()) + " labels");
  }
  info.thresholds = std::move(t);
  return Status();
}

uint64_t encoding_key(const Resolving& r) {
  // Models that read raw text themselves all get the texts as they are.
  if (!r.tokenizer) return r.info.model.text_input ? 1 : 0;
  std::string key = r.tokenizer->to_json();
  key += "|" + std::to_string(r.info.seq_len) + "|" +
         std::to_string(static_cast<int>(r.info.padding)) +
         std::to_string(static_cast<int>(r.info.truncating));
  if (r.segmenter) {
    key += "|" + std::string(segmenter_mode_name(r.segmenter->mode())) + "|" +
           r.segmenter->user_dictionary();  // the contents: a file's or a recorded one
  }
  return std::hash<std::string>{}(key);
}

}  // namespace

Result<std::vector<Tensor>> ClassifierModel::predict_texts(std::span<const std::string>,
                                                           const PredictOptions&) const {
  return unimplemented("the model takes token ids, not texts");
}

Result<std::vector<Tensor>> ClassifierModel::predict_inputs(std::span<const Tensor>,
                                                            const PredictOptions&) const {
  return unimplemented("the model takes one id input");
}

int64_t ClassifierModel::text_known_tokens(std::string_view) const { return 0; }

MemoryUsage ClassifierModel::memory_in_use() const {
  MemoryUsage m = info().memory;
  m.other += std::max<int64_t>(0, info().memory_bytes - m.total());
  return m;
}

std::shared_ptr<const ClassifierModel> classifier_model(std::shared_ptr<const Model> model) {
  return std::make_shared<ModelAdapter>(std::move(model));
}

Result<std::shared_ptr<const Classifier>> Classifier::load(const ClassifierOptions& options) {
  QUIVER_RETURN_IF_ERROR(ensure_model(options));
  Resolving r{options, {}, nullptr, nullptr, nullptr, {}};
  QUIVER_RETURN_IF_ERROR(load_model(r));
  QUIVER_RETURN_IF_ERROR(resolve_segmenter(r));
  QUIVER_RETURN_IF_ERROR(resolve_tokenizer(r));
  QUIVER_RETURN_IF_ERROR(resolve_lengths(r));
  QUIVER_RETURN_IF_ERROR(resolve_labels(r));
  r.info.encoding_key = encoding_key(r);
  std::shared_ptr<Classifier> c(new Classifier());
  c->model_ = std::move(r.model);
  c->tokenizer_ = std::move(r.tokenizer);
  c->segmenter_ = std::move(r.segmenter);
  c->info_ = std::move(r.info);
  if (c->tokenizer_) c->oov_index_ = c->tokenizer_->oov_token_index().value_or(-1);
  return std::shared_ptr<const Classifier>(std::move(c));
}

}  // namespace quiver
