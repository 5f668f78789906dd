"""Writes Keras files whose first layer is TextVectorization (the model takes raw strings).

A body Net (net_builder.py, an id or vector model) is written by model_writer.py; this module
puts InputLayer(dtype string) -> TextVectorization in front of it, in the layout Keras writes:
  * config: TextVectorization.get_config (keras@3422977 keras/src/layers/preprocessing/
    text_vectorization.py lines 491-510): max_tokens, standardize, split, ngrams, output_mode,
    output_sequence_length, pad_to_max_tokens, sparse, ragged, vocabulary (only when given at
    construction: index_lookup.py::get_config writes input_vocabulary), idf_weights, encoding,
    vocabulary_size;
  * .keras: saving_lib.py::_save_state (lines 797-805) gives the layer a vars group (tf_idf:
    dataset "idf_weights", index_lookup.py::save_own_variables lines 926-928) and writes its
    assets under assets/<inner path>/: vocabulary.txt = "\\n".join(get_vocabulary())
    (index_lookup.py::save_assets lines 939-947); Keras 3 walks the StringLookup child
    `_lookup_layer` too and writes the same files under .../_lookup_layer/. An adapted layer
    keeps vocabulary null in the config.
  * .h5: the vocabulary is in the config (a layer built with vocabulary=[...]).
"""

import io
import json
import zipfile

import h5py
import numpy as np

import model_writer
import nested_writer


def tv_config(name, style, vocabulary=None, in_config=False, output_mode="int",
              standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
              output_sequence_length=None, idf_weights=None, max_tokens=None,
              pad_to_max_tokens=False, ragged=False):
  cfg = {"name": name, "trainable": True, "dtype": model_writer._dtype(style),
         "max_tokens": max_tokens, "standardize": standardize, "split": split, "ngrams": ngrams,
         "output_mode": output_mode, "output_sequence_length": output_sequence_length,
         "pad_to_max_tokens": pad_to_max_tokens, "sparse": False, "ragged": ragged,
         "vocabulary": list(vocabulary) if in_config else None,
         "idf_weights": (list(map(float, idf_weights)) if in_config and idf_weights is not None
                         else None),
         "encoding": "utf-8", "vocabulary_size": None}
  return cfg


def _rename_refs(value, old, new):
  if isinstance(value, list):
    return [_rename_refs(v, old, new) for v in value]
  if isinstance(value, dict):
    return {k: _rename_refs(v, old, new) for k, v in value.items()}
  return new if value == old else value


def text_config(net, layout, tv, for_zip):
  """The model config with InputLayer(string) -> TextVectorization in front of the body."""
  config = model_writer.model_config(net, layout, for_zip)
  style = layout.style
  layers = config["config"]["layers"]
  inp = layers[0]
  assert inp["class_name"] == "InputLayer", "the body must start with an InputLayer entry"
  icfg = inp["config"]
  key = "batch_shape" if "batch_shape" in icfg else "batch_input_shape"
  icfg[key] = [None, 1] if style == "k3" else [None]  # keras.Input(shape=(1,) | (), "string")
  icfg["dtype"] = "string"
  entry = {"class_name": "TextVectorization", "config": tv}
  if for_zip:
    entry = {"module": "keras.layers", "class_name": "TextVectorization", "config": tv,
             "registered_name": None}
  if net.sequential:
    layers[1]["config"].pop("batch_input_shape", None)
    layers.insert(1, entry)
    return config
  entry["name"] = tv["name"]
  name = inp["name"]
  for l in layers[1:]:
    l["inbound_nodes"] = _rename_refs(l["inbound_nodes"], name, tv["name"])
  if style == "k3":
    tensor = {"class_name": "__keras_tensor__",
              "config": {"shape": [None, 1], "dtype": "string", "keras_history": [name, 0, 0]}}
    entry["inbound_nodes"] = [{"args": [tensor], "kwargs": {}}]
  else:
    entry["inbound_nodes"] = [[[name, 0, 0, {}]]]
  layers.insert(1, entry)
  return config


def vocabulary_file(vocab, crlf=False):
  text = "\n".join(vocab)
  return (text.replace("\n", "\r\n") if crlf else text).encode("utf-8")


