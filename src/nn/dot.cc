// Dot (keras/src/layers/merging/dot.py, keras@3422977; tf.keras 2.x merging/dot.py): the
// batched dot product of two inputs along one axis each (`axes`: an int for both, or a pair;
// negative counts from the end, the batch axis excluded), optionally after l2-normalising
// each input along its axis (`normalize`: x / sqrt(max(sum x^2, 1e-12)), as
// ops.normalize / backend.l2_normalize). Supported: inputs of rank 2 ([d]) or 3 ([T, d]);
// the result is batch_dot's: [1] for two vectors, otherwise the remaining axes of the first
// input then those of the second ([T, S] for two sequences contracted on their features,
// [T, d] for weights [T, S] times values [S, d]). Dot.compute_mask returns None: no mask.
#include <cmath>

#include "nn/layer.h"

namespace quiver::nn {
namespace {

class DotLayer : public Layer {
 public:
  DotLayer(const LayerContext& ctx, int axis_a, int axis_b, bool normalize, Shape out)
      : Layer(ctx), axis_a_(axis_a), axis_b_(axis_b), normalize_(normalize) {
    output_shapes_ = {std::move(out)};
    output_masked_ = {false};
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    Tensor a = in[0]->tensor(), b = in[1]->tensor();
    if (normalize_) {
      l2_normalize(&a, axis_a_);
      l2_normalize(&b, axis_b_);
    }
    const int64_t batch = a.shape[0];
    // View each input as [rows, k] or [k, rows] per sample: `k` is the contracted axis.
    const Dims da = dims(a, axis_a_), db = dims(b, axis_b_);
    Tensor y;
    y.shape = {batch};
    if (a.shape.size() == 2 && b.shape.size() == 2) {
      y.shape.push_back(1);
    } else {
      if (a.shape.size() == 3) y.shape.push_back(da.rows);
      if (b.shape.size() == 3) y.shape.push_back(db.rows);
    }
    y.data.assign(static_cast<size_t>(y.size()), 0.0f);
    for (int64_t n = 0; n < batch; ++n) {
      const float* pa = a.data.data() + n * da.rows * da.k;
      const float* pb = b.data.data() + n * db.rows * db.k;
      float* py = y.data.data() + n * da.rows * db.rows;
      for (int64_t i = 0; i < da.rows; ++i) {
        for (int64_t j = 0; j < db.rows; ++j) {
          float s = 0.0f;
          for (int64_t k = 0; k < da.k; ++k) s += pa[da.at(i, k)] * pb[db.at(j, k)];
          py[i * db.rows + j] = s;
        }
      }
    }
    out->push_back(make_value(std::move(y)));
  }

 private:
  // One sample of an input as a matrix: element (row, k) at row * row_stride + k * k_stride.
  struct Dims {
    int64_t rows = 1, k = 1, row_stride = 0, k_stride = 1;
    int64_t at(int64_t row, int64_t kk) const { return row * row_stride + kk * k_stride; }
  };
  static Dims dims(const Tensor& t, int axis) {
    Dims d;
    if (t.shape.size() == 2) {
      d.k = t.shape[1];
      return d;
    }
    const int64_t t1 = t.shape[1], t2 = t.shape[2];
    if (axis == 2) return Dims{t1, t2, t2, 1};  // contract features: rows are steps
    return Dims{t2, t1, 1, t2};                 // contract steps: rows are features
  }
  static void l2_normalize(Tensor* t, int axis) {
    const Dims d = dims(*t, axis);
    const int64_t per = d.rows * d.k;
    for (int64_t n = 0; n < t->shape[0]; ++n) {
      float* p = t->data.data() + n * per;
      for (int64_t r = 0; r < d.rows; ++r) {
        float sq = 0.0f;
        for (int64_t k = 0; k < d.k; ++k) sq += p[d.at(r, k)] * p[d.at(r, k)];
        const float inv = 1.0f / std::sqrt(std::max(sq, 1e-12f));
        for (int64_t k = 0; k < d.k; ++k) p[d.at(r, k)] *= inv;
      }
    }
  }

  int axis_a_, axis_b_;
  bool normalize_;
};

}  // namespace

Result<std::unique_ptr<Layer>> make_dot(const LayerContext& ctx) {
  if (ctx.input_shapes.size() != 2) return ctx.corrupt("Dot needs exactly two inputs");
  ConfigReader cfg(ctx);
  std::vector<int64_t> axes = cfg.int_list("axes");
  const bool normalize = cfg.boolean("normalize", false);
  QUIVER_RETURN_IF_ERROR(cfg.status());
  if (axes.size() == 1) axes.push_back(axes[0]);
  if (axes.size() != 2) return ctx.corrupt("axes must be an int or a pair");
  const Shape& a = ctx.input_shapes[0];
  const Shape& b = ctx.input_shapes[1];
  if (a.empty() || a.size() > 2 || b.empty() || b.size() > 2) {
    return ctx.unimplemented("Dot of inputs of shapes " + shape_to_string(a) + " and " +
                             shape_to_string(b) + " (ranks 2 and 3 with the batch are supported)");
  }
  int ax[2];
  for (int i = 0; i < 2; ++i) {
    const int64_t rank = static_cast<int64_t>((i ? b : a).size()) + 1;
    int64_t v = axes[static_cast<size_t>(i)] < 0 ? axes[static_cast<size_t>(i)] + rank
                                                 : axes[static_cast<size_t>(i)];
    if (v < 1 || v >= rank) return ctx.unimplemented("axes " + std::to_string(axes[i]));
    ax[i] = static_cast<int>(v);
  }
  const int64_t ka = a[static_cast<size_t>(ax[0] - 1)], kb = b[static_cast<size_t>(ax[1] - 1)];
  if (ka < 0 || ka != kb) {
    return ctx.unimplemented("contracted sizes " + std::to_string(ka) + " and " +
                             std::to_string(kb) + " must be equal and known");
  }
  Shape out;
  if (a.size() == 1 && b.size() == 1) out = {1};
  if (a.size() == 2) out.push_back(a[ax[0] == 1 ? 1 : 0]);
  if (b.size() == 2) out.push_back(b[ax[1] == 1 ? 1 : 0]);
  return make_layer<DotLayer>(ctx, ax[0], ax[1], normalize, out);
}

}  // namespace quiver::nn
