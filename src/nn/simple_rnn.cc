// SimpleRNN weights: kernel [d,u], recurrent_kernel [u,u], bias [u];
// h_t = act(x_t·W + b + h_{t-1}·U) (keras@2.2.4 recurrent.py::SimpleRNNCell.call).
#include "nn/recurrent_weights.h"

namespace quiver::nn {

Status simple_rnn_weights(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                          const std::string& what, RecurrentSpec* spec) {
  QUIVER_RETURN_IF_ERROR(check_weight_arrays(ctx, w, what, {2, 3}));
  QUIVER_RETURN_IF_ERROR(
      check_gate_arrays(ctx, w, what, spec->input_dim, spec->units, 1, {spec->units}));
  set_plain_weights(w, spec);
  return Status();
}

}  // namespace quiver::nn
