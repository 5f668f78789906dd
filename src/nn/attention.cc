// Attention (Luong dot-product) and AdditiveAttention (Bahdanau): Keras' dense attention
// layers (keras@3422977 keras/src/layers/attention/attention.py, additive_attention.py; the
// same equations as tf.keras' base_dense_attention.py). Inputs [query, value] or
// [query, value, key] (key defaults to value), shapes [Tq, dim], [Tv, dv], [Tv, dim].
//   dot:      scores = (q · kᵀ) * scale                       (attention.py lines 120-123)
//   concat:   scores = w * Σ_d tanh(scale * (q_i + k_j))        (lines 124-137)
//   additive: scores = Σ_d scale_d * tanh(q_i + k_j)            (additive_attention.py 93-97)
// Then the value mask and the causal mask (j <= i; use_causal_mask, lines 191-212) take
// 1e9 off the scores, softmax over Tv, out = weights · v, and rows whose query is masked are
// zeroed (lines 235-238). The output carries the query's mask (compute_mask, lines 244-248).
#include "nn/attention_common.h"

#include <algorithm>
#include <cstdio>

namespace quiver::nn {

Result<bool> causal_option(const LayerContext& ctx) {
  bool causal = false;
  if (const auto* c = ctx.spec.config.is_object() && ctx.spec.config.contains("causal")
                          ? &ctx.spec.config["causal"]
                          : nullptr) {
    causal = c->is_boolean() && c->get<bool>();
  }
  for (size_t i = 0; i < ctx.spec.call_kwargs.size(); ++i) {
    const auto& kw = ctx.spec.call_kwargs[i];
    bool call = kw.is_object() && kw.contains("use_causal_mask") &&
                kw["use_causal_mask"].is_boolean() && kw["use_causal_mask"].get<bool>();
    if (i > 0 && call != causal) {
      return ctx.unimplemented("calls of this shared layer differ in use_causal_mask");
    }
    causal = causal || call;
  }
  return causal;
}

Status check_attention_inputs(const LayerContext& ctx) {
  if (ctx.input_shapes.size() < 2 || ctx.input_shapes.size() > 3) {
    return ctx.corrupt("expects [query, value] or [query, value, key], got " +
                       std::to_string(ctx.input_shapes.size()) + " inputs");
  }
  for (const Shape& s : ctx.input_shapes) {
    if (s.size() != 2 || s[1] <= 0) {
      return ctx.unimplemented("inputs must be [time, features] with known features, got " +
                               shape_to_string(s));
    }
  }
  return Status();
}

bool mha_uses_keras_masks(const ModelMeta& meta) {
  if (meta.keras_major >= 3) return true;
  int major = 0, minor = 0;
  if (std::sscanf(meta.keras_version.c_str(), "%d.%d", &major, &minor) != 2) return true;
  return major > 2 || (major == 2 && minor >= 10);
}

namespace {

enum class Score { kDot, kConcat, kAdditive };

class DenseAttentionLayer : public Layer {
 public:
  DenseAttentionLayer(const LayerContext& ctx, Score score, bool causal, std::vector<float> scale,
                      float concat_weight)
      : Layer(ctx), score_(score), causal_(causal), scale_(std::move(scale)),
        concat_weight_(concat_weight) {
    const Shape& q = ctx.input_shapes[0];
    output_shapes_ = {Shape{q[0], ctx.input_shapes[1][1]}};
    output_masked_ = {ctx.input_masked[0]};
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    const Tensor& q = in[0]->tensor();
    const Tensor& v = in[1]->tensor();
    const Tensor& k = in.size() > 2 ? in[2]->tensor() : v;
    const int64_t batch = q.shape[0], tq = q.shape[1], dim = q.shape[2];
    const int64_t tv = v.shape[1], dv = v.shape[2];
    const std::vector<uint8_t>* q_mask = in[0]->mask.get();
    const std::vector<uint8_t>* v_mask = in[1]->mask.get();
    Tensor y = zeros({batch, tq, dv});
    std::vector<float> s(static_cast<size_t>(tv));
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t i = 0; i < tq; ++i) {
        const float* qi = q.data.data() + (b * tq + i) * dim;
        for (int64_t j = 0; j < tv; ++j) s[j] = score(qi, k.data.data() + (b * tv + j) * dim, dim);
        masked_softmax(s.data(), tv, [&](int64_t j) {
          return (!v_mask || (*v_mask)[b * tv + j]) && (!causal_ || j <= i);
        });
        if (q_mask && !(*q_mask)[b * tq + i]) continue;  // stays 0
        float* yi = y.data.data() + (b * tq + i) * dv;
        for (int64_t j = 0; j < tv; ++j) {
          const float* vj = v.data.data() + (b * tv + j) * dv;
          for (int64_t c = 0; c < dv; ++c) yi[c] += s[j] * vj[c];
        }
      }
    }
    out->push_back(make_value(std::move(y), in[0]->mask));
  }

