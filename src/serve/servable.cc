// Building a Servable: train-if-missing, load, resolve labels and lengths, warm up, and
// compare against a golden file before the new version may serve.
#include "serve/servable.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include <sys/stat.h>

#include "base/file.h"
#include "serve/training_hooks.h"

namespace quiver::serve {
namespace {

namespace fs = std::filesystem;

bool file_exists(const std::string& p) {
  std::error_code ec;
  return !p.empty() && fs::is_regular_file(p, ec);
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


}  // namespace

PredictorLoader model_file_loader() { return PredictorLoader(); }

std::string model_files_identity(const ModelConfig& c) {
  const fs::path model(c.model_path);
  const std::string golden = c.golden_path.empty()
                                 ? (model.parent_path() / model.stem()).string() + ".golden.jsonl"
                                 : c.golden_path;
  std::string out;
  for (const std::string& path :
       {c.model_path, c.architecture_path, c.tokenizer_path, c.user_dict_path, c.train_data_path,
        golden, (model.parent_path() / "inputs.jsonl").string(),
        (model.parent_path() / "expected.jsonl").string()}) {
    struct stat st {};
    out += path;
    if (path.empty() || ::stat(path.c_str(), &st) != 0) {
      out += " -\n";
      continue;
    }
    out += " " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + " " +
           std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + "\n";
  }
  return out;
}

ClassifierOptions classifier_options(const ModelConfig& c) {
  ClassifierOptions o;
  o.model_path = c.model_path;
  if (!c.architecture_path.empty()) o.architecture_path = c.architecture_path;
  o.hard_sigmoid = c.hard_sigmoid;
  o.weights = c.weights;
  o.memory_policy = c.memory_policy;
  o.memory_budget_bytes = c.memory_budget_bytes;
  // A configured tokenizer file that does not exist yet (train_if_missing writes it) gives
  // way to the one the trained model records, or to one fitted on train_data.
  // Anything else at the path (a directory, a FIFO, a symlink loop) is reported as what it
  // is when the classifier reads it.
  if (!c.tokenizer_path.empty() &&
      (base::check_regular_file(c.tokenizer_path).code() != StatusCode::kNotFound ||
       c.train_data_path.empty())) {
    o.tokenizer_path = c.tokenizer_path;
  }
  if (!c.labels.empty()) o.labels = c.labels;
  o.maxlen = c.maxlen;
  o.padding = c.padding;
  o.truncating = c.truncating;
  o.segmenter = c.segmenter;
  if (!c.user_dict_path.empty()) o.user_dict = c.user_dict_path;
  if (c.multi_label) o.multi_label = true;
  if (!c.thresholds.empty()) o.thresholds = c.thresholds;
  if (!c.train_data_path.empty()) {
    o.train_data = c.train_data_path;
    o.train_if_missing = c.train_if_missing;
    o.training = train_options_for(c);
  }
  return o;
}

namespace {

// A tokenizer's bytes, estimated from its vocabulary: each word is held in word_index,
// word_counts and index_word (a std::string and its characters each, hash node and
// vector entry overheads of about 32 bytes).
int64_t tokenizer_bytes(const Tokenizer& t) {
  int64_t bytes = 0;
  for (const auto& [word, index] : t.word_counts()) {
    bytes += 3 * static_cast<int64_t>(sizeof(std::string) + word.size()) + 3 * 32;
  }
  return bytes;
}

// The classifier options with serving's seams: the registry's loader (fakes in tests) and
// training hooks.
ClassifierOptions serving_options(const ModelConfig& config, const PredictorLoader& loader,
                                  const TrainingHooks& hooks, SegmenterCache* segmenters) {
  ClassifierOptions o = classifier_options(config);
  o.segmenters = segmenters;
  // The sandbox check runs after any training and before anything parses the file here.
  o.load_model = [loader, validate = hooks.validate, config](const std::string& path,
                                                             const LoadOptions& options)
      -> Result<std::shared_ptr<const Predictor>> {
    if (validate) QUIVER_RETURN_IF_ERROR(validate(config));
    if (loader) return loader(config);
    QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::load(path, options));
    return classifier_model(std::move(model));
  };
  o.train = [hooks, config](const std::string&, const std::string&,
                            const TrainOptions&) -> Status {
    if (!hooks.train) {
      return unimplemented(config.model_path +
                           ": missing, and training is not available in this build");
    }
    QUIVER_RETURN_IF_ERROR(hooks.train(config).with_context("training from " +
                                                           config.train_data_path));
    if (!file_exists(config.model_path)) {
      return internal_error(config.model_path + ": the trainer finished but wrote no model file");
    }
    return Status();
  };
  if (hooks.fit_tokenizer) {
    o.fit_tokenizer = [hooks, config](const std::string&, const TrainOptions&) {
      return hooks.fit_tokenizer(config);
    };
  }
  return o;
}

// What serving needs beyond the classifier: one score vector per text, and a fixed text
// length (a batch of texts is one [rows, seq_len] id block).
Status check_servable(const Servable& s) {
  if (s.output_units <= 0) {
    return unimplemented("the model has no output with a batch and a units dimension");
  }
  if (s.tokenizer && s.seq_len <= 0) {
    return invalid_argument("the model accepts any input length: set maxlen for text inputs");
  }
  return Status();
}

}  // namespace

Result<std::shared_ptr<const Servable>> make_servable(const ModelConfig& config, int64_t version,
                                                      const PredictorLoader& loader,
                                                      const TrainingHooks& hooks,
                                                      SegmenterCache* segmenters) {
  const std::string context = "model '" + config.name + "'";
  const bool model_existed = file_exists(config.model_path);
  std::string files = model_files_identity(config);  // before the load: a later change shows
  if (config.train_if_missing && !model_existed) {
    std::error_code ec;  // the trainer and its lock file live beside the model
    fs::create_directories(fs::path(config.model_path).parent_path(), ec);
  }
  auto classifier = Classifier::load(serving_options(config, loader, hooks, segmenters));
  if (!classifier.ok()) return classifier.status().with_context(context);
  auto s = std::make_shared<Servable>();
  s->name = config.name;
  s->version = version;
  s->config = config;
  s->classifier = std::move(classifier).value();
  const ClassifierInfo& info = s->classifier->info();
  s->predictor = s->classifier->shared_model();
  s->tokenizer = s->classifier->tokenizer();
  s->labels = info.labels;
  s->thresholds = info.thresholds;
  s->seq_len = info.seq_len;
  s->input_length = info.model.input_length;
  s->vocab_size = info.model.vocab_size;
  s->output_units = info.output_units;
  s->output_shape = info.output_shape;
  s->tokenizer_bytes = s->tokenizer ? tokenizer_bytes(*s->tokenizer) : 0;
  s->memory_bytes = info.model.memory_bytes + s->tokenizer_bytes;
  s->encoding_key = info.encoding_key;
  s->files = model_existed ? std::move(files) : model_files_identity(config);  // trained now
  Status st = check_servable(*s);
  if (st.ok()) st = s->classifier->warm_up();
  if (st.ok()) st = check_golden(config, *s);
  if (!st.ok()) return st.with_context(context);
  return std::shared_ptr<const Servable>(std::move(s));
}

}  // namespace quiver::serve
