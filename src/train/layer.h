// Trainable layers: the forward and backward math of each Keras layer quiver trains.
//
// Every layer is a template on the scalar type: float for training, double for the
// finite-difference gradient checks. Activations inside one chunk of examples are
// time-major: Act{steps, batch, dim}, element (t, b, d) at v[(t * batch + b) * dim + d];
// non-sequence tensors have steps == 1.
// A Layer object is immutable and thread-safe; all per-chunk memory (activations kept
// for backward, dropout masks) lives in its Cache, which one thread owns at a time and
// which is reused from batch to batch (no allocation once sizes are reached).
#ifndef QUIVER_TRAIN_LAYER_H_
#define QUIVER_TRAIN_LAYER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace quiver::train {

template <typename T>
struct Act {
  int steps = 1, batch = 0, dim = 0;
  std::vector<T> v;
  std::vector<int32_t> ids;  // the model input (token ids, time-major [steps, batch])
  void resize(int s, int b, int d) {
    steps = s;
    batch = b;
    dim = d;
    v.resize(static_cast<size_t>(s) * b * d);
  }
  T* row(int t, int b) { return v.data() + (static_cast<size_t>(t) * batch + b) * dim; }
  const T* row(int t, int b) const {
    return v.data() + (static_cast<size_t>(t) * batch + b) * dim;
  }
};

// How Keras initialises a weight (keras.initializers), see init.cc.
enum class Init { kGlorotUniform, kOrthogonal, kZeros, kEmbeddingUniform, kLstmBias };

struct ParamSpec {
  std::string name;             // Keras weight name inside the layer, e.g. "kernel"
  std::vector<int64_t> shape;   // Keras shape
  Init init = Init::kZeros;
  int64_t size() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

// What one forward/backward pass over a chunk sees.
template <typename T>
struct PassCtx {
  const T* w = nullptr;  // this layer's parameters, concatenated in params() order
  T* g = nullptr;        // gradient accumulators in the same layout (backward)
  bool training = false;
  // One key per batch row: the dropout randomness of that example in this epoch.
  const uint64_t* row_keys = nullptr;
  // [steps, batch] 1 = real token, 0 = padding (Embedding mask_zero); nullptr = no mask.
  const uint8_t* mask = nullptr;
};

struct LayerCache {
  virtual ~LayerCache() = default;
};

template <typename T>
class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::vector<ParamSpec> params() const { return {}; }
  virtual std::unique_ptr<LayerCache> new_cache() const { return nullptr; }
  // Shapes: (steps, dim) in -> out.
  virtual void out_shape(int in_steps, int in_dim, int* steps, int* dim) const = 0;
  virtual void forward(const PassCtx<T>& ctx, const Act<T>& in, Act<T>* out,
                       LayerCache* cache) const = 0;
  // Adds parameter gradients into ctx.g; writes d(loss)/d(in) to din unless it is nullptr.
  virtual void backward(const PassCtx<T>& ctx, const Act<T>& in, const Act<T>& out,
                        const Act<T>& dout, Act<T>* din, LayerCache* cache) const = 0;
};

// Keys for a layer's dropout draws: distinct per layer, per example and per purpose.
inline uint64_t dropout_key(uint64_t row_key, uint64_t layer_salt, uint64_t purpose);

}  // namespace quiver::train

#include "train/rng.h"

namespace quiver::train {
inline uint64_t dropout_key(uint64_t row_key, uint64_t layer_salt, uint64_t purpose) {
  return hash_combine(hash_combine(row_key, layer_salt), purpose);
}

// Keras/TF dropout: keep where uniform >= rate, scale kept values by 1 / (1 - rate).
template <typename T>
void fill_dropout_mask(uint64_t key, float rate, int64_t n, T* out) {
  Rng rng(key);
  T scale = T(1) / (T(1) - T(rate));
  for (int64_t i = 0; i < n; ++i) out[i] = rng.uniform() >= rate ? scale : T(0);
}
}  // namespace quiver::train

#endif  // QUIVER_TRAIN_LAYER_H_
