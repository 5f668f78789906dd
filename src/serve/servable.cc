// Building a Servable: train-if-missing, load, resolve labels and lengths, warm up, and
// compare against a golden file before the new version may serve.
#include "serve/servable.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "base/file.h"
#include "quiver/train.h"

namespace quiver::serve {
namespace {

namespace fs = std::filesystem;

class ModelPredictor final : public Predictor {
 public:
  explicit ModelPredictor(std::shared_ptr<const Model> model) : model_(std::move(model)) {}
  Result<std::vector<Tensor>> predict(std::span<const int32_t> ids, int64_t batch,
                                      int64_t seq_len) const override {
    return model_->predict(ids, batch, seq_len);
  }
  Result<std::vector<Tensor>> predict_texts(std::span<const std::string> texts) const override {
    return model_->predict_texts(texts);
  }
  const ModelInfo& info() const override { return model_->info(); }

 private:
  std::shared_ptr<const Model> model_;
};

bool file_exists(const std::string& p) {
  std::error_code ec;
  return !p.empty() && fs::is_regular_file(p, ec);
}

Status ensure_files(const ModelConfig& c, const TrainingHooks& hooks) {
  // Only a path where nothing exists is "missing": a symlink loop, a directory or a
  // device is reported as what it is, and never trained over.
  Status present = base::check_regular_file(c.model_path);
  if (present.ok() || present.code() != StatusCode::kNotFound || !c.train_if_missing) {
    return present;
  }
  if (!hooks.train) {
    return unimplemented(c.model_path + ": missing, and training is not available in this build");
  }
  QUIVER_RETURN_IF_ERROR(hooks.train(c).with_context("training from " + c.train_data_path));
  if (!file_exists(c.model_path)) {
    return internal_error(c.model_path + ": the trainer finished but wrote no model file");
  }
  return Status();
}

// The tokenizer, by precedence: the configured file, the one a quiver-trained model
// carries, one fitted on train_data.
Result<std::shared_ptr<const Tokenizer>> load_tokenizer(const ModelConfig& c,
                                                        const TrainedModelFacts* trained,
                                                        const TrainingHooks& hooks) {
  const Status present =
      c.tokenizer_path.empty() ? not_found("") : base::check_regular_file(c.tokenizer_path);
  if (!present.ok() && present.code() != StatusCode::kNotFound) return present;
  if (present.ok()) {
    QUIVER_ASSIGN_OR_RETURN(std::string text, base::read_file(c.tokenizer_path, 1u << 30));
    QUIVER_RETURN_IF_ERROR(check_tokenizer_belongs(trained ? trained->tokenizer_json : "",
                                                   c.model_path, text, c.tokenizer_path));
    Result<Tokenizer> t = Tokenizer::from_bytes(text);  // JSON or pickle
    if (!t.ok()) return t.status().with_context(c.tokenizer_path);
    return std::make_shared<const Tokenizer>(std::move(t).value());
  }
  if (trained != nullptr && !trained->tokenizer_json.empty()) {
    Result<Tokenizer> t = Tokenizer::from_json(trained->tokenizer_json);
    if (!t.ok()) return t.status().with_context(c.model_path + ": quiver_tokenizer");
    return std::make_shared<const Tokenizer>(std::move(t).value());
  }
  if (!c.tokenizer_path.empty() && c.train_data_path.empty()) {
    return base::check_regular_file(c.tokenizer_path);  // why it cannot be read
  }
  if (c.train_data_path.empty()) return std::shared_ptr<const Tokenizer>();
  if (!hooks.fit_tokenizer) {
    return unimplemented(c.train_data_path +
                         ": fitting a tokenizer is not available in this build");
  }
  Result<Tokenizer> t = hooks.fit_tokenizer(c);
  if (!t.ok()) return t.status().with_context(c.train_data_path);
  return std::make_shared<const Tokenizer>(std::move(t).value());
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

Status resolve_labels(const ModelConfig& c, const TrainedModelFacts* trained, Servable& s) {
  const int64_t units = s.output_units;
  if (trained != nullptr) {  // the model's own labels and thresholds, unless configured
    ModelConfig with_facts = c;
    if (c.labels.empty()) with_facts.labels = trained->labels;
    if (!c.multi_label && (trained->multi_label || !trained->thresholds.empty())) {
      with_facts.multi_label = true;
      with_facts.thresholds = trained->thresholds;
    }
    return resolve_labels(with_facts, nullptr, s);
  }
  if (c.labels.empty()) {
    int64_t n = units == 1 ? 2 : units;
    for (int64_t i = 0; i < n; ++i) s.labels.push_back(std::to_string(i));
  } else if ((units == 1 && c.labels.size() == 2) ||
             static_cast<int64_t>(c.labels.size()) == units) {
    s.labels = c.labels;
  } else {
    return invalid_argument("labels: " + std::to_string(c.labels.size()) +
                            " labels for an output of " + std::to_string(units) +
                            " unit(s) (expected " +
                            (units == 1 ? "2 for one sigmoid unit" : std::to_string(units)) + ")");
  }
  if (!c.multi_label) return Status();
  if (c.thresholds.size() == 1) {
    s.thresholds.assign(s.labels.size(), c.thresholds[0]);
  } else if (c.thresholds.size() == s.labels.size()) {
    s.thresholds = c.thresholds;
  } else if (c.thresholds.empty()) {
    s.thresholds.assign(s.labels.size(), 0.5);
  } else {
    return invalid_argument("thresholds: " + std::to_string(c.thresholds.size()) +
                            " thresholds for " + std::to_string(s.labels.size()) + " labels");
  }
  return Status();
}

Status resolve_shapes(const ModelConfig& c, const TrainedModelFacts* trained, Servable& s) {
  const ModelInfo& info = s.predictor->info();
  if (info.output_shapes.empty() || info.output_shapes[0].size() < 2) {
    return unimplemented("the model has no output with a batch and a units dimension");
  }
  s.output_shape.assign(info.output_shapes[0].begin() + 1, info.output_shapes[0].end());
  s.output_units = s.output_shape.back();
  if (s.output_units <= 0)
    return unimplemented("output shape " + shape_text(info.output_shapes[0]));
  s.input_length = info.input_length;
  s.vocab_size = info.vocab_size;
  s.memory_bytes = info.memory_bytes;
  s.seq_len = info.input_length;
  if (c.maxlen) {
    if (info.input_length > 0 && *c.maxlen != info.input_length) {
      return invalid_argument("maxlen " + std::to_string(*c.maxlen) +
                              " differs from the model's input length " +
                              std::to_string(info.input_length));
    }
    s.seq_len = *c.maxlen;
  }
  if (s.seq_len <= 0 && trained != nullptr && trained->maxlen > 0) s.seq_len = trained->maxlen;
  if (s.seq_len <= 0 && c.training.maxlen > 0) s.seq_len = c.training.maxlen;
  s.padding = c.padding.value_or(trained ? trained->padding : PadMode::kPre);
  s.truncating = c.truncating.value_or(trained ? trained->truncating : PadMode::kPre);
  if (s.tokenizer && s.seq_len <= 0) {
    return invalid_argument("the model accepts any input length: set maxlen for text inputs");
  }
  return Status();
}

// Golden check: "<model stem>.golden.jsonl" / `golden:` (lines {"ids": [...], "expected":
// [...]}) or inputs.jsonl + expected.jsonl in the model's folder (one row per line).
struct GoldenCase {
  std::vector<int32_t> ids;
  std::vector<double> expected;
};

void flatten(const nlohmann::json& j, std::vector<double>& out) {
  if (j.is_array()) {
    for (const auto& e : j) flatten(e, out);
  } else {
    out.push_back(j.get<double>());
  }
}

Result<std::vector<GoldenCase>> read_golden(const ModelConfig& c) {
  fs::path model(c.model_path);
  std::string golden = c.golden_path;
  if (golden.empty()) golden = (model.parent_path() / model.stem()).string() + ".golden.jsonl";
  std::string inputs = (model.parent_path() / "inputs.jsonl").string();
  std::string expected = (model.parent_path() / "expected.jsonl").string();
  std::vector<GoldenCase> cases;
  try {
    if (file_exists(golden)) {
      QUIVER_ASSIGN_OR_RETURN(std::string text, base::read_file(golden, 256u << 20));
      std::istringstream in(text);
      for (std::string line; std::getline(in, line);) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        auto j = nlohmann::json::parse(line);
        GoldenCase g;
        g.ids = j.at("ids").get<std::vector<int32_t>>();
        flatten(j.at("expected"), g.expected);
        cases.push_back(std::move(g));
      }
    } else if (c.golden_path.empty() && file_exists(inputs) && file_exists(expected)) {
      QUIVER_ASSIGN_OR_RETURN(std::string in_text, base::read_file(inputs, 256u << 20));
      QUIVER_ASSIGN_OR_RETURN(std::string ex_text, base::read_file(expected, 256u << 20));
      std::istringstream in(in_text), ex(ex_text);
      std::string a, b;
      while (std::getline(in, a) && std::getline(ex, b)) {
        GoldenCase g;
        g.ids = nlohmann::json::parse(a).get<std::vector<int32_t>>();
        flatten(nlohmann::json::parse(b), g.expected);
        cases.push_back(std::move(g));
      }
    } else if (!c.golden_path.empty()) {
      return not_found(golden + ": no such golden file");
    }
  } catch (const std::exception& e) {
    return corruption("golden file next to " + c.model_path + ": " + e.what());
  }
  return cases;
}

Status check_golden(const ModelConfig& c, const Servable& s) {
  QUIVER_ASSIGN_OR_RETURN(std::vector<GoldenCase> cases, read_golden(c));
  for (size_t i = 0; i < cases.size(); ++i) {
    const GoldenCase& g = cases[i];
    if (g.ids.empty()) return corruption("golden case " + std::to_string(i) + ": no ids");
    auto out = s.predictor->predict(g.ids, 1, static_cast<int64_t>(g.ids.size()));
    if (!out.ok()) return out.status().with_context("golden case " + std::to_string(i));
    const Tensor& t = (*out)[0];
    if (t.data.size() != g.expected.size()) {
      return failed_precondition("golden case " + std::to_string(i) + ": " +
                                 std::to_string(t.data.size()) + " outputs, expected " +
                                 std::to_string(g.expected.size()));
    }
    for (size_t k = 0; k < t.data.size(); ++k) {
      if (!(std::fabs(t.data[k] - g.expected[k]) <= c.golden_tolerance)) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "golden case %zu output %zu: got %.9g, expected %.9g", i, k,
                      static_cast<double>(t.data[k]), g.expected[k]);
        return failed_precondition(buf);
      }
    }
  }
  return Status();
}

