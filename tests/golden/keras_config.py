"""Keras config handling for the golden harness: cleaning for tfjs and a graph view for numpy.

clean_config() rewrites config fields that TensorFlow.js Layers rejects into the forms it reads
(Keras 3 `batch_shape`, `module`/`registered_name` wrappers, dtype-policy dicts, initializer /
regularizer / constraint objects, dict-form inbound nodes). This normalisation lives here, in
the test harness, never in quiver. to_graph() turns Sequential and Functional configs into one
node list for keras_numpy_ref.
"""

import copy

_DROP_KEYS = {"module", "registered_name", "build_config", "shared_object_id", "seed",
              "quantization_config", "lora_rank", "lora_alpha", "synchronized", "time_major",
              "backward_layer", "ragged", "compile_config"}
_ACTIVATION_ALIASES = {"silu": "swish"}


def flavour(keras_version):
  """'k2' = standalone Keras 2.0-2.3, 'tfk' = tf.keras 2.x, 'k3' = Keras 3 (KERAS.md 2.3)."""
  v = (keras_version or "").strip()
  if v.startswith("3"):
    return "k3"
  if v.startswith("1"):
    return "k2"
  if v.endswith("-tf"):
    return "tfk"
  parts = v.split(".")
  try:
    major, minor = int(parts[0]), int(parts[1])
  except (ValueError, IndexError):
    return "tfk"
  if major == 1 or (major == 2 and minor <= 3):
    return "k2"
  return "tfk"


def _clean_dtype(value):
  if isinstance(value, dict):
    cfg = value.get("config", {})
    name = cfg.get("name", "float32") if isinstance(cfg, dict) else "float32"
    return "float32" if name.startswith("mixed") else name
  return value


def _clean_layer_config(cfg):
  out = {}
  for key, value in cfg.items():
    if key in _DROP_KEYS:
      continue
    if key.endswith("_initializer") or key.endswith("_regularizer") or key.endswith("_constraint"):
      continue
    if key == "dtype":  # ids are fed as float32; Embedding casts them (as Keras does)
      value = _clean_dtype(value)
      value = "float32" if value.startswith("int") or value.startswith("uint") else value
    elif key == "batch_shape":
      key = "batch_input_shape"
    elif key in ("activation", "recurrent_activation"):
      if isinstance(value, dict):
        value = value.get("config", {}).get("name", value.get("class_name"))
      value = _ACTIVATION_ALIASES.get(value, value)
    elif key in ("layer",) and isinstance(value, dict):
      value = clean_layer(value)
    elif key == "groups" and value == 1:
      continue
    out[key] = value
  return out


def _history_refs(arg, refs):
  """Collects [layer, node, tensor] from Keras 3 nested `__keras_tensor__` args."""
  if isinstance(arg, dict):
    if arg.get("class_name") == "__keras_tensor__":
      h = arg["config"]["keras_history"]
      refs.append([h[0], h[1], h[2], {}])
    else:
      for v in arg.values():
        _history_refs(v, refs)
  elif isinstance(arg, (list, tuple)):
    for v in arg:
      _history_refs(v, refs)


_TENSOR_KWARGS = ("query", "value", "key")  # attention layers' tensor keyword arguments


def inbound_lists(nodes):
  """Inbound nodes in the Keras 2 list form [[[layer, node, tensor, kwargs], ...], ...].

  Tensors passed by keyword (query=, value=, key=: Keras 3 node kwargs, or tf.keras' first
  entry kwargs as [layer, node, tensor]) follow the positional ones; the other call kwargs
  (use_causal_mask, ...) stay in the first entry's kwargs."""
  out = []
  for node in nodes or []:
    if isinstance(node, dict):
      refs = []
      _history_refs(node.get("args", []), refs)
      kwargs = dict(node.get("kwargs", {}))
      for key in _TENSOR_KWARGS:
        if key in kwargs:
          _history_refs(kwargs.pop(key), refs)
      if refs and kwargs:
        refs[0][3] = kwargs
      out.append(refs)
    else:
      refs = [list(r) + [{}] * (4 - len(r)) if len(r) < 4 else list(r) for r in node]
      if refs and isinstance(refs[0][3], dict):
        kwargs = dict(refs[0][3])
        for key in _TENSOR_KWARGS:
          if key in kwargs:
            refs.append(list(kwargs.pop(key))[:3] + [{}])
        refs[0][3] = kwargs
      out.append(refs)
  return out


