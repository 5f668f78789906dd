#!/usr/bin/python3
"""Cross-checks keras_numpy_ref against PyTorch where tfjs cannot help.

usage: check_numpy_ref.py
GRU reset_after=True (tfjs rejects it) is PyTorch's GRU: gates r, z, n with the reset gate
applied to (U_h h + b_hh). LSTM gate order i, f, g(c), o is the same in both. Masked steps and
go_backwards are checked against hand-derived expectations (states carried over padding).
Prints one line per check and 'N passed, N failed'; exit 77 when torch is missing.
"""

import os
import sys

try:
  import numpy as np
except ImportError:  # reported as a skip by main()
  np = None

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def torch_gru(x, kernel, rec, bias, u):
  import torch
  gru = torch.nn.GRU(x.shape[-1], u, batch_first=True).double()
  reorder = lambda m: np.concatenate([m[..., u:2 * u], m[..., :u], m[..., 2 * u:]], axis=-1)
  with torch.no_grad():  # Keras blocks z, r, h -> torch r, z, n; torch weights are [3u, d]
    gru.weight_ih_l0.copy_(torch.tensor(reorder(kernel).T))
    gru.weight_hh_l0.copy_(torch.tensor(reorder(rec).T))
    gru.bias_ih_l0.copy_(torch.tensor(reorder(bias[0])))
    gru.bias_hh_l0.copy_(torch.tensor(reorder(bias[1])))
    out, h = gru(torch.tensor(x))
  return out.numpy(), h[0].numpy()


def torch_lstm(x, kernel, rec, bias, u):
  import torch
  lstm = torch.nn.LSTM(x.shape[-1], u, batch_first=True).double()
  with torch.no_grad():
    lstm.weight_ih_l0.copy_(torch.tensor(kernel.T))
    lstm.weight_hh_l0.copy_(torch.tensor(rec.T))
    lstm.bias_ih_l0.copy_(torch.tensor(bias))
    lstm.bias_hh_l0.zero_()
    out, (h, c) = lstm(torch.tensor(x))
  return out.numpy(), h[0].numpy()


def torch_mha(q, v, wq, bq, wk, bk, wv, bv, wo, bo, key_padding, causal):
  """torch.nn.MultiheadAttention with Keras' EinsumDense kernels ([d, heads, dim] and
  [heads, dim, out]); torch splits the projection into heads the same way (head-major)."""
  import torch
  e, heads = wq.shape[0], wq.shape[1]
  m = torch.nn.MultiheadAttention(e, heads, bias=True, batch_first=True, kdim=v.shape[-1],
                                  vdim=v.shape[-1]).double()
  flat = lambda w: torch.tensor(w.reshape(w.shape[0], -1).T.copy())
  with torch.no_grad():
    if m.in_proj_weight is not None:  # same sizes: one packed [3e, e] matrix
      m.in_proj_weight.copy_(torch.cat([flat(wq), flat(wk), flat(wv)]))
    else:
      m.q_proj_weight.copy_(flat(wq))
      m.k_proj_weight.copy_(flat(wk))
      m.v_proj_weight.copy_(flat(wv))
    m.in_proj_bias.copy_(torch.tensor(np.concatenate([bq.ravel(), bk.ravel(), bv.ravel()])))
    m.out_proj.weight.copy_(torch.tensor(wo.reshape(-1, wo.shape[-1]).T.copy()))
    m.out_proj.bias.copy_(torch.tensor(bo))
    t, s = q.shape[1], v.shape[1]
    attn = torch.tensor(np.arange(t)[:, None] < np.arange(s)[None, :]) if causal else None
    out, _ = m(torch.tensor(q), torch.tensor(v), torch.tensor(v),
               key_padding_mask=torch.tensor(~key_padding), attn_mask=attn)
  return out.numpy()


