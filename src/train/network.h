// Network<T>: the Sequential model quiver trains, built from an ArchSpec:
//   Embedding → [SpatialDropout1D] → LSTM | Bidirectional(LSTM) | GRU | Bidirectional(GRU)
//                                   | Conv1D → GlobalMaxPooling1D → [Dropout]  → Dense
// Parameters live in one flat array (layer order, each layer's Keras weight order), so
// gradients of a chunk are one array too and reduce in a fixed order.
// Thread-safety: a Network is immutable and thread-safe; a Workspace belongs to one thread
// at a time.
#ifndef QUIVER_TRAIN_NETWORK_H_
#define QUIVER_TRAIN_NETWORK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "quiver/status.h"
#include "train/layer.h"
#include "train/loss.h"

namespace quiver::train {

struct ArchSpec {
  std::string type = "lstm";  // lstm, bilstm, gru, bigru, cnn
  int vocab_size = 2000;      // Embedding input_dim
  int maxlen = 0;             // sequence length (Embedding input_length)
  int embed_dim = 128;
  int units = 196;
  int filters = 128;
  int kernel_size = 5;
  float dropout = 0.2f;            // RNN `dropout` (cnn: a Dropout layer before Dense)
  float recurrent_dropout = 0.2f;  // RNN `recurrent_dropout`
  float spatial_dropout = 0.4f;    // SpatialDropout1D rate (0 = no such layer)
  bool mask_zero = false;
  int outputs = 2;                 // Dense units
  OutputKind output = OutputKind::kSoftmax;
};

// One layer of the network, with what the .h5 writer needs to name it.
template <typename T>
struct LayerSlot {
  std::string name;         // Keras layer name: "embedding", "lstm", "bidirectional", ...
  std::string class_name;   // Keras class_name
  std::unique_ptr<Layer<T>> layer;
  std::vector<ParamSpec> params;
  std::vector<std::string> weight_names;  // tf.keras 2.x names, e.g. "lstm/lstm_cell/kernel:0"
  int64_t offset = 0;       // into the flat parameter array
};

template <typename T>
class Network {
 public:
  // Validates the spec (InvalidArgument naming the field) and builds the layers.
  static Result<std::unique_ptr<Network>> build(const ArchSpec& spec);

  const ArchSpec& spec() const { return spec_; }
  const std::vector<LayerSlot<T>>& slots() const { return slots_; }
  int64_t num_params() const { return num_params_; }
  // Keras-style initial weights from `seed`.
  void init_params(uint64_t seed, T* w) const;

  struct Workspace {
    std::vector<Act<T>> acts;   // acts[0] = ids, acts[i + 1] = output of layer i
    std::vector<Act<T>> grads;  // grads[i + 1] = d loss / d acts[i + 1]
    std::vector<std::unique_ptr<LayerCache>> caches;
    std::vector<uint8_t> mask;  // [maxlen, batch] when mask_zero
  };
  std::unique_ptr<Workspace> new_workspace() const;

  // Runs `batch` rows of ids (row-major [batch, maxlen], all < vocab_size). The logits
  // end up in ws->acts.back() ([1, batch, outputs]).
  void forward(const T* w, const int32_t* ids, int batch, const uint64_t* row_keys,
               bool training, Workspace* ws) const;
  // Backpropagates ws->grads.back() (d loss / d logits), adding into g.
  void backward(const T* w, T* g, const uint64_t* row_keys, Workspace* ws) const;

 private:
  explicit Network(ArchSpec spec) : spec_(std::move(spec)) {}
  void add(std::string name, std::string class_name, std::unique_ptr<Layer<T>> layer,
           std::vector<std::string> weight_names);
  PassCtx<T> ctx_for(size_t i, const T* w, T* g, const uint64_t* row_keys, bool training,
                     const Workspace& ws) const;

  ArchSpec spec_;
  std::vector<LayerSlot<T>> slots_;
  int64_t num_params_ = 0;
};

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_NETWORK_H_
