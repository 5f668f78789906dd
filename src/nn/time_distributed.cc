// TimeDistributed(layer): applies the inner layer to every time step by folding time into
// the batch ([B, T, ...] -> [B*T, ...]). Inner layers are built with the per-step shape
// (Dense, Activation, Dropout, ...). The input mask is passed on.
#include "nn/layer.h"

namespace quiver::nn {
namespace {

class TimeDistributedLayer : public Layer {
 public:
  TimeDistributedLayer(const LayerContext& ctx, std::unique_ptr<Layer> inner)
      : Layer(ctx), inner_(std::move(inner)) {
    Shape out = inner_->output_shapes()[0];
    out.insert(out.begin(), ctx.input_shapes[0][0]);
    output_shapes_ = {out};
    output_masked_ = ctx.input_masked;
    memory_bytes_ = inner_->memory_bytes();
  }

  void forward(std::span<const Value* const> in, const RunContext& run,
               std::vector<Value>* out) const override {
    const Tensor& x = in[0]->tensor();
    const int64_t batch = x.shape[0], time = x.shape[1];
    Value folded;
    Tensor t = x;
    t.shape.erase(t.shape.begin());
    t.shape[0] = batch * time;
    folded.dense = std::make_shared<const Tensor>(std::move(t));
    const Value* inner_in[] = {&folded};
    std::vector<Value> inner_out;
    inner_->forward(inner_in, run, &inner_out);
    Tensor y = inner_out[0].tensor();
    y.shape.erase(y.shape.begin());
    y.shape.insert(y.shape.begin(), {batch, time});
    out->push_back(make_value(std::move(y), in[0]->mask));
  }

 private:
  std::unique_ptr<Layer> inner_;
};

}  // namespace

Result<std::unique_ptr<Layer>> make_time_distributed(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  const nlohmann::json& c = ctx.spec.config;
  if (!c.contains("layer") || !c["layer"].is_object() || !c["layer"].contains("class_name") ||
      !c["layer"]["class_name"].is_string()) {
    return ctx.corrupt("config has no 'layer' {class_name, config}");
  }
  const Shape& in = ctx.input_shapes[0];
  if (in.size() < 2)
    return ctx.unimplemented("input shape " + shape_to_string(in) + " has no time axis");
  keras_io::LayerSpec inner = ctx.spec;
  inner.class_name = c["layer"]["class_name"].get<std::string>();
  inner.config = c["layer"].value("config", nlohmann::json::object());
  inner.inbound_nodes.clear();
  LayerFactory factory = find_layer_factory(inner.class_name);
  if (!factory || inner.class_name == "InputLayer" || inner.class_name == "Embedding") {
    return ctx.unimplemented("TimeDistributed(" + inner.class_name + ") is not supported");
  }
  LayerContext inner_ctx{inner, ctx.meta, {Shape(in.begin() + 1, in.end())}, {false}};
  QUIVER_ASSIGN_OR_RETURN(std::unique_ptr<Layer> layer, factory(inner_ctx));
  if (layer->output_shapes().size() != 1) {
    return ctx.unimplemented("TimeDistributed(" + inner.class_name + ") with several outputs");
  }
  return make_layer<TimeDistributedLayer>(ctx, std::move(layer));
}

}  // namespace quiver::nn
