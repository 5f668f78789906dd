// Bidirectional(merge_mode="concat") around an LSTM or GRU with return_sequences=False
// (keras@v2.15.0 keras/layers/rnn/bidirectional.py): output [forward_h, backward_h], the
// backward copy runs go_backwards. Weights: forward layer's, then backward layer's.
#include <algorithm>

#include "train/layers.h"

namespace quiver::train {
namespace {
template <typename T>
struct BiCache : LayerCache {
  std::unique_ptr<LayerCache> fwd, bwd;
  Act<T> out_f, out_b, dout_f, dout_b, din_b;
};
}  // namespace

template <typename T>
std::vector<ParamSpec> BidirectionalLayer<T>::params() const {
  auto ps = fwd_->params();
  for (auto& p : bwd_->params()) ps.push_back(p);
  return ps;
}

template <typename T>
std::unique_ptr<LayerCache> BidirectionalLayer<T>::new_cache() const {
  auto c = std::make_unique<BiCache<T>>();
  c->fwd = fwd_->new_cache();
  c->bwd = bwd_->new_cache();
  return c;
}

template <typename T>
void BidirectionalLayer<T>::out_shape(int, int, int* steps, int* dim) const {
  *steps = 1;
  *dim = 2 * units_;
}

template <typename T>
void BidirectionalLayer<T>::forward(const PassCtx<T>& ctx, const Act<T>& in, Act<T>* out,
                                    LayerCache* cache) const {
  auto* c = static_cast<BiCache<T>*>(cache);
  PassCtx<T> bctx = ctx;
  bctx.w = ctx.w + fwd_params_;
  fwd_->forward(ctx, in, &c->out_f, c->fwd.get());
  bwd_->forward(bctx, in, &c->out_b, c->bwd.get());
  out->resize(1, in.batch, 2 * units_);
  for (int b = 0; b < in.batch; ++b) {
    std::copy(c->out_f.row(0, b), c->out_f.row(0, b) + units_, out->row(0, b));
    std::copy(c->out_b.row(0, b), c->out_b.row(0, b) + units_, out->row(0, b) + units_);
  }
}

template <typename T>
void BidirectionalLayer<T>::backward(const PassCtx<T>& ctx, const Act<T>& in, const Act<T>&,
                                     const Act<T>& dout, Act<T>* din, LayerCache* cache) const {
  auto* c = static_cast<BiCache<T>*>(cache);
  c->dout_f.resize(1, in.batch, units_);
  c->dout_b.resize(1, in.batch, units_);
  for (int b = 0; b < in.batch; ++b) {
    std::copy(dout.row(0, b), dout.row(0, b) + units_, c->dout_f.row(0, b));
    std::copy(dout.row(0, b) + units_, dout.row(0, b) + 2 * units_, c->dout_b.row(0, b));
  }
  PassCtx<T> bctx = ctx;
  bctx.w = ctx.w + fwd_params_;
  bctx.g = ctx.g + fwd_params_;
  fwd_->backward(ctx, in, c->out_f, c->dout_f, din, c->fwd.get());
  bwd_->backward(bctx, in, c->out_b, c->dout_b, din ? &c->din_b : nullptr, c->bwd.get());
  if (din == nullptr) return;
  for (size_t i = 0; i < din->v.size(); ++i) din->v[i] += c->din_b.v[i];
}

template class BidirectionalLayer<float>;
template class BidirectionalLayer<double>;

}  // namespace quiver::train
