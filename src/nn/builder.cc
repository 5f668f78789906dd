// build_model: turns a keras_io::ModelSpec into the executable node graph.
#include <algorithm>
#include <map>

#include "nn/declared_sizes.h"
#include "nn/embedding.h"
#include "nn/model_impl.h"
#include "nn/text_vectorization.h"

namespace quiver::nn {
namespace {

// Static facts about one node output, known at load.
struct OutFacts {
  Shape shape;
  bool masked = false;
  bool raw_ids = false;                       // the model's token ids (through identity layers)
  int input = -1;                             // raw_ids: which model input they come from
  const EmbeddingLayer* embedding = nullptr;  // an Embedding's output (through identity layers)
  // Derived from a text input without output_sequence_length (ids of each text's length),
  // and whether that padding would reach this value unmasked in a Keras batch.
  bool ragged_text = false;
  bool unmasked_padding = false;
};

// A layer that reads its input's time mask and gives an unmasked output without the time
// axis, so a masked padding does not reach it (KERAS.md §2.5; GlobalAveragePooling1D's
// masked mean).
bool consumes_mask(const std::string& class_name) {
  for (const char* c : {"LSTM", "GRU", "SimpleRNN", "Bidirectional", "GlobalAveragePooling1D"}) {
    if (class_name == c) return true;
  }
  return false;
}

// Keras pads a batch of texts to its longest (no output_sequence_length); whether those
// padding ids change an output: unless every path masks them (Embedding mask_zero, then
// layers that pass the mask or consume it), a Keras row depends on its batch.
void track_padding(const std::string& class_name, bool text_input,
                   const std::vector<OutFacts*>& in, OutFacts& f) {
  for (const OutFacts* i : in) f.ragged_text = f.ragged_text || i->ragged_text;
  if (!f.ragged_text || text_input) return;
  // A padded sequence arrives masked, or as the text's raw ids (unmasked until an Embedding
  // with mask_zero masks them); a value without the time axis made from masked steps is
  // clean. The padding leaks when such a sequence leaves a layer unmasked, except where the
  // layer consumes the mask.
  bool tainted = false, masked_in = false, raw_in = false;
  for (const OutFacts* i : in) {
    tainted = tainted || i->unmasked_padding;
    masked_in = masked_in || (i->ragged_text && i->masked);
    raw_in = raw_in || (i->ragged_text && i->raw_ids && !i->masked);
  }
  const bool consumed =
      masked_in && consumes_mask(class_name) && f.shape.size() < in[0]->shape.size();
  f.unmasked_padding = tainted || ((masked_in || raw_in) && !f.masked && !consumed);
}

class Builder {
 public:
  Builder(const keras_io::ModelSpec& spec, ModelMeta meta, const LoadOptions& options)
      : spec_(spec),
        meta_(std::move(meta)),
        options_(options),
        impl_(std::make_unique<ModelImpl>()) {}

  Result<std::unique_ptr<ModelImpl>> build();

 private:
  Status index_layers();
  Status build_all_nodes();
  // Input refs of call `call` of spec layer `si`; false if some producer is not built yet.
  Result<bool> resolve_inputs(size_t si, size_t call, std::vector<ModelImpl::Ref>* refs);
  Result<ModelImpl::Ref> resolve(const keras_io::InboundRef& ref, size_t si, bool* ready);
  Status build_node(size_t si, std::vector<ModelImpl::Ref> refs);
  Status unsupported_class(size_t si) const;
  Result<const Layer*> layer_for(size_t si, const std::vector<OutFacts*>& in);
  Status finish();
  Status build_tables();
  void fill_info();
  std::string where(size_t si) const {
    return spec_.path + ": layer '" + spec_.layers[si].name + "' (" + spec_.layers[si].class_name +
           ")";
  }

