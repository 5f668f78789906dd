// quiver predict --model MODEL [--architecture FILE] --input-ids
//   stdin: JSON lines, each one padded id sequence ([0,0,12,7]); stdout: JSON lines, each the
//   model's output for that row (flat for 2-D outputs, nested for 3-D, an array of them for
//   several outputs), floats with %.9g.
// quiver predict --model MODEL [--tokenizer FILE] [--labels a,b] [--maxlen N --padding
//   pre|post --truncating pre|post] [--hard-sigmoid M] [--weights W]
//   [--memory-policy P] [--memory-budget-mb N]
//   stdin: text lines; stdout: {"scores":[...],"label":...,"known_tokens":N} per line (a
//   multi-label model adds "labels"). The model is assembled by quiver::Classifier, as serve
//   assembles it: every unset option defaults to what a quiver-trained model records
//   (tokenizer, labels, maxlen, padding, segmenter, thresholds), else Keras' default.
// quiver predict --model B.h5 --train-data B.csv [train options]: trains B.h5 first when it
//   is missing; then --maxlen caps the training length and --padding / --truncating are
//   recorded in the model, and prediction uses the model's own length.
//   [--segmenter MODE] [--user-dict FILE] [--jieba-dir DIR]: the segmenter in front of the
//   tokenizer (docs/chinese.md); default: the one recorded in a quiver-trained model
//   (quiver_segmenter), else none. An explicit --segmenter overrides the recorded one.
// quiver predict --model MULTI_INPUT_MODEL [--input-ids]: one JSON object per line with one
//   field per input ({"input_1": [ids...], "features": [floats...]}); output as --input-ids.
// quiver predict --model TEXT_MODEL: a model whose first layer is TextVectorization reads text
//   lines itself (no tokenizer); stdout as with --tokenizer.
// Rows are run in batches of --batch (default 64) consecutive lines of equal length; results
// do not depend on the batching (Model's isolation promise). Empty input: no output.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/segmenter_args.h"
#include "cli/train_options.h"
#include "quiver/classifier.h"
#include "quiver/tokenizer.h"
#include "quiver/train.h"

namespace quiver::cli {
namespace {

struct PredictArgs {
  ModelArgs model;
  bool input_ids = false;
  std::string tokenizer;
  std::string labels;
  std::optional<int64_t> maxlen;
  std::string padding;     // "" = the model's recorded padding (quiver-trained), else pre
  std::string truncating;  // likewise
  int threads = 1;
  int64_t batch = 64;
  std::string train_data;  // --train-data: train the model first when it is missing
  TrainArgs train;  // also holds --segmenter, --user-dict, --jieba-dir
  const CLI::Option* segmenter_flag = nullptr;  // count() > 0: --segmenter was given
};

// Formats one output row (all outputs) and the row's known-token count as a line of text,
// without the newline.
using RowFormatter =
    std::function<void(const std::vector<Tensor>&, int64_t row, int64_t known, std::string*)>;

// Collects consecutive rows of equal length and runs them as one predict call.
class RowBatcher {
 public:
  RowBatcher(const Classifier& model, const PredictArgs& args, RowFormatter format)
      : model_(model), args_(args), format_(std::move(format)) {}

  Status add(std::vector<int32_t> row, int64_t known_tokens = 0) {
    if (rows_ > 0 && (static_cast<int64_t>(row.size()) != len_ || rows_ >= args_.batch)) {
      QUIVER_RETURN_IF_ERROR(flush());
    }
    len_ = static_cast<int64_t>(row.size());
    ids_.insert(ids_.end(), row.begin(), row.end());
    known_.push_back(known_tokens);
    ++rows_;
    return Status();
  }