// The configured segmenter, else the one the model was trained with, else none (null).
Status load_segmenter(const ModelConfig& c, const TrainedModelFacts* trained,
                      SegmenterCache* cache, Servable& s) {
  const std::string mode = c.segmenter.value_or(trained ? trained->segmenter : "none");
  // A user dictionary with the model's recorded "none" is refused by Segmenter::create.
  if (mode == "none" && c.user_dict_path.empty()) return Status();
  if (!s.tokenizer) return invalid_argument("segmenter '" + mode + "' needs a tokenizer");
  SegmenterOptions options;
  options.user_dict = c.user_dict_path;
  options = with_recorded_user_dict(options, mode, trained ? trained->user_dict : "");
  auto seg = cache != nullptr ? cache->get(mode, options) : Segmenter::create(mode, options);
  if (!seg.ok()) return seg.status().with_context("segmenter '" + mode + "'");
  s.segmenter = std::move(seg).value();
  return Status();
}

uint64_t encoding_key(const Servable& s) {
  // Models that take texts themselves all get the texts as they are.
  if (!s.tokenizer) return s.predictor && s.predictor->info().text_input ? 1 : 0;
  std::string key = s.tokenizer->to_json();
  key += "|" + std::to_string(s.seq_len) + "|" + std::to_string(static_cast<int>(s.padding)) +
         std::to_string(static_cast<int>(s.truncating));
  if (s.segmenter) {
    key += "|" + std::string(segmenter_mode_name(s.segmenter->mode())) + "|" +
           s.segmenter->user_dictionary();  // the contents: a file's or a recorded one
  }
  return std::hash<std::string>{}(key);
}

