#include "train/evaluate.h"

#include "base/file.h"
#include "quiver/segmenter.h"
#include "train/dataset.h"

namespace quiver::train {
namespace {

constexpr int64_t kEvalBatch = 256;

Result<Tokenizer> load_tokenizer(const TrainedModelInfo& info, const std::string& model_path,
                                 const EvalOptions& o) {
  std::string json = info.tokenizer_json;
  std::string source = model_path + ": quiver_tokenizer";
  if (!o.tokenizer_path.empty() || json.empty()) {
    source = o.tokenizer_path.empty() ? tokenizer_path_for(model_path) : o.tokenizer_path;
    QUIVER_ASSIGN_OR_RETURN(json, base::read_file(source));
    QUIVER_RETURN_IF_ERROR(check_tokenizer_belongs(info.tokenizer_json, model_path, json, source));
  }
  auto t = Tokenizer::from_bytes(json);  // JSON or pickle
  if (!t.ok()) return t.status().with_context(source);
  return t;
}

// The segmenter `name` with `user_dict`, else the model's recorded dictionary; null for none.
Result<std::shared_ptr<const Segmenter>> eval_segmenter(const std::string& name,
                                                        const std::string& user_dict,
                                                        const std::string& recorded_user_dict) {
  const std::string mode = name.empty() ? "none" : name;
  if (mode == "none" && user_dict.empty()) return std::shared_ptr<const Segmenter>();
  SegmenterOptions so;
  so.user_dict = user_dict;
  // refuses a user dictionary without jieba
  return Segmenter::create(mode, with_recorded_user_dict(so, mode, recorded_user_dict));
}

}  // namespace

Result<EvalResult> evaluate_model(const std::string& model_path, const std::string& csv_path,
                                  const EvalOptions& o) {
  LoadOptions lo;
  lo.weights = o.weights;
  QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::load(model_path, lo));
  QUIVER_ASSIGN_OR_RETURN(TrainedModelInfo info, read_trained_model_info(model_path));
  QUIVER_ASSIGN_OR_RETURN(Tokenizer tokenizer, load_tokenizer(info, model_path, o));
  TrainOptions read_opts;
  read_opts.text_column = o.text_column;
  read_opts.label_column = o.label_column;
  read_opts.label_columns = o.label_columns;
  read_opts.skip_bad_rows = o.skip_bad_rows;
  const bool multi = info.task == "multilabel";
  QUIVER_ASSIGN_OR_RETURN(LabeledTexts data, read_labeled_csv(csv_path, read_opts, multi, &info.labels));
  const std::string& seg_name = o.segmenter.empty() ? info.segmenter : o.segmenter;
  QUIVER_ASSIGN_OR_RETURN(auto segmenter, eval_segmenter(seg_name, o.user_dict, info.user_dict));
  QUIVER_RETURN_IF_ERROR(segment_texts(segmenter.get(), tokenizer.config().split, csv_path, &data));
  const int64_t rows = static_cast<int64_t>(data.texts.size()), len = info.maxlen;
  std::vector<float> scores;
  int outputs = 0;
  PredictOptions po;
  po.threads = std::max(1, o.threads);
  for (int64_t begin = 0; begin < rows; begin += kEvalBatch) {
    const int64_t n = std::min(kEvalBatch, rows - begin);
    std::vector<int32_t> ids;
    for (int64_t r = begin; r < begin + n; ++r) {
      auto padded = pad_sequence(tokenizer.text_to_sequence(data.texts[r]), len, info.padding, info.truncating);
      ids.insert(ids.end(), padded.begin(), padded.end());
    }
    QUIVER_ASSIGN_OR_RETURN(std::vector<Tensor> out, model->predict(ids, n, len, po));
    if (out.empty() || out[0].shape.size() != 2) {
      return invalid_argument(model_path + ": expected one [batch, classes] output");
    }
    outputs = static_cast<int>(out[0].shape[1]);
    scores.insert(scores.end(), out[0].data.begin(), out[0].data.end());
  }
  const size_t k = info.labels.size();
  if (!(outputs == static_cast<int>(k) || (outputs == 1 && k == 2))) {
    return corruption(model_path + ": the model has " + std::to_string(outputs) + " outputs for " +
                      std::to_string(k) + " labels");
  }
  EvalResult result;
  result.metrics = compute_metrics(scores, outputs, encode_targets(data, info.labels, false),
                                   info.labels, multi);
  result.skipped_rows = data.skipped;
  result.task = info.task;
  return result;
}

}  // namespace quiver::train
