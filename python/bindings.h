// The Python module's pieces: each bind_* adds one part of the API to the module.
#ifndef QUIVER_PYTHON_BINDINGS_H_
#define QUIVER_PYTHON_BINDINGS_H_

#include <pybind11/pybind11.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "quiver/model.h"
#include "quiver/segmenter.h"
#include "quiver/train.h"

namespace quiver::python {

namespace py = pybind11;

// What a quiver.Model holds: the immutable loaded model, shared with any call in flight.
struct PyModel {
  std::shared_ptr<const Model> model;
};

void bind_model(py::module_& m);
void bind_text(py::module_& m);
void bind_train(py::module_& m);
void bind_classifier(py::module_& m);

// TrainOptions from training keyword arguments (the option table's names) and the
// segmenter arguments; InvalidArgumentError for unknown names or bad values.
TrainOptions train_options(const py::kwargs& kwargs, const py::handle& segmenter,
                           const std::optional<std::filesystem::path>& user_dict);
class ProgressBar;

// Progress and interruption of one training run started from Python: the TrainOptions hook
// reports each batch and epoch to `progress` (a callable taking a dict) or, when verbose says
// so, to a Keras-like progress bar on sys.stdout (verbose None: a bar when there is no
// callback and stdout is a terminal). An exception the callback raises, or Ctrl-C, raises the
// stop flag: training ends after the current batch, and finish() removes what it wrote and
// re-raises. Lives until training returned.
class TrainingRun {
 public:
  TrainingRun(const py::object& progress, const py::object& verbose);
  ~TrainingRun();
  std::function<void(const TrainProgress&)> hook();  // for TrainOptions::on_progress
  const std::atomic<bool>* stop_flag() const { return &stop_; }
  // With the GIL held, after training returned.
  void finish(const std::string& model_path, const std::string& tokenizer_path);

 private:
  py::object progress_;
  int verbose_ = 0;
  std::shared_ptr<ProgressBar> bar_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<py::error_already_set> failure_;
};

// quiver.train's body: train_model with the GIL released and progress reported.
py::dict run_training(const std::string& data, const std::string& model, TrainOptions o,
                      const py::object& progress, const py::object& verbose);

// A `segmenter=` argument: None (no segmenter), a quiver.Segmenter, or a mode name (made once
// per mode and user dictionary, as quiver.segment does).
std::shared_ptr<const Segmenter> segmenter_arg(const py::handle& arg,
                                               const std::optional<std::filesystem::path>& user_dict);

}  // namespace quiver::python

#endif  // QUIVER_PYTHON_BINDINGS_H_
