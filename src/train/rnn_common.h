// Pieces shared by the LSTM and GRU layers: activations, per-example dropout masks, and
// the weight-gradient products done once per chunk after backpropagation through time.
#ifndef QUIVER_TRAIN_RNN_COMMON_H_
#define QUIVER_TRAIN_RNN_COMMON_H_

#include <cmath>
#include <vector>

#include "train/gemm.h"
#include "train/layer.h"
#include "train/layers.h"

namespace quiver::train {

template <typename T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// Memory of one recurrent layer for one chunk, reused across batches.
template <typename T>
struct RnnCache : LayerCache {
  std::vector<T> dp_mask, rdp_mask;  // [batch, in_dim], [batch, units]; empty = no dropout
  std::vector<T> xd;                 // inputs after dropout [steps * batch, in_dim]
  std::vector<T> z;                  // gate values per time step [steps, batch, gates]
  std::vector<T> hd;                 // recurrent inputs h_{t-1} * mask [steps, batch, units]
  std::vector<T> state, state_prev;  // LSTM: c_t and c_{t-1}; GRU: hz_h (recurrent h part)
  std::vector<T> hcur, ccur, dh, dc, dhd;
  std::vector<T> dz, dzr;            // gate gradients (GRU: input and recurrent parts)
  std::vector<T> tmp;                // GRU: recurrent pre-activations of one step
  RecurrentKernel<T> rec, rec_t;     // recurrent kernel and its transpose, packed
};

// Fills the input / recurrent dropout masks when training with dropout, else clears them.
template <typename T>
void make_rnn_masks(const PassCtx<T>& ctx, const RnnOptions& o, int batch, RnnCache<T>* c) {
  c->dp_mask.clear();
  c->rdp_mask.clear();
  if (!ctx.training) return;
  if (o.dropout > 0) {
    c->dp_mask.resize(static_cast<size_t>(batch) * o.in_dim);
    for (int b = 0; b < batch; ++b) {
      fill_dropout_mask(dropout_key(ctx.row_keys[b], o.salt, 1), o.dropout, o.in_dim,
                        c->dp_mask.data() + static_cast<size_t>(b) * o.in_dim);
    }
  }
  if (o.recurrent_dropout > 0) {
    c->rdp_mask.resize(static_cast<size_t>(batch) * o.units);
    for (int b = 0; b < batch; ++b) {
      fill_dropout_mask(dropout_key(ctx.row_keys[b], o.salt, 2), o.recurrent_dropout, o.units,
                        c->rdp_mask.data() + static_cast<size_t>(b) * o.units);
    }
  }
}

// y[(t,b), :] = x[(t,b), :] * mask[b, :] (or a copy when the mask is empty).
template <typename T>
void apply_row_mask(const T* x, int steps, int batch, int dim, const std::vector<T>& mask,
                    T* y) {
  for (int t = 0; t < steps; ++t) {
    for (int b = 0; b < batch; ++b) {
      const size_t r = (static_cast<size_t>(t) * batch + b) * dim;
      if (mask.empty()) {
        for (int d = 0; d < dim; ++d) y[r + d] = x[r + d];
      } else {
        const T* m = mask.data() + static_cast<size_t>(b) * dim;
        for (int d = 0; d < dim; ++d) y[r + d] = x[r + d] * m[d];
      }
    }
  }
}

// dK += A^T · dZ and db += column sums of dZ, with A [rows, k] and dZ [rows, n].
template <typename T>
void add_weight_grads(const T* a, int64_t rows, int64_t k, const T* dz, int64_t n, T* dk,
                      T* db) {
  gemm(k, n, rows, MatView<T>{a, k, true}, MatView<T>{dz, n}, dk, n, true);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < n; ++j) db[j] += dz[r * n + j];
  }
}

// din = (dZ · W^T) * dp_mask, with dZ [rows, n] and W [in_dim, n].
template <typename T>
void input_grads(const T* dz, int steps, int batch, int n, const T* w, int in_dim,
                 const std::vector<T>& dp_mask, Act<T>* din) {
  din->resize(steps, batch, in_dim);
  gemm(static_cast<int64_t>(steps) * batch, in_dim, n, MatView<T>{dz, n},
       MatView<T>{w, n, true}, din->v.data(), in_dim, false);
  if (!dp_mask.empty()) apply_row_mask(din->v.data(), steps, batch, in_dim, dp_mask, din->v.data());
}

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_RNN_COMMON_H_
