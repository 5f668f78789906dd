// GRU training, TF2 style reset_after=True (keras@v2.15.0 keras/layers/rnn/gru.py,
// implementation 2): gates z,r,h; kernel [d, 3u], recurrent_kernel [u, 3u], bias [2, 3u]
// (row 0 input bias, row 1 recurrent bias);
//   z = σ(x W_z + b0_z + h U_z + b1_z), r likewise,
//   hh = tanh(x W_h + b0_h + r ⊙ (h U_h + b1_h)),  h' = z ⊙ h + (1 − z) ⊙ hh.
// Dropout masks, masking and go_backwards as in the LSTM (lstm_layer.cc).
#include <algorithm>

#include "train/rnn_common.h"
#include "train/vmath.h"

namespace quiver::train {

template <typename T>
std::vector<ParamSpec> GruLayer<T>::params() const {
  const int64_t g = 3 * static_cast<int64_t>(o_.units);
  return {{"kernel", {o_.in_dim, g}, Init::kGlorotUniform},
          {"recurrent_kernel", {o_.units, g}, Init::kOrthogonal},
          {"bias", {2, g}, Init::kZeros}};
}

template <typename T>
void GruLayer<T>::forward(const PassCtx<T>& ctx, const Act<T>& in, Act<T>* out,
                          LayerCache* cache) const {
  auto* c = static_cast<RnnCache<T>*>(cache);
  const int steps = in.steps, batch = in.batch, d = o_.in_dim, u = o_.units, g = 3 * u;
  const size_t rows = static_cast<size_t>(steps) * batch;
  const T* rkernel = ctx.w + static_cast<size_t>(d) * g;
  const T* bias0 = rkernel + static_cast<size_t>(u) * g;
  const T* bias1 = bias0 + g;
  make_rnn_masks(ctx, o_, batch, c);
  c->xd.resize(rows * d);
  apply_row_mask(in.v.data(), steps, batch, d, c->dp_mask, c->xd.data());
  c->z.resize(rows * g);
  for (size_t r = 0; r < rows; ++r) std::copy(bias0, bias0 + g, c->z.data() + r * g);
  gemm(rows, g, d, MatView<T>{c->xd.data(), d}, MatView<T>{ctx.w, g}, c->z.data(), g, true);
  c->rec.pack(MatView<T>{rkernel, g}, u, g);
  c->hd.resize(rows * u);
  c->state.resize(rows * u);
  c->state_prev.resize(rows * u);
  c->tmp.resize(static_cast<size_t>(batch) * g);
  c->hcur.assign(static_cast<size_t>(batch) * u, T(0));
  for (int s = 0; s < steps; ++s) {
    const int t = o_.go_backwards ? steps - 1 - s : s;
    T* hd = c->hd.data() + static_cast<size_t>(t) * batch * u;
    apply_row_mask(c->hcur.data(), 1, batch, u, c->rdp_mask, hd);
    for (int b = 0; b < batch; ++b) std::copy(bias1, bias1 + g, c->tmp.data() + b * g);
    c->rec.apply(batch, MatView<T>{hd, u}, c->tmp.data(), g, true);
    for (int b = 0; b < batch; ++b) {
      const size_t r = static_cast<size_t>(t) * batch + b;
      T* zb = c->z.data() + r * g;
      const T* hz = c->tmp.data() + static_cast<size_t>(b) * g;
      T* h = c->hcur.data() + static_cast<size_t>(b) * u;
      const bool keep = ctx.mask == nullptr || ctx.mask[r];
      for (int j = 0; j < 2 * u; ++j) zb[j] += hz[j];
      sigmoid_inplace(zb, 2 * u);  // z, r
      for (int j = 0; j < u; ++j) zb[2 * u + j] += zb[u + j] * hz[2 * u + j];
      tanh_inplace(zb + 2 * u, u);  // hh
      for (int j = 0; j < u; ++j) {
        const T zz = zb[j], hh = zb[2 * u + j];
        c->state[r * u + j] = hz[2 * u + j];
        c->state_prev[r * u + j] = h[j];
        if (keep) h[j] = zz * h[j] + (T(1) - zz) * hh;
      }
    }
  }
  out->resize(1, batch, u);
  std::copy(c->hcur.begin(), c->hcur.end(), out->v.begin());
}

template <typename T>
void GruLayer<T>::backward(const PassCtx<T>& ctx, const Act<T>& in, const Act<T>&,
                           const Act<T>& dout, Act<T>* din, LayerCache* cache) const {
  auto* c = static_cast<RnnCache<T>*>(cache);
  const int steps = in.steps, batch = in.batch, d = o_.in_dim, u = o_.units, g = 3 * u;
  const size_t rows = static_cast<size_t>(steps) * batch;
  const T* rkernel = ctx.w + static_cast<size_t>(d) * g;
  c->rec_t.pack(MatView<T>{rkernel, g, true}, g, u);
  c->dh.assign(dout.v.begin(), dout.v.end());
  c->dz.resize(rows * g);
  c->dzr.resize(rows * g);
  c->dhd.resize(static_cast<size_t>(batch) * u);
  for (int s = steps - 1; s >= 0; --s) {
    const int t = o_.go_backwards ? steps - 1 - s : s;
    for (int b = 0; b < batch; ++b) {
      const size_t r = static_cast<size_t>(t) * batch + b;
      T* dx = c->dz.data() + r * g;
      T* dr = c->dzr.data() + r * g;
      if (ctx.mask != nullptr && !ctx.mask[r]) {
        std::fill(dx, dx + g, T(0));
        std::fill(dr, dr + g, T(0));
        continue;
      }
      const T* zb = c->z.data() + r * g;
      T* dh = c->dh.data() + static_cast<size_t>(b) * u;
      for (int j = 0; j < u; ++j) {
        const T zz = zb[j], rr = zb[u + j], hh = zb[2 * u + j];
        const T hz_h = c->state[r * u + j], hp = c->state_prev[r * u + j];
        const T dah = dh[j] * (T(1) - zz) * (T(1) - hh * hh);
        const T daz = dh[j] * (hp - hh) * zz * (T(1) - zz);
        const T dar = dah * hz_h * rr * (T(1) - rr);
        dx[j] = daz, dx[u + j] = dar, dx[2 * u + j] = dah;
        dr[j] = daz, dr[u + j] = dar, dr[2 * u + j] = dah * rr;
        dh[j] = dh[j] * zz;
      }
    }
    T* dzr = c->dzr.data() + static_cast<size_t>(t) * batch * g;
    c->rec_t.apply(batch, MatView<T>{dzr, g}, c->dhd.data(), u, false);
    for (int b = 0; b < batch; ++b) {
      const size_t r = static_cast<size_t>(t) * batch + b;
      if (ctx.mask != nullptr && !ctx.mask[r]) continue;
      T* dh = c->dh.data() + static_cast<size_t>(b) * u;
      const T* dhd = c->dhd.data() + static_cast<size_t>(b) * u;
      const T* m = c->rdp_mask.empty() ? nullptr : c->rdp_mask.data() + static_cast<size_t>(b) * u;
      for (int j = 0; j < u; ++j) dh[j] += m ? dhd[j] * m[j] : dhd[j];
    }
  }
  T* dkernel = ctx.g;
  T* drkernel = ctx.g + static_cast<size_t>(d) * g;
  T* dbias0 = drkernel + static_cast<size_t>(u) * g;
  add_weight_grads(c->xd.data(), rows, d, c->dz.data(), g, dkernel, dbias0);
  add_weight_grads(c->hd.data(), rows, u, c->dzr.data(), g, drkernel, dbias0 + g);
  if (din != nullptr) input_grads(c->dz.data(), steps, batch, g, ctx.w, d, c->dp_mask, din);
}

template class GruLayer<float>;
template class GruLayer<double>;

}  // namespace quiver::train
