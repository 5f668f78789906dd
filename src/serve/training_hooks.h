// The production TrainingHooks: quiver's trainer (include/quiver/train.h) for
// train_if_missing, a Keras Tokenizer fitted on a CSV's text column, and the quiver_*
// attributes of trained model files. Thread-safe.
#ifndef QUIVER_SERVE_TRAINING_HOOKS_H_
#define QUIVER_SERVE_TRAINING_HOOKS_H_

#include "quiver/train.h"
#include "serve/config.h"
#include "serve/servable.h"

namespace quiver::serve {

TrainingHooks training_hooks();

// The trainer's options for a model config (architecture, sizes, columns, num_words).
quiver::TrainOptions train_options_for(const ModelConfig& config);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_TRAINING_HOOKS_H_
