"""Writes a built Net (make_models.py) in the file layouts each Keras version produces.

Layouts follow ../shared/KERAS.md section 1 and h5py inspection of the real files in
../shared/keras-models (attribute string encodings, layer_names / weight_names, group nesting,
Sequential list vs dict configs, InputLayer presence, inbound node forms). Not written from
quiver's reader.

A layout is a Layout(...) below: keras_version, config style, weight naming and h5 encoding.
"""

import io
import json
import zipfile

import h5py
import numpy as np
import yaml

from keras_file import to_snake_case


class Layout:
  def __init__(self, version, style, h5strings, sorted_groups=False, fmt="h5", arch_style=None):
    self.arch_style = arch_style  # config style when it differs from the weights' (Keras 1)
    self.version = version
    self.style = style  # 'k2.0' (list Sequential), 'k2.2', 'tfk', 'k3'
    self.h5strings = h5strings  # 'fixed' (h5py 2: NUL-padded arrays) or 'vlen' (h5py 3)
    self.sorted_groups = sorted_groups  # tf.keras >= 2.7, Keras 3: sorted + top_level group
    self.fmt = fmt  # 'h5', 'keras', 'keras-win', 'weights-json', 'weights-yaml'


LAYOUTS = {
    "k2.0.8": Layout("2.0.8", "k2.0", "fixed"),
    "k2.1.6": Layout("2.1.6", "k2.0", "fixed"),
    "k2.2.4": Layout("2.2.4", "k2.2", "fixed"),
    "k2.3.1": Layout("2.3.1", "k2.2", "fixed"),
    "tf1.15": Layout("2.2.4-tf", "tfk", "fixed"),
    "tf2.4": Layout("2.4.0", "tfk", "fixed"),
    "tf2.11": Layout("2.11.0", "tfk", "vlen", sorted_groups=True),
    "k3.8-h5": Layout("3.8.0", "k3", "vlen", sorted_groups=True),
    "k3.8-keras": Layout("3.8.0", "k3", "vlen", fmt="keras"),
    "tf2.15-keras-win": Layout("2.15.0", "tfk", "vlen", fmt="keras-win"),
    "tf2.13-keras": Layout("2.13.1", "tfk", "vlen", fmt="keras-2.13"),
    "tf2.11-weights-json": Layout("2.11.0", "tfk", "vlen", True, fmt="weights-json"),
    "k2.2.4-weights-yaml": Layout("2.2.4", "k2.2", "fixed", fmt="weights-yaml"),
    "k2.1.6-weights-json2": Layout("2.1.6", "k2.0", "fixed", fmt="weights-json2"),
    "k1.2.2-weights-json": Layout("", "k1", "fixed", fmt="weights-json"),
    "k1.2.2-weights-k2json": Layout("", "k1", "fixed", fmt="weights-json", arch_style="k2.2"),
}

_CELL = {"LSTM": "lstm_cell", "GRU": "gru_cell", "SimpleRNN": "simple_rnn_cell"}


def _init(style, cls, config=None):
  d = {"class_name": cls, "config": config or {}}
  if style == "k3":
    d = {"module": "keras.initializers", "class_name": cls, "config": config or {},
         "registered_name": None}
  return d


def _dtype(style):
  if style == "k3":
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": None}
  return "float32"


