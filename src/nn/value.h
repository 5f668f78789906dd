// Values that flow between layers while a Model runs: a tensor, its optional time mask, and
// (for token ids and Embedding outputs) a lazy form that consumers may use without ever
// materialising the dense tensor (the RNN input-projection table path, issue 5).
#ifndef QUIVER_NN_VALUE_H_
#define QUIVER_NN_VALUE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "quiver/tensor.h"

namespace quiver::nn {

// A shape without the batch dimension; -1 marks an unknown size (a None time axis).
using Shape = std::vector<int64_t>;

std::string shape_to_string(const Shape& shape);  // "[64,512]"

class EmbeddingLayer;

// Token ids of one predict call: batch × seq_len, row-major; owned by the caller.
struct TokenIds {
  std::span<const int32_t> ids;
  int64_t batch = 0;
  int64_t seq_len = 0;
};

struct Value {
  // Dense data [batch, ...]; null while the value is still lazy. Shared, never modified.
  std::shared_ptr<const Tensor> dense;
  // Time mask [batch * time] (1 = real step), shared between the layers that pass it on.
  std::shared_ptr<const std::vector<uint8_t>> mask;
  // Set for the model input (raw ids) and for an Embedding's output (ids + embedding).
  const TokenIds* ids = nullptr;
  const EmbeddingLayer* embedding = nullptr;

  bool is_dense() const { return dense != nullptr; }
  const Tensor& tensor() const { return *dense; }
};

// A value holding `t` and `mask`.
Value make_value(Tensor t, std::shared_ptr<const std::vector<uint8_t>> mask = nullptr);

// A tensor of the given shape filled with zeros.
Tensor zeros(std::vector<int64_t> shape);

}  // namespace quiver::nn

#endif  // QUIVER_NN_VALUE_H_
