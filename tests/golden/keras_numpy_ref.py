"""An independent numpy implementation of the Keras inference equations (float64).

Written from ../shared/KERAS.md section 2 (gate orders, masking, go_backwards, Bidirectional,
hard_sigmoid by version) and the Keras layer documentation, not from quiver's code. The golden
harness uses it where TensorFlow.js departs from Keras (GRU reset_after=True, CuDNNGRU, masked
GlobalAveragePooling1D, masks through Dense, Keras 3 hard_sigmoid, activations tfjs lacks,
Bidirectional zeroing) and, everywhere else, as a cross-check of tfjs.

run(graph, weights, ids, flav) -> (outputs, info). `flav` is 'k2', 'tfk' or 'k3'
(keras_config.flavour). info["masked_layers"] lists the layers that received a mask.
"""

import math

import numpy as np

import attention_ref

_erf = np.vectorize(math.erf)


def _sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


def activation(name, flav):
  if name is None or name == "linear":
    return lambda x: x
  table = {
      "relu": lambda x: np.maximum(x, 0.0),
      "relu6": lambda x: np.clip(x, 0.0, 6.0),
      "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
      "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
      "selu": lambda x: 1.0507009873554805 * np.where(
          x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0.0))),
      "tanh": np.tanh,
      "sigmoid": _sigmoid,
      "softsign": lambda x: x / (1.0 + np.abs(x)),
      "softplus": lambda x: np.logaddexp(0.0, x),
      "exponential": np.exp,
      "swish": lambda x: x * _sigmoid(x),
      "silu": lambda x: x * _sigmoid(x),
      "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
      "softmax": _softmax,
  }
  if name == "hard_sigmoid":  # KERAS.md 2.4: the formula changed with Keras 3
    if flav == "k3":
      return lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0)
    return lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)
  if name not in table:
    raise ValueError("numpy reference: unsupported activation '%s'" % name)
  return table[name]


def _softmax(x):
  e = np.exp(x - np.max(x, axis=-1, keepdims=True))
  return e / np.sum(e, axis=-1, keepdims=True)


# ---------------------------------------------------------------- recurrent layers (KERAS.md 2)

def _lstm_step(cfg, w, flav):
  kernel, rec, bias = w[0], w[1], (w[2] if len(w) > 2 else 0.0)
  u = rec.shape[0]
  g = activation(cfg.get("activation", "tanh"), flav)
  sr = activation(cfg.get("recurrent_activation", "sigmoid"), flav)

  def step(x, states):
    h, c = states
    z = x @ kernel + h @ rec + bias  # gate blocks i, f, c, o
    i, f, cc, o = sr(z[:, :u]), sr(z[:, u:2 * u]), z[:, 2 * u:3 * u], sr(z[:, 3 * u:])
    c2 = f * c + i * g(cc)
    h2 = o * g(c2)
    return h2, [h2, c2]
  return step, 2, u


def _gru_step(cfg, w, flav):
  kernel, rec = w[0], w[1]
  u = rec.shape[0]
  g = activation(cfg.get("activation", "tanh"), flav)
  sr = activation(cfg.get("recurrent_activation", "sigmoid"), flav)
  reset_after = cfg.get("reset_after", False)
  bias = w[2] if len(w) > 2 else (np.zeros((2, 3 * u)) if reset_after else np.zeros(3 * u))

  def step(x, states):
    h = states[0]
    if reset_after:  # bias row 0 = input bias, row 1 = recurrent bias; gates z, r, h
      xz = x @ kernel + bias[0]
      hz = h @ rec + bias[1]
      z = sr(xz[:, :u] + hz[:, :u])
      r = sr(xz[:, u:2 * u] + hz[:, u:2 * u])
      hh = g(xz[:, 2 * u:] + r * hz[:, 2 * u:])
    else:
      xz = x @ kernel + bias
      z = sr(xz[:, :u] + h @ rec[:, :u])
      r = sr(xz[:, u:2 * u] + h @ rec[:, u:2 * u])
      hh = g(xz[:, 2 * u:] + (r * h) @ rec[:, 2 * u:])
    h2 = z * h + (1.0 - z) * hh
    return h2, [h2]
  return step, 1, u


def _simple_rnn_step(cfg, w, flav):
  kernel, rec, bias = w[0], w[1], (w[2] if len(w) > 2 else 0.0)
  g = activation(cfg.get("activation", "tanh"), flav)

  def step(x, states):
    h2 = g(x @ kernel + states[0] @ rec + bias)
    return h2, [h2]
  return step, 1, rec.shape[0]


_CELLS = {"LSTM": _lstm_step, "GRU": _gru_step, "SimpleRNN": _simple_rnn_step}