def layer_config(node, style, first_shape=None):
  """The full Keras config dict for one layer, with the extras each version writes."""
  cls, core = node.cls, dict(node.core)
  core.pop("call_kwargs", None)  # call arguments go into the inbound node
  cfg = {"name": node.name, "trainable": True, "dtype": _dtype(style)}
  if first_shape is not None:
    cfg["batch_input_shape"] = [None] + list(first_shape)
  if cls in ("LSTM", "GRU", "SimpleRNN", "CuDNNLSTM", "CuDNNGRU"):
    cfg.update(return_sequences=False, return_state=False, go_backwards=False, stateful=False)
    if cls in ("LSTM", "GRU"):  # real configs always store these (KERAS.md 2.3 defaults)
      cfg["recurrent_activation"] = "hard_sigmoid" if style.startswith("k2") else "sigmoid"
    if cls == "GRU" and style != "k2.0":
      cfg["reset_after"] = style in ("tfk", "k3")
    if not cls.startswith("CuDNN"):
      cfg.update(unroll=False, use_bias=True, dropout=0.0, recurrent_dropout=0.0,
                 activation="tanh")
      cfg["kernel_initializer"] = _init(style, "GlorotUniform", {"seed": None})
      cfg["recurrent_initializer"] = _init(style, "Orthogonal", {"gain": 1.0, "seed": None})
      cfg["kernel_regularizer"] = None
      if style == "tfk":
        cfg.update(time_major=False, implementation=2)
      elif style == "k3":
        cfg.update(zero_output_for_mask=False, seed=None)
      else:
        cfg["implementation"] = 1
  if cls == "Embedding":
    cfg["embeddings_initializer"] = _init(style, "RandomUniform",
                                          {"minval": -0.05, "maxval": 0.05, "seed": None})
    cfg["embeddings_constraint"] = None
    if style != "k3" and first_shape is not None:
      cfg["input_length"] = first_shape[0]
  if cls in ("Dense", "Conv1D"):
    cfg.update(use_bias=True, kernel_initializer=_init(style, "GlorotUniform", {"seed": None}),
               bias_initializer=_init(style, "Zeros"), kernel_constraint=None)
  if cls in ("Conv1D", "MaxPooling1D", "AveragePooling1D"):
    cfg["data_format"] = "channels_last"
  if cls == "Conv1D" and style == "k3":
    cfg["groups"] = 1
  for key in ("layer",):
    if key in core:
      inner = core.pop(key)
      entry = {"class_name": inner.cls, "config": layer_config(inner, style)}
      if style == "k3":
        entry = {"module": "keras.layers", "class_name": inner.cls, "config": entry["config"],
                 "registered_name": None}
      cfg[key] = entry
  cfg.update(core)
  return cfg


def _input_config(node, style, shape):
  dtype = node.core.get("dtype", "float32")
  if style == "k3":
    return {"batch_shape": [None] + list(shape), "dtype": dtype, "sparse": False,
            "name": node.name}
  cfg = {"batch_input_shape": [None] + list(shape), "dtype": dtype, "sparse": False,
         "name": node.name}
  if style == "tfk":
    cfg["ragged"] = False
  return cfg


def _k3_wrap(entry, node=None):
  entry = dict({"module": "keras.layers"}, **entry)
  entry["registered_name"] = None
  if node is not None and node.in_shapes:
    entry["build_config"] = {"input_shape": [None] + list(node.in_shapes[0])}
  return entry


def _inbound_node(net, inbound, style, node=None):
  kwargs = dict(node.core.get("call_kwargs", {})) if node is not None else {}
  mha = node is not None and node.cls == "MultiHeadAttention"
  if style != "k3":
    refs = [net.ref(i, t) + [{}] for i, t in inbound]
    if mha:  # tf.keras: value (and key) are keyword arguments of the first entry (node.py)
      for key, r in zip(("value", "key"), refs[1:]):
        kwargs[key] = r[:3]
      refs = refs[:1]
    if kwargs:
      refs[0][3] = kwargs
    return refs
  args = [{"class_name": "__keras_tensor__",
           "config": {"shape": [None] + list(net.nodes[i].out_shapes[t]), "dtype": "float32",
                      "keras_history": net.ref(i, t)}} for i, t in inbound]
  if mha:  # mha(query, value(, key)): positional tensors
    return {"args": args, "kwargs": kwargs}
  return {"args": [args] if len(args) > 1 else args, "kwargs": kwargs}


def _inbound(net, node, style):
  """All calls of a layer: its own inbound node, then those of later shared calls."""
  if not node.inbound:
    return []
  index = net.nodes.index(node)
  calls = [node] + [n for n in net.nodes if n.shared_of == index]
  return [_inbound_node(net, c.inbound, style, c) for c in calls]


def _k1_layer_config(node, first_shape):
  """Keras 1.2 config keys (output_dim, inner_activation, init, W_regularizer, ...)."""
  c, cfg = node.core, {"name": node.name, "trainable": True}
  if first_shape is not None:
    cfg.update(batch_input_shape=[None] + list(first_shape), input_dtype="int32")
  if node.cls == "Embedding":
    cfg.update(input_dim=c["input_dim"], output_dim=c["output_dim"], init="uniform",
               input_length=first_shape and first_shape[0], W_regularizer=None,
               activity_regularizer=None, W_constraint=None, mask_zero=c["mask_zero"],
               dropout=0.0)
  elif node.cls in ("LSTM", "GRU"):
    cfg.update(output_dim=c["units"], init="glorot_uniform", inner_init="orthogonal",
               activation=c.get("activation", "tanh"),
               inner_activation=c.get("recurrent_activation", "hard_sigmoid"),
               return_sequences=c.get("return_sequences", False),
               go_backwards=c.get("go_backwards", False), stateful=False, unroll=False,
               consume_less="cpu", W_regularizer=None, U_regularizer=None, b_regularizer=None,
               dropout_W=0.0, dropout_U=0.0)
  elif node.cls == "Dense":
    cfg.update(output_dim=c["units"], init="glorot_uniform", activation=c["activation"],
               W_regularizer=None, b_regularizer=None, activity_regularizer=None,
               W_constraint=None, b_constraint=None, bias=True, input_dim=None)
  else:
    cfg.update(c)
  return cfg