  Status flush() {
    if (rows_ == 0) return Status();
    PredictOptions options;
    options.threads = args_.threads;
    QUIVER_ASSIGN_OR_RETURN(std::vector<Tensor> out, model_.predict(ids_, rows_, len_, options));
    std::string text;
    for (int64_t r = 0; r < rows_; ++r) {
      format_(out, r, known_[static_cast<size_t>(r)], &text);
      text.push_back('\n');
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (std::fflush(stdout) != 0) return io_error("stdout: write failed");
    ids_.clear();
    known_.clear();
    rows_ = 0;
    return Status();
  }

 private:
  const Classifier& model_;
  const PredictArgs& args_;
  RowFormatter format_;
  std::vector<int32_t> ids_;
  std::vector<int64_t> known_;
  int64_t rows_ = 0;
  int64_t len_ = 0;
};

// Checks one row against the model so errors name the input line.
Status check_row(const ModelInfo& info, const std::vector<int32_t>& row, size_t line_no) {
  const std::string where = "stdin line " + std::to_string(line_no) + ": ";
  if (row.empty()) return invalid_argument(where + "empty id sequence");
  if (info.input_length >= 0 && static_cast<int64_t>(row.size()) != info.input_length) {
    return invalid_argument(where + std::to_string(row.size()) + " ids, the model takes " +
                            std::to_string(info.input_length));
  }
  for (int32_t id : row) {
    if (info.vocab_size > 0 && (id < 0 || id >= info.vocab_size)) {
      return invalid_argument(where + "token id " + std::to_string(id) +
                              " is outside the vocabulary [0, " + std::to_string(info.vocab_size) + ")");
    }
  }
  return Status();
}

Result<std::vector<int32_t>> parse_ids(const std::string& line, size_t line_no) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  const std::string where = "stdin line " + std::to_string(line_no) + ": ";
  if (!j.is_array()) return invalid_argument(where + "expected a JSON array of token ids");
  std::vector<int32_t> row;
  row.reserve(j.size());
  for (const auto& v : j) {
    if (!v.is_number_integer()) {
      return invalid_argument(where + "'" + v.dump() + "' is not an integer token id");
    }
    // Unsigned values above INT64_MAX would wrap to negative ids through get<int64_t>().
    if ((v.is_number_unsigned() && v.get<uint64_t>() > INT32_MAX) ||
        v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX) {
      return invalid_argument(where + "token id " + v.dump() +
                              " is outside the vocabulary (ids are 32-bit)");
    }
    row.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return row;
}

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

Status run_ids(const Classifier& model, const PredictArgs& args) {
  RowBatcher batcher(model, args, [](const std::vector<Tensor>& out, int64_t row, int64_t,
                                     std::string* text) { append_outputs_row(out, row, text); });
  std::string line;
  size_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (blank(line)) continue;
    QUIVER_ASSIGN_OR_RETURN(std::vector<int32_t> row, parse_ids(line, line_no));
    QUIVER_RETURN_IF_ERROR(check_row(model.info().model, row, line_no));
    QUIVER_RETURN_IF_ERROR(batcher.add(std::move(row)));
  }
  return batcher.flush();
}

// A nested JSON array of numbers -> its values (row-major) and shape; false if ragged.
bool flatten_json(const nlohmann::json& j, std::vector<float>* values, std::vector<int64_t>* shape,
                  size_t depth = 0) {
  if (!j.is_array() || j.empty() || depth > 8) return false;
  if (depth == shape->size()) {
    shape->push_back(static_cast<int64_t>(j.size()));
  } else if ((*shape)[depth] != static_cast<int64_t>(j.size())) {
    return false;
  }
  for (const auto& x : j) {
    if (x.is_number()) {
      if (depth + 1 != shape->size()) return false;
      values->push_back(x.get<float>());
    } else if (!flatten_json(x, values, shape, depth + 1)) {
      return false;
    }
  }
  return true;
}

// Models with several inputs: one JSON object per line, one field per input
// ({"input_1": [ids...], "features": [floats...]}; a text input's field is a string, which
// its TextVectorization reads); consecutive lines whose arrays have the
// same shapes run as one predict_inputs call.
Status run_named_inputs(const Classifier& model, const PredictArgs& args) {
  const std::vector<InputInfo>& inputs = model.info().model.inputs;
  std::vector<Tensor> batch(inputs.size());
  int64_t rows = 0;
  PredictOptions options;
  options.threads = args.threads;
  auto flush = [&]() -> Status {
    if (rows == 0) return Status();
    QUIVER_ASSIGN_OR_RETURN(std::vector<Tensor> out, model.predict_inputs(batch, options));
    std::string text;
    for (int64_t r = 0; r < rows; ++r) {
      append_outputs_row(out, r, &text);
      text.push_back('\n');
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    for (Tensor& t : batch) t = Tensor();
    rows = 0;
    return std::fflush(stdout) == 0 ? Status() : io_error("stdout: write failed");
  };
  std::string line;
  size_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (blank(line)) continue;
    const std::string where = "stdin line " + std::to_string(line_no) + ": ";
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      return invalid_argument(where + "expected a JSON object with one field per input (" +
                              std::to_string(inputs.size()) + " inputs: see quiver inspect)");
    }
    for (const auto& [key, value] : j.items()) {
      bool known = std::any_of(inputs.begin(), inputs.end(),
                               [&](const InputInfo& in) { return in.name == key; });
      if (!known) return invalid_argument(where + "the model has no input '" + key + "'");
    }
    std::vector<std::vector<float>> values(inputs.size());
    std::vector<std::vector<int64_t>> shapes(inputs.size());
    std::vector<std::string> texts(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!j.contains(inputs[i].name)) {
        return invalid_argument(where + "input '" + inputs[i].name + "' is missing");
      }
      const nlohmann::json& field = j[inputs[i].name];
      if (inputs[i].text) {  // a string (or a list of one string: Input(shape=(1,)))
        const nlohmann::json& str = field.is_array() && field.size() == 1 ? field[0] : field;
        if (!str.is_string()) {
          return invalid_argument(where + "input '" + inputs[i].name + "' takes text: expected "
                                  "a string, got " + std::string(field.type_name()));
        }
        texts[i] = str.get<std::string>();
        continue;
      }
      if (!flatten_json(field, &values[i], &shapes[i])) {
        return invalid_argument(where + "input '" + inputs[i].name +
                                "' is not a (nested) array of numbers of one shape");
      }
    }
    bool same = rows > 0 && rows < args.batch;
    for (size_t i = 0; same && i < inputs.size(); ++i) {
      same = std::equal(shapes[i].begin(), shapes[i].end(), batch[i].shape.begin() + 1,
                        batch[i].shape.end());
    }
    if (!same) QUIVER_RETURN_IF_ERROR(flush());
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (rows == 0) {
        batch[i].shape = {0};
        batch[i].shape.insert(batch[i].shape.end(), shapes[i].begin(), shapes[i].end());
      }
      batch[i].shape[0] = rows + 1;
      batch[i].data.insert(batch[i].data.end(), values[i].begin(), values[i].end());
      if (inputs[i].text) batch[i].strings.push_back(std::move(texts[i]));
    }
    ++rows;
  }
  return flush();
}