def cudnn_to_plain(cls, cfg, w):
  """CuDNNLSTM / CuDNNGRU -> LSTM / GRU(reset_after=True) config and weights (KERAS.md 2.7)."""
  kernel, rec, bias = w
  n = 4 if cls == "CuDNNLSTM" else 3
  u = rec.shape[0]
  d = kernel.shape[0]
  k_blocks = [kb.reshape(-1).reshape(u, d).T for kb in np.hsplit(kernel, n)]
  r_blocks = [rb.T for rb in np.hsplit(rec, n)]
  cfg = dict(cfg, activation="tanh", recurrent_activation="sigmoid", use_bias=True)
  if cls == "CuDNNLSTM":
    return "LSTM", cfg, [np.hstack(k_blocks), np.hstack(r_blocks), bias[:4 * u] + bias[4 * u:]]
  cfg["reset_after"] = True
  return "GRU", cfg, [np.hstack(k_blocks), np.hstack(r_blocks), bias.reshape(2, 3 * u)]


def rnn(cls, cfg, w, x, mask, flav, zero_output=False):
  """Runs one recurrent layer; returns ([output] + states, output mask)."""
  step, n_states, u = _CELLS[cls](cfg, w, flav)
  n, t = x.shape[0], x.shape[1]
  states = [np.zeros((n, u)) for _ in range(n_states)]
  order = range(t - 1, -1, -1) if cfg.get("go_backwards", False) else range(t)
  prev = np.zeros((n, u))
  outs = []
  for ti in order:
    out, new_states = step(x[:, ti, :], states)
    if mask is not None:  # masked steps carry the states; the output is carried (or zeroed)
      m = mask[:, ti][:, None]
      states = [np.where(m, a, b) for a, b in zip(new_states, states)]
      out = np.where(m, out, 0.0 if zero_output else prev)
    else:
      states = new_states
    prev = out
    outs.append(out)
  seq = np.stack(outs, axis=1)  # in processed order: reversed when go_backwards
  y = seq if cfg.get("return_sequences", False) else outs[-1]
  out_mask = mask if cfg.get("return_sequences", False) else None
  if cfg.get("return_state", False):
    return [y] + states, [out_mask] + [None] * len(states)
  return [y], [out_mask]


def bidirectional(cfg, w, x, mask, flav):
  inner = cfg["layer"]
  cls, icfg = inner["class_name"], dict(inner["config"])
  half = len(w) // 2
  wf, wb = w[:half], w[half:]
  if cls.startswith("CuDNN"):
    cls, icfg, wf = cudnn_to_plain(inner["class_name"], icfg, wf)
    _, _, wb = cudnn_to_plain(inner["class_name"], inner["config"], wb)
  seqs = icfg.get("return_sequences", False)
  # tf.keras and Keras 3 force zero_output_for_mask = return_sequences; standalone K2 does not.
  zero = seqs and flav != "k2"
  bcfg = dict(icfg, go_backwards=not icfg.get("go_backwards", False))
  fo, _ = rnn(cls, icfg, wf, x, mask, flav, zero)
  bo, _ = rnn(cls, bcfg, wb, x, mask, flav, zero)
  y, y_rev = fo[0], bo[0]
  if seqs:
    y_rev = y_rev[:, ::-1]
  mode = cfg.get("merge_mode", "concat")
  m = mask if seqs else None
  if mode is None:
    merged, masks = [y, y_rev], [m, m]
  else:
    merged = [{"concat": lambda: np.concatenate([y, y_rev], axis=-1), "sum": lambda: y + y_rev,
               "mul": lambda: y * y_rev, "ave": lambda: (y + y_rev) / 2.0}[mode]()]
    masks = [m]
  states = fo[1:] + bo[1:]
  return merged + states, masks + [None] * len(states)


# ---------------------------------------------------------------- other layers

def conv1d(cfg, w, x, flav):
  kernel = w[0]
  k = kernel.shape[0]
  s = _int(cfg.get("strides", 1))
  d = _int(cfg.get("dilation_rate", 1))
  pad = cfg.get("padding", "valid")
  t = x.shape[1]
  span = (k - 1) * d + 1
  if pad == "causal":
    x = np.pad(x, ((0, 0), (span - 1, 0), (0, 0)))
  elif pad == "same":
    out_len = -(-t // s)
    total = max((out_len - 1) * s + span - t, 0)
    x = np.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0)))
  t2 = x.shape[1]
  out_len = (t2 - span) // s + 1
  y = np.zeros((x.shape[0], out_len, kernel.shape[2]))
  for o in range(out_len):
    for j in range(k):
      y[:, o, :] += x[:, o * s + j * d, :] @ kernel[j]
  if cfg.get("use_bias", True):
    y = y + w[1]
  return activation(cfg.get("activation"), flav)(y)


def _int(v):
  return int(v[0]) if isinstance(v, (list, tuple)) else int(v)


