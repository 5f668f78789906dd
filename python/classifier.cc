// quiver.Classifier: quiver::Classifier (include/quiver/classifier.h) with KerasUtil's
// contract: Classifier(rawtextpath, modelpath, modeltype="bilstm", multiplelabels=False,
// max_features=2000, labels=None, segmenter=None) trains the model when its file is missing
// (under the model's file lock), loads it once, and predict_category(sentence) answers.
// The team's spellings (lstmmodelpath=, predictcategory) are accepted as well.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "bindings.h"
#include "convert.h"
#include "errors.h"
#include "quiver/classifier.h"
#include "quiver/training_options.h"

namespace quiver::python {
namespace {

// What a quiver.Classifier holds: the immutable classifier, shared with calls in flight.
struct PyClassifier {
  std::shared_ptr<const Classifier> classifier;
};

// One text's answer, the shape of a /v1/classify result: label, scores by label, known_tokens
// (ids the model knew), and for a multi-label classifier every label above its threshold.
py::dict result_dict(const Classifier& c, const float* row, int64_t known_tokens) {
  const ClassifierInfo& info = c.info();
  const std::vector<float> scores = c.label_scores(row);
  const Decision d = c.decide(row);
  py::dict out;
  out["label"] = info.labels[d.label];
  py::dict by_label;
  for (size_t i = 0; i < scores.size() && i < info.labels.size(); ++i) {
    by_label[py::str(info.labels[i])] = static_cast<double>(scores[i]);
  }
  out["scores"] = by_label;
  if (info.multi_label) {
    py::list chosen;
    for (size_t i : d.chosen) chosen.append(info.labels[i]);
    out["labels"] = chosen;
  }
  out["known_tokens"] = known_tokens;
  return out;
}

// Encodes and runs `texts` (GIL released): rows of one length run as one batch; a classifier
// without a fixed length runs each text at its own length, as quiver::Classifier encodes it;
// a model that reads raw text (TextVectorization) gets the texts themselves.
py::list classify(const Classifier& c, const std::vector<std::string>& texts) {
  std::vector<EncodedText> encoded(texts.size());
  std::vector<std::vector<Tensor>> outputs;
  Status failed;
  {
    py::gil_scoped_release release;
    for (size_t i = 0; i < texts.size() && failed.ok(); ++i) {
      Result<EncodedText> e = c.encode(texts[i]);
      if (!e.ok()) {
        failed = e.status().with_context("text " + std::to_string(i));
      } else {
        encoded[i] = std::move(e).value();
      }
    }
    if (failed.ok() && c.takes_raw_text()) {  // a TextVectorization model reads the texts
      Result<std::vector<Tensor>> r = c.predict_texts(texts);
      if (!r.ok()) {
        failed = r.status();
      } else {
        outputs.push_back(std::move(r).value());
      }
    }
    // Else one batch per run of rows with the same length (all of them when seq_len is fixed).
    size_t start = c.takes_raw_text() ? texts.size() : 0;
    while (failed.ok() && start < texts.size()) {
      size_t end = start + 1;
      const size_t len = encoded[start].ids.size();
      while (end < texts.size() && encoded[end].ids.size() == len) ++end;
      std::vector<int32_t> ids;
      ids.reserve((end - start) * len);
      for (size_t i = start; i < end; ++i) ids.insert(ids.end(), encoded[i].ids.begin(), encoded[i].ids.end());
      Result<std::vector<Tensor>> r = c.predict(ids, static_cast<int64_t>(end - start), static_cast<int64_t>(len));
      if (!r.ok()) {
        failed = r.status();
      } else {
        outputs.push_back(std::move(r).value());
      }
      start = end;
    }
  }
  check(failed);
  py::list results;
  size_t i = 0;
  for (const auto& out : outputs) {
    const Tensor& first = out[0];
    const int64_t rows = first.shape.empty() ? 0 : first.shape[0];
    const int64_t width = rows > 0 ? first.size() / rows : 0;
    for (int64_t r = 0; r < rows; ++r, ++i) {
      results.append(result_dict(c, first.data.data() + r * width, encoded[i].known_tokens));
    }
  }
  return results;
}

py::object predict_one(const Classifier& c, const std::string& sentence) {
  py::list results = classify(c, {sentence});
  return results[0];  // a new reference, not an accessor into the temporary list
}

py::dict info_dict(const Classifier& c) {
  const ClassifierInfo& i = c.info();
  py::dict d;
  d["model_path"] = i.model.path;
  d["labels"] = i.labels;
  d["multi_label"] = i.multi_label;
  d["thresholds"] = i.thresholds;
  d["maxlen"] = i.seq_len < 0 ? py::object(py::none()) : py::cast(i.seq_len);
  d["padding"] = i.padding == PadMode::kPost ? "post" : "pre";
  d["truncating"] = i.truncating == PadMode::kPost ? "post" : "pre";
  d["segmenter"] = i.segmenter;
  d["has_tokenizer"] = i.has_tokenizer;
  d["trained_by_quiver"] = i.trained_by_quiver;
  d["output_units"] = i.output_units;
  return d;
}

PyClassifier make_classifier(std::optional<std::filesystem::path> rawtextpath,
                             std::optional<std::filesystem::path> modelpath,
                             const std::string& modeltype, bool multiplelabels,
                             std::optional<int64_t> max_features,
                             std::optional<std::vector<std::string>> labels,
                             const py::object& segmenter,
                             std::optional<std::filesystem::path> lstmmodelpath,
                             const py::object& tokenizer, std::optional<int64_t> maxlen,
                             std::optional<std::string> padding, std::optional<std::string> truncating,
                             std::optional<std::filesystem::path> user_dict,
                             std::optional<std::vector<double>> thresholds,
                             const std::string& weights, const std::string& memory_policy,
                             double memory_budget_mb, bool train_if_missing,
                             const py::object& progress, const py::object& verbose,
                             const py::kwargs& training) {
  if (modelpath && lstmmodelpath && *modelpath != *lstmmodelpath) {
    raise_invalid("modelpath and lstmmodelpath name different files: give one");
  }
  if (!modelpath) modelpath = lstmmodelpath;
  if (!modelpath) raise_invalid("modelpath: the model file (.h5 / .keras) is required");
  ClassifierOptions o;
  // One jieba dictionary for every classifier of the process that uses the same one (a
  // dictionary is ~120 MB): the cache holds weak references, so it frees what no one uses.
  static SegmenterCache* const segmenters = new SegmenterCache();
  o.segmenters = segmenters;
  o.model_path = path_string(*modelpath);
  o.weights = unwrap(parse_weight_mode(weights));
  o.memory_policy = unwrap(parse_memory_policy(memory_policy));
  o.memory_budget_bytes = memory_budget_bytes(memory_budget_mb);
  if (labels) o.labels = *labels;
  if (multiplelabels) o.multi_label = true;
  if (thresholds) o.thresholds = *thresholds;
  if (maxlen) o.maxlen = *maxlen;
  if (padding) o.padding = pad_mode(*padding, "padding");
  if (truncating) o.truncating = pad_mode(*truncating, "truncating");
  if (user_dict) o.user_dict = path_string(*user_dict);
  if (!segmenter.is_none()) {
    if (py::hasattr(segmenter, "mode") && !py::isinstance<py::str>(segmenter)) {
      o.segmenter = segmenter.attr("mode").cast<std::string>();
    } else {
      o.segmenter = segmenter.cast<std::string>();
    }
  }
  if (!tokenizer.is_none()) {
    if (py::isinstance<Tokenizer>(tokenizer)) {
      o.tokenizer = std::make_shared<const Tokenizer>(tokenizer.cast<const Tokenizer&>());
    } else {
      o.tokenizer_path = path_string(tokenizer.cast<std::filesystem::path>());
    }
  }
  // Training (only when the model file is missing): KerasUtil's modeltype, max_features
  // (the tokenizer's num_words) and multiplelabels, then any `quiver train` option by name.
  TrainOptions t = train_options(training, py::none(), std::nullopt);
  check(set_training_option(t, "model_type", modeltype));
  if (max_features) check(set_training_option(t, "num_words", std::to_string(*max_features)));
  if (multiplelabels) t.multi_label = true;
  if (rawtextpath) {
    o.train_data = path_string(*rawtextpath);
    o.train_if_missing = train_if_missing;
  }
  TrainingRun run(progress, verbose);
  t.on_progress = run.hook();
  t.stop = run.stop_flag();
  o.training = std::move(t);
  Result<std::shared_ptr<const Classifier>> r = internal_error("not run");
  {
    py::gil_scoped_release release;
    r = Classifier::load(o);
  }
  run.finish(o.model_path, tokenizer_path_for(o.model_path));
  return PyClassifier{unwrap(std::move(r))};
}

}  // namespace

void bind_classifier(py::module_& m) {
  py::class_<PyClassifier>(m, "Classifier", R"doc(
A text classifier assembled once: model, tokenizer, segmenter, length, padding, labels and
thresholds, with KerasUtil's contract, so `from quiver import Classifier as KerasUtil` is the
only change the team's code needs:

    kerasutil_B = Classifier(rawtextpath="B.csv", modelpath="B.h5", modeltype="bilstm")
    result = kerasutil_B.predict_category("some sentence")   # or .predictcategory(...)

When the model file is missing and rawtextpath (a text,label CSV) is given, the model is
trained first (modeltype; max_features = the tokenizer's num_words; multiplelabels: '|'-joined
labels; any `quiver train` option as a keyword, e.g. epochs=10), under an exclusive lock on
"<model>.lock", so processes and threads starting at once train it once and the others load
the winner's file. Otherwise the file is only loaded; what it records (tokenizer, labels,
maxlen, padding, segmenter, thresholds) is used unless given here. Thread-safe: any number of
threads may classify at once (the GIL is released); an answer never depends on what else runs.)doc")
      .def(py::init(&make_classifier), py::arg("rawtextpath") = py::none(),
           py::arg("modelpath") = py::none(), py::arg("modeltype") = "bilstm",
           py::arg("multiplelabels") = false, py::arg("max_features") = 2000,
           py::arg("labels") = py::none(), py::arg("segmenter") = py::none(), py::kw_only(),
           py::arg("lstmmodelpath") = py::none(), py::arg("tokenizer") = py::none(),
           py::arg("maxlen") = py::none(), py::arg("padding") = py::none(),
           py::arg("truncating") = py::none(), py::arg("user_dict") = py::none(),
           py::arg("thresholds") = py::none(), py::arg("weights") = "fp32",
           py::arg("memory_policy") = "auto", py::arg("memory_budget_mb") = 0.0,
           py::arg("train_if_missing") = true, py::arg("progress") = py::none(),
           py::arg("verbose") = py::none())
      .def(
          "predict_category",
          [](const PyClassifier& self, const std::string& sentence) {
            return predict_one(*self.classifier, sentence);
          },
          py::arg("sentence"), R"doc(
The answer for one sentence: {"label": ..., "scores": {label: score, ...}, "known_tokens": n}
(multi-label: also "labels", every label above its threshold). known_tokens counts the ids the
model knew (0: no known word).)doc")
      .def(
          "predictcategory",
          [](const PyClassifier& self, const std::string& sentence) {
            return predict_one(*self.classifier, sentence);
          },
          py::arg("sentence"), "KerasUtil's name for predict_category.")
      .def(
          "predict_categories",
          [](const PyClassifier& self, const py::handle& sentences) {
            return classify(*self.classifier, text_list(sentences, "sentences"));
          },
          py::arg("sentences"), "predict_category for each sentence, as one batch.")
      .def(
          "encode",
          [](const PyClassifier& self, const std::string& text) {
            Result<EncodedText> e = self.classifier->encode(text);
            EncodedText x = unwrap(std::move(e));
            py::array_t<int32_t> ids(static_cast<py::ssize_t>(x.ids.size()));
            std::copy(x.ids.begin(), x.ids.end(), ids.mutable_data());
            return ids;
          },
          py::arg("text"), "The padded id row the model sees for `text`.")
      .def(
          "predict",
          [](const PyClassifier& self, const py::handle& ids) {
            IdRows rows = id_rows(ids, "ids");
            Result<std::vector<Tensor>> out = internal_error("not run");
            {
              py::gil_scoped_release release;
              out = self.classifier->predict(std::span<const int32_t>(rows.data, rows.rows * rows.cols),
                                             rows.rows, rows.cols);
            }
            return tensors_to_list(unwrap(std::move(out)));
          },
          py::arg("ids"), "The model's outputs for padded id rows (as Model.predict).")
      .def_property_readonly("labels", [](const PyClassifier& self) { return self.classifier->info().labels; })
      .def_property_readonly("info", [](const PyClassifier& self) { return info_dict(*self.classifier); })
      .def_property_readonly("tokenizer", [](const PyClassifier& self) {
        const Tokenizer* t = self.classifier->tokenizer();
        return t ? py::cast(Tokenizer(*t)) : py::object(py::none());
      })
      .def("__repr__", [](const PyClassifier& self) {
        const ClassifierInfo& i = self.classifier->info();
        std::string labels;
        for (const auto& l : i.labels) labels += (labels.empty() ? "" : ", ") + l;
        return "<quiver.Classifier '" + i.model.path + "' labels [" + labels + "]>";
      });
}

}  // namespace quiver::python