std::vector<std::string> split_labels(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  for (size_t comma; (comma = s.find(',', start)) != std::string::npos; start = comma + 1) {
    out.push_back(s.substr(start, comma - start));
  }
  out.push_back(s.substr(start));
  return out;
}

void append_label(const std::string& label, std::string* text) {
  *text += nlohmann::json(label).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// {"scores":[...],"label":"...",["labels":[...],]"known_tokens":N}: the model's output row
// and Classifier::decide's answer (the rule serve uses).
void append_scores(const Classifier& c, const std::vector<Tensor>& out, int64_t row,
                   int64_t known_tokens, std::string* text) {
  const Tensor& t = out[0];
  const int64_t n = t.shape[0] ? t.size() / t.shape[0] : 0;
  const float* s = t.data.data() + row * n;
  *text += "{\"scores\":[";
  for (int64_t i = 0; i < n; ++i) {
    if (i) text->push_back(',');
    append_float(s[i], text);
  }
  text->push_back(']');
  const ClassifierInfo& info = c.info();
  if (!info.labels.empty()) {
    const Decision d = c.decide(s);
    *text += ",\"label\":";
    append_label(info.labels[d.label], text);
    if (info.multi_label) {
      *text += ",\"labels\":[";
      for (size_t i = 0; i < d.chosen.size(); ++i) {
        if (i) text->push_back(',');
        append_label(info.labels[d.chosen[i]], text);
      }
      text->push_back(']');
    }
  }
  *text += ",\"known_tokens\":" + std::to_string(known_tokens) + "}";
}

// The explicit options of this command line (the top of the precedence rule).
Result<ClassifierOptions> classifier_options(const PredictArgs& args) {
  ClassifierOptions o;
  o.model_path = args.model.model;
  if (!args.model.architecture.empty()) o.architecture_path = args.model.architecture;
  QUIVER_ASSIGN_OR_RETURN(o.hard_sigmoid, parse_hard_sigmoid_mode(args.model.hard_sigmoid));
  QUIVER_ASSIGN_OR_RETURN(o.weights, parse_weight_mode(args.model.weights));
  QUIVER_ASSIGN_OR_RETURN(o.memory_policy, memory_policy_of(args.model.memory));
  o.memory_budget_bytes = memory_budget_of(args.model.memory);
  if (!args.tokenizer.empty()) o.tokenizer_path = args.tokenizer;
  if (!args.labels.empty()) o.labels = split_labels(args.labels);
  o.maxlen = args.maxlen;
  if (!args.padding.empty()) {
    auto p = parse_pad_mode(args.padding);
    if (!p.ok()) return p.status().with_context("--padding");
    o.padding = *p;
  }
  if (!args.truncating.empty()) {
    auto t = parse_pad_mode(args.truncating);
    if (!t.ok()) return t.status().with_context("--truncating");
    o.truncating = *t;
  }
  if (args.segmenter_flag != nullptr && args.segmenter_flag->count() > 0) {
    o.segmenter = args.train.segmenter;
  }
  if (!args.train.user_dict.empty()) o.user_dict = args.train.user_dict;
  if (!args.train.jieba_dir.empty()) o.jieba_dir = args.train.jieba_dir;
  return o;
}

Status run_text(const Classifier& c, const PredictArgs& args) {
  if (c.tokenizer() == nullptr) {
    return invalid_argument(args.model.model +
                            ": the model records no tokenizer: give --tokenizer FILE, or "
                            "--input-ids with id rows");
  }
  RowBatcher batcher(c, args, [&c](const std::vector<Tensor>& out, int64_t row, int64_t known,
                                    std::string* text) { append_scores(c, out, row, known, text); });
  std::string line;
  size_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto encoded = c.encode(line);
    if (!encoded.ok()) {
      QUIVER_RETURN_IF_ERROR(batcher.flush());  // the lines before the bad one are answered
      return encoded.status().with_context("stdin line " + std::to_string(line_no));
    }
    QUIVER_RETURN_IF_ERROR(check_row(c.info().model, encoded->ids, line_no));
    QUIVER_RETURN_IF_ERROR(batcher.add(std::move(encoded->ids), encoded->known_tokens));
  }
  return batcher.flush();
}

