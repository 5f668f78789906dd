// quiver.train (with a progress callback or a Keras-like progress bar) and quiver.evaluate.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "bindings.h"
#include "convert.h"
#include "errors.h"
#include "quiver/evaluate.h"
#include "quiver/train.h"
#include "quiver/training_options.h"

namespace quiver::python {
namespace {

// A keyword argument's value in the option table's text form (as a CLI flag or YAML value).
std::string option_text(const std::string& key, const py::handle& v) {
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>() ? "true" : "false";
  if (py::isinstance<py::int_>(v)) return py::str(v);
  if (py::isinstance<py::float_>(v)) return py::repr(v);
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    std::string joined;
    for (const py::handle& x : v) joined += (joined.empty() ? "" : ",") + x.cast<std::string>();
    return joined;
  }
  if (py::hasattr(v, "__fspath__")) return py::module_::import("os").attr("fspath")(v).cast<std::string>();
  raise_invalid(key + ": unsupported value " + py::repr(v).cast<std::string>());
}

// `type=` is the issue's and the CLI's short name for model_type; `validation_data=` Keras'.
std::string option_key(const std::string& key) {
  if (key == "type") return "model_type";
  if (key == "validation_data") return "validation";
  return key;
}

py::dict progress_dict(const TrainProgress& p) {
  py::dict d;
  d["epoch"] = p.epoch;
  d["epochs"] = p.epochs;
  d["step"] = p.step;
  d["steps"] = p.steps;
  d["elapsed_seconds"] = p.elapsed_seconds;
  d["loss"] = p.stats.loss;
  d["accuracy"] = p.stats.acc;
  if (p.stats.has_validation) {
    d["val_loss"] = p.stats.val_loss;
    d["val_accuracy"] = p.stats.val_acc;
  }
  d["done"] = p.done;
  return d;
}

std::string format_duration(double seconds) {
  char buf[32];
  if (seconds >= 3600) {
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", int(seconds) / 3600, int(seconds) % 3600 / 60, int(seconds) % 60);
  } else if (seconds >= 60) {
    std::snprintf(buf, sizeof buf, "%d:%02d", int(seconds) / 60, int(seconds) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ds", int(seconds));
  }
  return buf;
}

std::string metrics_text(const EpochStats& s, bool with_validation) {
  char buf[160];
  std::snprintf(buf, sizeof buf, " - loss: %.4f - accuracy: %.4f", s.loss, s.acc);
  std::string out = buf;
  if (with_validation && s.has_validation) {
    std::snprintf(buf, sizeof buf, " - val_loss: %.4f - val_accuracy: %.4f", s.val_loss, s.val_acc);
    out += buf;
  }
  return out;
}

}  // namespace

// Keras' progress output (keras.utils.Progbar, as model.fit prints it): verbose 1 is the bar
// ("Epoch 1/5" then "12/12 [====>...] - ETA: 1s - loss: ..." redrawn in place, every 50 ms
// at most), verbose 2 one line per epoch. Written to sys.stdout (called with the GIL held).
class ProgressBar {
 public:
  explicit ProgressBar(int verbose) : verbose_(verbose) {}

