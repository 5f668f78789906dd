// Merge layers of functional graphs (keras/layers/merge.py): Concatenate(axis), Add,
// Subtract, Multiply, Average, Maximum, Minimum on inputs of equal shape. Output mask: the
// AND of the input masks (inputs without one count as all ones), as _Merge.compute_mask.
#include <algorithm>

#include "nn/layer.h"

namespace quiver::nn {
namespace {

enum class Op { kConcat, kAdd, kSubtract, kMultiply, kAverage, kMaximum, kMinimum };

class MergeLayer : public Layer {
 public:
  MergeLayer(const LayerContext& ctx, Op op, size_t axis, Shape out)
      : Layer(ctx), op_(op), axis_(axis) {
    output_shapes_ = {std::move(out)};
    output_masked_ = {
        std::any_of(ctx.input_masked.begin(), ctx.input_masked.end(), [](bool m) { return m; })};
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    Tensor y = op_ == Op::kConcat ? concat(in) : combine(in);
    out->push_back(make_value(std::move(y), merged_mask(in)));
  }

 private:
  Tensor combine(std::span<const Value* const> in) const {
    Tensor y = in[0]->tensor();
    for (size_t k = 1; k < in.size(); ++k) {
      const std::vector<float>& x = in[k]->tensor().data;
      for (size_t i = 0; i < y.data.size(); ++i) {
        float& a = y.data[i];
        switch (op_) {
          case Op::kAdd:
          case Op::kAverage:
            a += x[i];
            break;
          case Op::kSubtract:
            a -= x[i];
            break;
          case Op::kMultiply:
            a *= x[i];
            break;
          case Op::kMaximum:
            a = std::max(a, x[i]);
            break;
          case Op::kMinimum:
            a = std::min(a, x[i]);
            break;
          case Op::kConcat:
            break;
        }
      }
    }
    if (op_ == Op::kAverage) {
      for (float& a : y.data) a /= static_cast<float>(in.size());
    }
    return y;
  }

  // Concatenation along batched axis axis_ (>= 1): outer blocks × (sum of inner widths).
  Tensor concat(std::span<const Value* const> in) const {
    Tensor y;
    y.shape = in[0]->tensor().shape;
    y.shape[axis_] = 0;
    for (const Value* v : in) y.shape[axis_] += v->tensor().shape[axis_];
    y.data.resize(static_cast<size_t>(y.size()));
    int64_t outer = 1;
    for (size_t a = 0; a < axis_; ++a) outer *= y.shape[a];
    float* dst = y.data.data();
    for (int64_t o = 0; o < outer; ++o) {
      for (const Value* v : in) {
        const int64_t width = outer ? v->tensor().size() / outer : 0;
        dst = std::copy_n(v->tensor().data.data() + o * width, width, dst);
      }
    }
    return y;
  }

  static std::shared_ptr<const std::vector<uint8_t>> merged_mask(std::span<const Value* const> in) {
    std::shared_ptr<const std::vector<uint8_t>> first;
    std::vector<uint8_t> m;
    for (const Value* v : in) {
      if (!v->mask) continue;
      if (!first) {
        first = v->mask;
        m = *v->mask;
      } else {
        for (size_t i = 0; i < m.size(); ++i) m[i] = m[i] && (*v->mask)[i];
      }
    }
    if (!first) return nullptr;
    return std::make_shared<const std::vector<uint8_t>>(std::move(m));
  }

  Op op_;
  size_t axis_;
};

Result<Op> op_for(const LayerContext& ctx) {
  const std::string& c = ctx.spec.class_name;
  if (c == "Concatenate") return Op::kConcat;
  if (c == "Add") return Op::kAdd;
  if (c == "Subtract") return Op::kSubtract;
  if (c == "Multiply") return Op::kMultiply;
  if (c == "Average") return Op::kAverage;
  if (c == "Maximum") return Op::kMaximum;
  if (c == "Minimum") return Op::kMinimum;
  return ctx.unimplemented("merge class is not supported");
}

}  // namespace

Result<std::unique_ptr<Layer>> make_merge(const LayerContext& ctx) {
  QUIVER_ASSIGN_OR_RETURN(Op op, op_for(ctx));
  const auto& shapes = ctx.input_shapes;
  if (shapes.size() < 2 || (op == Op::kSubtract && shapes.size() != 2)) {
    return ctx.corrupt("needs at least two inputs (Subtract exactly two)");
  }
  ConfigReader cfg(ctx);
  int64_t axis = op == Op::kConcat ? cfg.integer("axis", -1) : -1;
  QUIVER_RETURN_IF_ERROR(cfg.status());
  const int64_t rank = static_cast<int64_t>(shapes[0].size()) + 1;  // with batch
  if (axis < 0) axis += rank;
  if (axis < 1 || axis >= rank)
    return ctx.unimplemented("concatenation axis " + std::to_string(axis));
  Shape out = shapes[0];
  for (size_t k = 1; k < shapes.size(); ++k) {
    Shape a = shapes[0], b = shapes[k];
    if (op == Op::kConcat && a.size() == b.size()) a[axis - 1] = b[axis - 1] = 0;
    if (a != b) {
      return ctx.unimplemented("inputs of shapes " + shape_to_string(shapes[0]) + " and " +
                               shape_to_string(shapes[k]) + " (broadcasting is not supported)");
    }
    if (op == Op::kConcat)
      out[axis - 1] =
          out[axis - 1] < 0 || shapes[k][axis - 1] < 0 ? -1 : out[axis - 1] + shapes[k][axis - 1];
  }
  bool masked =
      std::any_of(ctx.input_masked.begin(), ctx.input_masked.end(), [](bool m) { return m; });
  if (op == Op::kConcat && masked && rank == 3 && axis == 1) {
    return ctx.unimplemented("concatenating masked sequences along the time axis");
  }
  return make_layer<MergeLayer>(ctx, op, static_cast<size_t>(axis), out);
}

}  // namespace quiver::nn
