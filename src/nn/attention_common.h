// Pieces shared by the attention layers (attention.cc, multi_head_attention.cc): the masked
// softmax Keras uses and the call options read from configs and call kwargs.
#ifndef QUIVER_NN_ATTENTION_COMMON_H_
#define QUIVER_NN_ATTENTION_COMMON_H_

#include <cmath>
#include <cstdint>

#include "nn/layer.h"

namespace quiver::nn {

// Softmax over n scores in place, with Keras' masking: a masked score becomes score - 1e9
// (tf.keras base_dense_attention.py `scores -= 1e9 * padding_mask`; Keras 3
// attention.py::_apply_scores `where(padding_mask, scores - 1e9, scores)`; MHA's Softmax
// `inputs += (1 - mask) * -1e9`), so a row whose keys are all masked gets (nearly) uniform
// weights, as in Keras. `allowed(j)` says whether key j is kept.
template <typename Allowed>
void masked_softmax(float* s, int64_t n, Allowed allowed) {
  float max = -INFINITY;
  for (int64_t j = 0; j < n; ++j) {
    if (!allowed(j)) s[j] -= 1.0e9f;
    max = std::max(max, s[j]);
  }
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    s[j] = std::exp(s[j] - max);
    sum += s[j];
  }
  for (int64_t j = 0; j < n; ++j) s[j] /= sum;
}

// [query, value] or [query, value, key], each [time, features] with known features.
Status check_attention_inputs(const LayerContext& ctx);

// use_causal_mask of every call (Keras 3 and tf.keras >= 2.10 pass it to call(); older
// tf.keras had `causal` in the config). Unimplemented when calls of a shared layer differ.
Result<bool> causal_option(const LayerContext& ctx);

// Whether the file's Keras applies the inputs' Keras masks in MultiHeadAttention (tf.keras
// >= 2.10 and Keras 3: multi_head_attention.py::_compute_attention_mask; earlier tf.keras
// used only an explicit attention_mask).
bool mha_uses_keras_masks(const ModelMeta& meta);

}  // namespace quiver::nn

#endif  // QUIVER_NN_ATTENTION_COMMON_H_
