"""Rewrites a model file whose chain of shared layers is called several times (a siamese
encoder: Embedding -> LSTM on text_a and on text_b) into the same model with that chain as a
nested Sequential or Functional model called once per input, as Keras saves
`encoder = keras.Sequential([...]); keras.Model([a, b], head(encoder(a), encoder(b)))`.

The golden reference runs the flat file (shared layers: tfjs and the numpy reference support
them); quiver loads the nested one. Keras runs a nested model's layers on each call's tensors
(keras@3422977 keras/src/models/functional.py: a Functional is a Layer whose call runs its
graph; tf.keras 2.x functional.py `_run_internal_graph`), so both files compute the same.

Layouts:
  * config: the nested model is one entry of the outer `layers`, its inbound_nodes one per
    call (the inner chain's first layer's calls), refs to the chain's last layer node c
    become refs to the nested model node c (Keras reindexes a layer's nodes to those inside
    the network: tf.keras functional.py get_network_config `node_conversion_map`, Keras 3
    functional.py get_config `node_reindexing_map`); the inner config lists each layer with
    its first call only.
  * .h5 (tf.keras model.save, hdf5_format.save_weights_to_hdf5_group): the nested model is one
    layer_names entry whose group holds every inner weight under its variable name.
  * .keras (Keras 3 saving_lib, which keys a list's layers by their snake-cased class name):
    layers/sequential|functional/layers/<inner layer>/..., layers/sequential|functional/vars.
"""

import io
import json
import zipfile

import h5py
import numpy as np

import model_writer


def nest_weight_groups(mw, nested_name, layers, layout):
  """.h5 model_weights: the groups of `layers` become one group `nested_name` holding every
  weight under its variable name ("embedding/embeddings:0", ...), as tf.keras saves a
  nested model (hdf5_format.save_weights_to_hdf5_group)."""
  g = mw.create_group(nested_name)
  names = []
  for layer in layers:
    lg = mw[layer]
    for w in lg.attrs["weight_names"]:
      w = w.decode() if isinstance(w, bytes) else w
      g.create_dataset(w, data=np.asarray(lg[w]))
      names.append(w)
    del mw[layer]
  model_writer._set_list(g.attrs, "weight_names", names, layout)


def _rename(value, old, new):
  """Replaces refs to layer `old` ([name, node, tensor(, kwargs)] lists and Keras 3
  keras_history) by refs to `new`, keeping node and tensor indices."""
  if isinstance(value, list):
    if len(value) >= 3 and value[0] == old and isinstance(value[1], int):
      return [new] + value[1:]
    return [_rename(v, old, new) for v in value]
  if isinstance(value, dict):
    return {k: _rename(v, old, new) for k, v in value.items()}
  return value


def _input_ref(name, style):
  if style == "k3":
    return {"args": [{"class_name": "__keras_tensor__",
                      "config": {"shape": [None, None], "dtype": "float32",
                                 "keras_history": [name, 0, 0]}}], "kwargs": {}}
  return [[name, 0, 0, {}]]


def nested_config(flat, inner_names, nested_name, kind, style, seq_len):
  """The flat config with layers `inner_names` (a chain) moved into a nested model."""
  layers = flat["config"]["layers"]
  by_name = {l.get("name", l["config"].get("name")): l for l in layers}
  inner = [by_name[n] for n in inner_names]
  first, last = inner[0], inner[-1]
  in_name = nested_name + "_input"
  in_cfg = {"batch_shape" if style == "k3" else "batch_input_shape": [None, seq_len],
            "dtype": "float32", "sparse": False, "name": in_name}
  inp = {"class_name": "InputLayer", "config": in_cfg}
  if "module" in first:
    inp = dict({"module": "keras.layers"}, **inp, registered_name=None)
  inner_layers = []
  prev = in_name
  for l in inner:
    e = dict(l)
    if kind == "Sequential":
      e.pop("inbound_nodes", None)
      e.pop("name", None)
    else:
      e["inbound_nodes"] = [_input_ref(prev, style)]
      prev = e["name"]
    inner_layers.append(e)
  if kind == "Sequential":
    body = {"name": nested_name, "layers": [inp] + inner_layers}
  else:
    inp = dict(inp, name=in_name, inbound_nodes=[])
    body = {"name": nested_name, "layers": [inp] + inner_layers,
            "input_layers": [[in_name, 0, 0]], "output_layers": [[last["name"], 0, 0]]}
  entry = {"class_name": kind, "config": body, "name": nested_name,
           "inbound_nodes": first["inbound_nodes"]}
  if "module" in first:
    entry = dict({"module": "keras"}, **entry, registered_name=None)
  out_layers = []
  for l in layers:
    if l is first:
      out_layers.append(entry)
    elif not any(l is x for x in inner):
      out_layers.append(_rename(l, last["name"], nested_name))
  out = json.loads(json.dumps(flat))
  out["config"]["layers"] = out_layers
  out["config"]["output_layers"] = _rename(flat["config"]["output_layers"], last["name"],
                                           nested_name)
  return out


def write_nested(flat_path, out_path, layout, inner_names, kind, seq_len,
                 nested_name="encoder"):
  style = layout.style
  if flat_path.endswith(".keras"):
    src = zipfile.ZipFile(flat_path)
    flat = json.loads(src.read("config.json"))
    cfg = nested_config(flat, inner_names, nested_name, kind, style, seq_len)
    out = io.BytesIO()
    with h5py.File(io.BytesIO(src.read("model.weights.h5")), "r") as a, \
        h5py.File(out, "w") as b:
      for k in a:
        if k != "layers":
          a.copy(a[k], b, name=k)
      dst = b.create_group("layers")
      for k in a["layers"]:
        if k not in inner_names:
          a.copy(a["layers"][k], dst, name=k)
      # saving_lib keys a layer list's items by their snake-cased class name.
      key = "sequential" if kind == "Sequential" else "functional"
      inner = dst.create_group(key + "/layers")
      dst[key].create_group("vars")
      for k in inner_names:
        a.copy(a["layers"][k], inner, name=k)
    with zipfile.ZipFile(out_path, "w") as z:
      z.writestr("metadata.json", src.read("metadata.json"))
      z.writestr("config.json", json.dumps(cfg))
      z.writestr("model.weights.h5", out.getvalue())
    return
  with h5py.File(flat_path, "r") as f:
    flat = json.loads(f.attrs["model_config"])
  cfg = nested_config(flat, inner_names, nested_name, kind, style, seq_len)
  import shutil
  shutil.copyfile(flat_path, out_path)
  with h5py.File(out_path, "r+") as f:
    mw = f["model_weights"]
    names = [n.decode() if isinstance(n, bytes) else n for n in mw.attrs["layer_names"]]
    nest_weight_groups(mw, nested_name, inner_names, layout)
    at = names.index(inner_names[0])
    names = [n for n in names if n not in inner_names]
    names.insert(at, nested_name)
    model_writer._set_list(mw.attrs, "layer_names", names, layout)
    del f.attrs["model_config"]
    f.attrs.create("model_config", json.dumps(cfg), dtype=h5py.string_dtype("ascii"))
