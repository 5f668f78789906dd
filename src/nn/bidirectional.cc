// Bidirectional (KERAS.md §2.6; keras@2.2.4 wrappers.py, keras@v3.8.0 bidirectional.py):
// a forward RNN and a backward copy with go_backwards negated; the backward sequence is
// flipped back only with return_sequences; merge concat/sum/mul/ave or None (two outputs);
// return_state appends forward then backward states. Weights: forward arrays, then backward.
#include <algorithm>
#include <exception>

#include "nn/embedding.h"
#include "nn/recurrent.h"
#include "nn/worker_pool.h"

namespace quiver::nn {
namespace {

enum class Merge { kConcat, kSum, kMul, kAve, kNone };

class BidirectionalLayer : public Layer {
 public:
  BidirectionalLayer(const LayerContext& ctx, RecurrentSpec fwd, RecurrentSpec bwd, Merge merge)
      : Layer(ctx),
        forward_(std::move(fwd)),
        backward_(std::move(bwd)),
        merge_(merge),
        zero_masked_(forward_.spec().return_sequences && !ctx.meta.standalone_keras),
        time_(ctx.input_shapes[0][0]) {
    const RecurrentSpec& f = forward_.spec();
    const int64_t time = time_;
    const int64_t width = merge == Merge::kConcat ? 2 * f.units : f.units;
    Shape y = f.return_sequences ? Shape{time, width} : Shape{width};
    const bool masked = f.return_sequences && ctx.input_masked[0];
    output_shapes_ = {y};
    if (merge == Merge::kNone) output_shapes_.push_back(y);
    output_masked_.assign(output_shapes_.size(), masked);
    for (int64_t i = 0; f.return_state && i < 2 * f.state_count(); ++i) {
      output_shapes_.push_back({f.units});
      output_masked_.push_back(false);
    }
    memory_bytes_ = forward_.memory_bytes() + backward_.memory_bytes();
  }

  void forward(std::span<const Value* const> in, const RunContext& run,
               std::vector<Value>* out) const override {
    RecurrentResult fr, br;
    if (run.threads >= 2) {
      // One direction per core (each keeps its own recurrent weights in its L2); the
      // results are the same bits as one after the other.
      const int half = run.threads / 2;
      auto direction = [&](int i) {
        if (i == 0) {
          forward_.run(*in[0], zero_masked_, half, &fr);
        } else {
          backward_.run(*in[0], zero_masked_, run.threads - half, &br);
        }
      };
      WorkerPool::for_this_thread().run(2, direction);
    } else {
      forward_.run(*in[0], zero_masked_, 1, &fr);
      backward_.run(*in[0], zero_masked_, 1, &br);
    }
    const bool seq = forward_.spec().return_sequences;
    if (seq) reverse_time(&br.output);
    auto mask = seq ? in[0]->mask : nullptr;
    if (merge_ == Merge::kNone) {
      out->push_back(make_value(std::move(fr.output), mask));
      out->push_back(make_value(std::move(br.output), mask));
    } else {
      out->push_back(make_value(merged(fr.output, br.output), mask));
    }
    if (!forward_.spec().return_state) return;
    for (Tensor& s : fr.states) out->push_back(make_value(std::move(s)));
    for (Tensor& s : br.states) out->push_back(make_value(std::move(s)));
  }

  bool accepts_lazy(const EmbeddingLayer* source) const override {
    return table_ready_ && source == table_source_;
  }
  void use_token_projection(const EmbeddingLayer& embedding,
                            const TokenProjection& projection) override {
    // The two tables on two threads: most of a BiLSTM's load time. Pool tasks must not
    // throw: an allocation failure is carried back to this thread.
    std::exception_ptr failed[2];
    auto task = [&](int i) {
      try {
        (i == 0 ? forward_ : backward_).use_token_projection(embedding, time_, projection);
      } catch (...) {
        failed[i] = std::current_exception();
      }
    };
    WorkerPool::for_this_thread().run(2, task);
    for (const std::exception_ptr& e : failed) {
      if (e) std::rethrow_exception(e);
    }
    table_ready_ = forward_.has_table_for(&embedding) && backward_.has_table_for(&embedding);
    table_source_ = &embedding;
    memory_bytes_ = forward_.memory_bytes() + backward_.memory_bytes();
  }
  MemoryUsage memory_usage() const override {
    MemoryUsage m = forward_.memory_usage();
    add_memory(&m, backward_.memory_usage());
    return m;
  }
  MemoryUsage memory_in_use() const override {
    MemoryUsage m = forward_.memory_in_use();
    add_memory(&m, backward_.memory_in_use());
    return m;
  }
  void add_table_facts(const EmbeddingLayer& embedding, ModelInfo* info) const override {
    forward_.add_table_facts(embedding, time_, info);
    backward_.add_table_facts(embedding, time_, info);
  }

