// The production TrainingHooks: quiver's trainer (include/quiver/train.h) for
// train_if_missing, and a Keras Tokenizer fitted on a CSV's text column. Thread-safe.
#ifndef QUIVER_SERVE_TRAINING_HOOKS_H_
#define QUIVER_SERVE_TRAINING_HOOKS_H_

#include "quiver/train.h"
#include "serve/config.h"
#include "serve/servable.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace quiver::serve {

// Shared by the training hooks (which report) and the server (which logs, exports
// /metrics gauges and stops trainings at shutdown). Set the listener before any training
// starts; after that the monitor is thread-safe.
class TrainingMonitor {
 public:
  using Listener = std::function<void(const std::string& model, const TrainProgress& progress)>;
  void set_listener(Listener listener) { listener_ = std::move(listener); }
  void report(const std::string& model, const TrainProgress& progress) const {
    if (listener_) listener_(model, progress);
  }
  // Trainings stop after their current batch; their partial files are removed.
  void request_stop() { stop_.store(true); }
  const std::atomic<bool>* stop_flag() const { return &stop_; }

 private:
  Listener listener_;
  std::atomic<bool> stop_{false};
};

// `monitor` (optional) receives every training's progress and may stop it.
TrainingHooks training_hooks(std::shared_ptr<TrainingMonitor> monitor = nullptr);

// The trainer's options for a model config (architecture, sizes, columns, num_words).
quiver::TrainOptions train_options_for(const ModelConfig& config);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_TRAINING_HOOKS_H_