  void operator()(const TrainProgress& p) {
    py::object out = py::module_::import("sys").attr("stdout");
    if (p.epoch != epoch_) {
      epoch_ = p.epoch;
      epoch_start_ = p.elapsed_seconds;
      out.attr("write")("Epoch " + std::to_string(p.epoch) + "/" + std::to_string(p.epochs) + "\n");
    }
    const double in_epoch = p.elapsed_seconds - epoch_start_;
    if (verbose_ == 2) {
      if (p.done) {
        out.attr("write")(std::to_string(p.steps) + "/" + std::to_string(p.steps) + " - " +
                          format_duration(in_epoch) + metrics_text(p.stats, true) + "\n");
        out.attr("flush")();
      }
      return;
    }
    if (!p.done && p.elapsed_seconds - last_draw_ < 0.05) return;
    last_draw_ = p.elapsed_seconds;
    const int digits = static_cast<int>(std::to_string(p.steps).size());
    char head[64];
    std::snprintf(head, sizeof head, "%*lld/%lld [", digits, static_cast<long long>(p.step),
                  static_cast<long long>(p.steps));
    std::string bar = head;
    const int width = 30;
    const int filled = p.steps > 0 ? static_cast<int>(width * p.step / p.steps) : width;
    if (filled > 0) bar += std::string(filled - 1, '=') + (p.step < p.steps ? ">" : "=");
    bar += std::string(width - std::max(filled, 0), '.') + "]";
    if (p.done) {
      const double per_step = p.steps > 0 ? in_epoch / p.steps : 0;
      char tail[64];
      if (per_step >= 1) {
        std::snprintf(tail, sizeof tail, " - %s %.0fs/step", format_duration(in_epoch).c_str(), per_step);
      } else if (per_step >= 1e-3) {
        std::snprintf(tail, sizeof tail, " - %s %.0fms/step", format_duration(in_epoch).c_str(), per_step * 1e3);
      } else {
        std::snprintf(tail, sizeof tail, " - %s %.0fus/step", format_duration(in_epoch).c_str(), per_step * 1e6);
      }
      bar += tail + metrics_text(p.stats, true);
    } else {
      const double eta = p.step > 0 ? in_epoch / p.step * (p.steps - p.step) : 0;
      bar += " - ETA: " + format_duration(eta) + metrics_text(p.stats, false);
    }
    // Pad over the previous line's tail (Keras does the same).
    std::string line = "\r" + bar;
    if (bar.size() < last_width_) line += std::string(last_width_ - bar.size(), ' ');
    last_width_ = bar.size();
    if (p.done) {
      line += "\n";
      last_width_ = 0;
    }
    out.attr("write")(line);
    out.attr("flush")();
  }

 private:
  int verbose_;
  int epoch_ = 0;
  double epoch_start_ = 0, last_draw_ = -1;
  size_t last_width_ = 0;
};

namespace {

bool stdout_is_terminal() {
  try {
    return py::module_::import("sys").attr("stdout").attr("isatty")().cast<bool>();
  } catch (py::error_already_set&) {
    return false;
  }
}

py::dict epoch_dict(const EpochStats& e) {
  py::dict d;
  d["epoch"] = e.epoch;
  d["loss"] = e.loss;
  d["accuracy"] = e.acc;
  if (e.has_validation) {
    d["val_loss"] = e.val_loss;
    d["val_accuracy"] = e.val_acc;
  }
  d["seconds"] = e.seconds;
  return d;
}

py::dict report_dict(const TrainReport& r, const std::string& model_path) {
  py::list epochs;
  py::dict history;  // Keras' History.history
  py::list loss, acc, val_loss, val_acc;
  bool has_validation = false;
  for (const auto& e : r.epochs) {
    epochs.append(epoch_dict(e));
    loss.append(e.loss);
    acc.append(e.acc);
    if (e.has_validation) {
      has_validation = true;
      val_loss.append(e.val_loss);
      val_acc.append(e.val_acc);
    }
  }
  history["loss"] = loss;
  history["accuracy"] = acc;
  if (has_validation) {
    history["val_loss"] = val_loss;
    history["val_accuracy"] = val_acc;
  }
  py::dict d;
  d["model"] = model_path;
  d["tokenizer_path"] = r.tokenizer_path;
  d["history"] = history;
  d["epochs"] = epochs;
  d["best_epoch"] = r.best_epoch;
  d["interrupted"] = r.interrupted;
  d["early_stopped"] = r.early_stopped;
  d["train_rows"] = r.train_rows;
  d["validation_rows"] = r.validation_rows;
  d["skipped_rows"] = r.skipped_rows;
  d["labels"] = r.labels;
  d["task"] = r.task;
  d["maxlen"] = r.maxlen;
  d["vocab_size"] = r.vocab_size;
  d["params"] = r.params;
  return d;
}

}  // namespace

// TrainOptions from the keyword arguments of quiver.train / quiver.Classifier: every key of
// the option table (`quiver help options`), plus segmenter= / user_dict=.
TrainOptions train_options(const py::kwargs& kwargs, const py::handle& segmenter,
                           const std::optional<std::filesystem::path>& user_dict) {
  TrainOptions o;
  for (const auto& kv : kwargs) {
    const std::string key = option_key(kv.first.cast<std::string>());
    if (kv.second.is_none()) continue;  // None: the default
    check(set_training_option(o, key, option_text(key, kv.second)));
  }
  o.segmenter = segmenter_arg(segmenter, user_dict);
  return o;
}

TrainingRun::TrainingRun(const py::object& progress, const py::object& verbose_arg)
    : progress_(progress) {
  if (verbose_arg.is_none()) {
    verbose_ = progress.is_none() && stdout_is_terminal() ? 1 : 0;
  } else {
    verbose_ = verbose_arg.cast<int>();
    if (verbose_ < 0 || verbose_ > 2) raise_invalid("verbose: expected 0, 1 or 2");
  }
  bar_ = std::make_shared<ProgressBar>(verbose_);
}

TrainingRun::~TrainingRun() = default;

std::function<void(const TrainProgress&)> TrainingRun::hook() {
  return [this](const TrainProgress& p) {
    py::gil_scoped_acquire gil;
    if (failure_) return;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!progress_.is_none()) progress_(progress_dict(p));
      if (verbose_ > 0) (*bar_)(p);
    } catch (py::error_already_set& e) {
      failure_ = std::make_unique<py::error_already_set>(std::move(e));
      stop_ = true;
    }
  };
}

