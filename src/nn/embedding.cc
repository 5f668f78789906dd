#include "nn/embedding.h"

#include <cstring>

namespace quiver::nn {

EmbeddingLayer::EmbeddingLayer(const LayerContext& ctx, int64_t input_dim, int64_t output_dim,
                               bool mask_zero, std::vector<float> matrix)
    : Layer(ctx),
      input_dim_(input_dim),
      output_dim_(output_dim),
      mask_zero_(mask_zero),
      matrix_(std::move(matrix)) {
  Shape in = ctx.input_shapes[0];
  in.push_back(output_dim);
  output_shapes_ = {in};
  output_masked_ = {mask_zero || ctx.input_masked[0]};
  memory_bytes_ = static_cast<int64_t>(matrix_.size() * sizeof(float));
}

Tensor EmbeddingLayer::lookup(const TokenIds& ids) const {
  Tensor t;
  t.shape = {ids.batch, ids.seq_len, output_dim_};
  t.data.resize(static_cast<size_t>(t.size()));
  for (size_t i = 0; i < ids.ids.size(); ++i) {
    std::memcpy(t.data.data() + i * output_dim_, row(ids.ids[i]),
                static_cast<size_t>(output_dim_) * sizeof(float));
  }
  return t;
}

void EmbeddingLayer::forward(std::span<const Value* const> in, const RunContext&,
                             std::vector<Value>* out) const {
  Value v;
  v.ids = in[0]->ids;
  v.embedding = this;
  if (mask_zero_) {
    auto mask = std::make_shared<std::vector<uint8_t>>(v.ids->ids.size());
    for (size_t i = 0; i < mask->size(); ++i) (*mask)[i] = v.ids->ids[i] != 0;
    v.mask = std::move(mask);
  } else {
    v.mask = in[0]->mask;
  }
  out->push_back(std::move(v));
}

Result<std::unique_ptr<Layer>> make_embedding(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  ConfigReader cfg(ctx);
  int64_t input_dim = cfg.required_integer("input_dim");
  int64_t output_dim = cfg.required_integer("output_dim");
  bool mask_zero = cfg.boolean("mask_zero", false);
  QUIVER_RETURN_IF_ERROR(cfg.status());
  if (input_dim <= 0 || output_dim <= 0) {
    return ctx.corrupt("input_dim and output_dim must be positive");
  }
  if (ctx.input_shapes[0].size() != 1) {
    return ctx.unimplemented("input shape " + shape_to_string(ctx.input_shapes[0]) +
                             " is not supported (a sequence of token ids [time] is)");
  }
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, 1));
  QUIVER_RETURN_IF_ERROR(
      expect_shape(ctx, ctx.spec.weights[0], {input_dim, output_dim}, "embeddings"));
  return std::unique_ptr<Layer>(std::make_unique<EmbeddingLayer>(
      ctx, input_dim, output_dim, mask_zero, ctx.spec.weights[0].values));
}

}  // namespace quiver::nn
