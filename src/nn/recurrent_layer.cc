// LSTM, GRU, SimpleRNN, CuDNNLSTM, CuDNNGRU as layers: option parsing (KERAS.md §2.3-2.6)
// and the single-direction layer. Outputs: [output] (+ h (+ c) with return_state). The
// output sequence keeps the input mask; a last-step output and the states carry none.
#include <algorithm>

#include "nn/embedding.h"
#include "nn/recurrent_weights.h"

namespace quiver::nn {
namespace {

struct ClassInfo {
  CellKind kind;
  bool cudnn;
};

Result<ClassInfo> class_info(const LayerContext& ctx, const std::string& class_name) {
  if (class_name == "LSTM") return ClassInfo{CellKind::kLstm, false};
  if (class_name == "GRU") return ClassInfo{CellKind::kGru, false};
  if (class_name == "SimpleRNN") return ClassInfo{CellKind::kSimpleRnn, false};
  if (class_name == "CuDNNLSTM") return ClassInfo{CellKind::kLstm, true};
  if (class_name == "CuDNNGRU") return ClassInfo{CellKind::kGru, true};
  return ctx.unimplemented("recurrent layer class '" + class_name +
                           "' is not supported (LSTM, GRU, SimpleRNN, CuDNNLSTM, CuDNNGRU)");
}

// Default recurrent_activation when a config lacks it (KERAS.md §2.3).
const char* default_recurrent_activation(const ModelMeta& meta) {
  return !meta.standalone_keras ? "sigmoid" : "hard_sigmoid";
}

Status read_options(const LayerContext& ctx, const nlohmann::json& config, bool cudnn,
                    RecurrentSpec* spec) {
  ConfigReader cfg(ctx, config);
  spec->units = cfg.has("units") ? cfg.integer("units", 0) : cfg.required_integer("output_dim");
  spec->return_sequences = cfg.boolean("return_sequences", false);
  spec->return_state = cfg.boolean("return_state", false);
  spec->go_backwards = cfg.boolean("go_backwards", false);
  spec->reset_after = cfg.boolean("reset_after", ctx.meta.keras_major >= 3);
  cfg.require_value("stateful", false);
  cfg.require_value("time_major", false);
  QUIVER_RETURN_IF_ERROR(cfg.status());
  if (spec->units <= 0) return ctx.corrupt("units must be positive");
  if (cudnn) {  // fixed cuDNN math; CuDNNGRU equals GRU(reset_after=True)
    spec->reset_after = true;
    QUIVER_ASSIGN_OR_RETURN(spec->activation, parse_activation(ctx, "tanh"));
    QUIVER_ASSIGN_OR_RETURN(spec->recurrent_activation, parse_activation(ctx, "sigmoid"));
    return Status();
  }
  QUIVER_ASSIGN_OR_RETURN(spec->activation, activation_field(ctx, config, "activation", "tanh"));
  const char* ract_key =
      config.contains("recurrent_activation") ? "recurrent_activation" : "inner_activation";
  QUIVER_ASSIGN_OR_RETURN(
      spec->recurrent_activation,
      activation_field(ctx, config, ract_key, default_recurrent_activation(ctx.meta)));
  for (const Activation* a : {&spec->activation, &spec->recurrent_activation}) {
    if (a->kind == ActivationKind::kSoftmax) return ctx.unimplemented("softmax inside an RNN cell");
  }
  return Status();
}

class RecurrentLayer : public Layer {
 public:
  RecurrentLayer(const LayerContext& ctx, RecurrentSpec spec)
      : Layer(ctx), core_(std::move(spec)), time_(ctx.input_shapes[0][0]) {
    const RecurrentSpec& s = core_.spec();
    const int64_t time = time_;
    output_shapes_ = {s.return_sequences ? Shape{time, s.units} : Shape{s.units}};
    output_masked_ = {s.return_sequences && ctx.input_masked[0]};
    for (int64_t i = 0; s.return_state && i < s.state_count(); ++i) {
      output_shapes_.push_back({s.units});
      output_masked_.push_back(false);
    }
    memory_bytes_ = core_.memory_bytes();
  }

