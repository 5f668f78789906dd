"""Keras' attention layers in numpy (float64), for golden values. Written from
keras-team/keras@3422977 keras/src/layers/attention/{attention,additive_attention,
multi_head_attention}.py (tf.keras >= 2.10 has the same equations in
keras/layers/attention/); shares nothing with quiver's C++. check_numpy_ref.py checks these
against PyTorch (torch.nn.MultiheadAttention, scaled_dot_product_attention).
"""

import numpy as np


def softmax_masked(scores, allowed):
  """attention.py::_apply_scores lines 173-182 / MHA's Softmax: masked scores - 1e9, then
  softmax over the last axis (a row with nothing allowed is uniform)."""
  s = np.where(allowed, scores, scores - 1.0e9)
  s = s - s.max(axis=-1, keepdims=True)
  e = np.exp(s)
  return e / e.sum(axis=-1, keepdims=True)


def causal(tq, tv):
  """attention.py lines 191-208: row >= col (the cumsum comparison)."""
  return np.arange(tq)[:, None] >= np.arange(tv)[None, :]


def dense_attention(cls, cfg, w, xs, masks):
  """Attention / AdditiveAttention: ([output], [query mask])."""
  q, v = xs[0], xs[1]
  k = xs[2] if len(xs) > 2 else v
  additive = cls == "AdditiveAttention"
  use_scale = cfg.get("use_scale", additive)
  mode = "additive" if additive else cfg.get("score_mode", "dot")
  scale = w[0] if use_scale else None
  if mode == "dot":  # lines 120-123
    scores = q @ np.swapaxes(k, -1, -2)
    if scale is not None:
      scores = scores * scale
  elif mode == "concat":  # lines 124-137
    qk = q[:, :, None, :] + k[:, None, :, :]
    inner = np.tanh(scale * qk) if scale is not None else np.tanh(qk)
    scores = w[-1] * inner.sum(axis=-1)
  else:  # additive_attention.py lines 93-97
    qk = np.tanh(q[:, :, None, :] + k[:, None, :, :])
    scores = ((scale if scale is not None else 1.0) * qk).sum(axis=-1)
  allowed = np.ones(scores.shape, dtype=bool)
  if masks[1] is not None:
    allowed &= masks[1][:, None, :]
  if cfg.get("use_causal_mask") or cfg.get("causal"):
    allowed &= causal(scores.shape[1], scores.shape[2])[None]
  out = softmax_masked(scores, allowed) @ v
  if masks[0] is not None:  # lines 235-238
    out = np.where(masks[0][..., None], out, 0.0)
  return [out], [masks[0]]


def mha(cfg, w, xs, masks, keras_masks=True):
  """MultiHeadAttention with the default attention_axes (lines 583-605 and 691-760)."""
  q, v = xs[0], xs[1]
  k = xs[2] if len(xs) > 2 else v
  bias = cfg.get("use_bias", True)
  per = 2 if bias else 1
  proj = []
  for i, x in enumerate((q, k, v)):
    y = np.einsum("btd,dnh->btnh", x, w[i * per])
    proj.append(y + w[i * per + 1] if bias else y)
  Q, K, V = proj
  key_dim = cfg["key_dim"]
  scores = np.einsum("bsnh,btnh->bnts", K, Q / np.sqrt(float(key_dim)))
  allowed = np.ones(scores.shape, dtype=bool)
  qm, vm = (masks[0], masks[1]) if keras_masks else (None, None)
  km = masks[2] if keras_masks and len(masks) > 2 else None
  if qm is not None:
    allowed &= qm[:, None, :, None]
  if vm is not None:
    allowed &= vm[:, None, None, :]
  if km is not None:
    allowed &= km[:, None, None, :]
  if cfg.get("use_causal_mask"):
    allowed &= causal(scores.shape[2], scores.shape[3])[None, None]
  p = softmax_masked(scores, allowed)
  o = np.einsum("bnts,bsnh->btnh", p, V)
  out = np.einsum("btnh,nho->bto", o, w[3 * per])
  if bias:
    out = out + w[3 * per + 1]
  return [out], [qm]
