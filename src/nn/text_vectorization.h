// TextVectorizationLayer: a model's first layer when it takes raw strings. The builder makes
// it the model's input node (it replaces the string InputLayer): int mode outputs token ids
// (consumed like the ids of an id model), the other modes a dense [depth] vector. The
// vectorizer itself (text/text_vectorization.h) turns texts into those inputs before the
// graph runs; forward() is never called.
#ifndef QUIVER_NN_TEXT_VECTORIZATION_H_
#define QUIVER_NN_TEXT_VECTORIZATION_H_

#include "nn/layer.h"
#include "quiver/layer_registry.h"
#include "text/text_vectorization.h"

namespace quiver::nn {

// Registered TextVectorization callables (include/quiver/layer_registry.h) by the name a
// config stores ("custom_standardization" or "Custom>custom_standardization"); null when
// none. Only after the freeze (src/nn/custom_layer.cc; the maps are read-only then).
const TextStandardizeFn* find_text_standardize(std::string_view name);
const TextSplitFn* find_text_split(std::string_view name);

class TextVectorizationLayer : public Layer {
 public:
  TextVectorizationLayer(const LayerContext& ctx, text::TextVectorizer vectorizer);
  void forward(std::span<const Value* const> in, const RunContext& run,
               std::vector<Value>* out) const override;
  const text::TextVectorizer& vectorizer() const { return vectorizer_; }
  // Its vocabulary, as the tokenizer part of ModelInfo::memory (an estimate: each term held
  // twice, as a list entry and a hash key).
  MemoryUsage memory_usage() const override;

 private:
  text::TextVectorizer vectorizer_;
};

}  // namespace quiver::nn

#endif  // QUIVER_NN_TEXT_VECTORIZATION_H_