def write_text_keras(path, net, layout, tv, vocab_file_terms, idf=None, crlf=False):
  """A .keras archive; vocab_file_terms is get_vocabulary() (special tokens included)."""
  tmp = io.BytesIO()
  model_writer.write_keras_zip(tmp, net, layout)
  src = zipfile.ZipFile(io.BytesIO(tmp.getvalue()))
  weights = io.BytesIO(src.read("model.weights.h5"))
  top = "_layer_checkpoint_dependencies" if layout.fmt == "keras-2.13" else "layers"
  obj = top + "/" + tv["name"]
  with h5py.File(weights, "r+") as f:
    paths = [obj] + ([obj + "/_lookup_layer"] if layout.style == "k3" else [])
    for p in paths:
      v = f.require_group(p).create_group("vars")
      if layout.style == "k3":
        v.attrs["name"] = tv["name"] if p == obj else "string_lookup"
      if idf is not None:
        v.create_dataset("idf_weights", data=np.asarray(idf, dtype=np.float32))
  data = vocabulary_file(vocab_file_terms, crlf) if tv["vocabulary"] is None else None
  with zipfile.ZipFile(path, "w") as z:
    z.writestr("metadata.json", src.read("metadata.json"))
    z.writestr("config.json", json.dumps(text_config(net, layout, tv, for_zip=True)))
    z.writestr("model.weights.h5", weights.getvalue())
    if data is not None:
      z.writestr("assets/%s/vocabulary.txt" % obj, data)
      if layout.style == "k3":
        z.writestr("assets/%s/_lookup_layer/vocabulary.txt" % obj, data)


def write_text_h5(path, net, layout, tv):
  """A full-model .h5 (model.save) with the vocabulary in the TextVectorization config."""
  model_writer.write_h5(path, net, layout)
  with h5py.File(path, "r+") as f:
    text = json.dumps(text_config(net, layout, tv, for_zip=False))
    del f.attrs["model_config"]
    f.attrs.create("model_config", text, dtype=h5py.string_dtype("ascii"))


def nested_config(net, layout, tv, for_zip, outer="Sequential"):
  """The Keras tutorials' end-to-end model: the trained body model nested behind
  InputLayer(string) -> TextVectorization, then Activation("sigmoid")
  (`Sequential([vectorize_layer, model, Activation("sigmoid")])`, or the functional
  `keras.Model(inputs, model(vectorize_layer(inputs)))` form)."""
  style = layout.style
  body = model_writer.model_config(net, layout, for_zip)
  body_entry = dict(body)
  body_name = body["config"]["name"]
  inp_cfg = {"batch_shape" if style == "k3" else "batch_input_shape":
             [None, 1] if style == "k3" else [None], "dtype": "string", "sparse": False,
             "name": "text"}
  inp = {"class_name": "InputLayer", "config": inp_cfg}
  tv_entry = {"class_name": "TextVectorization", "config": tv}
  act = {"class_name": "Activation",
         "config": {"name": "activation", "trainable": True, "dtype": model_writer._dtype(style),
                    "activation": "sigmoid"}}
  if for_zip:
    inp, tv_entry, act = [dict({"module": "keras.layers"}, **e, registered_name=None)
                          for e in (inp, tv_entry, act)]
  if outer == "Sequential":
    layers = [inp, tv_entry, body_entry, act]
    out = {"class_name": "Sequential", "config": {"name": "export_model", "layers": layers}}
    return dict({"module": "keras"}, **out, registered_name=None) if for_zip else out

  def call(src):
    if style == "k3":
      return [{"args": [{"class_name": "__keras_tensor__",
                         "config": {"shape": [None], "dtype": "float32",
                                    "keras_history": [src, 0, 0]}}], "kwargs": {}}]
    return [[[src, 0, 0, {}]]]
  for e, name, src in ((inp, "text", None), (tv_entry, tv["name"], "text"),
                       (body_entry, body_name, tv["name"]), (act, "activation", body_name)):
    e["name"] = name
    e["inbound_nodes"] = call(src) if src else []
  out = {"class_name": "Functional",
         "config": {"name": "end_to_end", "layers": [inp, tv_entry, body_entry, act],
                    "input_layers": [["text", 0, 0]], "output_layers": [["activation", 0, 0]]}}
  return dict({"module": "keras"}, **out, registered_name=None) if for_zip else out


def write_nested_keras(path, net, layout, tv, vocab_terms, outer="Sequential"):
  """.keras: the body's layers/ go under layers/<sequential|functional>/layers/."""
  tmp = io.BytesIO()
  model_writer.write_keras_zip(tmp, net, layout)
  src = zipfile.ZipFile(io.BytesIO(tmp.getvalue()))
  inner_key = "sequential" if net.sequential else "functional"
  out = io.BytesIO()
  with h5py.File(io.BytesIO(src.read("model.weights.h5")), "r") as a, h5py.File(out, "w") as b:
    b.create_group("layers/text_vectorization/vars")
    b.create_group("layers/activation/vars")
    dst = b.create_group("layers/%s/layers" % inner_key)
    b["layers/%s" % inner_key].create_group("vars")
    for k in a["layers"]:
      a.copy(a["layers"][k], dst, name=k)
    b.create_group("vars")
  with zipfile.ZipFile(path, "w") as z:
    z.writestr("metadata.json", src.read("metadata.json"))
    z.writestr("config.json", json.dumps(nested_config(net, layout, tv, True, outer)))
    z.writestr("model.weights.h5", out.getvalue())
    z.writestr("assets/layers/text_vectorization/vocabulary.txt", vocabulary_file(vocab_terms))