 private:
  static void reverse_time(Tensor* t) {
    const int64_t b = t->shape[0], time = t->shape[1], u = t->shape[2];
    for (int64_t r = 0; r < b; ++r) {
      float* row = t->data.data() + r * time * u;
      for (int64_t i = 0, j = time - 1; i < j; ++i, --j) {
        std::swap_ranges(row + i * u, row + (i + 1) * u, row + j * u);
      }
    }
  }

  Tensor merged(const Tensor& y, const Tensor& y_rev) const {
    const int64_t u = y.shape.back(), rows = leading_rows(y);
    Tensor m;
    m.shape = y.shape;
    if (merge_ == Merge::kConcat) {
      m.shape.back() = 2 * u;
      m.data.resize(static_cast<size_t>(rows * 2 * u));
      for (int64_t r = 0; r < rows; ++r) {
        std::copy_n(y.data.data() + r * u, u, m.data.data() + r * 2 * u);
        std::copy_n(y_rev.data.data() + r * u, u, m.data.data() + r * 2 * u + u);
      }
      return m;
    }
    m.data.resize(y.data.size());
    for (size_t i = 0; i < y.data.size(); ++i) {
      const float a = y.data[i], b = y_rev.data[i];
      m.data[i] = merge_ == Merge::kSum ? a + b : merge_ == Merge::kMul ? a * b : (a + b) / 2;
    }
    return m;
  }

  RecurrentCore forward_;
  RecurrentCore backward_;
  Merge merge_;
  bool zero_masked_;
  int64_t time_;  // the declared sequence length, or unknown (not positive)
  bool table_ready_ = false;
  const EmbeddingLayer* table_source_ = nullptr;
};

Result<Merge> merge_mode(const LayerContext& ctx) {
  const nlohmann::json& c = ctx.spec.config;
  if (!c.contains("merge_mode")) return Merge::kConcat;
  if (c["merge_mode"].is_null()) return Merge::kNone;
  std::string m = c["merge_mode"].is_string() ? c["merge_mode"].get<std::string>() : "?";
  if (m == "concat") return Merge::kConcat;
  if (m == "sum") return Merge::kSum;
  if (m == "mul") return Merge::kMul;
  if (m == "ave") return Merge::kAve;
  return ctx.unimplemented("merge_mode " + json_text(c["merge_mode"]) +
                           " is not supported (concat, sum, mul, ave, None)");
}

Result<std::pair<std::string, nlohmann::json>> inner_layer(const LayerContext& ctx,
                                                           const char* key) {
  const nlohmann::json& c = ctx.spec.config;
  if (!c.contains(key) || !c[key].is_object() || !c[key].contains("class_name") ||
      !c[key]["class_name"].is_string()) {
    return ctx.corrupt(std::string("config has no '") + key + "' {class_name, config}");
  }
  nlohmann::json config = c[key].value("config", nlohmann::json::object());
  if (!config.is_object()) return ctx.corrupt(std::string("'") + key + "' config is not an object");
  return std::make_pair(c[key]["class_name"].get<std::string>(), std::move(config));
}

}  // namespace

Result<std::unique_ptr<Layer>> make_bidirectional(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  QUIVER_ASSIGN_OR_RETURN(Merge merge, merge_mode(ctx));
  QUIVER_ASSIGN_OR_RETURN(auto fwd_layer, inner_layer(ctx, "layer"));
  auto bwd_layer = fwd_layer;
  const bool explicit_backward =
      ctx.spec.config.contains("backward_layer") && !ctx.spec.config["backward_layer"].is_null();
  if (explicit_backward) {
    QUIVER_ASSIGN_OR_RETURN(bwd_layer, inner_layer(ctx, "backward_layer"));
  } else {
    const nlohmann::json& flag = bwd_layer.second["go_backwards"];
    const bool back = flag.is_boolean() && flag.get<bool>();
    bwd_layer.second["go_backwards"] = !back;
  }
  const auto& w = ctx.spec.weights;
  QUIVER_ASSIGN_OR_RETURN(size_t n_fwd,
                          recurrent_weight_count(ctx, fwd_layer.first, fwd_layer.second, w.size()));
  if (w.size() < n_fwd) {
    return ctx.corrupt("has " + std::to_string(w.size()) + " weight arrays, expected " +
                       std::to_string(2 * n_fwd));
  }
  std::span<const keras_io::WeightArray> all(w);
  QUIVER_ASSIGN_OR_RETURN(RecurrentSpec fwd, recurrent_spec(ctx, fwd_layer.first, fwd_layer.second,
                                                            all.first(n_fwd), "forward "));
  QUIVER_ASSIGN_OR_RETURN(RecurrentSpec bwd, recurrent_spec(ctx, bwd_layer.first, bwd_layer.second,
                                                            all.subspan(n_fwd), "backward "));
  if (bwd.units != fwd.units || bwd.return_sequences != fwd.return_sequences ||
      bwd.return_state != fwd.return_state || bwd.kind != fwd.kind) {
    return ctx.unimplemented(
        "a backward_layer that differs from the forward layer in units, "
        "class or return flags is not supported");
  }
  return make_layer<BidirectionalLayer>(ctx, std::move(fwd), std::move(bwd), merge);
}

}  // namespace quiver::nn
