// train_model: CSV -> labels, tokenizer, padded ids -> Network -> Trainer -> files.
#include <algorithm>
#include <cmath>

#include "base/fault.h"
#include "base/file.h"
#include "quiver/train.h"
#include "text/csv.h"
#include "train/dataset.h"
#include "train/model_writer.h"
#include "train/network.h"
#include "train/trainer.h"

namespace quiver {
namespace {

using train::Examples;
using train::LabeledTexts;

struct Task {
  std::vector<std::string> labels;
  std::string name;  // binary, multiclass, multilabel
  bool single_sigmoid = false;
  int outputs = 0;
};

Result<Task> make_task(const LabeledTexts& data, const TrainOptions& o) {
  Task t;
  QUIVER_ASSIGN_OR_RETURN(t.labels, train::label_set(data));
  t.name = data.multi_label ? "multilabel" : t.labels.size() == 2 ? "binary" : "multiclass";
  if (o.binary_sigmoid && t.name != "binary") {
    return invalid_argument("--binary-sigmoid needs exactly two labels (found " +
                            std::to_string(t.labels.size()) + ", task " + t.name + ")");
  }
  if (o.class_weight_balanced && data.multi_label) {
    return invalid_argument("--class-weight balanced is for single-label data (Keras has no "
                            "class weights for multi-label outputs)");
  }
  t.single_sigmoid = o.binary_sigmoid;
  t.outputs = t.single_sigmoid ? 1 : static_cast<int>(t.labels.size());
  return t;
}

// Rows [begin, end) of `data` as padded examples.
Examples to_examples(const LabeledTexts& data, size_t begin, size_t end,
                     const std::vector<std::vector<int32_t>>& seqs, const Task& task,
                     int maxlen, const TrainOptions& o, bool weighted) {
  Examples ex;
  ex.rows = static_cast<int64_t>(end - begin);
  ex.maxlen = maxlen;
  ex.outputs = task.outputs;
  LabeledTexts part;
  part.multi_label = data.multi_label;
  part.labels.assign(data.labels.begin() + begin, data.labels.begin() + end);
  ex.targets = train::encode_targets(part, task.labels, task.single_sigmoid);
  if (weighted) ex.weights = train::balanced_weights(part, task.labels);
  for (size_t i = begin; i < end; ++i) {
    auto padded = pad_sequence(seqs[i], maxlen, o.padding, o.truncating);
    ex.ids.insert(ex.ids.end(), padded.begin(), padded.end());
  }
  return ex;
}

train::ArchSpec arch_for(const TrainOptions& o, const Task& task, int vocab, int maxlen) {
  train::ArchSpec s;
  s.type = o.type;
  s.vocab_size = vocab;
  s.maxlen = maxlen;
  s.embed_dim = o.embed_dim;
  s.units = o.units;
  s.filters = o.filters;
  s.kernel_size = o.kernel_size;
  s.dropout = o.dropout;
  s.recurrent_dropout = o.recurrent_dropout;
  s.spatial_dropout = o.spatial_dropout;
  s.mask_zero = o.mask_zero;
  s.outputs = task.outputs;
  s.output = task.name == "multilabel" || task.single_sigmoid ? train::OutputKind::kSigmoid
                                                              : train::OutputKind::kSoftmax;
  return s;
}

Status check_options(const TrainOptions& o) {
  if (o.epochs < 1) return invalid_argument("--epochs must be at least 1");
  if (o.batch_size < 1) return invalid_argument("--batch-size must be at least 1");
  if (!(o.validation_split >= 0 && o.validation_split < 1)) {
    return invalid_argument("--validation-split must be in [0, 1)");
  }
  if (o.maxlen < 0) return invalid_argument("--maxlen must not be negative");
  if (!(o.learning_rate > 0)) return invalid_argument("--learning-rate must be positive");
  return validate_tokenizer_config(o.tokenizer);
}

}  // namespace

Result<Tokenizer> fit_tokenizer_on_csv(const std::string& csv_path, const std::string& text_column,
                                       TokenizerConfig config, const Segmenter* segmenter,
                                       CsvRowOptions rows, int64_t* skipped) {
  QUIVER_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::create(std::move(config)));
  text::CsvOptions csv_options;
  csv_options.require_header_width = false;  // checked per row: a bad row may be skipped
  QUIVER_ASSIGN_OR_RETURN(text::CsvTable table, text::read_csv_file(csv_path, csv_options));
  QUIVER_ASSIGN_OR_RETURN(size_t column, table.column(text_column, csv_path));
  std::vector<std::string> texts;
  texts.reserve(table.rows.size());
  if (skipped != nullptr) *skipped = 0;
  for (text::CsvRow& row : table.rows) {
    Status row_ok = train::check_text_row(row, table.header.size(), column, text_column,
                                          rows.allow_empty_text);
    if (!row_ok.ok()) {
      if (!rows.skip_bad_rows) return train::bad_row(csv_path, row, row_ok);
      if (skipped != nullptr) ++*skipped;
      continue;
    }
    std::string& t = row.fields[column];
    if (segmenter != nullptr) {
      QUIVER_ASSIGN_OR_RETURN(t, segment_for_tokenizer(*segmenter, t, tokenizer.config().split));
    }
    texts.push_back(std::move(t));
  }
  QUIVER_RETURN_IF_ERROR(tokenizer.fit_on_texts(texts).with_context(csv_path));
  return tokenizer;
}

