// CuDNNLSTM / CuDNNGRU (KERAS.md §2.7; keras@2.2.4 saving.py::_convert_rnn_weights): per gate
// block the kernel is reshape(flatten_C(K_g), (u, d)).T, the recurrent block is U_g.T;
// CuDNNLSTM's bias [8u] is the sum of its input and recurrent halves, CuDNNGRU's bias [6u]
// becomes GRU(reset_after=True)'s [2, 3u]. Activations are fixed: sigmoid and tanh.
#include <vector>

#include "nn/recurrent_weights.h"

namespace quiver::nn {
namespace {

// Applies the per-gate conversion to a [rows, gates*u] matrix; transpose_only for U.
std::vector<float> convert_blocks(const std::vector<float>& m, int64_t rows, int64_t u,
                                  int64_t gates, bool transpose_only) {
  const int64_t n = gates * u;
  std::vector<float> out(m.size());
  for (int64_t g = 0; g < gates; ++g) {
    // flat: the block [rows, u] flattened in C order.
    std::vector<float> flat(static_cast<size_t>(rows * u));
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < u; ++j) flat[i * u + j] = m[i * n + g * u + j];
    }
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < u; ++j) {
        // transpose: out[i][j] = block[j][i] (square); kernel: out[i][j] = flat[j*rows + i].
        out[i * n + g * u + j] = transpose_only ? flat[j * u + i] : flat[j * rows + i];
      }
    }
  }
  return out;
}

}  // namespace

Status cudnn_weights(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                     const std::string& what, RecurrentSpec* spec) {
  QUIVER_RETURN_IF_ERROR(check_weight_arrays(ctx, w, what, {3}));
  const int64_t d = spec->input_dim, u = spec->units, g = spec->gates();
  QUIVER_RETURN_IF_ERROR(check_gate_arrays(ctx, w, what, d, u, g, {2 * g * u}));
  spec->kernel = convert_blocks(w[0].values, d, u, g, false);
  spec->recurrent_kernel = convert_blocks(w[1].values, u, u, g, true);
  const std::vector<float>& b = w[2].values;
  spec->input_bias.assign(b.begin(), b.begin() + g * u);
  spec->recurrent_bias.assign(static_cast<size_t>(g * u), 0.0f);
  if (spec->kind == CellKind::kLstm) {
    for (int64_t j = 0; j < g * u; ++j) spec->input_bias[j] += b[g * u + j];
  } else {
    spec->recurrent_bias.assign(b.begin() + g * u, b.end());
  }
  return Status();
}

}  // namespace quiver::nn