def clean_layer(layer):
  out = {"class_name": layer["class_name"], "config": _clean_layer_config(layer["config"])}
  if "name" in layer:
    out["name"] = layer["name"]
  if "inbound_nodes" in layer:
    out["inbound_nodes"] = [[[r[0], r[1], r[2], {}] for r in node]
                            for node in inbound_lists(layer["inbound_nodes"])]
    # call kwargs (use_causal_mask, ...) per node, for the numpy reference only (tfjs gets
    # the plain nodes above)
    out["call_kwargs"] = [node[0][3] if node else {}
                          for node in inbound_lists(layer["inbound_nodes"])]
  return out


def _io_refs(refs):
  if refs and isinstance(refs[0], str):  # a single [name, node, tensor]
    return [list(refs)]
  return [list(r) for r in refs]


_K1_RENAMES = {"inner_activation": "recurrent_activation", "border_mode": "padding",
               "nb_filter": "filters", "bias": "use_bias"}


def from_keras1(config):
  """Keras 1.x layer configs -> Keras 2 keys, as Keras 2's legacy interfaces do on load."""
  body = config["config"]
  layers = body if isinstance(body, list) else body.get("layers", [])
  for layer in layers:
    cfg = layer["config"]
    for old, new in _K1_RENAMES.items():
      if old in cfg:
        cfg[new] = cfg.pop(old)
    if layer["class_name"] in ("LSTM", "GRU", "SimpleRNN", "Dense") and "output_dim" in cfg:
      cfg["units"] = cfg.pop("output_dim")
    if "filter_length" in cfg:
      cfg["kernel_size"] = [cfg.pop("filter_length")]
    if "subsample_length" in cfg:
      cfg["strides"] = [cfg.pop("subsample_length")]
    cfg.pop("input_dtype", None)
  return config


def _fill_defaults(layer, flav):
  """Recurrent defaults by version, used only when the config lacks the key (KERAS.md 2.3)."""
  cfg = layer["config"]
  if layer["class_name"] in ("LSTM", "GRU"):
    cfg.setdefault("recurrent_activation", "hard_sigmoid" if flav == "k2" else "sigmoid")
  if layer["class_name"] == "GRU":
    cfg.setdefault("reset_after", flav != "k2")
  if isinstance(cfg.get("layer"), dict):
    _fill_defaults(cfg["layer"], flav)
  return layer


def clean_config(config, flav="tfk"):
  """A deep-cleaned copy of a {"class_name", "config"} model config."""
  config = copy.deepcopy(config)
  clean = lambda l: _fill_defaults(clean_layer(l), flav)
  cls = config["class_name"]
  body = config["config"]
  if cls == "Sequential":
    layers = body if isinstance(body, list) else body["layers"]
    return {"class_name": "Sequential",
            "config": {"name": "sequential" if isinstance(body, list) else body.get("name"),
                       "layers": [clean(l) for l in layers]}}
  return {"class_name": "Model",
          "config": {"name": body.get("name", "model"),
                     "layers": [clean(l) for l in body["layers"]],
                     "input_layers": _io_refs(body["input_layers"]),
                     "output_layers": _io_refs(body["output_layers"])}}


def to_graph(cleaned):
  """Functional view: (layers [{name, class_name, config, inbound}], inputs, outputs).

  inbound is a list of nodes, each a list of (layer, node, tensor). A Sequential becomes a
  chain behind one InputLayer (taken from the config or made from batch_input_shape).
  """
  body = cleaned["config"]
  if cleaned["class_name"] != "Sequential":
    layers = [{"name": l.get("name", l["config"].get("name")), "class_name": l["class_name"],
               "config": l["config"],
               "inbound": [[tuple(r[:3]) for r in n] for n in l.get("inbound_nodes", [])],
               "call_kwargs": l.get("call_kwargs", [])}
              for l in body["layers"]]
    return layers, [tuple(r[:3]) for r in body["input_layers"]], \
        [tuple(r[:3]) for r in body["output_layers"]]
  layers, prev = [], None
  for l in body["layers"]:
    if l["class_name"] == "InputLayer":
      node = {"name": l["config"]["name"], "class_name": "InputLayer", "config": l["config"],
              "inbound": []}
      layers.append(node)
      prev = node["name"]
      continue
    if prev is None:
      shape = l["config"].get("batch_input_shape")
      layers.append({"name": "__input__", "class_name": "InputLayer",
                     "config": {"batch_input_shape": shape}, "inbound": []})
      prev = "__input__"
    layers.append({"name": l["config"]["name"], "class_name": l["class_name"],
                   "config": l["config"], "inbound": [[(prev, 0, 0)]]})
    prev = l["config"]["name"]
  return layers, [(layers[0]["name"], 0, 0)], [(prev, 0, 0)]
