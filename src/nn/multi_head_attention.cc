// MultiHeadAttention (keras@3422977 keras/src/layers/attention/multi_head_attention.py; the
// same equations in tf.keras >= 2.4), for [query, value(, key)] of shape [T, d] with the
// default attention_axes (the time axis):
//   Q = q·Wq + bq, K = k·Wk + bk, V = v·Wv + bv      (EinsumDense kernels [d, heads, dim])
//   scores[n,t,s] = Σ_h (Q[t,n,h] / sqrt(key_dim)) · K[s,n,h]    (lines 583-589)
//   softmax over s with the attention mask (masked scores - 1e9, so a query row with no
//   allowed key gets uniform weights as in Keras < 3.14 and the >= 3.8 fused path)
//   out[t] = Σ_{n,h} (Σ_s P[n,t,s] V[s,n,h]) · Wo[n,h,:] + bo   (kernel [heads, dim, out])
// The attention mask (_compute_attention_mask, lines 691-760) ANDs the query mask [T,1],
// the value mask [1,S], the key mask [1,S] (only a key given separately has one) and the
// causal mask (s <= t) — from the inputs' Keras masks in Keras 3 and tf.keras >= 2.10
// (older tf.keras only used an explicit attention_mask). The output carries the query's
// mask (line 679). Weights: query, key, value, output (kernel, bias each; no bias when
// use_bias is false), the order of get_weights() and of tf.keras' h5 weight_names.
#include <cmath>

#include "nn/attention_common.h"
#include "nn/kernels.h"

namespace quiver::nn {
namespace {

struct Projection {
  PackedMatrix kernel;
  std::vector<float> bias;  // empty: no bias
  int64_t cols = 0;

  // x [rows, in] -> [rows, cols]
  std::vector<float> apply(const float* x, int64_t in, int64_t rows) const {
    std::vector<float> y(static_cast<size_t>(rows * cols), 0.0f);
    if (!bias.empty()) fill_rows(bias, cols, rows, y.data(), cols);
    gemm_accumulate(x, in, rows, kernel, y.data(), cols);
    return y;
  }
};

class MultiHeadAttentionLayer : public Layer {
 public:
  MultiHeadAttentionLayer(const LayerContext& ctx, int64_t heads, int64_t key_dim,
                          int64_t value_dim, int64_t out_dim, bool causal, bool keras_masks,
                          std::vector<Projection> p)
      : Layer(ctx), heads_(heads), key_dim_(key_dim), value_dim_(value_dim), out_dim_(out_dim),
        causal_(causal), keras_masks_(keras_masks), p_(std::move(p)) {
    output_shapes_ = {Shape{ctx.input_shapes[0][0], out_dim}};
    output_masked_ = {keras_masks && ctx.input_masked[0]};
    for (const Projection& x : p_) {
      memory_bytes_ += x.kernel.memory_bytes() + static_cast<int64_t>(x.bias.size() * 4);
    }
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    const Tensor& q = in[0]->tensor();
    const Tensor& v = in[1]->tensor();
    const Tensor& k = in.size() > 2 ? in[2]->tensor() : v;
    const int64_t batch = q.shape[0], t_len = q.shape[1], s_len = v.shape[1];
    const std::vector<uint8_t>* q_mask = keras_masks_ ? in[0]->mask.get() : nullptr;
    const std::vector<uint8_t>* v_mask = keras_masks_ ? in[1]->mask.get() : nullptr;
    const std::vector<uint8_t>* k_mask =
        keras_masks_ && in.size() > 2 ? in[2]->mask.get() : nullptr;
    const std::vector<float> Q = p_[0].apply(q.data.data(), q.shape[2], batch * t_len);
    const std::vector<float> K = p_[1].apply(k.data.data(), k.shape[2], batch * s_len);
    const std::vector<float> V = p_[2].apply(v.data.data(), v.shape[2], batch * s_len);
    const float inv_sqrt = static_cast<float>(1.0 / std::sqrt(static_cast<double>(key_dim_)));
    const int64_t qk = heads_ * key_dim_, vv = heads_ * value_dim_;
    std::vector<float> combined(static_cast<size_t>(batch * t_len * vv), 0.0f);
    std::vector<float> s(static_cast<size_t>(s_len));
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t t = 0; t < t_len; ++t) {
        const bool q_ok = !q_mask || (*q_mask)[b * t_len + t];
        for (int64_t n = 0; n < heads_; ++n) {
          const float* qt = Q.data() + (b * t_len + t) * qk + n * key_dim_;
          for (int64_t j = 0; j < s_len; ++j) {
            const float* kj = K.data() + (b * s_len + j) * qk + n * key_dim_;
            float acc = 0.0f;
            for (int64_t h = 0; h < key_dim_; ++h) acc += (qt[h] * inv_sqrt) * kj[h];
            s[j] = acc;
          }
          masked_softmax(s.data(), s_len, [&](int64_t j) {
            return q_ok && (!v_mask || (*v_mask)[b * s_len + j]) &&
                   (!k_mask || (*k_mask)[b * s_len + j]) && (!causal_ || j <= t);
          });
          float* o = combined.data() + (b * t_len + t) * vv + n * value_dim_;
          for (int64_t j = 0; j < s_len; ++j) {
            const float* vj = V.data() + (b * s_len + j) * vv + n * value_dim_;
            for (int64_t h = 0; h < value_dim_; ++h) o[h] += s[j] * vj[h];
          }
        }
      }
    }
    Tensor y;
    y.shape = {batch, t_len, out_dim_};
    y.data = p_[3].apply(combined.data(), vv, batch * t_len);
    out->push_back(make_value(std::move(y), output_masked_[0] ? in[0]->mask : nullptr));
  }

