// The limits quiver enforces on what a file or a request may declare (docs/limits.md).
//
// A model file, an architecture file, a tokenizer JSON or a serve config is untrusted
// input: whatever it declares is checked against these limits (and against the bytes that
// are actually present) before anything is allocated or walked, so a hostile file fails
// with a clear error (ResourceExhausted, exit code 7 in the CLI) instead of exhausting the
// stack or the memory of the process that reads it.
#ifndef QUIVER_LIMITS_H_
#define QUIVER_LIMITS_H_

#include <cstdint>

namespace quiver::limits {

// Nesting of arrays / objects (JSON) or sequences / maps (YAML) in a model config,
// architecture file, .keras config.json / metadata.json or tokenizer JSON. Real Keras
// configs nest about 10 levels (a wrapper layer's initializer: ~8).
inline constexpr int kMaxConfigDepth = 256;
// Nesting of an HTTP request body's JSON (the deepest API form, KServe ids, needs 5).
inline constexpr int kMaxRequestDepth = 64;
// Values in one YAML document after anchors and aliases are expanded (an alias "bomb"
// expands exponentially). A 100-layer Keras config holds about 5,000.
inline constexpr int64_t kMaxYamlValues = int64_t{1} << 18;
// Layers in one model config.
inline constexpr int64_t kMaxLayers = 100000;
// A declared sequence length (input_length, batch_input_shape's time dimension).
inline constexpr int64_t kMaxSequenceLength = int64_t{1} << 20;
// Any other declared size: units, output_dim, filters, kernel_size, pool_size, strides,
// RepeatVector n, each dimension of a shape.
inline constexpr int64_t kMaxDimension = int64_t{1} << 20;
// An Embedding's input_dim (the vocabulary).
inline constexpr int64_t kMaxVocabulary = int64_t{1} << 28;
// Elements of one sample of any layer's declared output (a shape's product).
inline constexpr int64_t kMaxElementsPerSample = int64_t{1} << 31;
// .keras archives: entries, and the most any member may inflate relative to its
// compressed size (zip bombs). Real archives hold 3 entries, compressed at most ~10:1.
inline constexpr int64_t kMaxZipEntries = 10000;
inline constexpr int64_t kMaxZipRatio = 1000;
// HDF5 attributes (model_config, layer_names, weight_names, ...): stored bytes of one.
inline constexpr int64_t kMaxAttributeBytes = int64_t{1} << 28;
// LoadOptions::max_memory_bytes' default: the file's bytes, the weights and everything
// precomputed at load (packed kernels, token tables, padding trajectories) must fit.
inline constexpr int64_t kDefaultMaxModelBytes = int64_t{4} << 30;

}  // namespace quiver::limits

#endif  // QUIVER_LIMITS_H_
