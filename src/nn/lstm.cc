// LSTM weights (KERAS.md §2.1): kernel [d,4u], recurrent_kernel [u,4u], bias [4u], gates
// i,f,c,o. Keras 1 files store 12 arrays, one (W,U,b) triple per gate in order i,c,f,o.
#include "nn/recurrent_weights.h"

namespace quiver::nn {

Status lstm_weights(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                    const std::string& what, RecurrentSpec* spec) {
  QUIVER_RETURN_IF_ERROR(check_weight_arrays(ctx, w, what, {2, 3, 12}));
  if (w.size() == 12) return convert_keras1_gates(ctx, w, what, {0, 2, 1, 3}, spec);
  QUIVER_RETURN_IF_ERROR(
      check_gate_arrays(ctx, w, what, spec->input_dim, spec->units, 4, {4 * spec->units}));
  set_plain_weights(w, spec);
  return Status();
}

}  // namespace quiver::nn
