// Keras activations. Formulas follow keras/activations.py and the TF backend; hard_sigmoid
// differs by Keras version (KERAS.md §2.4): Keras <= 2 clip(0.2x+0.5,0,1), Keras 3
// clip(x/6+0.5,0,1).
#include "nn/activation.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace quiver::nn {
namespace {

constexpr char kSupported[] =
    "linear, relu, relu6, leaky_relu, elu, selu, tanh, sigmoid, hard_sigmoid, softmax, "
    "softsign, softplus, exponential, swish, silu, gelu";

Result<Activation> from_name(const LayerContext& ctx, const std::string& name, float alpha,
                             bool approximate) {
  static const std::map<std::string, ActivationKind, std::less<>> kByName = {
      {"linear", ActivationKind::kLinear},     {"relu", ActivationKind::kRelu},
      {"relu6", ActivationKind::kRelu6},       {"leaky_relu", ActivationKind::kLeakyRelu},
      {"elu", ActivationKind::kElu},           {"selu", ActivationKind::kSelu},
      {"tanh", ActivationKind::kTanh},         {"sigmoid", ActivationKind::kSigmoid},
      {"softmax", ActivationKind::kSoftmax},   {"softsign", ActivationKind::kSoftsign},
      {"softplus", ActivationKind::kSoftplus}, {"exponential", ActivationKind::kExponential},
      {"swish", ActivationKind::kSwish},       {"silu", ActivationKind::kSwish},
      {"gelu", ActivationKind::kGelu},         {"LeakyReLU", ActivationKind::kLeakyRelu},
      {"ReLU", ActivationKind::kRelu},         {"ELU", ActivationKind::kElu},
      {"Softmax", ActivationKind::kSoftmax},
  };
  Activation act;
  if (name == "hard_sigmoid") {
    act.kind = ctx.meta.hard_sigmoid_keras3 ? ActivationKind::kHardSigmoid3
                                            : ActivationKind::kHardSigmoid2;
    return act;
  }
  auto it = kByName.find(name);
  if (it == kByName.end()) {
    return ctx.unimplemented("activation '" + name +
                             "' is not supported (supported: " + kSupported + ")");
  }
  act.kind = it->second;
  if (act.kind == ActivationKind::kLeakyRelu) act.alpha = alpha < 0 ? 0.2f : alpha;
  if (act.kind == ActivationKind::kElu) act.alpha = alpha < 0 ? 1.0f : alpha;
  if (act.kind == ActivationKind::kGelu && approximate) act.kind = ActivationKind::kGeluTanh;
  return act;
}

// 1/(1 + e^-x), and e^x/(1 + e^x) for x < 0, which keeps the relative accuracy of the
// negative tail down to the subnormals (1/(1 + e^-x) overflows e^-x to inf below -88.7 and
// gives 0 where the value is up to 1.2e-38). One exp and one division either way, the
// numerator chosen without a branch (gate signs are random). Within 2 ulps (gate_math_test).
float sigmoid(float x) {
  const float e = std::exp(-std::fabs(x));
  return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

void softmax_row(float* x, int64_t n) {
  float m = x[0];
  for (int64_t i = 1; i < n; ++i) m = std::max(m, x[i]);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - m);
    sum += x[i];
  }
  for (int64_t i = 0; i < n; ++i) x[i] /= sum;
}

}  // namespace

Result<Activation> parse_activation(const LayerContext& ctx, const nlohmann::json& value) {
  if (value.is_null()) return Activation{};
  if (value.is_string()) return from_name(ctx, value.get<std::string>(), -1.0f, false);
  if (value.is_object() && value.contains("class_name") && value["class_name"].is_string()) {
    std::string name = value["class_name"].get<std::string>();
    const nlohmann::json cfg = value.value("config", nlohmann::json::object());
    if (name == "function" && cfg.is_string())
      return from_name(ctx, cfg.get<std::string>(), -1, false);
    float alpha = -1.0f;
    bool approximate = false;
    if (cfg.is_object()) {
      for (const char* key : {"negative_slope", "alpha"}) {
        if (cfg.contains(key) && cfg[key].is_number()) alpha = cfg[key].get<float>();
      }
      if (cfg.contains("approximate") && cfg["approximate"].is_boolean()) {
        approximate = cfg["approximate"].get<bool>();
      }
    }
    return from_name(ctx, name, alpha, approximate);
  }
  return ctx.corrupt("activation is neither a name nor an object: " + json_text(value));
}

Result<Activation> activation_field(const LayerContext& ctx, const nlohmann::json& config,
                                    const char* key, const char* fallback) {
  if (!config.is_object() || !config.contains(key)) return parse_activation(ctx, fallback);
  return parse_activation(ctx, config[key]);
}

void apply_elementwise(const Activation& act, float* x, int64_t n) {
  switch (act.kind) {
    case ActivationKind::kLinear:
      return;
    case ActivationKind::kSoftmax:
      return softmax_row(x, n);
    case ActivationKind::kRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      return;
    case ActivationKind::kRelu6:
      for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i], 0.0f), 6.0f);
      return;
    case ActivationKind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0.0f ? x[i] : act.alpha * x[i];
      return;
    case ActivationKind::kElu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : act.alpha * std::expm1(x[i]);
      return;
    case ActivationKind::kSelu: {
      constexpr float kAlpha = 1.6732632423543772f, kScale = 1.0507009873554805f;
      for (int64_t i = 0; i < n; ++i) {
        x[i] = kScale * (x[i] > 0.0f ? x[i] : kAlpha * std::expm1(x[i]));
      }
      return;
    }
    case ActivationKind::kTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      return;
    case ActivationKind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) x[i] = sigmoid(x[i]);
      return;
    case ActivationKind::kHardSigmoid2:
      for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(0.2f * x[i] + 0.5f, 0.0f), 1.0f);
      return;
    case ActivationKind::kHardSigmoid3:
      for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i] / 6.0f + 0.5f, 0.0f), 1.0f);
      return;
    case ActivationKind::kSoftsign:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + std::abs(x[i]));
      return;
    case ActivationKind::kSoftplus:  // log(1+exp(x)) without overflow
      for (int64_t i = 0; i < n; ++i) {
        x[i] = std::max(x[i], 0.0f) + std::log1p(std::exp(-std::abs(x[i])));
      }
      return;
    case ActivationKind::kExponential:
      for (int64_t i = 0; i < n; ++i) x[i] = std::exp(x[i]);
      return;
    case ActivationKind::kSwish:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] * sigmoid(x[i]);
      return;
    case ActivationKind::kGelu:  // 0.5x(1+erf(x/sqrt(2)))
      for (int64_t i = 0; i < n; ++i)
        x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
      return;
    case ActivationKind::kGeluTanh:  // 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3)))
      for (int64_t i = 0; i < n; ++i) {
        float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
      }
      return;
  }
}

void apply_activation(const Activation& act, float* data, int64_t rows, int64_t cols) {
  if (act.kind == ActivationKind::kSoftmax) {
    for (int64_t r = 0; r < rows; ++r) softmax_row(data + r * cols, cols);
    return;
  }
  apply_elementwise(act, data, rows * cols);
}

}  // namespace quiver::nn
