"""Reads a Keras model file into (config, weights) for the golden reference harness.

Written from ../shared/KERAS.md section 1 and from inspecting real files with h5py; it shares
no code with quiver's C++ reader. Formats are detected from the bytes:
  * HDF5 full model (`model.save`): root attribute `model_config`, weights in /model_weights;
  * HDF5 weights only (`save_weights`): `layer_names` on the root, architecture given apart
    (JSON from `to_json()` or YAML from `to_yaml()`, possibly double-encoded);
  * `.keras` zip (Keras 3 / tf.keras 2.15): config.json + model.weights.h5 with
    `layers/<snake_case(class)>[_n]/vars/<i>` groups (`\\` accepted as a separator).
Weights come out per layer name, in `layer.get_weights()` order.
"""

import io
import json
import re
import zipfile

import h5py
import numpy as np
import yaml


class ModelData:
  """A loaded model: Keras config dict, version string and weights per layer name."""

  def __init__(self, config, keras_version, weights, fmt):
    self.config = config  # {"class_name": ..., "config": ...}
    self.keras_version = keras_version or ""
    self.weights = weights  # layer name -> [np.ndarray] in get_weights order
    self.format = fmt


def _text(value):
  if isinstance(value, bytes):
    return value.decode("utf-8")
  if isinstance(value, np.ndarray) and value.shape == ():
    return _text(value[()])
  return str(value)


def _string_list(attrs, key):
  """A list-of-strings attribute, including the split form key0, key1, ... (Keras 2.2+)."""
  if key in attrs:
    values = attrs[key]
  else:
    values, n = [], 0
    while "%s%d" % (key, n) in attrs:
      values.extend(list(attrs["%s%d" % (key, n)]))
      n += 1
  out = []
  for v in np.asarray(values).reshape(-1):
    s = _text(v).rstrip("\0")
    out.append(s)
  return out


def _decode_json(text):
  value = json.loads(text)
  while isinstance(value, str):  # double-encoded
    value = json.loads(value)
  return value


class _YamlLoader(yaml.SafeLoader):
  pass


_YamlLoader.add_constructor("tag:yaml.org,2002:python/tuple",
                            lambda loader, node: loader.construct_sequence(node))
_YamlLoader.add_constructor("tag:yaml.org,2002:python/unicode",
                            lambda loader, node: loader.construct_scalar(node))


def read_architecture(path):
  with open(path, "rb") as f:
    raw = f.read().decode("utf-8")
  try:
    return _decode_json(raw)
  except ValueError:
    pass
  value = yaml.load(raw, Loader=_YamlLoader)
  while isinstance(value, str):
    value = yaml.load(value, Loader=_YamlLoader)
  return value


def _h5_layer_weights(group):
  """layer name -> arrays, following layer_names / weight_names order (never parsing names)."""
  weights = {}
  for name in _string_list(group.attrs, "layer_names"):
    g = group[name]
    names = _string_list(g.attrs, "weight_names")
    weights[name] = [np.array(g[w]) for w in names]
  return weights


def _read_h5(f, architecture):
  version = _text(f.attrs.get("keras_version", ""))
  if "model_config" in f.attrs:
    config = _decode_json(_text(f.attrs["model_config"]))
    group = f["model_weights"]
    fmt = "h5"
  else:
    if architecture is None:
      raise ValueError("weights-only .h5 needs --architecture")
    config = read_architecture(architecture)
    group = f["model_weights"] if ("layer_names" not in f.attrs and "model_weights" in f) else f
    fmt = "h5-weights"
  if not version:
    version = _text(group.attrs.get("keras_version", ""))
  if not version:  # Keras 1 wrote no keras_version; Keras 2's loader calls such files '1'
    version = "1"
  if architecture is not None and fmt == "h5":
    config = read_architecture(architecture)
  return ModelData(config, version, _h5_layer_weights(group), fmt)


def to_snake_case(name):
  """Keras 3 keras/src/utils/naming.py::to_snake_case."""
  name = re.sub(r"\W+", "", name)
  name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
  return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _vars(h5, path):
  g = h5.get(path + "/vars")
  if g is None and path.startswith("layers/"):  # tf.keras 2.13 (Keras 3 H5Entry fallback)
    g = h5.get("_layer_checkpoint_dependencies/" + path[len("layers/"):] + "/vars")
  if g is None:
    return []
  keys = sorted(g.keys(), key=int)
  return [np.array(g[k]) for k in keys]


def _keras_layer_vars(h5, path, layer):
  cls = layer["class_name"]
  if cls == "Bidirectional":
    out = []
    for half in ("forward_layer", "backward_layer"):
      out += _vars(h5, path + "/" + half) + _vars(h5, path + "/" + half + "/cell")
    return out
  if cls == "TimeDistributed":
    return _vars(h5, path) + _vars(h5, path + "/layer")
  if cls == "MultiHeadAttention":
    return [a for part in ("query", "key", "value", "output")
            for a in _vars(h5, "%s/%s_dense" % (path, part))]
  return _vars(h5, path) + _vars(h5, path + "/cell")


class _SlashH5:
  """Wraps an h5py.File whose group names use '\\' (archives written on Windows)."""

  def __init__(self, f):
    self.items = {}
    f.visititems(lambda n, o: self.items.__setitem__(n.replace("\\", "/"), o))

  def get(self, path):
    return self.items.get(path)


def _read_keras_zip(data, architecture):
  z = zipfile.ZipFile(io.BytesIO(data))
  names = {n.replace("\\", "/"): n for n in z.namelist()}
  meta = json.loads(z.read(names["metadata.json"]))
  config = json.loads(z.read(names["config.json"]))
  h5 = _SlashH5(h5py.File(io.BytesIO(z.read(names["model.weights.h5"])), "r"))
  layers = config["config"]["layers"]
  used, weights = {}, {}
  for layer in layers:
    if config["class_name"] == "Sequential" and layer["class_name"] == "InputLayer":
      continue
    key = to_snake_case(layer["class_name"])
    if key in used:
      used[key] += 1
      key = "%s_%d" % (key, used[key])
    else:
      used[key] = 0
    weights[layer["config"]["name"]] = _keras_layer_vars(h5, "layers/" + key, layer)
  return ModelData(config, meta.get("keras_version", ""), weights, "keras")


def keras1_weights(cls, arrays):
  """Keras 2 preprocess_weights_for_loading for Keras 1 files (KERAS.md 1.2).

  LSTM: 12 arrays W,U,b per gate in order i, c, f, o -> kernel/recurrent/bias in i, f, c, o.
  GRU: 9 arrays per gate z, r, h -> concatenated in the same order.
  """
  if cls == "LSTM" and len(arrays) == 12:
    order = [0, 6, 3, 9]  # i, f, c, o
  elif cls == "GRU" and len(arrays) == 9:
    order = [0, 3, 6]
  else:
    return arrays
  return [np.concatenate([arrays[k + j] for k in order], axis=-1) for j in range(3)]


def read_model(path, architecture=None):
  with open(path, "rb") as f:
    data = f.read()
  if data[:4] == b"PK\x03\x04":
    return _read_keras_zip(data, architecture)
  if data[:8] == b"\x89HDF\r\n\x1a\n":
    with h5py.File(io.BytesIO(data), "r") as f:
      return _read_h5(f, architecture)
  raise ValueError("%s: neither an HDF5 file nor a zip archive" % path)