// A model that starts with TextVectorization (Classifier::takes_raw_text): text lines
// straight into the model; output as run_text.
Status run_model_text(const Classifier& c, const PredictArgs& args) {
  PredictOptions options;
  options.threads = args.threads;
  std::vector<std::string> texts;
  std::vector<int64_t> known;
  auto flush = [&]() -> Status {
    if (texts.empty()) return Status();
    QUIVER_ASSIGN_OR_RETURN(std::vector<Tensor> out, c.predict_texts(texts, options));
    std::string text;
    for (size_t r = 0; r < texts.size(); ++r) {
      append_scores(c, out, static_cast<int64_t>(r), known[r], &text);
      text.push_back('\n');
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    texts.clear();
    known.clear();
    return std::fflush(stdout) == 0 ? Status() : io_error("stdout: write failed");
  };
  std::string line;
  size_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto encoded = c.encode(line);
    if (!encoded.ok()) {
      QUIVER_RETURN_IF_ERROR(flush());
      return encoded.status().with_context("stdin line " + std::to_string(line_no));
    }
    known.push_back(encoded->known_tokens);
    texts.push_back(std::move(line));
    if (static_cast<int64_t>(texts.size()) >= args.batch) QUIVER_RETURN_IF_ERROR(flush());
  }
  return flush();
}

