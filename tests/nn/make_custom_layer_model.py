#!/usr/bin/python3
"""Writes small models that use a custom Keras layer, and their float64 numpy outputs.

Usage: make_custom_layer_model.py OUT_DIR

The custom layer is the attention pooling many published Keras text classifiers define
themselves (class AttentionLayer(keras.layers.Layer), weights W [d,d], b [d], u [d]):
  e_t = tanh(x_t W + b) . u, a = softmax over the unmasked steps, out = sum_t a_t x_t.
The model: Input(6) -> Embedding(20, 8, mask_zero=True) -> AttentionLayer -> Dense(3, softmax),
written as a tf.keras 2.11 .h5 (model_weights/<layer>/<layer>/<var>:0, get_weights() order
W, b, u) and as a Keras 3 .keras zip (layers/<snake_case class>/vars/0..2; a custom class
is keyed by its snake-cased class name like any other, keras/src/saving/saving_lib.py).
Also writes the same model with the class names MysteryLayer (never registered) and
RefusingLayer (its factory refuses it). expected.json: the numpy outputs for inputs.json.
"""
import io
import json
import os
import sys
import zipfile

import h5py
import numpy as np

T, V, D, C = 6, 20, 8, 3


def weights():
    rng = np.random.default_rng(16)
    return {
        "embeddings": rng.uniform(-1, 1, (V, D)).astype(np.float32),
        "W": rng.uniform(-0.6, 0.6, (D, D)).astype(np.float32),
        "b": rng.uniform(-0.2, 0.2, (D,)).astype(np.float32),
        "u": rng.uniform(-1, 1, (D,)).astype(np.float32),
        "kernel": rng.uniform(-1, 1, (D, C)).astype(np.float32),
        "bias": rng.uniform(-0.3, 0.3, (C,)).astype(np.float32),
    }


INPUTS = [[0, 0, 3, 7, 1, 19], [5, 4, 3, 2, 1, 6], [0, 0, 0, 0, 0, 11], [9, 9, 9, 0, 0, 0]]


def numpy_reference(w):
    out = []
    for row in INPUTS:
        ids = np.array(row)
        x = w["embeddings"].astype(np.float64)[ids]                   # [T, D]
        mask = ids != 0                                               # mask_zero
        e = np.tanh(x @ w["W"].astype(np.float64) + w["b"]) @ w["u"].astype(np.float64)
        e = np.where(mask, e, -np.inf)
        a = np.exp(e - e[mask].max())
        a /= a.sum()
        pooled = (a[:, None] * x).sum(axis=0)
        z = pooled @ w["kernel"].astype(np.float64) + w["bias"]
        p = np.exp(z - z.max())
        out.append((p / p.sum()).tolist())
    return out


def layer_configs(cls):
    return [
        {"class_name": "InputLayer", "config": {"name": "input_1", "batch_input_shape": [None, T],
                                                "dtype": "float32"}},
        {"class_name": "Embedding", "config": {"name": "embedding", "input_dim": V,
                                               "output_dim": D, "mask_zero": True}},
        {"class_name": cls, "config": {"name": "attention", "trainable": True, "units": D}},
        {"class_name": "Dense", "config": {"name": "dense", "units": C, "activation": "softmax"}},
    ]


def write_h5(path, cls, w):
    config = {"class_name": "Sequential", "config": {"name": "sequential",
                                                     "layers": layer_configs(cls)}}
    groups = [("embedding", [("embeddings:0", w["embeddings"])]),
              ("attention", [("W:0", w["W"]), ("b:0", w["b"]), ("u:0", w["u"])]),
              ("dense", [("kernel:0", w["kernel"]), ("bias:0", w["bias"])])]
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.11.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = ["input_1"] + [g[0] for g in groups]
        mw.create_group("input_1").attrs["weight_names"] = np.array([])
        for name, arrays in groups:
            g = mw.create_group(name)
            g.attrs["weight_names"] = [name + "/" + a for a, _ in arrays]
            for a, value in arrays:
                g.create_dataset(name + "/" + a, data=value)


def snake(cls):
    import re
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def write_keras(path, cls, w):
    def wrap(entry):
        custom = entry["class_name"] not in ("InputLayer", "Embedding", "Dense")
        return {"module": None if custom else "keras.layers", "class_name": entry["class_name"],
                "config": entry["config"],
                "registered_name": "Custom>" + cls if custom else None}
    layers = [wrap(e) for e in layer_configs(cls)]
    layers[0]["config"]["batch_shape"] = layers[0]["config"].pop("batch_input_shape")
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "sequential", "layers": layers}}
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        for key, arrays in (("embedding", [w["embeddings"]]), (snake(cls), [w["W"], w["b"], w["u"]]),
                            ("dense", [w["kernel"], w["bias"]])):
            g = h5.require_group("layers/" + key).create_group("vars")
            for i, value in enumerate(arrays):
                g.create_dataset(str(i), data=value)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.5.0"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", buf.getvalue())


def main():
    out = sys.argv[1]
    w = weights()
    write_h5(os.path.join(out, "attention.h5"), "AttentionLayer", w)
    write_keras(os.path.join(out, "attention.keras"), "AttentionLayer", w)
    write_h5(os.path.join(out, "mystery.h5"), "MysteryLayer", w)
    write_h5(os.path.join(out, "refusing.h5"), "RefusingLayer", w)
    with open(os.path.join(out, "inputs.json"), "w") as f:
        json.dump(INPUTS, f)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(numpy_reference(w), f)


if __name__ == "__main__":
    main()