  const keras_io::ModelSpec& spec_;
  ModelMeta meta_;
  const LoadOptions& options_;
  int64_t memory_bytes_ = 0;        // held by the layers built so far (without tables)
  // Layers fed by an Embedding (through identity layers): their tables are built once the
  // whole model is known and the memory policy chosen (build_tables).
  std::vector<std::pair<Layer*, const EmbeddingLayer*>> table_users_;
  std::unique_ptr<ModelImpl> impl_;
  std::map<std::string, size_t> by_name_;
  std::vector<std::vector<long>> node_of_call_;   // per spec layer, per call: node or -1
  std::vector<long> layer_index_;                 // per spec layer: index in impl_->layers
  std::vector<std::vector<Shape>> first_inputs_;  // per spec layer: input shapes of call 0
  std::vector<std::vector<OutFacts>> facts_;      // per node
  // Inputs taking strings: each string InputLayer that feeds a TextVectorization is
  // replaced by that TextVectorization (built as the input node; the InputLayer is never
  // built). TextVectorization spec index -> model input index, and the replaced InputLayers.
  std::map<size_t, int> text_layers_;
  std::map<size_t, std::string> string_inputs_;  // InputLayer spec index -> its TextVectorization
  // Several inputs: the InputLayers an Embedding takes (token ids; the others are dense
  // features). A single input is always token ids (or TextVectorization's output).
  std::map<std::string, bool> embedding_inputs_;
  std::map<std::string, int> input_index_;     // InputLayer name -> model input index
  std::map<int, int64_t> input_vocab_;          // model input -> smallest Embedding input_dim
};

size_t call_count(const keras_io::LayerSpec& l) {
  return l.inbound_nodes.empty() ? (l.class_name == "InputLayer" ? 1 : 0) : l.inbound_nodes.size();
}

Status Builder::index_layers() {
  if (spec_.layers.empty()) return corruption(spec_.path + ": the model has no layers");
  for (size_t i = 0; i < spec_.layers.size(); ++i) {
    if (!by_name_.emplace(spec_.layers[i].name, i).second) {
      return corruption(where(i) + ": duplicate layer name");
    }
    node_of_call_.emplace_back(call_count(spec_.layers[i]), -1);
  }
  layer_index_.assign(spec_.layers.size(), -1);
  first_inputs_.resize(spec_.layers.size());
  if (spec_.inputs.empty()) return corruption(spec_.path + ": the model has no inputs");
  if (spec_.outputs.empty()) return corruption(spec_.path + ": the model has no outputs");
  for (size_t i = 0; i < spec_.inputs.size(); ++i) {
    if (!input_index_.emplace(spec_.inputs[i].layer, static_cast<int>(i)).second) {
      return corruption(spec_.path + ": input '" + spec_.inputs[i].layer + "' listed twice");
    }
  }
  for (const auto& l : spec_.layers) {
    if (l.class_name != "Embedding") continue;
    for (const auto& node : l.inbound_nodes) {
      for (const auto& ref : node) embedding_inputs_[ref.layer] = true;
    }
  }
  // InputLayer(dtype string) -> TextVectorization: the TextVectorization becomes the input
  // (one per string input; several inputs may each have their own).
  for (size_t i = 0; i < spec_.layers.size(); ++i) {
    const auto& l = spec_.layers[i];
    if (l.class_name != "TextVectorization" || l.inbound_nodes.size() != 1 ||
        l.inbound_nodes[0].size() != 1) {
      continue;
    }
    auto in = input_index_.find(l.inbound_nodes[0][0].layer);
    auto input = by_name_.find(l.inbound_nodes[0][0].layer);
    if (in == input_index_.end() || input == by_name_.end() ||
        string_inputs_.count(input->second)) {
      continue;
    }
    text_layers_[i] = in->second;
    string_inputs_[input->second] = l.name;
    node_of_call_[input->second].clear();
  }
  return Status();
}

Result<ModelImpl::Ref> Builder::resolve(const keras_io::InboundRef& ref, size_t si, bool* ready) {
  auto it = by_name_.find(ref.layer);
  if (it == by_name_.end()) {
    return corruption(where(si) + ": input from unknown layer '" + ref.layer + "'");
  }
  if (auto text = string_inputs_.find(it->second); text != string_inputs_.end()) {
    return unimplemented(where(si) + ": takes the model's string input '" + ref.layer +
                         "', which TextVectorization '" + text->second +
                         "' takes (only one layer may: the string goes to it alone)");
  }
  const auto& calls = node_of_call_[it->second];
  size_t call = static_cast<size_t>(ref.node_index);
  if (call >= calls.size() && calls.size() == 1) call = 0;  // node ids counted elsewhere
  if (ref.node_index < 0 || call >= calls.size()) {
    return corruption(where(si) + ": input node " + std::to_string(ref.node_index) + " of layer '" +
                      ref.layer + "' does not exist");
  }
  if (calls[call] < 0) {
    *ready = false;
    return ModelImpl::Ref{};
  }
  const size_t node = static_cast<size_t>(calls[call]);
  if (ref.tensor_index < 0 || static_cast<size_t>(ref.tensor_index) >= facts_[node].size()) {
    return corruption(where(si) + ": input tensor " + std::to_string(ref.tensor_index) +
                      " of layer '" + ref.layer + "' does not exist");
  }
  return ModelImpl::Ref{node, static_cast<size_t>(ref.tensor_index)};
}

Result<bool> Builder::resolve_inputs(size_t si, size_t call, std::vector<ModelImpl::Ref>* refs) {
  const auto& layer = spec_.layers[si];
  if (layer.inbound_nodes.empty()) return true;  // an InputLayer
  if (text_layers_.count(si)) return true;  // the strings come from outside
  bool ready = true;
  for (const auto& ref : layer.inbound_nodes[call]) {
    QUIVER_ASSIGN_OR_RETURN(ModelImpl::Ref r, resolve(ref, si, &ready));
    if (!ready) return false;
    refs->push_back(r);
  }
  return true;
}

Status Builder::build_all_nodes() {
  // Config order is topological for each first call; later calls of shared layers may
  // depend on layers listed after them, so sweep until nothing is pending.
  bool progress = true, pending = true;
  while (progress && pending) {
    progress = pending = false;
    for (size_t si = 0; si < spec_.layers.size(); ++si) {
      for (size_t call = 0; call < node_of_call_[si].size(); ++call) {
        if (node_of_call_[si][call] >= 0) continue;
        std::vector<ModelImpl::Ref> refs;
        QUIVER_ASSIGN_OR_RETURN(bool ready, resolve_inputs(si, call, &refs));
        if (!ready) {
          pending = true;
          continue;
        }
        QUIVER_RETURN_IF_ERROR(build_node(si, std::move(refs)));
        node_of_call_[si][call] = static_cast<long>(impl_->nodes.size() - 1);
        progress = true;
      }
    }
  }
  if (pending) return corruption(spec_.path + ": the layer graph has a cycle");
  return Status();
}

Result<const Layer*> Builder::layer_for(size_t si, const std::vector<OutFacts*>& in) {
  std::vector<Shape> shapes;
  std::vector<bool> masked;
  for (const OutFacts* f : in) {
    shapes.push_back(f->shape);
    masked.push_back(f->masked);
  }
  if (layer_index_[si] >= 0) {  // a shared layer called again
    if (shapes != first_inputs_[si]) {
      return unimplemented(where(si) +
                           ": calling a shared layer on inputs of different shapes "
                           "is not supported");
    }
    return impl_->layers[static_cast<size_t>(layer_index_[si])].get();
  }
  const keras_io::LayerSpec& ls = spec_.layers[si];
  LayerFactory factory = find_layer_factory(ls.class_name);
  if (!factory) return unsupported_class(si);
  LayerContext ctx{ls, meta_, shapes, masked};
  QUIVER_RETURN_IF_ERROR(check_declared_sizes(ctx));
  QUIVER_ASSIGN_OR_RETURN(std::unique_ptr<Layer> layer, factory(ctx));
  QUIVER_RETURN_IF_ERROR(check_output_sizes(ctx, layer->output_shapes()));
  if (dynamic_cast<const EmbeddingLayer*>(layer.get()) && !in[0]->raw_ids) {
    return unimplemented(where(si) + ": an Embedding must take a model input's token ids");
  }
  if (in.size() == 1 && in[0]->embedding && !layer->is_identity()) {
    table_users_.emplace_back(layer.get(), in[0]->embedding);
  }
  // Each layer's own allocations are bounded by its weights (checked against the limit by
  // keras_io), so this check comes soon enough; build_tables checks the tables.
  memory_bytes_ += layer->memory_bytes();
  if (memory_bytes_ > options_.max_memory_bytes) {
    return resource_exhausted(where(si) + ": the model needs at least " +
                              std::to_string(memory_bytes_) +
                              " bytes once loaded, more than the memory limit of " +
                              std::to_string(options_.max_memory_bytes) +
                              " bytes (max_memory_bytes)");
  }
  first_inputs_[si] = shapes;
  layer_index_[si] = static_cast<long>(impl_->layers.size());
  impl_->layers.push_back(std::move(layer));
  return impl_->layers.back().get();
}

// Why a class without a factory cannot load: a Lambda holds Python code, a few Keras
// built-ins are named with what they do; any other class may be a custom layer.
Status Builder::unsupported_class(size_t si) const {
  const keras_io::LayerSpec& ls = spec_.layers[si];
  const std::string supported = "(supported: " + supported_layer_classes() + ")";
  if (ls.class_name == "Lambda") {
    const nlohmann::json& f = ls.config.is_object() && ls.config.contains("function")
                                  ? ls.config["function"]
                                  : nlohmann::json();
    std::string fn = "a lambda";
    if (f.is_string()) fn = "function '" + f.get<std::string>() + "'";
    if (f.is_object() && f.value("class_name", "") == "function" && f.contains("config") &&
        f["config"].is_string()) {
      fn = "function '" + f["config"].get<std::string>() + "'";
    }
    return unimplemented(where(si) + ": a Lambda layer runs Python code (" + fn +
                         ", stored as its name or marshalled bytecode), which quiver cannot run; "
                         "replace it with standard layers, or register a C++ implementation "
                         "of class 'Lambda' with quiver::register_layer (its factory reads "
                         "the config's function), see docs/nn.md");
  }
  for (const char* c : {"StringLookup", "IntegerLookup", "Hashing", "CategoryEncoding",
                        "Normalization", "Discretization"}) {
    if (ls.class_name == c) {
      return unimplemented(where(si) + ": the Keras preprocessing layer '" + ls.class_name +
                           "' is not supported " + supported +
                           "; of the preprocessing layers quiver runs TextVectorization");
    }
  }
  return unimplemented(where(si) + ": layer class '" + ls.class_name +
                       "' is not supported " + supported.substr(0, supported.size() - 1) +
                       "; a custom layer needs a C++ implementation registered with "
                       "quiver::register_layer, see docs/nn.md)");
}

Status Builder::build_node(size_t si, std::vector<ModelImpl::Ref> refs) {
  std::vector<OutFacts*> in;
  for (const auto& r : refs) in.push_back(&facts_[r.node][r.index]);
  const auto text_input = text_layers_.find(si);
  const bool is_input =
      spec_.layers[si].class_name == "InputLayer" || text_input != text_layers_.end();
  if (is_input != refs.empty()) {
    return corruption(where(si) + (is_input ? ": an InputLayer with inputs" : ": has no inputs"));
  }
  QUIVER_ASSIGN_OR_RETURN(const Layer* layer, layer_for(si, in));
  if (auto* e = dynamic_cast<const EmbeddingLayer*>(layer)) {  // every call: its input's ids
    auto [it, fresh] = input_vocab_.emplace(in[0]->input, e->input_dim());
    if (!fresh) it->second = std::min(it->second, e->input_dim());
  }
  std::vector<OutFacts> out;
  for (size_t i = 0; i < layer->output_shapes().size(); ++i) {
    OutFacts f{layer->output_shapes()[i], layer->output_masked()[i], false, -1, nullptr, false,
               false};
    track_padding(spec_.layers[si].class_name, text_input != text_layers_.end(), in, f);
    if (is_input) {
      auto* text = dynamic_cast<const TextVectorizationLayer*>(layer);
      f.raw_ids = !text || text->vectorizer().int_output();
      f.ragged_text = text && text->vectorizer().int_output() &&
                      text->vectorizer().output_width() < 0 && !text->vectorizer().config().ragged;
      if (spec_.inputs.size() > 1 && !text) {
        f.raw_ids = embedding_inputs_.count(spec_.layers[si].name) > 0;
      }
      auto idx = input_index_.find(spec_.layers[si].name);
      f.input = text_input != text_layers_.end() ? text_input->second
                : idx == input_index_.end()       ? 0
                                                  : idx->second;
    }
    if (layer->is_identity() && !in.empty()) {
      f.raw_ids = in[0]->raw_ids;
      f.input = in[0]->input;
      f.embedding = in[0]->embedding;
    }
    if (auto* e = dynamic_cast<const EmbeddingLayer*>(layer)) f.embedding = e;
    out.push_back(f);
  }
  facts_.push_back(std::move(out));
  impl_->nodes.push_back(ModelImpl::Node{layer, std::move(refs), {}});
  return Status();
}

}  // namespace

Result<std::unique_ptr<ModelImpl>> build_model(const keras_io::ModelSpec& spec,
                                               const LoadOptions& options) {
  freeze_custom_layers();  // the set of layer classes is fixed from the first model on
  ModelMeta meta = model_meta(spec, options.hard_sigmoid);
  meta.weights = options.weights;
  Builder b(spec, std::move(meta), options);
  return b.build();
}

Result<std::unique_ptr<ModelImpl>> Builder::build() {
  QUIVER_RETURN_IF_ERROR(index_layers());
  QUIVER_RETURN_IF_ERROR(build_all_nodes());
  QUIVER_RETURN_IF_ERROR(finish());
  return std::move(impl_);
}

Status Builder::finish() {
  bool ready = true;
  for (size_t i = 0; i < spec_.inputs.size(); ++i) {
    ModelImpl::Ref input;
    const nn::TextVectorizationLayer* text = nullptr;
    for (const auto& [tv, index] : text_layers_) {
      if (index != static_cast<int>(i)) continue;
      input = ModelImpl::Ref{static_cast<size_t>(node_of_call_[tv][0]), 0};
      text = static_cast<const TextVectorizationLayer*>(impl_->nodes[input.node].layer);
    }
    if (!text) {
      QUIVER_ASSIGN_OR_RETURN(input, resolve(spec_.inputs[i], 0, &ready));
    }
    if (!ready || !impl_->nodes[input.node].inputs.empty()) {
      return unimplemented(spec_.path + ": model input '" + spec_.inputs[i].layer +
                           "' is not an InputLayer");
    }
    impl_->input_nodes.push_back(input.node);
    impl_->text_inputs.push_back(text);
  }
  // A single string input: the model takes texts (predict_texts, ModelInfo::text_input).
  if (impl_->input_nodes.size() == 1) impl_->text_input = impl_->text_inputs[0];
  size_t input_layers = 0;
  for (const auto& n : impl_->nodes) input_layers += n.inputs.empty();
  if (input_layers != impl_->input_nodes.size()) {
    return unimplemented(spec_.path + ": every InputLayer must be a model input");
  }
  impl_->input_node = impl_->input_nodes[0];
  std::vector<size_t> last_use(impl_->nodes.size(), 0);
  for (size_t n = 0; n < impl_->nodes.size(); ++n) {
    for (const auto& r : impl_->nodes[n].inputs) last_use[r.node] = n;
  }
  for (const auto& out : spec_.outputs) {
    QUIVER_ASSIGN_OR_RETURN(ModelImpl::Ref r, resolve(out, 0, &ready));
    if (!ready) return corruption(spec_.path + ": output layer '" + out.layer + "' is not built");
    impl_->outputs.push_back(r);
    impl_->output_shapes.push_back(facts_[r.node][r.index].shape);
    last_use[r.node] = impl_->nodes.size();  // kept to the end
  }
  for (size_t n = 0; n < impl_->nodes.size(); ++n) {
    if (last_use[n] < impl_->nodes.size()) impl_->nodes[last_use[n]].release_after.push_back(n);
  }
  fill_info();
  return build_tables();
}

// The memory policy is chosen from the whole model's facts (ModelInfo::table_fp32_bytes,
// ...), which fill_info gathered, then each table user builds what the policy says.
Status Builder::build_tables() {
  ModelInfo& info = impl_->info;
  const MemoryPolicy policy =
      choose_memory_policy(info, options_.memory_policy, options_.memory_budget_bytes);
  const TokenProjection projection{policy,
                                   lazy_table_fraction(info, options_.memory_budget_bytes)};
  for (auto& [layer, embedding] : table_users_) {
    layer->use_token_projection(*embedding, projection);
  }
  info.memory_policy = policy;
  info.memory = MemoryUsage{};
  for (const auto& layer : impl_->layers) add_memory(&info.memory, layer->memory_usage());
  info.memory_bytes = info.memory.total();
  if (info.memory_bytes > options_.max_memory_bytes) {
    return resource_exhausted(spec_.path + ": the model needs " +
                              std::to_string(info.memory_bytes) + " bytes once loaded (memory " +
                              "policy " + memory_policy_name(policy) +
                              "), more than the memory limit of " +
                              std::to_string(options_.max_memory_bytes) +
                              " bytes (max_memory_bytes)");
  }
  return Status();
}

void Builder::fill_info() {
  ModelInfo& info = impl_->info;
  info.path = spec_.path;
  info.format = spec_.format;
  info.keras_version = spec_.keras_version;
  info.backend = spec_.backend;
  info.metadata = spec_.metadata;
  info.input_length = facts_[impl_->input_node][0].shape[0];
  if (impl_->text_input) {
    const text::TextVectorizer& v = impl_->text_input->vectorizer();
    info.text_input = true;
    info.text_vocab_size = v.vocabulary_size();
    if (!v.int_output()) info.input_length = -1;
  }
  auto with_batch = [](const Shape& s) {
    std::vector<int64_t> v{-1};
    v.insert(v.end(), s.begin(), s.end());
    return v;
  };
  for (size_t si = 0; si < spec_.layers.size(); ++si) {
    LayerInfo li{spec_.layers[si].name, spec_.layers[si].class_name, {}, 0};
    for (const auto& w : spec_.layers[si].weights)
      li.params += static_cast<int64_t>(w.values.size());
    if (layer_index_[si] >= 0) {
      const Layer& layer = *impl_->layers[static_cast<size_t>(layer_index_[si])];
      for (const auto& s : layer.output_shapes()) li.output_shapes.push_back(with_batch(s));
      add_memory(&info.memory, layer.memory_usage());
      if (auto* e = dynamic_cast<const EmbeddingLayer*>(&layer)) {
        info.vocab_size =
            info.vocab_size ? std::min(info.vocab_size, e->input_dim()) : e->input_dim();
      }
    }
    info.total_params += li.params;
    info.layers.push_back(std::move(li));
  }
  for (const auto& [layer, embedding] : table_users_) layer->add_table_facts(*embedding, &info);
  for (const auto& s : impl_->output_shapes) info.output_shapes.push_back(with_batch(s));
  for (size_t i = 0; i < impl_->input_nodes.size(); ++i) {
    const OutFacts& f = facts_[impl_->input_nodes[i]][0];
    InputInfo in;
    in.name = spec_.inputs[i].layer;
    in.shape = f.shape;
    in.text = impl_->text_inputs[i] != nullptr;
    in.token_ids = f.raw_ids && !in.text;
    auto v = input_vocab_.find(static_cast<int>(i));
    // A text input's ids come from its TextVectorization; vocab_size bounds them too.
    in.vocab_size = f.raw_ids && v != input_vocab_.end() ? v->second : 0;
    if (in.text) in.shape = {};  // one string per row
    for (const auto& r : impl_->outputs) {
      const OutFacts& o = facts_[r.node][r.index];
      in.unmasked_batch_padding = in.unmasked_batch_padding || (f.ragged_text && o.unmasked_padding);
    }
    info.inputs.push_back(std::move(in));
  }
}

}  // namespace quiver::nn
