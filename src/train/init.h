// Keras' default initialisers (keras@v2.15.0 keras/initializers/initializers.py), drawn
// from quiver's counter-based generator: same --seed, same weights on every machine.
#ifndef QUIVER_TRAIN_INIT_H_
#define QUIVER_TRAIN_INIT_H_

#include <cstdint>

#include "train/layer.h"

namespace quiver::train {

// Fills out[0, spec.size()) with spec.init drawn from key.
template <typename T>
void init_param(const ParamSpec& spec, uint64_t key, T* out);

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_INIT_H_