Status run_predict(PredictArgs args) {
  if (!args.train_data.empty()) {
    // --maxlen / --padding / --truncating are training options here: the cap on the
    // training length and the padding the model records; predict then uses the model's
    // own length.
    if (args.maxlen) args.train.options.maxlen = *args.maxlen;
    args.maxlen.reset();
    if (!args.padding.empty()) args.train.padding = args.padding;
    if (!args.truncating.empty()) args.train.truncating = args.truncating;
    QUIVER_RETURN_IF_ERROR(finish_train_options(&args.train));
  }
  if (args.input_ids && !args.tokenizer.empty()) {
    return invalid_argument("give --input-ids or --tokenizer FILE, not both");
  }
  if (args.batch < 1 || args.threads < 1) return invalid_argument("--batch and --threads must be >= 1");
  QUIVER_ASSIGN_OR_RETURN(ClassifierOptions options, classifier_options(args));
  std::optional<InterruptGuard> guard;  // Ctrl-C stops training cleanly
  if (!args.train_data.empty()) {  // Classifier::load trains under the model's flock
    guard.emplace();
    args.train.options.stop = guard->flag();
    options.train_data = args.train_data;
    options.train_if_missing = true;
    options.training = args.train.options;
  }
  QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Classifier> c, Classifier::load(options));
  const size_t n_inputs = c->info().model.inputs.size();
  if (n_inputs > 1) {
    if (c->tokenizer() != nullptr && !args.tokenizer.empty()) {
      return invalid_argument("--tokenizer: the model has " + std::to_string(n_inputs) +
                              " inputs; give one JSON object per line with a field per input");
    }
    return run_named_inputs(*c, args);
  }
  if (args.input_ids) return run_ids(*c, args);
  if (c->takes_raw_text()) return run_model_text(*c, args);
  return run_text(*c, args);
}

}  // namespace

void add_predict_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand("predict", "Run a Keras model on id or text lines from stdin");
  cmd->add_option("--model", args->model.model, "model file (.h5 / .keras)")->required();
  add_model_options(cmd, &args->model);
  cmd->add_flag("--input-ids", args->input_ids, "stdin holds JSON arrays of padded token ids");
  cmd->add_option("--tokenizer", args->tokenizer, "Keras tokenizer JSON or pickle; stdin holds text lines");
  cmd->add_option("--labels", args->labels, "comma-separated class labels (text mode)");
  cmd->add_option("--maxlen", args->maxlen, "pad/truncate to N ids (default: the model's length)");
  cmd->add_option("--padding", args->padding, "pre or post (default: the model's, else pre)");
  cmd->add_option("--truncating", args->truncating, "pre or post (default: the model's, else pre)");
  cmd->add_option("--threads", args->threads, "threads per predict call (results do not change)");
  cmd->add_option("--batch", args->batch, "rows per predict call (results do not change)");
  cmd->add_option("--train-data", args->train_data,
                  "CSV to train the model from when --model is missing (then the tokenizer and "
                  "labels default to the trained ones; training options as `quiver train`)");
  add_train_options(cmd, &args->train, /*for_predict=*/true);
  args->segmenter_flag = cmd->get_option("--segmenter");
  cmd->callback([args, &ctx] { run_command(ctx, "predict", [&] { return run_predict(*args); }); });
}

}  // namespace quiver::cli