def k1_weights(node):
  """Keras 1 per-gate arrays: LSTM W/U/b for gates i, c, f, o; GRU z, r, h (KERAS.md 1.2)."""
  if node.cls not in ("LSTM", "GRU"):
    short = {"embeddings": "W", "kernel": "W", "bias": "b"}
    return [("%s_%s" % (node.name, short[s]), w) for (s, _), w in zip(node.wspec, node.weights)]
  n = 4 if node.cls == "LSTM" else 3
  blocks = [np.split(w, n, axis=-1) for w in node.weights]  # kernel, recurrent, bias
  gates = [("i", 0), ("c", 2), ("f", 1), ("o", 3)] if n == 4 else [("z", 0), ("r", 1), ("h", 2)]
  out = []
  for g, k in gates:
    for prefix, b in zip(("W", "U", "b"), blocks):
      out.append(("%s_%s_%s" % (node.name, prefix, g), b[k]))
  return out


def model_config(net, layout, for_zip=False):
  style = layout.arch_style or layout.style
  shape = net.nodes[0].out_shapes[0]
  if getattr(net, "dynamic_len", False):  # an Embedding without input_length: [null, null]
    shape = (None,)
  if style == "k1":
    return {"class_name": "Sequential",
            "config": [{"class_name": n.cls, "config": _k1_layer_config(n, shape if i == 0
                                                                        else None)}
                       for i, n in enumerate(net.nodes[1:])]}
  if net.sequential:
    layers = []
    body_nodes = net.nodes[1:]
    if style in ("tfk", "k3"):
      layers.append({"class_name": "InputLayer",
                     "config": _input_config(net.nodes[0], style, shape)})
    for k, node in enumerate(body_nodes):
      first = shape if (k == 0 and style != "k3") else None
      layers.append({"class_name": node.cls, "config": layer_config(node, style, first)})
    if for_zip:
      layers = [_k3_wrap(l, n) for l, n in zip(layers, net.nodes[len(net.nodes) - len(layers):])]
    if style == "k2.0":
      return {"class_name": "Sequential", "config": layers}
    body = {"name": net.name, "layers": layers}
    if style == "k3":
      body = {"name": net.name, "trainable": True, "dtype": _dtype(style), "layers": layers}
    out = {"class_name": "Sequential", "config": body}
    return dict({"module": "keras"}, **out, registered_name=None) if for_zip else out
  layers = []
  for node in net.layer_nodes():
    in_shape = shape if node is net.nodes[0] else node.out_shapes[0]
    cfg = (_input_config(node, style, in_shape) if node.cls == "InputLayer"
           else layer_config(node, style))
    entry = {"name": node.name, "class_name": node.cls, "config": cfg,
             "inbound_nodes": _inbound(net, node, style)}
    layers.append(_k3_wrap(entry, node) if for_zip else entry)
  out_refs = [net.ref(i, t) for i, t in net.outputs]
  in_refs = [[net.nodes[i].name, 0, 0] for i in getattr(net, "inputs", [0])]
  body = {"name": net.name, "layers": layers, "input_layers": in_refs,
          "output_layers": out_refs}
  cls = "Model" if style in ("k2.0", "k2.2") or layout.version == "2.2.4-tf" else "Functional"
  out = {"class_name": cls, "config": body}
  return dict({"module": "keras"}, **out, registered_name=None) if for_zip else out


# ------------------------------------------------------------------ weight names (KERAS.md 1.x)