  void forward(std::span<const Value* const> in, const RunContext& run,
               std::vector<Value>* out) const override {
    RecurrentResult r;
    core_.run(*in[0], /*zero_masked_outputs=*/false, run.threads, &r);
    out->push_back(
        make_value(std::move(r.output), core_.spec().return_sequences ? in[0]->mask : nullptr));
    if (!core_.spec().return_state) return;
    for (Tensor& s : r.states) out->push_back(make_value(std::move(s)));
  }

  bool accepts_lazy(const EmbeddingLayer* source) const override {
    return table_ready_ && source == table_source_;
  }
  void use_token_projection(const EmbeddingLayer& embedding,
                            const TokenProjection& projection) override {
    core_.use_token_projection(embedding, time_, projection);
    table_ready_ = core_.has_table_for(&embedding);
    table_source_ = &embedding;
    memory_bytes_ = core_.memory_bytes();
  }
  MemoryUsage memory_usage() const override { return core_.memory_usage(); }
  MemoryUsage memory_in_use() const override { return core_.memory_in_use(); }
  void add_table_facts(const EmbeddingLayer& embedding, ModelInfo* info) const override {
    core_.add_table_facts(embedding, time_, info);
  }

 private:
  RecurrentCore core_;
  int64_t time_;  // the declared sequence length, or unknown (not positive)
  bool table_ready_ = false;
  const EmbeddingLayer* table_source_ = nullptr;
};

}  // namespace

Result<size_t> recurrent_weight_count(const LayerContext& ctx, const std::string& class_name,
                                      const nlohmann::json& config, size_t available) {
  QUIVER_ASSIGN_OR_RETURN(ClassInfo info, class_info(ctx, class_name));
  // Keras 1 files: 12 (LSTM) or 9 (GRU) arrays per direction.
  const size_t keras1 = info.kind == CellKind::kLstm ? 12 : info.kind == CellKind::kGru ? 9 : 3;
  if (!info.cudnn && available == 2 * keras1) return keras1;
  bool use_bias = !config.is_object() || !config.contains("use_bias") ||
                  !config["use_bias"].is_boolean() || config["use_bias"].get<bool>();
  return size_t{use_bias || info.cudnn ? 3u : 2u};
}

Result<RecurrentSpec> recurrent_spec(const LayerContext& ctx, const std::string& class_name,
                                     const nlohmann::json& config,
                                     std::span<const keras_io::WeightArray> weights,
                                     const std::string& what) {
  QUIVER_ASSIGN_OR_RETURN(ClassInfo info, class_info(ctx, class_name));
  RecurrentSpec spec;
  spec.kind = info.kind;
  QUIVER_RETURN_IF_ERROR(read_options(ctx, config, info.cudnn, &spec));
  const Shape& in = ctx.input_shapes[0];
  if (in.size() != 2 || in[1] <= 0) {
    return ctx.unimplemented("input shape " + shape_to_string(in) +
                             " is not supported (a sequence [time, features] is)");
  }
  spec.input_dim = in[1];
  spec.weights = ctx.meta.weights;
  if (info.cudnn) {
    QUIVER_RETURN_IF_ERROR(cudnn_weights(ctx, weights, what, &spec));
  } else if (info.kind == CellKind::kLstm) {
    QUIVER_RETURN_IF_ERROR(lstm_weights(ctx, weights, what, &spec));
  } else if (info.kind == CellKind::kGru) {
    QUIVER_RETURN_IF_ERROR(gru_weights(ctx, weights, what, &spec));
  } else {
    QUIVER_RETURN_IF_ERROR(simple_rnn_weights(ctx, weights, what, &spec));
  }
  return spec;
}

Result<std::unique_ptr<Layer>> make_recurrent(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  QUIVER_ASSIGN_OR_RETURN(
      RecurrentSpec spec,
      recurrent_spec(ctx, ctx.spec.class_name, ctx.spec.config, ctx.spec.weights, ""));
  return make_layer<RecurrentLayer>(ctx, std::move(spec));
}

}  // namespace quiver::nn
