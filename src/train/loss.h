// Output activations and losses, computed from the logits like tf.keras does when the
// last Dense has a softmax / sigmoid activation (keras backend categorical_crossentropy /
// binary_crossentropy use the `_keras_logits` of the activation: softmax_cross_entropy_
// with_logits and sigmoid_cross_entropy_with_logits).
#ifndef QUIVER_TRAIN_LOSS_H_
#define QUIVER_TRAIN_LOSS_H_

#include <cstdint>

namespace quiver::train {

// kSoftmax: categorical cross-entropy over the classes (binary as 2-way softmax too).
// kSigmoid: binary cross-entropy per unit, averaged over the units (one unit for
// --binary-sigmoid, one per label for multi-label).
enum class OutputKind { kSoftmax, kSigmoid };

// For `batch` rows of `n` logits: returns Σ_i weight_i · loss_i and, when dlogits is not
// null, writes scale · weight_i · d(loss_i)/d(logits_i) (scale = 1 / full batch size, the
// tf.keras "sum over batch size" reduction).
template <typename T>
T loss_and_grad(OutputKind kind, const T* logits, const float* targets, const float* weights,
                int batch, int n, T scale, T* dlogits);

// Per-row loss (unweighted) into losses[batch]; used for validation and evaluation.
template <typename T>
void row_losses(OutputKind kind, const T* logits, const float* targets, int batch, int n,
                double* losses);

// Activation in place: softmax per row or sigmoid per element.
template <typename T>
void activate(OutputKind kind, T* logits, int batch, int n);

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_LOSS_H_