def weight_names(node, layout):
  """Dataset names of one layer's weights in `weight_names` order."""
  style, suffix = layout.style, ("" if layout.style == "k3" else ":0")
  name = node.name

  def rnn_names(inner_cls, prefix, short, cell_index=None):
    if style in ("tfk", "k3"):
      cell = _CELL.get(inner_cls, "cell")
      if cell_index:
        cell = "%s_%d" % (cell, cell_index)
      return ["%s/%s/%s%s" % (prefix, cell, s, suffix) for s in short]
    return ["%s/%s%s" % (prefix, s, suffix) for s in short]

  shorts = [s for s, _ in node.wspec]
  if node.cls in ("LSTM", "GRU", "SimpleRNN"):
    return rnn_names(node.cls, name, shorts)
  if node.cls == "Bidirectional":
    inner = node.core["layer"]
    half = shorts[:len(shorts) // 2]
    if style == "k2.0":  # no name scope in 2.0.x: names only uniquified (KERAS.md 1.2)
      return (["%s/%s:0" % (name, s) for s in half] + ["%s/%s_1:0" % (name, s) for s in half])
    fwd = "%s/forward_%s" % (name, inner.name)
    bwd = "%s/backward_%s" % (name, inner.name)
    if style == "tfk":
      return rnn_names(inner.cls, fwd, half, 1) + rnn_names(inner.cls, bwd, half, 2)
    return rnn_names(inner.cls, fwd, half) + rnn_names(inner.cls, bwd, half)
  return ["%s/%s%s" % (name, s, suffix) for s in shorts]


# ------------------------------------------------------------------ h5 writing

def _set_str(attrs, key, value, layout, cset="ascii"):
  attrs.create(key, value, dtype=h5py.string_dtype(cset))


def _set_list(attrs, key, values, layout):
  if not values:
    attrs[key] = np.array([], dtype=np.float64)  # what Keras writes for an empty list
  elif layout.h5strings == "fixed":
    attrs[key] = np.array([v.encode("utf8") for v in values])
  else:
    attrs.create(key, values, dtype=h5py.string_dtype("ascii"))


def _weighted_nodes(net, layout):
  """Nodes listed in layer_names: Sequential files omit the InputLayer."""
  return [n for n in net.layer_nodes() if not (n.cls == "InputLayer" and net.sequential)]


def write_weights_group(g, net, layout, split_layer_names=False, cset="ascii"):
  if layout.version:  # Keras 1 wrote neither attribute
    _set_str(g.attrs, "backend", "tensorflow", layout, cset)
    _set_str(g.attrs, "keras_version", layout.version, layout, cset)
  nodes = _weighted_nodes(net, layout)
  names = [n.name for n in nodes]
  if split_layer_names:  # the HDF5_OBJECT_HEADER_LIMIT split form (KERAS.md 1.2)
    half = (len(names) + 1) // 2
    _set_list(g.attrs, "layer_names0", names[:half], layout)
    _set_list(g.attrs, "layer_names1", names[half:], layout)
  else:
    _set_list(g.attrs, "layer_names", names, layout)
  order = sorted(nodes, key=lambda n: n.name) if layout.sorted_groups else nodes
  for node in order:
    lg = g.create_group(node.name)
    pairs = (k1_weights(node) if layout.style == "k1"
             else list(zip(weight_names(node, layout), node.weights)))
    _set_list(lg.attrs, "weight_names", [p[0] for p in pairs], layout)
    for wname, arr in pairs:
      lg.create_dataset(wname, data=arr.astype(np.float32))
  if layout.sorted_groups:
    _set_list(g.create_group("top_level_model_weights").attrs, "weight_names", [], layout)


def write_h5(path, net, layout, split_layer_names=False):
  with h5py.File(path, "w") as f:
    root_cset = "utf-8" if layout.style in ("tfk", "k3") else "ascii"
    _set_str(f.attrs, "keras_version", layout.version, layout, root_cset)
    _set_str(f.attrs, "backend", "tensorflow", layout, root_cset)
    _set_str(f.attrs, "model_config", json.dumps(model_config(net, layout)), layout)
    _set_str(f.attrs, "training_config", json.dumps(
        {"loss": "binary_crossentropy", "metrics": ["accuracy"],
         "optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 0.001}}}), layout)
    write_weights_group(f.create_group("model_weights"), net, layout, split_layer_names)
    opt = f.create_group("optimizer_weights")
    _set_list(opt.attrs, "weight_names", ["Adam/iter:0"], layout)
    opt.create_dataset("Adam/iter:0", data=np.int64(7))


def write_weights_only(path, arch_path, net, layout):
  with h5py.File(path, "w") as f:
    write_weights_group(f, net, layout, cset="utf-8" if layout.style in ("tfk", "k3") else "ascii")
  config = model_config(net, layout)
  if layout.fmt == "weights-yaml":
    text = yaml.dump(_tuplify(dict(config, keras_version=layout.version, backend="tensorflow")),
                     default_flow_style=False)
    text = text.replace("backend: tensorflow", "backend: !!python/unicode 'tensorflow'")
  else:
    text = json.dumps(dict(config, keras_version=layout.version, backend="tensorflow")
                      if layout.version else config)
    if layout.fmt == "weights-json2":  # saved with json.dump(model.to_json()): double-encoded
      text = json.dumps(text)
  with open(arch_path, "w") as f:
    f.write(text)


def _tuplify(v, key=None):
  """to_yaml writes shapes as Python tuples (!!python/tuple tags)."""
  if isinstance(v, dict):
    return {k: _tuplify(x, k) for k, x in v.items()}
  if isinstance(v, list):
    items = [_tuplify(x) for x in v]
    return tuple(items) if key in ("batch_input_shape", "target_shape", "dims") else items
  return v


# ------------------------------------------------------------------ .keras zip (KERAS.md 1.4)

def _zip_var_groups(node):
  """(sub-path, arrays) pairs for one layer's saveables."""
  w = node.weights
  if node.cls in ("LSTM", "GRU", "SimpleRNN"):
    return [("", []), ("cell", w)]
  if node.cls == "Bidirectional":
    h = len(w) // 2
    return [("", []), ("forward_layer", []), ("forward_layer/cell", w[:h]),
            ("backward_layer", []), ("backward_layer/cell", w[h:])]
  if node.cls == "TimeDistributed":
    return [("", []), ("layer", w)]
  if node.cls == "MultiHeadAttention":  # EinsumDense children by property name (Keras 3)
    per = len(w) // 4
    return [("", [])] + [(part + "_dense", w[i * per:(i + 1) * per])
                         for i, part in enumerate(("query", "key", "value", "output"))]
  return [("", w)]


def write_keras_zip(path, net, layout):
  windows = layout.fmt == "keras-win"
  sep = "\\" if windows else "/"
  # tf.keras 2.13 walked dir(model): layers sit under _layer_checkpoint_dependencies (KERAS.md
  # 1.3; Keras 3's H5Entry keeps a fallback for it).
  top = "_layer_checkpoint_dependencies" if layout.fmt == "keras-2.13" else "layers"
  buf = io.BytesIO()
  with h5py.File(buf, "w") as f:
    used = {}
    nodes = [n for n in net.layer_nodes() if not (net.sequential and n.cls == "InputLayer")]
    for node in nodes:
      key = to_snake_case(node.cls)
      if key in used:
        used[key] += 1
        key = "%s_%d" % (key, used[key])
      else:
        used[key] = 0
      for sub, arrays in _zip_var_groups(node):
        gpath = top + sep + key + (sep + sub.replace("/", sep) if sub else "")
        g = f.require_group(gpath) if not windows else f.create_group(gpath)
        v = g.create_group("vars")
        if layout.style == "k3":
          v.attrs["name"] = node.name
        for i, a in enumerate(arrays):
          v.create_dataset(str(i), data=a.astype(np.float32))
    f.create_group("vars")
    f.create_group("optimizer").create_group("vars").create_dataset("0", data=np.int64(3))
  meta = {"keras_version": layout.version, "date_saved": "2026-11-26@12:00:00"}
  with zipfile.ZipFile(path, "w") as z:
    z.writestr("metadata.json", json.dumps(meta))
    z.writestr("config.json", json.dumps(model_config(net, layout, for_zip=True)))
    z.writestr("model.weights.h5", buf.getvalue())


def write(net, layout, folder, split_layer_names=False):
  """Writes the model files; returns (model_path, architecture_path or None)."""
  import os
  if layout.fmt.startswith("keras"):
    p = os.path.join(folder, "model.keras")
    write_keras_zip(p, net, layout)
    return p, None
  if layout.fmt.startswith("weights"):
    p = os.path.join(folder, "weights.h5")
    a = os.path.join(folder, "architecture.yml" if layout.fmt == "weights-yaml"
                     else "architecture.json")
    write_weights_only(p, a, net, layout)
    return p, a
  p = os.path.join(folder, "model.h5")
  write_h5(p, net, layout, split_layer_names)
  return p, None