 private:
  int64_t heads_, key_dim_, value_dim_, out_dim_;
  bool causal_, keras_masks_;
  std::vector<Projection> p_;  // query, key, value, output
};

}  // namespace

Result<std::unique_ptr<Layer>> make_multi_head_attention(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(check_attention_inputs(ctx));
  ConfigReader cfg(ctx);
  const int64_t heads = cfg.required_integer("num_heads");
  const int64_t key_dim = cfg.required_integer("key_dim");
  const nlohmann::json* vd = cfg.get("value_dim");
  const int64_t value_dim = vd && !vd->is_null() ? cfg.integer("value_dim", key_dim) : key_dim;
  const bool use_bias = cfg.boolean("use_bias", true);
  const nlohmann::json* axes = cfg.get("attention_axes");
  if (axes && !axes->is_null() && !(axes->is_array() && axes->size() == 1 && (*axes)[0] == 1) &&
      !(axes->is_number_integer() && *axes == 1)) {
    return ctx.unimplemented("attention_axes " + json_text(*axes) +
                             " is not supported (the default, the time axis, is)");
  }
  for (const char* key : {"use_gate", "sliding_window"}) {
    const nlohmann::json* x = cfg.get(key);
    if (x && !x->is_null() && !(x->is_boolean() && !x->get<bool>())) {
      return ctx.unimplemented(std::string(key) + " is not supported");
    }
  }
  const nlohmann::json* os = cfg.get("output_shape");
  QUIVER_RETURN_IF_ERROR(cfg.status());
  int64_t out_dim = ctx.input_shapes[0][1];
  if (os && !os->is_null()) {
    std::vector<int64_t> shape = cfg.int_list("output_shape");
    QUIVER_RETURN_IF_ERROR(cfg.status());
    if (shape.size() != 1) return ctx.unimplemented("output_shape " + json_text(*os) + " is not supported");
    out_dim = shape[0];
  }
  if (heads <= 0 || key_dim <= 0 || value_dim <= 0 || out_dim <= 0) {
    return ctx.corrupt("num_heads, key_dim, value_dim and the output size must be positive");
  }
  QUIVER_ASSIGN_OR_RETURN(bool causal, causal_option(ctx));
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, use_bias ? 8 : 4));
  const Shape& q = ctx.input_shapes[0];
  const Shape& v = ctx.input_shapes[1];
  const Shape& k = ctx.input_shapes.size() > 2 ? ctx.input_shapes[2] : v;
  struct Want {
    const char* name;
    Shape kernel, bias;
  };
  const Want want[4] = {{"query", {q[1], heads, key_dim}, {heads, key_dim}},
                        {"key", {k[1], heads, key_dim}, {heads, key_dim}},
                        {"value", {v[1], heads, value_dim}, {heads, value_dim}},
                        {"attention_output", {heads, value_dim, out_dim}, {out_dim}}};
  std::vector<Projection> p;
  const size_t per = use_bias ? 2 : 1;
  for (size_t i = 0; i < 4; ++i) {
    const auto& kw = ctx.spec.weights[i * per];
    QUIVER_RETURN_IF_ERROR(expect_shape(ctx, kw, want[i].kernel, std::string(want[i].name) + " kernel"));
    const int64_t rows = want[i].kernel[0] * (i == 3 ? want[i].kernel[1] : 1);
    const int64_t cols = (i == 3 ? 1 : want[i].kernel[1]) * want[i].kernel[2];
    Projection x{PackedMatrix(kw.values.data(), rows, cols), {}, cols};
    if (use_bias) {
      const auto& bw = ctx.spec.weights[i * per + 1];
      QUIVER_RETURN_IF_ERROR(expect_shape(ctx, bw, want[i].bias, std::string(want[i].name) + " bias"));
      x.bias = bw.values;
    }
    p.push_back(std::move(x));
  }
  return make_layer<MultiHeadAttentionLayer>(ctx, heads, key_dim, value_dim, out_dim, causal,
                                             mha_uses_keras_masks(ctx.meta), std::move(p));
}

}  // namespace quiver::nn
