// The model_config JSON tf.keras 2.15 writes for the Sequential models quiver trains
// (Sequential.get_config with an InputLayer entry first, KERAS.md §1.5), so that Keras'
// load_model, TensorFlow.js and quiver's own reader rebuild the same network.
#ifndef QUIVER_TRAIN_KERAS_CONFIG_H_
#define QUIVER_TRAIN_KERAS_CONFIG_H_

#include <string>

#include "train/network.h"

namespace quiver::train {

std::string keras_model_config(const Network<float>& net);

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_KERAS_CONFIG_H_