def attention_checks(rng):
  """attention_ref (Keras' MultiHeadAttention / Attention equations) against PyTorch."""
  import torch
  import attention_ref
  b, t, s, e, heads, hd = 3, 5, 6, 6, 2, 3
  q, v = rng.normal(size=(b, t, e)), rng.normal(size=(b, s, 4))
  w = [rng.normal(size=(e, heads, hd)), rng.normal(size=(heads, hd)),
       rng.normal(size=(4, heads, hd)), rng.normal(size=(heads, hd)),
       rng.normal(size=(4, heads, hd)), rng.normal(size=(heads, hd)),
       rng.normal(size=(heads, hd, e)), rng.normal(size=e)]
  vmask = np.ones((b, s), bool)
  vmask[0, 4:] = False
  vmask[1, :2] = False
  cfg = {"num_heads": heads, "key_dim": hd}
  out = []
  got = attention_ref.mha(cfg, w, [q, v], [None, vmask])[0][0]
  out.append(("MultiHeadAttention value mask vs torch", got,
              torch_mha(q, v, *w, key_padding=vmask, causal=False)))
  x = rng.normal(size=(b, t, e))
  xw = [w[0], w[1], rng.normal(size=(e, heads, hd)), w[3], rng.normal(size=(e, heads, hd)),
        w[5], w[6], w[7]]
  got = attention_ref.mha(dict(cfg, use_causal_mask=True), xw, [x, x], [None, None])[0][0]
  out.append(("MultiHeadAttention causal vs torch", got,
              torch_mha(x, x, *xw, key_padding=np.ones((b, t), bool), causal=True)))
  # Attention(use_scale, dot) == softmax(scale * q kᵀ) v: torch's scaled_dot_product_attention
  # with scale=scale (a boolean mask keeps True positions).
  qd, vd = rng.normal(size=(b, t, 4)), rng.normal(size=(b, s, 4))
  scale = np.array(0.7)
  got = attention_ref.dense_attention("Attention", {"use_scale": True}, [scale], [qd, vd],
                                      [None, vmask])[0][0]
  tq, tv = torch.tensor(qd), torch.tensor(vd)  # this torch lacks scaled_dot_product_attention
  scores = (0.7 * torch.bmm(tq, tv.transpose(1, 2))).masked_fill(
      torch.tensor(~vmask[:, None, :]), float("-inf"))
  want = torch.bmm(torch.softmax(scores, dim=-1), tv).numpy()
  out.append(("Attention dot use_scale, value mask vs torch", got, want))
  return out


def main():
  try:
    import torch  # noqa: F401
    import keras_numpy_ref as ref
  except ImportError as e:
    print("SKIP: %s" % e)
    return 77
  rng = np.random.default_rng(5)
  n, t, d, u = 4, 7, 3, 5
  x = rng.normal(size=(n, t, d))
  checks = []
  k, r, b = rng.normal(size=(d, 3 * u)), rng.normal(size=(u, 3 * u)), rng.normal(size=(2, 3 * u))
  cfg = {"units": u, "reset_after": True, "recurrent_activation": "sigmoid",
         "return_sequences": True}
  got = ref.rnn("GRU", cfg, [k, r, b], x, None, "tfk")[0][0]
  checks.append(("GRU reset_after=True vs torch.nn.GRU", got, torch_gru(x, k, r, b, u)[0]))
  k, r, b = rng.normal(size=(d, 4 * u)), rng.normal(size=(u, 4 * u)), rng.normal(size=4 * u)
  cfg = {"units": u, "recurrent_activation": "sigmoid", "return_sequences": True}
  got = ref.rnn("LSTM", cfg, [k, r, b], x, None, "tfk")[0][0]
  checks.append(("LSTM vs torch.nn.LSTM", got, torch_lstm(x, k, r, b, u)[0]))
  # pre-padding with a mask == running over the real steps only (KERAS.md 2.5)
  mask = np.ones((n, t), bool)
  mask[:, :3] = False
  cfg = {"units": u, "recurrent_activation": "sigmoid"}
  got = ref.rnn("LSTM", cfg, [k, r, b], x, mask, "tfk")[0][0]
  checks.append(("masked pre-padding == unpadded run", got, torch_lstm(x[:, 3:], k, r, b, u)[1]))
  # go_backwards: the last output is the run over the reversed sequence
  got = ref.rnn("LSTM", dict(cfg, go_backwards=True), [k, r, b], x, None, "tfk")[0][0]
  checks.append(("go_backwards == reversed input", got, torch_lstm(x[:, ::-1].copy(), k, r, b,
                                                                   u)[1]))
  checks += attention_checks(rng)
  passed = 0
  for name, a, e in checks:
    diff = float(np.max(np.abs(a - e)))
    ok = diff < 1e-9
    passed += ok
    print("%-45s max diff %.2e  %s" % (name, diff, "ok" if ok else "FAIL"))
  print("%d passed, %d failed" % (passed, len(checks) - passed))
  return 0 if passed == len(checks) else 1


if __name__ == "__main__":
  sys.exit(main())
