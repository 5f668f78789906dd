// The trainable layers (one per .cc file). Each mirrors a Keras layer and its training
// behaviour; the comments in the .cc files cite the Keras code being matched.
#ifndef QUIVER_TRAIN_LAYERS_H_
#define QUIVER_TRAIN_LAYERS_H_

#include <memory>

#include "train/layer.h"

namespace quiver::train {

// Embedding(input_dim, output_dim): ids (Act::ids) -> [steps, batch, output_dim].
template <typename T>
class EmbeddingLayer : public Layer<T> {
 public:
  EmbeddingLayer(int input_dim, int output_dim) : input_dim_(input_dim), output_dim_(output_dim) {}
  std::vector<ParamSpec> params() const override;
  void out_shape(int in_steps, int in_dim, int* steps, int* dim) const override;
  void forward(const PassCtx<T>&, const Act<T>& in, Act<T>* out, LayerCache*) const override;
  void backward(const PassCtx<T>&, const Act<T>& in, const Act<T>& out, const Act<T>& dout,
                Act<T>* din, LayerCache*) const override;

 private:
  int input_dim_, output_dim_;
};

// Dropout (spatial = SpatialDropout1D: one mask per example and channel, shared over time).
template <typename T>
class DropoutLayer : public Layer<T> {
 public:
  DropoutLayer(float rate, bool spatial, uint64_t salt) : rate_(rate), spatial_(spatial), salt_(salt) {}
  std::unique_ptr<LayerCache> new_cache() const override;
  void out_shape(int in_steps, int in_dim, int* steps, int* dim) const override;
  void forward(const PassCtx<T>&, const Act<T>& in, Act<T>* out, LayerCache*) const override;
  void backward(const PassCtx<T>&, const Act<T>& in, const Act<T>& out, const Act<T>& dout,
                Act<T>* din, LayerCache*) const override;

 private:
  float rate_;
  bool spatial_;
  uint64_t salt_;
};

// Dense(units) without activation: the output activation lives in the loss (logits).
template <typename T>
class DenseLayer : public Layer<T> {
 public:
  DenseLayer(int in_dim, int units) : in_dim_(in_dim), units_(units) {}
  std::vector<ParamSpec> params() const override;
  void out_shape(int in_steps, int in_dim, int* steps, int* dim) const override;
  void forward(const PassCtx<T>&, const Act<T>& in, Act<T>* out, LayerCache*) const override;
  void backward(const PassCtx<T>&, const Act<T>& in, const Act<T>& out, const Act<T>& dout,
                Act<T>* din, LayerCache*) const override;

 private:
  int in_dim_, units_;
};

// Conv1D(filters, kernel_size, padding="valid", strides=1, activation="relu").
template <typename T>
class Conv1DLayer : public Layer<T> {
 public:
  Conv1DLayer(int in_dim, int filters, int kernel_size)
      : in_dim_(in_dim), filters_(filters), kernel_size_(kernel_size) {}
  std::vector<ParamSpec> params() const override;
  std::unique_ptr<LayerCache> new_cache() const override;
  void out_shape(int in_steps, int in_dim, int* steps, int* dim) const override;
  void forward(const PassCtx<T>&, const Act<T>& in, Act<T>* out, LayerCache*) const override;
  void backward(const PassCtx<T>&, const Act<T>& in, const Act<T>& out, const Act<T>& dout,
                Act<T>* din, LayerCache*) const override;

 private:
  int in_dim_, filters_, kernel_size_;
};

// GlobalMaxPooling1D: [steps, batch, dim] -> [1, batch, dim].
template <typename T>
class GlobalMaxPoolingLayer : public Layer<T> {
 public:
  void out_shape(int in_steps, int in_dim, int* steps, int* dim) const override;
  void forward(const PassCtx<T>&, const Act<T>& in, Act<T>* out, LayerCache*) const override;
  void backward(const PassCtx<T>&, const Act<T>& in, const Act<T>& out, const Act<T>& dout,
                Act<T>* din, LayerCache*) const override;
};

struct RnnOptions {
  int in_dim = 0;
  int units = 0;
  float dropout = 0;            // on the inputs, one mask per example (Keras `dropout`)
  float recurrent_dropout = 0;  // on h_{t-1}, one mask per example
  bool go_backwards = false;
  uint64_t salt = 0;            // distinguishes this layer's dropout draws
};

// What LSTM and GRU share: their options, a per-pass RnnCache and one output step of
// `units` (return_sequences=False). Defined in rnn_common.cc.
template <typename T>
class RecurrentLayer : public Layer<T> {
 public:
  explicit RecurrentLayer(RnnOptions o) : o_(o) {}
  std::unique_ptr<LayerCache> new_cache() const override;
  void out_shape(int in_steps, int in_dim, int* steps, int* dim) const override;

 protected:
  RnnOptions o_;
};

// LSTM(return_sequences=False), gates i,f,c,o, sigmoid / tanh (KERAS.md §2.1).
template <typename T>
class LstmLayer : public RecurrentLayer<T> {
 public:
  using RecurrentLayer<T>::RecurrentLayer;
  std::vector<ParamSpec> params() const override;
  void forward(const PassCtx<T>&, const Act<T>& in, Act<T>* out, LayerCache*) const override;
  void backward(const PassCtx<T>&, const Act<T>& in, const Act<T>& out, const Act<T>& dout,
                Act<T>* din, LayerCache*) const override;

 private:
  using RecurrentLayer<T>::o_;
};

// GRU(reset_after=True, return_sequences=False), gates z,r,h, bias [2, 3u] (KERAS.md §2.2).
template <typename T>
class GruLayer : public RecurrentLayer<T> {
 public:
  using RecurrentLayer<T>::RecurrentLayer;
  std::vector<ParamSpec> params() const override;
  void forward(const PassCtx<T>&, const Act<T>& in, Act<T>* out, LayerCache*) const override;
  void backward(const PassCtx<T>&, const Act<T>& in, const Act<T>& out, const Act<T>& dout,
                Act<T>* din, LayerCache*) const override;

 private:
  using RecurrentLayer<T>::o_;
};

// Bidirectional(merge_mode="concat"): [forward(x), backward(x)] with the backward copy
// running go_backwards; parameters are the forward layer's then the backward layer's.
template <typename T>
class BidirectionalLayer : public Layer<T> {
 public:
  BidirectionalLayer(std::unique_ptr<Layer<T>> fwd, std::unique_ptr<Layer<T>> bwd, int units)
      : fwd_(std::move(fwd)), bwd_(std::move(bwd)), units_(units) {
    for (const auto& p : fwd_->params()) fwd_params_ += p.size();
  }
  std::vector<ParamSpec> params() const override;
  std::unique_ptr<LayerCache> new_cache() const override;
  void out_shape(int in_steps, int in_dim, int* steps, int* dim) const override;
  void forward(const PassCtx<T>&, const Act<T>& in, Act<T>* out, LayerCache*) const override;
  void backward(const PassCtx<T>&, const Act<T>& in, const Act<T>& out, const Act<T>& dout,
                Act<T>* din, LayerCache*) const override;

 private:
  std::unique_ptr<Layer<T>> fwd_, bwd_;
  int units_;
  int64_t fwd_params_ = 0;  // size of the forward layer's weights
};

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_LAYERS_H_