def pool1d(cfg, x, kind):
  p = _int(cfg.get("pool_size", 2))
  s = cfg.get("strides")
  s = p if s is None else _int(s)
  t = x.shape[1]
  if cfg.get("padding", "valid") == "same":
    out_len = -(-t // s)
    total = max((out_len - 1) * s + p - t, 0)
    left = total // 2
  else:
    out_len, left = (t - p) // s + 1, 0
  outs = []
  for o in range(out_len):
    lo, hi = max(o * s - left, 0), min(o * s - left + p, t)  # padding is excluded
    win = x[:, lo:hi, :]
    outs.append(win.max(axis=1) if kind == "max" else win.mean(axis=1))
  return np.stack(outs, axis=1)


def _merge_masks(masks):
  if all(m is None for m in masks):
    return None
  return np.all(np.stack([m for m in masks if m is not None]), axis=0)


def _norm_axes(cfg, ndim):
  axis = cfg.get("axis", -1)
  axes = axis if isinstance(axis, list) else [axis]
  return tuple(a % ndim for a in axes)


def batch_norm(cfg, w, x):
  i = 0
  gamma = beta = None
  if cfg.get("scale", True):
    gamma, i = w[i], i + 1
  if cfg.get("center", True):
    beta, i = w[i], i + 1
  mean, var = w[i], w[i + 1]
  y = (x - mean) / np.sqrt(var + cfg.get("epsilon", 1e-3))
  if gamma is not None:
    y = y * gamma
  return y + beta if beta is not None else y


def layer_norm(cfg, w, x):
  axes = _norm_axes(cfg, x.ndim)
  mean = x.mean(axis=axes, keepdims=True)
  var = x.var(axis=axes, keepdims=True)
  y = (x - mean) / np.sqrt(var + cfg.get("epsilon", 1e-3))
  i = 0
  if cfg.get("scale", True):
    y, i = y * w[i], i + 1
  if cfg.get("center", True):
    y = y + w[i]
  return y


_IDENTITY = {"Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
             "ActivityRegularization", "InputLayer"}
# Layers that hand their input mask on unchanged (KERAS.md 2.5).
_PASS_MASK = _IDENTITY | {"Dense", "Activation", "BatchNormalization", "LayerNormalization",
                          "TimeDistributed", "PReLU"}


def apply_layer(cls, cfg, w, xs, masks, flav):
  """One layer call: returns (outputs, output masks)."""
  x, mask = xs[0], masks[0]
  if cls in _IDENTITY:
    return [x], [mask]
  if cls == "Embedding":
    ids = x.astype(np.int64)
    if ids.min() < 0 or ids.max() >= w[0].shape[0]:
      raise ValueError("embedding id out of range [0, %d)" % w[0].shape[0])
    return [w[0][ids]], [(ids != 0) if cfg.get("mask_zero", False) else None]
  if cls == "Masking":
    m = np.any(x != cfg.get("mask_value", 0.0), axis=-1)
    return [x * m[..., None]], [m]
  if cls == "Dense" or (cls == "TimeDistributed" and cfg["layer"]["class_name"] == "Dense"):
    c = cfg if cls == "Dense" else cfg["layer"]["config"]
    y = x @ w[0] + (w[1] if c.get("use_bias", True) else 0.0)
    return [activation(c.get("activation"), flav)(y)], [mask]
  if cls == "Activation":
    return [activation(cfg["activation"], flav)(x)], [mask]
  if cls in _CELLS:
    return rnn(cls, cfg, w, x, mask, flav, cfg.get("zero_output_for_mask", False))
  if cls in ("CuDNNLSTM", "CuDNNGRU"):
    cls2, cfg2, w2 = cudnn_to_plain(cls, cfg, w)
    return rnn(cls2, cfg2, w2, x, None, flav)
  if cls == "Bidirectional":
    return bidirectional(cfg, w, x, mask, flav)
  if cls in ("Attention", "AdditiveAttention"):
    return attention_ref.dense_attention(cls, cfg, w, xs, masks)
  if cls == "MultiHeadAttention":
    # tf.keras < 2.10 ignored the Keras masks here; the cases use tf.keras 2.11 and Keras 3
    return attention_ref.mha(cfg, w, xs, masks, keras_masks=flav != "k2")
  return [_apply_plain(cls, cfg, w, xs, masks, flav)], [_plain_mask(cls, cfg, masks)]


def _apply_plain(cls, cfg, w, xs, masks, flav):
  x, mask = xs[0], masks[0]
  if cls == "Conv1D":
    return conv1d(cfg, w, x, flav)
  if cls in ("MaxPooling1D", "AveragePooling1D", "MaxPool1D", "AvgPool1D"):
    return pool1d(cfg, x, "max" if cls.startswith("Max") else "avg")
  if cls in ("GlobalMaxPooling1D", "GlobalMaxPool1D"):
    return x.max(axis=1)
  if cls in ("GlobalAveragePooling1D", "GlobalAvgPool1D"):
    if mask is None:
      return x.mean(axis=1)
    m = mask[..., None].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):  # all-masked rows: 0/0 = NaN in Keras
      return (x * m).sum(axis=1) / m.sum(axis=1)
  if cls == "Flatten":
    return x.reshape(x.shape[0], -1)
  if cls == "BatchNormalization":
    return batch_norm(cfg, w, x)
  if cls == "LayerNormalization":
    return layer_norm(cfg, w, x)
  if cls == "RepeatVector":
    return np.repeat(x[:, None, :], cfg["n"], axis=1)
  if cls == "Reshape":
    return x.reshape((x.shape[0],) + tuple(cfg["target_shape"]))
  if cls == "Permute":
    return np.transpose(x, (0,) + tuple(cfg["dims"]))
  if cls == "Concatenate":
    return np.concatenate(xs, axis=cfg.get("axis", -1))
  if cls == "Dot":  # merging/dot.py: l2-normalise (optional), then batch_dot
    axes = cfg["axes"] if isinstance(cfg["axes"], list) else [cfg["axes"]] * 2
    a, b = xs
    ax = [k if k > 0 else k + v.ndim for k, v in zip(axes, (a, b))]
    if cfg.get("normalize"):
      a, b = [v / np.sqrt(np.maximum((v * v).sum(axis=k, keepdims=True), 1e-12))
              for v, k in zip((a, b), ax)]
    out = np.stack([np.tensordot(a[n], b[n], axes=(ax[0] - 1, ax[1] - 1))
                    for n in range(a.shape[0])])
    return out.reshape(a.shape[0], -1) if out.ndim == 1 else out
  if cls == "PReLU":  # prelu.py: relu(x) - alpha * relu(-x), alpha broadcast on shared axes
    return np.maximum(x, 0) - w[0] * np.maximum(-x, 0)
  merges = {"Add": lambda: sum(xs), "Average": lambda: sum(xs) / len(xs),
            "Multiply": lambda: np.prod(np.stack(xs), axis=0),
            "Maximum": lambda: np.max(np.stack(xs), axis=0),
            "Minimum": lambda: np.min(np.stack(xs), axis=0),
            "Subtract": lambda: xs[0] - xs[1]}
  if cls in merges:
    return merges[cls]()
  raise ValueError("numpy reference: unsupported layer class '%s'" % cls)


