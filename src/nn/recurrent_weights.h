// Per-class weight handling of the recurrent layers: each function checks the stored arrays
// of one layer class (or one Bidirectional half) and fills spec->kernel, recurrent_kernel,
// input_bias and recurrent_bias in Keras 2 layout. spec->input_dim and units are set.
#ifndef QUIVER_NN_RECURRENT_WEIGHTS_H_
#define QUIVER_NN_RECURRENT_WEIGHTS_H_

#include <initializer_list>
#include <span>
#include <string>

#include "nn/recurrent.h"

namespace quiver::nn {

// lstm.cc, gru.cc, simple_rnn.cc, cudnn_rnn.cc. `what` prefixes names ("forward ").
Status lstm_weights(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                    const std::string& what, RecurrentSpec* spec);
Status gru_weights(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                   const std::string& what, RecurrentSpec* spec);
Status simple_rnn_weights(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                          const std::string& what, RecurrentSpec* spec);
Status cudnn_weights(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                     const std::string& what, RecurrentSpec* spec);

// Shared helpers (recurrent_weights.cc).
// kernel [d, G*u], recurrent_kernel [u, G*u], and the bias (if stored) of bias_shape.
Status check_gate_arrays(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                         const std::string& what, int64_t d, int64_t u, int64_t gates,
                         const Shape& bias_shape);
// Fails unless w.size() is one of `allowed`.
Status check_weight_arrays(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                           const std::string& what, std::initializer_list<size_t> allowed);
// Keras 1 per-gate (W, U, b) triples; `order` gives the stored triple for each Keras 2 gate.
Status convert_keras1_gates(const LayerContext& ctx, std::span<const keras_io::WeightArray> w,
                            const std::string& what, std::initializer_list<int> order,
                            RecurrentSpec* spec);
// Copies checked (kernel, recurrent_kernel[, bias]) arrays; a [2, G*u] bias fills both biases.
void set_plain_weights(std::span<const keras_io::WeightArray> w, RecurrentSpec* spec);
// Concatenates row-major matrices with `rows` rows along the last axis.
std::vector<float> concat_columns(std::span<const keras_io::WeightArray* const> parts,
                                  int64_t rows);

}  // namespace quiver::nn

#endif  // QUIVER_NN_RECURRENT_WEIGHTS_H_