void TrainingRun::finish(const std::string& model_path, const std::string& tokenizer_path) {
  if (!failure_) return;
  std::error_code ec;  // written with the weights so far: not a model anyone asked for
  std::filesystem::remove(model_path, ec);
  std::filesystem::remove(tokenizer_path, ec);
  failure_->restore();
  throw py::error_already_set();
}

py::dict run_training(const std::string& data, const std::string& model, TrainOptions o,
                      const py::object& progress, const py::object& verbose) {
  TrainingRun run(progress, verbose);
  o.on_progress = run.hook();
  o.stop = run.stop_flag();
  Result<TrainReport> r = internal_error("not run");
  {
    py::gil_scoped_release release;
    r = train_model(data, model, o);
  }
  run.finish(model, tokenizer_path_for(model));
  return report_dict(unwrap(std::move(r)), model);
}

namespace {

py::dict evaluation_dict(const Evaluation& e) {
  py::dict d;
  d["task"] = e.task;
  d["rows"] = e.rows;
  d["skipped_rows"] = e.skipped_rows;
  d["accuracy"] = e.accuracy;
  d["macro_f1"] = e.macro_f1;
  py::list classes;
  for (const auto& c : e.classes) {
    py::dict x;
    x["label"] = c.label;
    x["precision"] = c.precision;
    x["recall"] = c.recall;
    x["f1"] = c.f1;
    x["support"] = c.support;
    classes.append(x);
  }
  d[e.multi_label ? "labels" : "classes"] = classes;
  if (e.multi_label) {
    d["exact_match"] = e.exact_match;
  } else {
    d["confusion_matrix"] = e.confusion;
  }
  if (e.has_auc) d["roc_auc"] = e.roc_auc;
  return d;
}

}  // namespace

