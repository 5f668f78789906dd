// GRU weights (KERAS.md §2.2): kernel [d,3u], recurrent_kernel [u,3u], gates z,r,h; bias
// [3u] with reset_after=False, [2,3u] (input row, recurrent row) with reset_after=True.
// Keras 1 files store 9 arrays, one (W,U,b) triple per gate in order z,r,h.
#include "nn/recurrent_weights.h"

namespace quiver::nn {

Status gru_weights(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                   const std::string& what, RecurrentSpec* spec) {
  QUIVER_RETURN_IF_ERROR(check_weight_arrays(ctx, w, what, {2, 3, 9}));
  if (w.size() == 9) {
    if (spec->reset_after) return ctx.corrupt(what + "Keras 1 GRU weights with reset_after=True");
    return convert_keras1_gates(ctx, w, what, {0, 1, 2}, spec);
  }
  const int64_t u = spec->units;
  Shape bias_shape = spec->reset_after ? Shape{2, 3 * u} : Shape{3 * u};
  QUIVER_RETURN_IF_ERROR(check_gate_arrays(ctx, w, what, spec->input_dim, u, 3, bias_shape));
  set_plain_weights(w, spec);
  return Status();
}

}  // namespace quiver::nn