 private:
  float score(const float* qi, const float* kj, int64_t dim) const {
    float acc = 0.0f;
    if (score_ == Score::kDot) {
      for (int64_t d = 0; d < dim; ++d) acc += qi[d] * kj[d];
      return scale_.empty() ? acc : acc * scale_[0];
    }
    if (score_ == Score::kConcat) {
      for (int64_t d = 0; d < dim; ++d) {
        acc += std::tanh(scale_.empty() ? qi[d] + kj[d] : scale_[0] * (qi[d] + kj[d]));
      }
      return concat_weight_ * acc;
    }
    for (int64_t d = 0; d < dim; ++d) {
      acc += (scale_.empty() ? 1.0f : scale_[d]) * std::tanh(qi[d] + kj[d]);
    }
    return acc;
  }

  Score score_;
  bool causal_;
  std::vector<float> scale_;  // empty: no scale; one value (dot, concat) or dim (additive)
  float concat_weight_;
};

Status check_shapes(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(check_attention_inputs(ctx));
  const Shape &q = ctx.input_shapes[0], &v = ctx.input_shapes[1];
  const Shape& k = ctx.input_shapes.size() > 2 ? ctx.input_shapes[2] : v;
  if (k[1] != q[1] || (k[0] >= 0 && v[0] >= 0 && k[0] != v[0])) {
    return ctx.corrupt("query " + shape_to_string(q) + ", value " + shape_to_string(v) +
                       " and key " + shape_to_string(k) + " do not fit");
  }
  return Status();
}

}  // namespace

Result<std::unique_ptr<Layer>> make_attention(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(check_shapes(ctx));
  ConfigReader cfg(ctx);
  const bool additive = ctx.spec.class_name == "AdditiveAttention";
  const bool use_scale = cfg.boolean("use_scale", additive);
  const std::string mode = additive ? "additive" : cfg.string("score_mode", "dot");
  QUIVER_RETURN_IF_ERROR(cfg.status());
  if (mode != "dot" && mode != "concat" && mode != "additive") {
    return ctx.unimplemented("score_mode '" + mode + "' is not supported (dot, concat are)");
  }
  const Score score = additive ? Score::kAdditive : mode == "dot" ? Score::kDot : Score::kConcat;
  QUIVER_ASSIGN_OR_RETURN(bool causal, causal_option(ctx));
  // Weights in build() order: scale (() or [dim] for additive), concat_score_weight ().
  const size_t count = (use_scale ? 1 : 0) + (score == Score::kConcat ? 1 : 0);
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, count));
  std::vector<float> scale;
  float concat_weight = 1.0f;
  size_t w = 0;
  if (use_scale) {
    const int64_t n = additive ? ctx.input_shapes[0][1] : 1;
    if (static_cast<int64_t>(ctx.spec.weights[w].values.size()) != n) {
      return ctx.corrupt("scale has " + std::to_string(ctx.spec.weights[w].values.size()) +
                         " values, expected " + std::to_string(n));
    }
    scale = ctx.spec.weights[w++].values;
  }
  if (score == Score::kConcat) {
    if (ctx.spec.weights[w].values.size() != 1) return ctx.corrupt("concat_score_weight is not a scalar");
    concat_weight = ctx.spec.weights[w].values[0];
  }
  return make_layer<DenseAttentionLayer>(ctx, score, causal, std::move(scale), concat_weight);
}

}  // namespace quiver::nn
