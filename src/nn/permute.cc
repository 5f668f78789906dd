// Permute(dims): reorders the non-batch axes (dims are 1-based). Drops the mask.
#include <algorithm>

#include "nn/reshape_layers.h"

namespace quiver::nn {
namespace {

class PermuteLayer : public Layer {
 public:
  PermuteLayer(const LayerContext& ctx, std::vector<int64_t> dims)
      : Layer(ctx), dims_(std::move(dims)) {
    Shape out;
    for (int64_t d : dims_) out.push_back(ctx.input_shapes[0][d - 1]);
    output_shapes_ = {out};
    output_masked_ = {false};
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    const Tensor& x = in[0]->tensor();
    const size_t rank = dims_.size();
    std::vector<int64_t> in_strides(rank, 1);  // of the non-batch input axes
    for (size_t i = rank - 1; i-- > 0;) in_strides[i] = in_strides[i + 1] * x.shape[i + 2];
    Tensor y;
    y.shape = {x.shape[0]};
    for (int64_t d : dims_) y.shape.push_back(x.shape[static_cast<size_t>(d)]);
    y.data.resize(x.data.size());
    // Walk the output in order with an odometer over its axes.
    std::vector<int64_t> idx(rank, 0);
    const int64_t per_row = x.shape[0] ? static_cast<int64_t>(x.data.size()) / x.shape[0] : 0;
    for (int64_t b = 0; b < x.shape[0]; ++b) {
      std::fill(idx.begin(), idx.end(), 0);
      for (int64_t o = 0; o < per_row; ++o) {
        int64_t src = b * per_row;
        for (size_t a = 0; a < rank; ++a)
          src += idx[a] * in_strides[static_cast<size_t>(dims_[a]) - 1];
        y.data[static_cast<size_t>(b * per_row + o)] = x.data[static_cast<size_t>(src)];
        for (size_t a = rank; a-- > 0;) {
          if (++idx[a] < y.shape[a + 1]) break;
          idx[a] = 0;
        }
      }
    }
    out->push_back(make_value(std::move(y)));
  }

 private:
  std::vector<int64_t> dims_;
};

}  // namespace

Result<std::unique_ptr<Layer>> make_permute(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  ConfigReader cfg(ctx);
  std::vector<int64_t> dims = cfg.int_list("dims");
  QUIVER_RETURN_IF_ERROR(cfg.status());
  std::vector<int64_t> sorted = dims;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != static_cast<int64_t>(i) + 1 || sorted.size() != ctx.input_shapes[0].size()) {
      return ctx.corrupt("dims " + shape_to_string(dims) + " is not a permutation of the " +
                         std::to_string(ctx.input_shapes[0].size()) + " input axes");
    }
  }
  return make_layer<PermuteLayer>(ctx, std::move(dims));
}

}  // namespace quiver::nn
