// ModelImpl: the executable graph behind quiver::Model. Built once by build_model() from a
// keras_io::ModelSpec; immutable afterwards (predict is const and re-entrant, its values and
// scratch live in the call).
#ifndef QUIVER_NN_MODEL_IMPL_H_
#define QUIVER_NN_MODEL_IMPL_H_

#include <memory>
#include <span>
#include <vector>

#include "keras_io/model_spec.h"
#include "nn/layer.h"
#include "quiver/model.h"

namespace quiver {
namespace nn {
class TextVectorizationLayer;
}

class ModelImpl {
 public:
  // One output of one node: the tensor_index-th value of node `node`.
  struct Ref {
    size_t node = 0;
    size_t index = 0;
  };
  // One call of a layer.
  struct Node {
    const nn::Layer* layer = nullptr;
    std::vector<Ref> inputs;
    std::vector<size_t> release_after;  // nodes whose values are not needed after this one
  };

  ModelInfo info;
  std::vector<std::unique_ptr<nn::Layer>> layers;
  std::vector<Node> nodes;  // in execution order; input nodes have no inputs
  std::vector<size_t> input_nodes;  // one per model input, in ModelInfo::inputs order
  size_t input_node = 0;            // input_nodes[0]
  std::vector<Ref> outputs;
  std::vector<nn::Shape> output_shapes;  // without batch
  // Per model input: its TextVectorization when the input takes strings (the input node's
  // layer, owned by `layers`), else null.
  std::vector<const nn::TextVectorizationLayer*> text_inputs;
  // text_inputs[0] of a single-input model (predict_texts, ModelInfo::text_input), else null.
  const nn::TextVectorizationLayer* text_input = nullptr;

  // See quiver::Model::predict.
  Result<std::vector<Tensor>> predict(std::span<const int32_t> ids, int64_t batch, int64_t seq_len,
                                      const PredictOptions& options) const;
  // See quiver::Model::predict_texts / text_ids.
  Result<std::vector<Tensor>> predict_texts(std::span<const std::string> texts,
                                            const PredictOptions& options) const;
  Result<std::vector<int32_t>> text_ids(std::string_view text) const;
  Result<std::vector<Tensor>> predict_inputs(std::span<const Tensor> inputs,
                                             const PredictOptions& options) const;
  // See quiver::Model::memory_in_use: the layers' memory_in_use() summed.
  MemoryUsage memory_in_use() const;

 private:
  Status check_input(std::span<const int32_t> ids, int64_t batch, int64_t seq_len) const;
  // Checks input `i` of predict_inputs (shape, string count, token id range) for `batch` rows.
  Status check_model_input(size_t i, const Tensor& t, int64_t batch) const;
  // Runs rows `rows` of checked inputs; `text_ids` holds each int-mode text input's ids per
  // row (all rows of `rows` one length per input).
  std::vector<Tensor> run_rows(std::span<const Tensor> inputs,
                               const std::vector<std::vector<std::vector<int32_t>>>& text_ids,
                               std::span<const size_t> rows, const PredictOptions& options) const;
  // Runs the graph with `inputs` as the input nodes' values.
  std::vector<Tensor> run(std::vector<nn::Value> inputs, const PredictOptions& options) const;
};

namespace nn {

// Builds the executable model. Validates every layer option and weight shape; errors name
// the file and the layer. options.hard_sigmoid overrides the file's Keras version.
Result<std::unique_ptr<ModelImpl>> build_model(const keras_io::ModelSpec& spec,
                                               const LoadOptions& options);

// kAuto without a budget keeps fp32 tables up to this many bytes in all (a 2,000-token
// BiLSTM(196) takes 12.5 MB), lazy tables beyond (a vocabulary of 100,000 tokens).
inline constexpr int64_t kAutoMaxTableBytes = int64_t{128} << 20;

// kTablesLazy: the share of each table's rows a model may keep under `budget_bytes` (1 when
// there is no budget), after its weights, trajectories and row index.
double lazy_table_fraction(const ModelInfo& info, int64_t budget_bytes);

// File facts derived from the spec (keras version flavour, hard_sigmoid formula).
ModelMeta model_meta(const keras_io::ModelSpec& spec, HardSigmoidMode hard_sigmoid);

}  // namespace nn
}  // namespace quiver

#endif  // QUIVER_NN_MODEL_IMPL_H_
