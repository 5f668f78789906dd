// Keras activation functions (keras/activations.py), applied in place on float arrays.
#ifndef QUIVER_NN_ACTIVATION_H_
#define QUIVER_NN_ACTIVATION_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "nn/layer.h"
#include "quiver/status.h"

namespace quiver::nn {

enum class ActivationKind {
  kLinear,
  kRelu,
  kRelu6,
  kLeakyRelu,
  kElu,
  kSelu,
  kTanh,
  kSigmoid,
  kHardSigmoid2,
  kHardSigmoid3,
  kSoftmax,
  kSoftsign,
  kSoftplus,
  kExponential,
  kSwish,
  kGelu,
  kGeluTanh,
};

struct Activation {
  ActivationKind kind = ActivationKind::kLinear;
  float alpha = 0.0f;  // leaky_relu negative slope, elu alpha
};

// Parses a config value: a name ("relu"), or a serialised object ({"class_name":"relu"},
// Keras 3 {"module":"keras.activations","class_name":"function","config":"relu"}, or
// {"class_name":"LeakyReLU","config":{"negative_slope":0.3}}). hard_sigmoid follows
// ctx.meta. Unknown names: Unimplemented naming the layer and the supported list.
Result<Activation> parse_activation(const LayerContext& ctx, const nlohmann::json& value);
// The config field `key` (fallback name when absent).
Result<Activation> activation_field(const LayerContext& ctx, const nlohmann::json& config,
                                    const char* key, const char* fallback);

// Applies `act` to rows × cols values (softmax normalises each row of `cols`).
void apply_activation(const Activation& act, float* data, int64_t rows, int64_t cols);

// Elementwise forms used by the recurrent cells (never softmax).
void apply_elementwise(const Activation& act, float* data, int64_t n);

}  // namespace quiver::nn

#endif  // QUIVER_NN_ACTIVATION_H_