void bind_train(py::module_& m) {
  m.def(
      "train",
      [](const std::filesystem::path& data, const std::filesystem::path& model,
         const py::object& progress, const py::object& verbose, const py::object& segmenter,
         std::optional<std::filesystem::path> user_dict, const py::kwargs& kwargs) {
        TrainOptions o = train_options(kwargs, segmenter, user_dict);
        return run_training(path_string(data), path_string(model), std::move(o), progress, verbose);
      },
      py::arg("data"), py::arg("model"), py::kw_only(), py::arg("progress") = py::none(),
      py::arg("verbose") = py::none(), py::arg("segmenter") = py::none(),
      py::arg("user_dict") = py::none(), R"doc(
Trains a classifier on a CSV (text,label columns) and writes `model` (a tf.keras .h5) and its
tokenizer (B.h5 -> B.tokenizer.json), as `quiver train` does.

Keyword options are the training options of `quiver help options`, by their config names:
type / model_type ('lstm', 'bilstm', 'gru', 'bigru', 'cnn'), epochs, batch_size,
embedding_dim, units, maxlen, num_words (0: every word), oov_token, validation_split,
validation / validation_data (a CSV), seed, learning_rate, patience, text_column,
label_column, ...; an unknown name raises InvalidArgumentError with the closest name.
segmenter: None, a mode name ('jieba', ...) or a quiver.Segmenter; user_dict: jieba's.
progress: a callable that gets a dict (epoch, epochs, step, steps, loss, accuracy,
val_loss, val_accuracy, elapsed_seconds, done) after every batch and epoch; raising in it
(or Ctrl-C) stops training, removes the partial files and propagates the exception.
verbose: 0 silent, 1 progress bar, 2 one line per epoch; default: a progress bar when no
callback is given and stdout is a terminal. Returns a dict: history (Keras' History.history),
epochs, best_epoch, labels, task, maxlen, vocab_size, params, train_rows, ...)doc");

  m.def(
      "evaluate",
      [](const std::filesystem::path& model, const std::filesystem::path& data,
         const std::string& text_column, const std::string& label_column,
         std::optional<std::vector<std::string>> label_columns, bool skip_bad_rows,
         std::optional<std::filesystem::path> tokenizer, std::optional<std::string> segmenter,
         std::optional<std::filesystem::path> user_dict, const std::string& weights,
         const std::string& memory_policy, double memory_budget_mb, int threads) {
        EvaluateOptions o;
        o.text_column = text_column;
        o.label_column = label_column;
        if (label_columns) o.label_columns = *label_columns;
        o.skip_bad_rows = skip_bad_rows;
        if (tokenizer) o.tokenizer_path = path_string(*tokenizer);
        if (segmenter) o.segmenter = *segmenter;
        if (user_dict) o.user_dict = path_string(*user_dict);
        o.weights = unwrap(parse_weight_mode(weights));
        o.memory_policy = unwrap(parse_memory_policy(memory_policy));
        o.memory_budget_bytes = memory_budget_bytes(memory_budget_mb);
        if (threads < 1) raise_invalid("threads: expected an integer >= 1");
        o.threads = threads;
        const std::string mp = path_string(model), dp = path_string(data);
        Result<Evaluation> r = internal_error("not run");
        {
          py::gil_scoped_release release;
          r = evaluate(mp, dp, o);
        }
        return evaluation_dict(unwrap(std::move(r)));
      },
      py::arg("model"), py::arg("data"), py::kw_only(), py::arg("text_column") = "text",
      py::arg("label_column") = "label", py::arg("label_columns") = py::none(),
      py::arg("skip_bad_rows") = false, py::arg("tokenizer") = py::none(),
      py::arg("segmenter") = py::none(), py::arg("user_dict") = py::none(),
      py::arg("weights") = "fp32", py::arg("memory_policy") = "auto",
      py::arg("memory_budget_mb") = 0.0, py::arg("threads") = 1, R"doc(
Evaluates a model trained by quiver on a labelled CSV, as `quiver evaluate --json`: a dict
with task, rows, skipped_rows, accuracy, macro_f1, classes (label, precision, recall, f1,
support) and confusion_matrix, roc_auc (binary); labels and exact_match (multi-label).
weights, memory_policy and memory_budget_mb load the model as Model.load does.)doc");
}

}  // namespace quiver::python
