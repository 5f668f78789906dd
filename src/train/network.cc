#include "train/network.h"

#include "train/init.h"
#include "train/layers.h"

namespace quiver::train {
namespace {

std::vector<std::string> names_under(const std::string& prefix,
                                     const std::vector<std::string>& weights) {
  std::vector<std::string> out;
  for (const auto& w : weights) out.push_back(prefix + "/" + w + ":0");
  return out;
}

const std::vector<std::string> kRnnWeights = {"kernel", "recurrent_kernel", "bias"};

Status check_spec(const ArchSpec& s) {
  // The option table's names (model_type, embedding_dim, ...; src/train/option_table.h):
  // the CLI and the serve config check values there first, so these guard the C++ API.
  auto bad = [](const std::string& what) { return invalid_argument("network: " + what); };
  if (s.type != "lstm" && s.type != "bilstm" && s.type != "gru" && s.type != "bigru" &&
      s.type != "cnn") {
    return bad("model_type: expected lstm, bilstm, gru, bigru or cnn, got '" + s.type + "'");
  }
  if (s.vocab_size < 2) return bad("vocabulary size must be at least 2");
  if (s.maxlen < 1) return bad("maxlen must be at least 1");
  if (s.embed_dim < 1 || s.units < 1 || s.filters < 1 || s.kernel_size < 1) {
    return bad("embedding_dim, units, filters and kernel_size must be positive");
  }
  if (s.type == "cnn" && s.maxlen < s.kernel_size) {
    return bad("maxlen " + std::to_string(s.maxlen) + " is shorter than the cnn's kernel_size " +
               std::to_string(s.kernel_size));
  }
  for (float r : {s.dropout, s.recurrent_dropout, s.spatial_dropout}) {
    if (!(r >= 0 && r < 1)) return bad("dropout rates must be in [0, 1)");
  }
  if (s.outputs < 1) return bad("the model needs at least one output");
  return Status();
}

}  // namespace

template <typename T>
void Network<T>::add(std::string name, std::string class_name, std::unique_ptr<Layer<T>> layer,
                     std::vector<std::string> weight_names) {
  LayerSlot<T> slot;
  slot.name = std::move(name);
  slot.class_name = std::move(class_name);
  slot.params = layer->params();
  slot.layer = std::move(layer);
  slot.weight_names = std::move(weight_names);
  slot.offset = num_params_;
  for (const auto& p : slot.params) num_params_ += p.size();
  slots_.push_back(std::move(slot));
}

template <typename T>
Result<std::unique_ptr<Network<T>>> Network<T>::build(const ArchSpec& s) {
  QUIVER_RETURN_IF_ERROR(check_spec(s));
  std::unique_ptr<Network<T>> net(new Network<T>(s));
  net->add("embedding", "Embedding", std::make_unique<EmbeddingLayer<T>>(s.vocab_size, s.embed_dim),
           {"embedding/embeddings:0"});
  if (s.spatial_dropout > 0) {
    net->add("spatial_dropout1d", "SpatialDropout1D",
             std::make_unique<DropoutLayer<T>>(s.spatial_dropout, true, 11), {});
  }
  int features = s.units;
  if (s.type == "cnn") {
    net->add("conv1d", "Conv1D",
             std::make_unique<Conv1DLayer<T>>(s.embed_dim, s.filters, s.kernel_size),
             names_under("conv1d", {"kernel", "bias"}));
    net->add("global_max_pooling1d", "GlobalMaxPooling1D",
             std::make_unique<GlobalMaxPoolingLayer<T>>(), {});
    if (s.dropout > 0) {
      net->add("dropout", "Dropout", std::make_unique<DropoutLayer<T>>(s.dropout, false, 12), {});
    }
    features = s.filters;
  } else {
    const bool gru = s.type == "gru" || s.type == "bigru";
    const std::string rnn = gru ? "gru" : "lstm";
    auto make = [&](bool backwards, uint64_t salt) -> std::unique_ptr<Layer<T>> {
      RnnOptions o{s.embed_dim, s.units, s.dropout, s.recurrent_dropout, backwards, salt};
      if (gru) return std::make_unique<GruLayer<T>>(o);
      return std::make_unique<LstmLayer<T>>(o);
    };
    if (s.type == "bilstm" || s.type == "bigru") {
      auto names = names_under("bidirectional/forward_" + rnn + "/" + rnn + "_cell_1", kRnnWeights);
      for (auto& n : names_under("bidirectional/backward_" + rnn + "/" + rnn + "_cell_2", kRnnWeights)) {
        names.push_back(n);
      }
      net->add("bidirectional", "Bidirectional",
               std::make_unique<BidirectionalLayer<T>>(make(false, 21), make(true, 22), s.units),
               names);
      features = 2 * s.units;
    } else {
      net->add(rnn, gru ? "GRU" : "LSTM", make(false, 21), names_under(rnn + "/" + rnn + "_cell", kRnnWeights));
    }
  }
  net->add("dense", "Dense", std::make_unique<DenseLayer<T>>(features, s.outputs),
           names_under("dense", {"kernel", "bias"}));
  return net;
}

template <typename T>
void Network<T>::init_params(uint64_t seed, T* w) const {
  uint64_t index = 0;
  for (const auto& slot : slots_) {
    T* p = w + slot.offset;
    for (const auto& spec : slot.params) {
      init_param(spec, hash_combine(seed, ++index), p);
      p += spec.size();
    }
  }
}

template <typename T>
std::unique_ptr<typename Network<T>::Workspace> Network<T>::new_workspace() const {
  auto ws = std::make_unique<Workspace>();
  ws->acts.resize(slots_.size() + 1);
  ws->grads.resize(slots_.size() + 1);
  for (const auto& slot : slots_) ws->caches.push_back(slot.layer->new_cache());
  return ws;
}

template <typename T>
PassCtx<T> Network<T>::ctx_for(size_t i, const T* w, T* g, const uint64_t* row_keys,
                               bool training, const Workspace& ws) const {
  PassCtx<T> ctx;
  ctx.w = w + slots_[i].offset;
  ctx.g = g ? g + slots_[i].offset : nullptr;
  ctx.training = training;
  ctx.row_keys = row_keys;
  ctx.mask = spec_.mask_zero ? ws.mask.data() : nullptr;
  return ctx;
}

template <typename T>
void Network<T>::forward(const T* w, const int32_t* ids, int batch, const uint64_t* row_keys,
                         bool training, Workspace* ws) const {
  const int steps = spec_.maxlen;
  Act<T>& in = ws->acts[0];
  in.resize(steps, batch, 0);
  in.ids.resize(static_cast<size_t>(steps) * batch);
  for (int b = 0; b < batch; ++b) {
    for (int t = 0; t < steps; ++t) {
      in.ids[static_cast<size_t>(t) * batch + b] = ids[static_cast<size_t>(b) * steps + t];
    }
  }
  if (spec_.mask_zero) {
    ws->mask.resize(in.ids.size());
    for (size_t i = 0; i < in.ids.size(); ++i) ws->mask[i] = in.ids[i] != 0;
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].layer->forward(ctx_for(i, w, nullptr, row_keys, training, *ws), ws->acts[i],
                             &ws->acts[i + 1], ws->caches[i].get());
  }
}

template <typename T>
void Network<T>::backward(const T* w, T* g, const uint64_t* row_keys, Workspace* ws) const {
  for (size_t i = slots_.size(); i-- > 0;) {
    Act<T>* din = i == 0 ? nullptr : &ws->grads[i];
    slots_[i].layer->backward(ctx_for(i, w, g, row_keys, true, *ws), ws->acts[i],
                              ws->acts[i + 1], ws->grads[i + 1], din, ws->caches[i].get());
  }
}

template class Network<float>;
template class Network<double>;

}  // namespace quiver::train