Result<TrainReport> train_model(const std::string& csv_path, const std::string& model_path,
                                const TrainOptions& o) {
  QUIVER_RETURN_IF_ERROR(check_options(o));
  // Output problems (missing or read-only folder) are found before hours of training.
  QUIVER_RETURN_IF_ERROR(base::check_output_path(model_path));
  QUIVER_RETURN_IF_ERROR(base::check_output_path(tokenizer_path_for(model_path)));
  QUIVER_ASSIGN_OR_RETURN(LabeledTexts data, train::read_labeled_csv(csv_path, o, false, nullptr));
  QUIVER_ASSIGN_OR_RETURN(Task task, make_task(data, o));
  QUIVER_RETURN_IF_ERROR(segment_texts(o.segmenter.get(), o.tokenizer.split, csv_path, &data));
  // The tokenizer sees every text of the training file (the usual Keras recipe fits it
  // before splitting off validation rows).
  QUIVER_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::create(o.tokenizer));
  QUIVER_RETURN_IF_ERROR(tokenizer.fit_on_texts(data.texts).with_context(csv_path));
  std::vector<std::vector<int32_t>> seqs;
  size_t longest = 0;
  for (const auto& t : data.texts) {
    seqs.push_back(tokenizer.text_to_sequence(t));
    longest = std::max(longest, seqs.back().size());
  }
  // Keras pad_sequences: maxlen > 0 pads / truncates every row to exactly maxlen; unset,
  // the longest row decides (a CNN needs at least kernel_size steps; network.cc refuses an
  // explicit maxlen shorter than that).
  int64_t maxlen = std::max<int64_t>(1, static_cast<int64_t>(longest));
  if (o.type == "cnn") maxlen = std::max<int64_t>(maxlen, o.kernel_size);
  if (o.maxlen > 0) maxlen = o.maxlen;
  const int64_t vocab = std::max<int64_t>(o.tokenizer.num_words.value_or(0),
                                          int64_t{tokenizer.max_sequence_id()} + 1);
  const size_t n = data.texts.size();
  size_t train_end = n;
  Examples validation;
  bool has_validation = false;
  if (!o.validation_path.empty()) {
    QUIVER_ASSIGN_OR_RETURN(LabeledTexts v, train::read_labeled_csv(o.validation_path, o,
                                                                   data.multi_label, &task.labels));
    QUIVER_RETURN_IF_ERROR(segment_texts(o.segmenter.get(), o.tokenizer.split, o.validation_path, &v));
    std::vector<std::vector<int32_t>> vseqs;
    for (const auto& t : v.texts) vseqs.push_back(tokenizer.text_to_sequence(t));
    validation = to_examples(v, 0, v.texts.size(), vseqs, task, maxlen, o, false);
    has_validation = true;
  } else if (o.validation_split > 0) {
    train_end = static_cast<size_t>(std::floor(n * (1.0 - o.validation_split)));
    if (train_end == 0 || train_end == n) {
      return invalid_argument("--validation-split " + std::to_string(o.validation_split) +
                              " leaves no training or no validation rows out of " + std::to_string(n));
    }
    validation = to_examples(data, train_end, n, seqs, task, maxlen, o, false);
    has_validation = true;
  }
  Examples training = to_examples(data, 0, train_end, seqs, task, maxlen, o, o.class_weight_balanced);
  QUIVER_ASSIGN_OR_RETURN(auto net, train::Network<float>::build(
                                        arch_for(o, task, static_cast<int>(vocab), static_cast<int>(maxlen))));
  // The model holds every weight as float32 and the tokenizer twice (attribute and side
  // file); 64 KiB covers the HDF5 structure and the config.
  const uint64_t tokenizer_bytes = tokenizer.to_json().size();
  QUIVER_RETURN_IF_ERROR(base::check_free_space(
      model_path, uint64_t(net->num_params()) * 4 + 2 * tokenizer_bytes + (64u << 10)));
  std::vector<float> weights(net->num_params());
  net->init_params(o.seed, weights.data());
  train::Trainer trainer(*net, o);
  base::fault_point("train: started");
  train::FitResult fit = trainer.fit(training, has_validation ? &validation : nullptr, &weights);
  base::fault_point("train: fitted, nothing written");

  TrainReport report;
  report.epochs = fit.epochs;
  report.best_epoch = fit.best_epoch;
  report.interrupted = fit.interrupted;
  report.early_stopped = fit.early_stopped;
  report.train_rows = training.rows;
  report.validation_rows = has_validation ? validation.rows : 0;
  report.skipped_rows = data.skipped;
  report.labels = task.labels;
  report.task = task.name;
  report.maxlen = maxlen;
  report.vocab_size = vocab;
  report.params = net->num_params();
  report.tokenizer_path = tokenizer_path_for(model_path);
  train::ModelFiles files{model_path, *net, weights, tokenizer, task.labels, task.name, o};
  QUIVER_RETURN_IF_ERROR(train::write_model_files(files));
  return report;
}

}  // namespace quiver