def write_nested_h5(path, net, layout, tv, outer="Sequential"):
  """.h5 (tf.keras model.save): the nested model is one layer_names entry whose group lists
  every inner weight under its variable name ("embedding/embeddings:0", ...)."""
  model_writer.write_h5(path, net, layout)
  with h5py.File(path, "r+") as f:
    body_name = json.loads(f.attrs["model_config"])["config"]["name"]
    mw = f["model_weights"]
    inner = [n.decode() if isinstance(n, bytes) else n for n in mw.attrs["layer_names"]]
    nested_writer.nest_weight_groups(mw, body_name, inner, layout)
    model_writer._set_list(mw.attrs, "layer_names",
                           ["text_vectorization", body_name, "activation"], layout)
    for n in ("text_vectorization", "activation"):
      model_writer._set_list(mw.create_group(n).attrs, "weight_names", [], layout)
    del f.attrs["model_config"]
    f.attrs.create("model_config", json.dumps(nested_config(net, layout, tv, False, outer)),
                   dtype=h5py.string_dtype("ascii"))


def multi_text_config(net, layout, tvs, for_zip):
  """A several-input body with some inputs taking strings: each named InputLayer in `tvs`
  (input name -> TextVectorization config) becomes InputLayer(string) -> TextVectorization,
  the body's layers fed by the TextVectorization instead (keras.Input(shape=(1,),
  dtype="string") per text, as a functional model with a text and a numeric input is built)."""
  config = model_writer.model_config(net, layout, for_zip)
  style = layout.style
  layers = config["config"]["layers"]
  for input_name, tv in tvs.items():
    at = next(i for i, l in enumerate(layers) if l.get("name", l["config"].get("name")) ==
              input_name)
    icfg = layers[at]["config"]
    key = "batch_shape" if "batch_shape" in icfg else "batch_input_shape"
    icfg[key] = [None, 1] if style == "k3" else [None]
    icfg["dtype"] = "string"
    for l in layers:
      if l["class_name"] != "InputLayer":
        l["inbound_nodes"] = _rename_refs(l["inbound_nodes"], input_name, tv["name"])
    entry = {"class_name": "TextVectorization", "config": tv, "name": tv["name"]}
    if for_zip:
      entry.update({"module": "keras.layers", "registered_name": None})
    if style == "k3":
      tensor = {"class_name": "__keras_tensor__",
                "config": {"shape": [None, 1], "dtype": "string",
                           "keras_history": [input_name, 0, 0]}}
      entry["inbound_nodes"] = [{"args": [tensor], "kwargs": {}}]
    else:
      entry["inbound_nodes"] = [[[input_name, 0, 0, {}]]]
    layers.insert(at + 1, entry)
  return config


def write_multi_text(path, net, layout, tvs, vocab_terms):
  """.keras (vocabularies as assets unless in the config) or .h5 (vocabularies in the
  configs) for multi_text_config; vocab_terms: TextVectorization name -> get_vocabulary()."""
  if not path.endswith(".keras"):
    model_writer.write_h5(path, net, layout)
    with h5py.File(path, "r+") as f:
      del f.attrs["model_config"]
      f.attrs.create("model_config", json.dumps(multi_text_config(net, layout, tvs, False)),
                     dtype=h5py.string_dtype("ascii"))
    return
  tmp = io.BytesIO()
  model_writer.write_keras_zip(tmp, net, layout)
  src = zipfile.ZipFile(io.BytesIO(tmp.getvalue()))
  weights = io.BytesIO(src.read("model.weights.h5"))
  with h5py.File(weights, "r+") as f:
    for tv in tvs.values():
      for p in ["layers/" + tv["name"], "layers/" + tv["name"] + "/_lookup_layer"]:
        f.require_group(p).create_group("vars").attrs["name"] = tv["name"]
  with zipfile.ZipFile(path, "w") as z:
    z.writestr("metadata.json", src.read("metadata.json"))
    z.writestr("config.json", json.dumps(multi_text_config(net, layout, tvs, True)))
    z.writestr("model.weights.h5", weights.getvalue())
    for tv in tvs.values():
      if tv["vocabulary"] is None:
        data = vocabulary_file(vocab_terms[tv["name"]])
        z.writestr("assets/layers/%s/vocabulary.txt" % tv["name"], data)
        z.writestr("assets/layers/%s/_lookup_layer/vocabulary.txt" % tv["name"], data)
