// Embedding (keras/layers/embeddings.py): gathers rows of a [input_dim, output_dim] matrix;
// with mask_zero the time mask is ids != 0 (KERAS.md §2.5). Its output stays lazy (ids +
// this layer) until a consumer needs the dense tensor; RNNs fed by it gather precomputed
// input projections instead (issue 5).
#ifndef QUIVER_NN_EMBEDDING_H_
#define QUIVER_NN_EMBEDDING_H_

#include <vector>

#include "nn/layer.h"

namespace quiver::nn {

class EmbeddingLayer : public Layer {
 public:
  EmbeddingLayer(const LayerContext& ctx, int64_t input_dim, int64_t output_dim, bool mask_zero,
                 std::vector<float> matrix);

  int64_t input_dim() const { return input_dim_; }
  int64_t output_dim() const { return output_dim_; }
  bool mask_zero() const { return mask_zero_; }
  const float* row(int32_t id) const { return matrix_.data() + int64_t{id} * output_dim_; }

  void forward(std::span<const Value* const> in, const RunContext& run,
               std::vector<Value>* out) const override;
  bool accepts_lazy(const EmbeddingLayer*) const override { return true; }

  // The dense [batch, time, output_dim] tensor for `ids`.
  Tensor lookup(const TokenIds& ids) const;

 private:
  int64_t input_dim_;
  int64_t output_dim_;
  bool mask_zero_;
  std::vector<float> matrix_;
};

Result<std::unique_ptr<Layer>> make_embedding(const LayerContext& ctx);

}  // namespace quiver::nn

#endif  // QUIVER_NN_EMBEDDING_H_
