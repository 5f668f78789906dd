// Weight checks and conversions shared by the recurrent layer classes.
#include "nn/recurrent_weights.h"

#include <algorithm>

namespace quiver::nn {

std::vector<float> concat_columns(std::span<const keras_io::WeightArray* const> parts,
                                  int64_t rows) {
  int64_t total = 0;
  for (const auto* p : parts) total += static_cast<int64_t>(p->values.size()) / rows;
  std::vector<float> out(static_cast<size_t>(rows * total));
  int64_t c0 = 0;
  for (const auto* p : parts) {
    const int64_t cols = static_cast<int64_t>(p->values.size()) / rows;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) out[r * total + c0 + c] = p->values[r * cols + c];
    }
    c0 += cols;
  }
  return out;
}

Status check_gate_arrays(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                         const std::string& what, int64_t d, int64_t u, int64_t gates,
                         const Shape& bias_shape) {
  QUIVER_RETURN_IF_ERROR(expect_shape(ctx, w[0], {d, gates * u}, what + "kernel"));
  QUIVER_RETURN_IF_ERROR(expect_shape(ctx, w[1], {u, gates * u}, what + "recurrent_kernel"));
  if (w.size() > 2) QUIVER_RETURN_IF_ERROR(expect_shape(ctx, w[2], bias_shape, what + "bias"));
  return Status();
}

Status check_weight_arrays(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                           const std::string& what, std::initializer_list<size_t> allowed) {
  for (size_t n : allowed) {
    if (w.size() == n) return Status();
  }
  std::string list;
  for (size_t n : allowed) list += (list.empty() ? "" : " or ") + std::to_string(n);
  return ctx.corrupt(what + "weights: " + std::to_string(w.size()) + " arrays, expected " + list);
}

// Keras 1 stored one (W, U, b) triple per gate; `order` lists the triples in Keras 2 gate
// order (keras@2.2.4 saving.py::preprocess_weights_for_loading).
Status convert_keras1_gates(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                            const std::string& what, std::initializer_list<int> order,
                            RecurrentSpec* spec) {
  const int64_t d = spec->input_dim, u = spec->units;
  std::vector<const keras_io::WeightArray*> kernels, recurrents, biases;
  for (int g : order) {
    QUIVER_RETURN_IF_ERROR(expect_shape(ctx, w[3 * g], {d, u}, what + "W"));
    QUIVER_RETURN_IF_ERROR(expect_shape(ctx, w[3 * g + 1], {u, u}, what + "U"));
    QUIVER_RETURN_IF_ERROR(expect_shape(ctx, w[3 * g + 2], {u}, what + "b"));
    kernels.push_back(&w[3 * g]);
    recurrents.push_back(&w[3 * g + 1]);
    biases.push_back(&w[3 * g + 2]);
  }
  spec->kernel = concat_columns(kernels, d);
  spec->recurrent_kernel = concat_columns(recurrents, u);
  spec->input_bias = concat_columns(biases, 1);
  return Status();
}

void set_plain_weights(std::span<const keras_io::WeightArray> w, RecurrentSpec* spec) {
  spec->kernel = w[0].values;
  spec->recurrent_kernel = w[1].values;
  const size_t gu = static_cast<size_t>(spec->gates() * spec->units);
  spec->input_bias.assign(gu, 0.0f);
  spec->recurrent_bias.assign(gu, 0.0f);
  if (w.size() > 2) {
    std::copy(w[2].values.begin(), w[2].values.begin() + gu, spec->input_bias.begin());
    if (w[2].values.size() == 2 * gu) {
      std::copy(w[2].values.begin() + gu, w[2].values.end(), spec->recurrent_bias.begin());
    }
  }
}

}  // namespace quiver::nn