Status warm_up(const Servable& s) {
  if (s.predictor->info().text_input) {
    const std::string text = "warm up";
    auto out = s.predictor->predict_texts(std::span<const std::string>(&text, 1));
    return out.ok() ? Status() : out.status().with_context("warm-up prediction");
  }
  int64_t len = s.seq_len > 0 ? s.seq_len : 1;
  std::vector<int32_t> ids(static_cast<size_t>(len), 0);
  auto out = s.predictor->predict(ids, 1, len);
  if (!out.ok()) return out.status().with_context("warm-up prediction");
  return Status();
}

}  // namespace

PredictorLoader model_file_loader() {
  return [](const ModelConfig& c) -> Result<std::shared_ptr<const Predictor>> {
    LoadOptions options;
    options.architecture_path = c.architecture_path;
    options.weights = c.weights;
    QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::load(c.model_path, options));
    return std::shared_ptr<const Predictor>(std::make_shared<ModelPredictor>(std::move(model)));
  };
}

Result<std::shared_ptr<const Servable>> make_servable(const ModelConfig& config, int64_t version,
                                                      const PredictorLoader& loader,
                                                      const TrainingHooks& hooks,
                                                      SegmenterCache* segmenters) {
  const std::string context = "model '" + config.name + "'";
  auto s = std::make_shared<Servable>();
  s->name = config.name;
  s->version = version;
  s->config = config;
  Status st = ensure_files(config, hooks);
  if (st.ok() && hooks.validate) st = hooks.validate(config);  // before any in-process parse
  if (!st.ok()) return st.with_context(context);
  std::optional<TrainedModelFacts> trained;
  if (hooks.describe) {
    auto info = hooks.describe(config.model_path);
    if (info.ok()) {
      trained = std::move(info).value();
    } else if (info.status().code() != StatusCode::kNotFound) {
      return info.status().with_context(context);
    }
  }
  const TrainedModelFacts* t = trained ? &*trained : nullptr;
  auto tokenizer = load_tokenizer(config, t, hooks);
  if (!tokenizer.ok()) return tokenizer.status().with_context(context);
  s->tokenizer = *tokenizer;
  st = load_segmenter(config, t, segmenters, *s);
  if (!st.ok()) return st.with_context(context);
  auto predictor = loader(config);
  if (!predictor.ok()) return predictor.status().with_context(context);
  s->predictor = *predictor;
  st = resolve_shapes(config, t, *s);
  if (st.ok()) st = resolve_labels(config, t, *s);
  if (!st.ok()) return st.with_context(context);
  s->encoding_key = encoding_key(*s);
  st = warm_up(*s);
  if (st.ok()) st = check_golden(config, *s);
  if (!st.ok()) return st.with_context(context);
  return std::shared_ptr<const Servable>(std::move(s));
}

}  // namespace quiver::serve