def _plain_mask(cls, cfg, masks):
  if cls in _PASS_MASK:
    return masks[0]
  if cls in ("Concatenate", "Add", "Average", "Multiply", "Maximum", "Minimum", "Subtract"):
    return _merge_masks(masks)
  return None  # tf.keras / Keras 3 drop the mask; standalone K2 refuses such models


def run(graph, weights, ids, flav):
  layers, inputs, outputs = graph
  tensors = {}  # (layer, node, tensor) -> (value, mask)
  named = len(ids) > 0 and isinstance(ids[0], dict)  # several inputs: {name: row} per row
  for ref in inputs:
    rows = [r[ref[0]] for r in ids] if named else ids
    tensors[tuple(ref)] = (np.asarray(rows, dtype=np.float64), None)
  info = {"masked_layers": [], "input_shapes": {}}
  pending = [l for l in layers if l["class_name"] != "InputLayer"]
  while pending:
    progress = False
    for layer in list(pending):
      for node_index, node in enumerate(layer["inbound"]):
        key = (layer["name"], node_index, 0)
        if key in tensors or not all(tuple(r) in tensors for r in node):
          continue
        xs = [tensors[tuple(r)][0] for r in node]
        ms = [tensors[tuple(r)][1] for r in node]
        info["input_shapes"][layer["name"]] = xs[0].shape[1:]
        if any(m is not None for m in ms):
          info["masked_layers"].append(layer["name"])
        cfg = layer["config"]
        kwargs = layer.get("call_kwargs") or []
        if node_index < len(kwargs) and kwargs[node_index]:
          cfg = dict(cfg, **kwargs[node_index])  # call options (use_causal_mask)
        ys, ym = apply_layer(layer["class_name"], cfg,
                             weights.get(layer["name"], []), xs, ms, flav)
        for ti, (y, m) in enumerate(zip(ys, ym)):
          tensors[(layer["name"], node_index, ti)] = (y, m)
        progress = True
      if all((layer["name"], i, 0) in tensors for i in range(len(layer["inbound"]))):
        pending.remove(layer)
    if not progress:
      raise ValueError("numpy reference: graph has unreachable layers: %s"
                       % [l["name"] for l in pending])
  return [tensors[tuple(r)][0] for r in outputs], info
