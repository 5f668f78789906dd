"""A tiny model builder for the golden generator: layers, output shapes and random weights.

Shapes and weight lists follow Keras' get_weights() order per layer (KERAS.md section 2:
LSTM kernel [d,4u] / recurrent [u,4u] / bias [4u]; GRU bias [3u] or [2,3u] with
reset_after; CuDNN biases [8u] / [6u]; Bidirectional = forward then backward).
"""

import numpy as np

_RNN_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1, "CuDNNLSTM": 4, "CuDNNGRU": 3}


class Node:
  def __init__(self, cls, core, inbound):
    self.cls = cls
    self.core = core  # the semantic config keys (units, padding, ...)
    self.inbound = inbound  # [(node index, tensor index)]
    self.name = None
    self.shared_of = None  # index of the layer node this call reuses (shared layers)
    self.call_index = 0  # Keras node index of this call of the layer
    self.in_shapes = []
    self.out_shapes = []
    self.wspec = []  # [(short name, shape)]
    self.weights = []


def _rnn_spec(cls, core, d):
  u = core["units"]
  n = _RNN_GATES[cls]
  w = [("kernel", (d, n * u)), ("recurrent_kernel", (u, n * u))]
  if cls == "CuDNNLSTM":
    w.append(("bias", (8 * u,)))
  elif cls == "CuDNNGRU":
    w.append(("bias", (6 * u,)))
  elif core.get("use_bias", True):
    w.append(("bias", (2, 3 * u) if cls == "GRU" and core.get("reset_after") else (n * u,)))
  return w, u


def _rnn_shapes(core, t, u, n_states):
  y = (t, u) if core.get("return_sequences") else (u,)
  return [y] + ([(u,)] * n_states if core.get("return_state") else [])


