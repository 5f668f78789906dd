#!/usr/bin/python3
"""Checks a quiver-trained .h5 with h5py (independent of quiver's reader): the tf.keras 2.x
layout Keras' legacy loader expects. usage: check_h5_layout.py MODEL.h5 TYPE
Prints "ok" or raises."""
import json
import sys

import h5py

path, arch = sys.argv[1], sys.argv[2]
f = h5py.File(path, "r")
assert f.attrs["backend"] == "tensorflow", f.attrs["backend"]
assert f.attrs["keras_version"].startswith("2."), f.attrs["keras_version"]
config = json.loads(f.attrs["model_config"].decode("utf8") if isinstance(f.attrs["model_config"], bytes)
                    else f.attrs["model_config"])
assert config["class_name"] == "Sequential"
layers = config["config"]["layers"]
assert layers[0]["class_name"] == "InputLayer"
mw = f["model_weights"]
names = [n.decode("utf8") for n in mw.attrs["layer_names"]]
assert names == [l["config"]["name"] for l in layers[1:]], names
rnn = {"lstm": ("lstm", 4), "bilstm": ("lstm", 4), "gru": ("gru", 3), "bigru": ("gru", 3)}
emb = layers[1]["config"]
for name in names:
  g = mw[name]
  wnames = [n.decode("utf8") for n in g.attrs["weight_names"]]
  for w in wnames:
    assert w.startswith(name + "/") and w.endswith(":0"), w
    assert isinstance(g[w], h5py.Dataset), w
    assert g[w].dtype == "float32"
  if name == "embedding":
    assert g[wnames[0]].shape == (emb["input_dim"], emb["output_dim"])
  if arch in rnn and name in ("lstm", "gru", "bidirectional"):
    cell, gates = rnn[arch]
    expected = 6 if arch.startswith("bi") else 3
    assert len(wnames) == expected, wnames
    kernel = g[wnames[0]]
    units = layers[3]["config"].get("units") or layers[3]["config"]["layer"]["config"]["units"]
    assert kernel.shape == (emb["output_dim"], gates * units), kernel.shape
    assert g[wnames[1]].shape == (units, gates * units)
    bias_shape = (2, 3 * units) if cell == "gru" else (4 * units,)
    assert g[wnames[2]].shape == bias_shape, g[wnames[2]].shape
    if arch.startswith("bi"):
      assert "forward_" in wnames[0] and "backward_" in wnames[3], wnames
    else:
      assert wnames[0] == f"{cell}/{cell}_cell/kernel:0", wnames
assert "top_level_model_weights" in mw
labels = json.loads(f.attrs["quiver_labels"])
assert isinstance(labels, list) and len(labels) >= 2
assert int(f.attrs["quiver_maxlen"]) == emb["input_length"]
assert f.attrs["quiver_padding"] in ("pre", "post")
tok = json.loads(f.attrs["quiver_tokenizer"])
assert tok["class_name"] == "Tokenizer"
# Keras' own tokenizer_from_json (Debian's python3-keras-preprocessing) reads the side file.
from keras_preprocessing.text import tokenizer_from_json
side = path[:-3] + ".tokenizer.json"
t = tokenizer_from_json(open(side).read())
assert t.num_words == tok["config"]["num_words"]
print("ok")
