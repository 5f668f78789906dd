// LSTM training (keras@v2.15.0 keras/layers/rnn/lstm.py, implementation 2): gates i,f,c,o
// along the last axis of kernel [d, 4u], recurrent_kernel [u, 4u], bias [4u]; sigmoid
// recurrent activation, tanh activation; unit_forget_bias (b_f = 1). dropout and
// recurrent_dropout use one mask per example for the whole sequence (mask [0] of
// get_dropout_mask_for_cell in implementation 2). With an Embedding mask, padded steps
// carry h and c unchanged (KERAS.md §2.5); go_backwards walks time in reverse.
#include <algorithm>

#include "train/rnn_common.h"
#include "train/vmath.h"

namespace quiver::train {

template <typename T>
std::vector<ParamSpec> LstmLayer<T>::params() const {
  const int64_t g = 4 * static_cast<int64_t>(o_.units);
  return {{"kernel", {o_.in_dim, g}, Init::kGlorotUniform},
          {"recurrent_kernel", {o_.units, g}, Init::kOrthogonal},
          {"bias", {g}, Init::kLstmBias}};
}

template <typename T>
void LstmLayer<T>::forward(const PassCtx<T>& ctx, const Act<T>& in, Act<T>* out,
                           LayerCache* cache) const {
  auto* c = static_cast<RnnCache<T>*>(cache);
  const int steps = in.steps, batch = in.batch, d = o_.in_dim, u = o_.units, g = 4 * u;
  const size_t rows = static_cast<size_t>(steps) * batch;
  const T* kernel = ctx.w;
  const T* rkernel = ctx.w + static_cast<size_t>(d) * g;
  const T* bias = rkernel + static_cast<size_t>(u) * g;
  make_rnn_masks(ctx, o_, batch, c);
  c->xd.resize(rows * d);
  apply_row_mask(in.v.data(), steps, batch, d, c->dp_mask, c->xd.data());
  c->z.resize(rows * g);
  for (size_t r = 0; r < rows; ++r) std::copy(bias, bias + g, c->z.data() + r * g);
  gemm(rows, g, d, MatView<T>{c->xd.data(), d}, MatView<T>{kernel, g}, c->z.data(), g, true);
  c->rec.pack(MatView<T>{rkernel, g}, u, g);
  c->hd.resize(rows * u);
  c->state.resize(rows * u);
  c->state_prev.resize(rows * u);
  c->hcur.assign(static_cast<size_t>(batch) * u, T(0));
  c->ccur.assign(static_cast<size_t>(batch) * u, T(0));
  c->tmp.resize(u);
  for (int s = 0; s < steps; ++s) {
    const int t = o_.go_backwards ? steps - 1 - s : s;
    T* hd = c->hd.data() + static_cast<size_t>(t) * batch * u;
    apply_row_mask(c->hcur.data(), 1, batch, u, c->rdp_mask, hd);
    T* z = c->z.data() + static_cast<size_t>(t) * batch * g;
    c->rec.apply(batch, MatView<T>{hd, u}, z, g, true);
    for (int b = 0; b < batch; ++b) {
      T* zb = z + static_cast<size_t>(b) * g;
      T* h = c->hcur.data() + static_cast<size_t>(b) * u;
      T* cc = c->ccur.data() + static_cast<size_t>(b) * u;
      T* cprev = c->state_prev.data() + (static_cast<size_t>(t) * batch + b) * u;
      T* cnew = c->state.data() + (static_cast<size_t>(t) * batch + b) * u;
      const bool keep = ctx.mask == nullptr || ctx.mask[static_cast<size_t>(t) * batch + b];
      sigmoid_inplace(zb, 2 * u);   // i, f
      tanh_inplace(zb + 2 * u, u);  // candidate c
      sigmoid_inplace(zb + 3 * u, u);  // o
      std::copy(cc, cc + u, cprev);
      if (keep) {
        for (int j = 0; j < u; ++j) cc[j] = zb[u + j] * cc[j] + zb[j] * zb[2 * u + j];
        tanh_copy(cc, c->tmp.data(), u);
        for (int j = 0; j < u; ++j) h[j] = zb[3 * u + j] * c->tmp[j];
      }
      std::copy(cc, cc + u, cnew);
    }
  }
  out->resize(1, batch, u);
  std::copy(c->hcur.begin(), c->hcur.end(), out->v.begin());
}

template <typename T>
void LstmLayer<T>::backward(const PassCtx<T>& ctx, const Act<T>& in, const Act<T>&,
                            const Act<T>& dout, Act<T>* din, LayerCache* cache) const {
  auto* c = static_cast<RnnCache<T>*>(cache);
  const int steps = in.steps, batch = in.batch, d = o_.in_dim, u = o_.units, g = 4 * u;
  const size_t rows = static_cast<size_t>(steps) * batch;
  const T* rkernel = ctx.w + static_cast<size_t>(d) * g;
  c->rec_t.pack(MatView<T>{rkernel, g, true}, g, u);
  c->dh.assign(dout.v.begin(), dout.v.end());
  c->dc.assign(static_cast<size_t>(batch) * u, T(0));
  c->dz.resize(rows * g);
  c->dhd.resize(static_cast<size_t>(batch) * u);
  c->tmp.resize(u);
  for (int s = steps - 1; s >= 0; --s) {
    const int t = o_.go_backwards ? steps - 1 - s : s;
    T* dz = c->dz.data() + static_cast<size_t>(t) * batch * g;
    for (int b = 0; b < batch; ++b) {
      T* dzb = dz + static_cast<size_t>(b) * g;
      const size_t r = static_cast<size_t>(t) * batch + b;
      if (ctx.mask != nullptr && !ctx.mask[r]) {  // carried step: gradients pass through
        std::fill(dzb, dzb + g, T(0));
        continue;
      }
      const T* zb = c->z.data() + r * g;
      const T* cnew = c->state.data() + r * u;
      const T* cprev = c->state_prev.data() + r * u;
      T* dh = c->dh.data() + static_cast<size_t>(b) * u;
      T* dc = c->dc.data() + static_cast<size_t>(b) * u;
      tanh_copy(cnew, c->tmp.data(), u);
      for (int j = 0; j < u; ++j) {
        const T i = zb[j], f = zb[u + j], gg = zb[2 * u + j], o = zb[3 * u + j];
        const T tc = c->tmp[j];
        const T dct = dc[j] + dh[j] * o * (T(1) - tc * tc);
        dzb[j] = dct * gg * i * (T(1) - i);
        dzb[u + j] = dct * cprev[j] * f * (T(1) - f);
        dzb[2 * u + j] = dct * i * (T(1) - gg * gg);
        dzb[3 * u + j] = dh[j] * tc * o * (T(1) - o);
        dc[j] = dct * f;
      }
    }
    c->rec_t.apply(batch, MatView<T>{dz, g}, c->dhd.data(), u, false);
    for (int b = 0; b < batch; ++b) {
      const size_t r = static_cast<size_t>(t) * batch + b;
      if (ctx.mask != nullptr && !ctx.mask[r]) continue;
      T* dh = c->dh.data() + static_cast<size_t>(b) * u;
      const T* dhd = c->dhd.data() + static_cast<size_t>(b) * u;
      const T* m = c->rdp_mask.empty() ? nullptr : c->rdp_mask.data() + static_cast<size_t>(b) * u;
      for (int j = 0; j < u; ++j) dh[j] = m ? dhd[j] * m[j] : dhd[j];
    }
  }
  T* dkernel = ctx.g;
  T* drkernel = ctx.g + static_cast<size_t>(d) * g;
  T* dbias = drkernel + static_cast<size_t>(u) * g;
  add_weight_grads(c->xd.data(), rows, d, c->dz.data(), g, dkernel, dbias);
  gemm(u, g, rows, MatView<T>{c->hd.data(), u, true}, MatView<T>{c->dz.data(), g}, drkernel,
       g, true);
  if (din != nullptr) input_grads(c->dz.data(), steps, batch, g, ctx.w, d, c->dp_mask, din);
}

template class LstmLayer<float>;
template class LstmLayer<double>;

}  // namespace quiver::train