def _conv_len(t, k, s, d, padding):
  span = (k - 1) * d + 1
  if padding == "same":
    return -(-t // s)
  if padding == "causal":
    t += span - 1
  return (t - span) // s + 1


def _bias(core, n):
  return [("bias", (n,))] if core.get("use_bias", True) else []


def _affine(core, c):
  """gamma then beta, each only when scale / center is on (Keras weight order)."""
  return ([("gamma", c)] if core.get("scale", True) else []) + \
      ([("beta", c)] if core.get("center", True) else [])


def spec(cls, core, ins):
  """(output shapes, weight spec) of one layer for input shapes `ins` (batch excluded)."""
  s = ins[0]
  if cls == "Embedding":
    return [(s[0], core["output_dim"])], [("embeddings", (core["input_dim"], core["output_dim"]))]
  if cls == "Dense":
    u = core["units"]
    return [s[:-1] + (u,)], [("kernel", (s[-1], u))] + _bias(core, u)
  if cls in _RNN_GATES:
    w, u = _rnn_spec(cls, core, s[-1])
    return _rnn_shapes(core, s[0], u, 2 if "LSTM" in cls else 1), w
  if cls == "Bidirectional":
    inner = core["layer"]
    w, u = _rnn_spec(inner.cls, inner.core, s[-1])
    shapes = _rnn_shapes(inner.core, s[0], u, 2 if "LSTM" in inner.cls else 1)
    mode = core.get("merge_mode", "concat")
    y = shapes[0]
    out = [y, y] if mode is None else [y[:-1] + (2 * u,) if mode == "concat" else y]
    return out + shapes[1:] * 2, w + w
  if cls == "TimeDistributed":
    inner_shapes, w = spec(core["layer"].cls, core["layer"].core, [s[1:]])
    return [(s[0],) + inner_shapes[0]], w
  if cls == "Conv1D":
    k, st = core["kernel_size"][0], core.get("strides", [1])[0]
    d = core.get("dilation_rate", [1])[0]
    t = _conv_len(s[0], k, st, d, core.get("padding", "valid"))
    return [(t, core["filters"])], [("kernel", (k, s[1], core["filters"]))] + \
        _bias(core, core["filters"])
  if cls in ("MaxPooling1D", "AveragePooling1D"):
    p = core["pool_size"][0]
    st = (core.get("strides") or [p])[0]
    return [(_conv_len(s[0], p, st, 1, core.get("padding", "valid")), s[1])], []
  if cls in ("GlobalMaxPooling1D", "GlobalAveragePooling1D"):
    return [(s[-1],)], []
  if cls == "Flatten":
    return [(int(np.prod(s)),)], []
  if cls == "BatchNormalization":
    c = (s[-1],)
    return [s], _affine(core, c) + [("moving_mean", c), ("moving_variance", c)]
  if cls == "LayerNormalization":
    return [s], _affine(core, (s[-1],))
  if cls == "RepeatVector":
    return [(core["n"],) + s], []
  if cls == "Reshape":
    return [tuple(core["target_shape"])], []
  if cls == "Permute":
    return [tuple(s[i - 1] for i in core["dims"])], []
  if cls == "Concatenate":
    return [s[:-1] + (sum(x[-1] for x in ins),)], []
  if cls == "Attention":
    w = [("scale", ())] if core.get("use_scale") else []
    if core.get("score_mode") == "concat":
      w.append(("concat_score_weight", ()))
    return [(s[0], ins[1][-1])], w
  if cls == "AdditiveAttention":
    return [(s[0], ins[1][-1])], [("scale", (s[-1],))] if core.get("use_scale", True) else []
  if cls == "MultiHeadAttention":
    n, h = core["num_heads"], core["key_dim"]
    hv = core.get("value_dim") or h
    k = ins[2] if len(ins) > 2 else ins[1]
    out = (core.get("output_shape") or [s[-1]])[-1]
    bias = core.get("use_bias", True)
    w = []
    for part, d, dim in (("query", s[-1], h), ("key", k[-1], h), ("value", ins[1][-1], hv)):
      w.append((part + "/kernel", (d, n, dim)))
      if bias:
        w.append((part + "/bias", (n, dim)))
    w.append(("attention_output/kernel", (n, hv, out)))
    if bias:
      w.append(("attention_output/bias", (out,)))
    return [(s[0], out)], w
  if cls == "Dot":  # batch_dot: the first input's other axes, then the second's
    axes = core["axes"] if isinstance(core["axes"], list) else [core["axes"]] * 2
    b = ins[1]
    ax = [a if a > 0 else a + len(x) + 1 for a, x in zip(axes, (s, b))]
    rest = [x[:a - 1] + x[a:] for a, x in zip(ax, (s, b))]
    return [tuple(rest[0]) + tuple(rest[1]) or (1,)], []
  if cls == "PReLU":
    alpha = tuple(1 if (i + 1) in (core.get("shared_axes") or []) else d for i, d in enumerate(s))
    return [s], [("alpha", alpha)]
  return [s], []  # identity-shaped layers and element-wise merges


def random_weight(rng, short, shape, cls):
  if short in ("scale", "concat_score_weight") and cls in ("Attention", "AdditiveAttention"):
    return rng.uniform(0.5, 1.5, shape)
  if short.endswith("bias"):
    return rng.uniform(-0.3, 0.3, shape)
  if short == "moving_variance":
    return rng.uniform(0.5, 1.5, shape)
  if short in ("gamma",):
    return rng.uniform(0.6, 1.4, shape)
  if short in ("beta", "moving_mean") or short == "bias":
    return rng.uniform(-0.3, 0.3, shape)
  if short == "embeddings":
    return rng.uniform(-1.0, 1.0, shape)
  if short == "alpha":  # PReLU's negative slopes
    return rng.uniform(-0.5, 1.0, shape)
  fan_in = shape[0] if len(shape) == 2 else shape[0] * shape[1]
  return rng.uniform(-1.0, 1.0, shape) * (1.6 / np.sqrt(fan_in))


class Net:
  """A model under construction. `sequential` is True for a plain chain."""

  def __init__(self, name, seq_len, vocab, seed):
    self.name = name
    self.seq_len = seq_len
    self.vocab = vocab
    self.rng = np.random.default_rng(seed)
    inp = Node("InputLayer", {}, [])
    inp.out_shapes = [(seq_len,)]
    self.nodes = [inp]
    self.inputs = [0]
    self.outputs = []
    self.sequential = True

  def add_input(self, shape, name=None):
    """Another model input (a functional model with several inputs)."""
    node = Node("InputLayer", {}, [])
    node.out_shapes = [tuple(shape)]
    node.input_name = name
    self.nodes.append(node)
    self.inputs.append(len(self.nodes) - 1)
    self.sequential = False
    return len(self.nodes) - 1

  def inner(self, cls, **core):
    """A layer wrapped by Bidirectional / TimeDistributed (not a graph node)."""
    return Node(cls, core, [])

  def add(self, cls, inputs, **core):
    """Adds a layer fed by `inputs` (a ref (node, tensor), a node index or a list)."""
    refs = inputs if isinstance(inputs, list) else [inputs]
    refs = [(r, 0) if isinstance(r, int) else r for r in refs]
    if len(refs) != 1 or refs[0] != (len(self.nodes) - 1, 0):
      self.sequential = False
    node = Node(cls, core, refs)
    node.in_shapes = [self.nodes[i].out_shapes[t] for i, t in refs]
    node.out_shapes, node.wspec = spec(cls, core, node.in_shapes)
    node.weights = [random_weight(self.rng, s, shape, cls) for s, shape in node.wspec]
    self.nodes.append(node)
    return len(self.nodes) - 1

  def call(self, layer, inputs):
    """Calls an existing layer again (a shared layer): Keras node index 1, 2, ..."""
    refs = inputs if isinstance(inputs, list) else [inputs]
    refs = [(r, 0) if isinstance(r, int) else r for r in refs]
    orig = self.nodes[layer]
    node = Node(orig.cls, orig.core, refs)
    node.shared_of = layer
    node.call_index = 1 + sum(1 for n in self.nodes if n.shared_of == layer)
    node.in_shapes = [self.nodes[i].out_shapes[t] for i, t in refs]
    node.out_shapes, _ = spec(orig.cls, orig.core, node.in_shapes)
    self.nodes.append(node)
    self.sequential = False
    return len(self.nodes) - 1

  def layer_nodes(self):
    """Nodes that are layers (not repeated calls of a shared layer)."""
    return [n for n in self.nodes if n.shared_of is None]

  def ref(self, index, tensor):
    """[layer name, node index, tensor index] of a node's output."""
    n = self.nodes[index]
    return [n.name, n.call_index, tensor]

  def chain(self, *layers):
    """Sequential helper: chain(("Embedding", {...}), ...) from the input."""
    x = 0
    for cls, core in layers:
      x = self.add(cls, x, **core)
    self.outputs = [(x, 0)]
    return self

  def assign_names(self, style):
    """Layer names as each Keras generation numbers them (lstm_1 vs lstm, lstm_1)."""
    counts = {}

    def fresh(cls):
      base = _snake(cls)
      n = counts.get(base, 0)
      counts[base] = n + 1
      if style in ("k1", "k2.0", "k2.2"):
        return "%s_%d" % (base, n + 1)
      return base if n == 0 else "%s_%d" % (base, n)

    for node in self.nodes:
      if node.shared_of is not None:
        node.name = self.nodes[node.shared_of].name
        continue
      if node.cls == "InputLayer" and getattr(node, "input_name", None):
        node.name = node.input_name
        continue
      if node.cls == "InputLayer":
        node.name = {"k3": "input_layer"}.get(style, "input_1")
        if self.sequential and style == "tfk":
          node.name = "embedding_input"
        continue
      node.name = fresh(node.cls)
      if "layer" in node.core:
        node.core["layer"].name = fresh(node.core["layer"].cls)


def _snake(cls):
  import re
  s = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", cls)
  return re.sub("([a-z])([A-Z])", r"\1_\2", s).lower()
