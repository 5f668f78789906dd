#!/usr/bin/python3
"""Writes small Keras model files in every layout keras_io reads, for its tests.

Usage: make_keras_files.py OUT_DIR

The layouts follow shared/KERAS.md §1 (what each Keras version's saving code writes); they
are built with h5py/zipfile directly because no Keras is installed here. Every weight array
is arr(shape, base): values base + 0.25 * i for i = 0..n-1 in row-major order, so the C++
test can check values exactly (also after float16 / bfloat16 storage).
"""
import io
import json
import os
import sys
import zipfile

import h5py
import numpy as np
import yaml


def arr(shape, base, dtype=np.float32):
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64) * 0.25 + base).reshape(shape).astype(dtype)


def layer(cls, name, **cfg):
    cfg["name"] = name
    return {"class_name": cls, "config": cfg}


def write_layer_group(parent, name, weights, as_bytes):
    """One layer group: weight_names attribute + datasets (nested groups via '/')."""
    g = parent.create_group(name)
    names = [w[0] for w in weights]
    if as_bytes:
        g.attrs["weight_names"] = [n.encode("utf8") for n in names]
    else:
        g.attrs["weight_names"] = names if names else np.array([])
    for wname, value in weights:
        g.create_dataset(wname, data=value)
    return g


# --- Keras 2.0: Sequential list config, fixed-length byte strings ----------------------
def keras20(path):
    config = {"class_name": "Sequential", "config": [
        layer("Embedding", "embedding_1", input_dim=10, output_dim=4, batch_input_shape=[None, 5],
              input_length=5, dtype="int32", mask_zero=True),
        layer("LSTM", "lstm_1", units=3, recurrent_activation="hard_sigmoid"),
        layer("Dropout", "dropout_1", rate=0.5),
        layer("Dense", "dense_1", units=2, activation="softmax")]}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.0.8"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = [b"embedding_1", b"lstm_1", b"dropout_1", b"dense_1"]
        mw.attrs["keras_version"] = b"2.0.8"
        mw.attrs["backend"] = b"tensorflow"
        write_layer_group(mw, "embedding_1", [("embedding_1/embeddings:0", arr((10, 4), 1))], True)
        write_layer_group(mw, "lstm_1", [("lstm_1/kernel:0", arr((4, 12), 2)),
                                         ("lstm_1/recurrent_kernel:0", arr((3, 12), 3)),
                                         ("lstm_1/bias:0", arr((12,), 4))], True)
        write_layer_group(mw, "dropout_1", [], True)
        write_layer_group(mw, "dense_1", [("dense_1/kernel:0", arr((3, 2), 5)),
                                          ("dense_1/bias:0", arr((2,), 6))], True)
        f.create_group("optimizer_weights")


# --- Keras 2.2: Functional list-form nodes, layer_names split in chunks, H5Dict dedup ---
def keras22(path):
    config = {"class_name": "Model", "config": {"name": "model_1", "layers": [
        {"name": "input_1", "class_name": "InputLayer", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 6], "dtype": "float32", "sparse": False,
                    "name": "input_1"}},
        {"name": "embedding_1", "class_name": "Embedding", "inbound_nodes": [[["input_1", 0, 0, {}]]],
         "config": {"name": "embedding_1", "input_dim": 8, "output_dim": 3}},
        {"name": "bidirectional_1", "class_name": "Bidirectional",
         "inbound_nodes": [[["embedding_1", 0, 0, {}]]],
         "config": {"name": "bidirectional_1", "merge_mode": "concat",
                    "layer": layer("GRU", "gru_1", units=2, reset_after=False)}},
        {"name": "dense_1", "class_name": "Dense", "inbound_nodes": [[["bidirectional_1", 0, 0, {}]]],
         "config": {"name": "dense_1", "units": 1}}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_1", 0, 0]]}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.2.4"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        mw = f.create_group("model_weights")
        mw.attrs["layer_names0"] = [b"input_1", b"embedding_1"]
        mw.attrs["layer_names1"] = [b"bidirectional_1", b"dense_1"]
        write_layer_group(mw, "input_1", [], True)
        write_layer_group(mw, "embedding_1", [("embedding_1/embeddings:0", arr((8, 3), 1))], True)
        # Keras 2.2.4 H5Dict: forward/backward names; a duplicate gets "_1" appended.
        write_layer_group(mw, "bidirectional_1", [
            ("bidirectional_1/forward_gru_1/kernel:0", arr((3, 6), 2)),
            ("bidirectional_1/forward_gru_1/recurrent_kernel:0", arr((2, 6), 3)),
            ("bidirectional_1/forward_gru_1/bias:0", arr((6,), 4)),
            ("bidirectional_1/backward_gru_1/kernel:0", arr((3, 6), 5)),
            ("bidirectional_1/backward_gru_1/recurrent_kernel:0", arr((2, 6), 6)),
            ("bidirectional_1/forward_gru_1/bias:0_1", arr((6,), 7))], True)
        write_layer_group(mw, "dense_1", [("dense_1/kernel:0", arr((4, 1), 8)),
                                          ("dense_1/bias:0", arr((1,), 9))], True)


# --- tf.keras 2.11: vlen strings, sorted groups, top_level_model_weights, f64/f16 ------
def tfkeras(path):
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        layer("InputLayer", "embedding_input", batch_input_shape=[None, 7], dtype="float32",
              sparse=False, ragged=False),
        layer("Embedding", "embedding", input_dim=9, output_dim=2, batch_input_shape=[None, 7],
              input_length=7),
        layer("GRU", "gru", units=2, reset_after=True),
        layer("Dense", "dense", units=1, activation="sigmoid")]}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.11.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = ["embedding", "gru", "dense"]
        mw.attrs["keras_version"] = "2.11.0"
        for name in sorted(["dense", "embedding", "gru"]):
            if name == "dense":
                write_layer_group(mw, "dense", [("dense/kernel:0", arr((2, 1), 5, np.float64)),
                                                ("dense/bias:0", arr((1,), 6, np.float64))], False)
            elif name == "embedding":
                write_layer_group(mw, "embedding", [("embedding/embeddings:0",
                                                     arr((9, 2), 1, np.float16))], False)
            else:
                write_layer_group(mw, "gru", [("gru/gru_cell/kernel:0", arr((2, 6), 2)),
                                              ("gru/gru_cell/recurrent_kernel:0", arr((2, 6), 3)),
                                              ("gru/gru_cell/bias:0", arr((2, 6), 4))], False)
        write_layer_group(mw, "top_level_model_weights", [], False)


def keras_tensor(layer_name, shape):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32", "keras_history": [layer_name, 0, 0]}}


def k3_layer(cls, name, inbound, **cfg):
    cfg["name"] = name
    cfg["dtype"] = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                    "registered_name": None}
    return {"module": "keras.layers", "class_name": cls, "config": cfg, "registered_name": None,
            "name": name, "build_config": {"input_shape": [None, 4]},
            "inbound_nodes": inbound}


def k3_node(*tensors, nested=False):
    args = [list(tensors)] if nested else list(tensors)
    return [{"args": args, "kwargs": {"training": False, "mask": None}}]


# Keras 3 functional model: two branches joined by Concatenate.
def k3_functional_config():
    lstm = {"module": "keras.layers", "class_name": "LSTM", "registered_name": None,
            "config": {"name": "lstm", "units": 2, "dtype": {"module": "keras", "class_name":
                       "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}}}
    layers = [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
         "name": "input_layer", "inbound_nodes": [],
         "config": {"batch_shape": [None, 4], "dtype": "int32", "sparse": False,
                    "name": "input_layer"}},
        k3_layer("Embedding", "embedding", k3_node(keras_tensor("input_layer", [None, 4])),
                 input_dim=6, output_dim=3),
        k3_layer("Bidirectional", "bidirectional", k3_node(keras_tensor("embedding", [None, 4, 3])),
                 merge_mode="concat", layer=lstm),
        k3_layer("GlobalAveragePooling1D", "global_average_pooling1d",
                 k3_node(keras_tensor("embedding", [None, 4, 3]))),
        k3_layer("Dropout", "dropout", k3_node(keras_tensor("global_average_pooling1d", [None, 3])),
                 rate=0.1),
        k3_layer("Concatenate", "concatenate", k3_node(keras_tensor("bidirectional", [None, 4]),
                                                       keras_tensor("dropout", [None, 3]),
                                                       nested=True), axis=-1),
        k3_layer("Dense", "dense", k3_node(keras_tensor("concatenate", [None, 7])), units=2),
        k3_layer("Dense", "dense_1", k3_node(keras_tensor("dense", [None, 2])), units=1)]
    return {"module": "keras", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": "functional", "trainable": True, "layers": layers,
                       "input_layers": ["input_layer", 0, 0],
                       "output_layers": ["dense_1", 0, 0]}}


def write_vars(h5, path, values):
    """path/vars/0..n-1 (Keras 3 H5Entry: create_group(path).create_group("vars"))."""
    g = h5.require_group(path).create_group("vars")
    for i, v in enumerate(values):
        if v.dtype == np.uint16:  # bfloat16 bits, as Keras 3 marks them
            ds = g.create_dataset(str(i), data=v)
            ds.attrs["dtype"] = "bfloat16"
        else:
            g.create_dataset(str(i), data=v)
    return g


def bf16_bits(a):
    return (a.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)


def k3_weights_h5(sep="/"):
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        j = lambda *parts: sep.join(parts)
        write_vars(h5, j("layers", "input_layer"), [])
        write_vars(h5, j("layers", "embedding"), [bf16_bits(arr((6, 3), 1))])
        write_vars(h5, j("layers", "bidirectional"), [])
        write_vars(h5, j("layers", "bidirectional", "forward_layer"), [])
        write_vars(h5, j("layers", "bidirectional", "forward_layer", "cell"),
                   [arr((3, 8), 2), arr((2, 8), 3), arr((8,), 4)])
        write_vars(h5, j("layers", "bidirectional", "backward_layer", "cell"),
                   [arr((3, 8), 5), arr((2, 8), 6), arr((8,), 7)])
        write_vars(h5, j("layers", "bidirectional", "backward_layer", "cell", "seed_generator"),
                   [np.array([1, 2], dtype=np.uint32)])
        write_vars(h5, j("layers", "global_average_pooling1d"), [])
        write_vars(h5, j("layers", "dropout"), [])
        write_vars(h5, j("layers", "dropout", "seed_generator"), [np.array([1, 2], dtype=np.uint32)])
        write_vars(h5, j("layers", "concatenate"), [])
        write_vars(h5, j("layers", "dense"), [arr((7, 2), 8, np.float16), arr((2,), 9)])
        write_vars(h5, j("layers", "dense_1"), [arr((2, 1), 10), arr((1,), 11)])
        write_vars(h5, "optimizer", [np.array(3.0)])
        h5.create_group("vars")
    return buf.getvalue()


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as z:  # ZIP_STORED, as Keras does
        for name, data in members:
            z.writestr(name, data)


def keras3_zip(path):
    write_zip(path, [("metadata.json", json.dumps({"keras_version": "3.8.0", "date_saved": "x"})),
                     ("config.json", json.dumps(k3_functional_config())),
                     ("model.weights.h5", k3_weights_h5())])


def windows_zip(path):
    write_zip(path, [("metadata.json", json.dumps({"keras_version": "3.8.0"})),
                     ("config.json", json.dumps(k3_functional_config())),
                     ("model.weights.h5", k3_weights_h5(sep="\\")),
                     ("assets\\readme.txt", "x")])


# --- Keras 3 Sequential .keras without InputLayer; TimeDistributed; opaque bfloat16 ------
def keras3_sequential_zip(path):
    wrap = lambda cls, **cfg: {"module": "keras.layers", "class_name": cls, "config": cfg,
                               "registered_name": None}
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "sequential", "build_input_shape": [None, 5], "layers": [
                  wrap("Embedding", name="embedding", input_dim=4, output_dim=3),
                  wrap("TimeDistributed", name="time_distributed",
                       layer=wrap("Dense", name="dense", units=2)),
                  wrap("GlobalMaxPooling1D", name="global_max_pooling1d"),
                  wrap("Dense", name="dense_1", units=1)]}}
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        g = h5.require_group("layers/embedding").create_group("vars")
        ds = g.create_dataset("0", data=bf16_bits(arr((4, 3), 1)).view("V2"))  # opaque
        ds.attrs["dtype"] = "bfloat16"
        write_vars(h5, "layers/time_distributed", [])
        write_vars(h5, "layers/time_distributed/layer", [arr((3, 2), 2), arr((2,), 3)])
        write_vars(h5, "layers/global_max_pooling1d", [])
        write_vars(h5, "layers/dense", [arr((2, 1), 4), arr((1,), 5)])
    write_zip(path, [("metadata.json", json.dumps({"keras_version": "3.4.1"})),
                     ("config.json", json.dumps(config)), ("model.weights.h5", buf.getvalue())])


# --- Keras 3 save_weights (.weights.h5) + config JSON; an HDF5 user block ------------
def keras3_weights(out_dir):
    with open(os.path.join(out_dir, "keras3.weights.h5"), "wb") as f:
        f.write(k3_weights_h5())
    with open(os.path.join(out_dir, "keras3_config.json"), "w") as f:
        json.dump(k3_functional_config(), f)
    path = os.path.join(out_dir, "userblock.h5")
    with h5py.File(path, "w", userblock_size=512):
        pass
    with h5py.File(path, "a") as f:  # same content as keras20.h5, after 512 bytes
        with h5py.File(os.path.join(out_dir, "keras20.h5"), "r") as src:
            for k, v in src.attrs.items():
                f.attrs[k] = v
            src.copy("model_weights", f)


# --- Keras 3 legacy .h5: dict-form nodes, w.path names without ':0' --------------------
def keras3_h5(path):
    config = k3_functional_config()
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "3.8.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        mw = f.create_group("model_weights")
        names = [l["name"] for l in config["config"]["layers"]]
        mw.attrs["layer_names"] = names
        w = {"embedding": [("embedding/embeddings", arr((6, 3), 1))],
             "bidirectional": [("bidirectional/forward_lstm/lstm_cell/kernel", arr((3, 8), 2)),
                               ("bidirectional/forward_lstm/lstm_cell/recurrent_kernel", arr((2, 8), 3)),
                               ("bidirectional/forward_lstm/lstm_cell/bias", arr((8,), 4)),
                               ("bidirectional/backward_lstm/lstm_cell/kernel", arr((3, 8), 5)),
                               ("bidirectional/backward_lstm/lstm_cell/recurrent_kernel", arr((2, 8), 6)),
                               ("bidirectional/backward_lstm/lstm_cell/bias", arr((8,), 7))],
             "dense": [("dense/kernel", arr((7, 2), 8)), ("dense/bias", arr((2,), 9))],
             "dense_1": [("dense_1/kernel", arr((2, 1), 10)), ("dense_1/bias", arr((1,), 11))]}
        for name in sorted(names):
            write_layer_group(mw, name, w.get(name, []), False)
        write_layer_group(mw, "top_level_model_weights", [], False)


# --- tf.keras 2.13 .keras: _layer_checkpoint_dependencies with counter gaps -----------
def tfkeras213_zip(path):
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "sequential", "layers": [
                  {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                   "config": {"batch_input_shape": [None, 3], "dtype": "float32",
                              "name": "embedding_input"}},
                  {"module": "keras.layers", "class_name": "Embedding", "registered_name": None,
                   "config": {"name": "embedding", "input_dim": 5, "output_dim": 2,
                              "batch_input_shape": [None, 3]}},
                  {"module": "keras.layers", "class_name": "Flatten", "registered_name": None,
                   "config": {"name": "flatten"}},
                  {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                   "config": {"name": "dense", "units": 2}},
                  {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                   "config": {"name": "dense_1", "units": 1}}]}}
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        c = "_layer_checkpoint_dependencies"
        write_vars(h5, c + "/embedding", [arr((5, 2), 1)])
        write_vars(h5, c + "/flatten", [])
        write_vars(h5, c + "/dense", [arr((6, 2), 2), arr((2,), 3)])
        write_vars(h5, c + "/dense_2", [arr((2, 1), 4), arr((1,), 5)])
        h5.create_group("vars")
    write_zip(path, [("metadata.json", json.dumps({"keras_version": "2.13.1"})),
                     ("config.json", json.dumps(config)), ("model.weights.h5", buf.getvalue())])


# --- save_weights files + architecture from to_json() / to_yaml() ---------------------
def weights_only(path, names):
    """Root-level layer_names (keras 2.x save_weights)."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.1.6"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["layer_names"] = [n.encode() for n in names]
        write_layer_group(f, names[0], [(names[0] + "/embeddings:0", arr((7, 2), 1))], True)
        write_layer_group(f, names[1], [(names[1] + "/kernel:0", arr((2, 4), 2)),
                                        (names[1] + "/recurrent_kernel:0", arr((1, 4), 3)),
                                        (names[1] + "/bias:0", arr((4,), 4))], True)
        write_layer_group(f, names[2], [(names[2] + "/kernel:0", arr((1, 1), 5)),
                                        (names[2] + "/bias:0", arr((1,), 6))], True)


def architecture(names, tuples):
    shape = (None, 3) if tuples else [None, 3]
    return {"class_name": "Sequential", "keras_version": "2.1.6", "backend": "tensorflow",
            "config": [layer("Embedding", names[0], input_dim=7, output_dim=2,
                             batch_input_shape=shape, input_length=3),
                       layer("SimpleRNN", names[1], units=1),
                       layer("Dense", names[2], units=1)]}


def weights_json(out_dir):
    names = ["embedding_1", "simple_rnn_1", "dense_1"]
    weights_only(os.path.join(out_dir, "weights_json.h5"), names)
    with open(os.path.join(out_dir, "weights_json.json"), "w") as f:
        json.dump(json.dumps(architecture(names, False)), f)  # double-encoded, as people save


def weights_yaml(out_dir):
    # The architecture was saved in another session: names differ from the weight file.
    weights_only(os.path.join(out_dir, "weights_yaml.h5"), ["embedding_4", "simple_rnn_4", "dense_4"])
    text = yaml.dump(architecture(["embedding_1", "simple_rnn_1", "dense_1"], True))
    text = text.replace("backend: tensorflow", "backend: !!python/unicode 'tensorflow'")
    with open(os.path.join(out_dir, "weights_yaml.yml"), "w") as f:
        f.write(text)


# --- Keras 1: 12-array LSTM in stored order -------------------------------------------
def keras1(out_dir):
    with h5py.File(os.path.join(out_dir, "keras1.h5"), "w") as f:
        f.attrs["layer_names"] = [b"embedding_1", b"lstm_1", b"dense_1"]
        write_layer_group(f, "embedding_1", [("embedding_1_W", arr((5, 2), 1))], True)
        gates = []
        for k, g in enumerate(["i", "c", "f", "o"]):
            gates += [("lstm_1_W_" + g, arr((2, 3), 10 + 3 * k)), ("lstm_1_U_" + g, arr((3, 3), 11 + 3 * k)),
                      ("lstm_1_b_" + g, arr((3,), 12 + 3 * k))]
        write_layer_group(f, "lstm_1", gates, True)
        write_layer_group(f, "dense_1", [("dense_1_W", arr((3, 1), 30)), ("dense_1_b", arr((1,), 31))], True)
    config = {"class_name": "Sequential", "config": [
        layer("Embedding", "embedding_1", input_dim=5, output_dim=2, input_length=4,
              batch_input_shape=[None, 4], input_dtype="int32", dropout=0.0),
        layer("LSTM", "lstm_1", output_dim=3, inner_activation="hard_sigmoid"),
        layer("Dense", "dense_1", output_dim=1)]}
    with open(os.path.join(out_dir, "keras1.json"), "w") as f:
        json.dump(config, f)


# --- Chunked, gzip-compressed weights (valid HDF5, not what Keras writes) -------------
def chunked(path):
    keras20(path)
    with h5py.File(path, "a") as f:
        del f["model_weights/embedding_1/embedding_1/embeddings:0"]
        f.create_dataset("model_weights/embedding_1/embedding_1/embeddings:0",
                         data=arr((10, 4), 1), chunks=(3, 2), compression="gzip")


# --- Damaged or unsupported variants (for the damage tests) ---------------------------
def damaged(out_dir):
    p = lambda name: os.path.join(out_dir, name)
    keras20(p("missing_group.h5"))
    with h5py.File(p("missing_group.h5"), "a") as f:
        del f["model_weights/lstm_1"]
    keras20(p("missing_dataset.h5"))
    with h5py.File(p("missing_dataset.h5"), "a") as f:
        del f["model_weights/lstm_1/lstm_1/bias:0"]
    keras20(p("external_link.h5"))  # a weight that points into another file
    with h5py.File(p("external_link.h5"), "a") as f:
        del f["model_weights/lstm_1/lstm_1/bias:0"]
        f["model_weights/lstm_1/lstm_1/bias:0"] = h5py.ExternalLink(
            p("keras20.h5"), "/model_weights/lstm_1/lstm_1/bias:0")
    # A global heap object of index 0 and size 0: libhdf5 1.10 loops forever reading it.
    tfkeras(p("heap_loop.h5"))
    with open(p("heap_loop.h5"), "r+b") as f:
        data = f.read()
        at = data.index(b"GCOL")
        f.seek(at + 16)
        f.write(b"\0" * 16)
    keras20(p("huge_chunked.h5"))  # a 10 GB chunked dataset with nothing stored
    with h5py.File(p("huge_chunked.h5"), "a") as f:
        del f["model_weights/dense_1/dense_1/bias:0"]
        f.create_dataset("model_weights/dense_1/dense_1/bias:0", shape=(50000, 50000),
                         chunks=(10, 10), dtype="f4")
    keras20(p("int_weights.h5"))
    with h5py.File(p("int_weights.h5"), "a") as f:
        del f["model_weights/dense_1/dense_1/bias:0"]
        f["model_weights/dense_1/dense_1/bias:0"] = np.array([1, 2], dtype=np.int32)
    keras20(p("bad_config.h5"))
    with h5py.File(p("bad_config.h5"), "a") as f:
        f.attrs["model_config"] = b'{"class_name": "Sequential", "config": [ {'
    nested = {"class_name": "Model", "config": {"name": "m", "layers": [
        {"name": "input_1", "class_name": "InputLayer", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 3], "name": "input_1"}},
        {"name": "sequential_1", "class_name": "Sequential", "inbound_nodes": [[["input_1", 0, 0, {}]]],
         "config": [layer("Dense", "dense_1", units=1)]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["sequential_1", 0, 0]]}}
    keras20(p("nested_model.h5"))
    with h5py.File(p("nested_model.h5"), "a") as f:
        f.attrs["model_config"] = json.dumps(nested).encode()
    keras20(p("subclassed.h5"))
    with h5py.File(p("subclassed.h5"), "a") as f:
        f.attrs["model_config"] = json.dumps({"class_name": "MyModel", "config": {}}).encode()
    config = json.dumps(k3_functional_config())
    meta = json.dumps({"keras_version": "3.8.0"})
    weights = k3_weights_h5()
    write_zip(p("no_weights.keras"), [("metadata.json", meta), ("config.json", config)])
    write_zip(p("not_json.keras"), [("metadata.json", meta), ("config.json", "{not json"),
                                    ("model.weights.h5", weights)])
    write_zip(p("bad_weights.keras"), [("metadata.json", meta), ("config.json", config),
                                       ("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"x" * 100)])
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        write_vars(h5, "layers/embedding", [arr((6, 3), 1)])
    write_zip(p("missing_vars.keras"), [("metadata.json", meta), ("config.json", config),
                                        ("model.weights.h5", buf.getvalue())])
    with open(p("not_arch.yml"), "w") as f:
        f.write("just some words\n")


def main(out_dir):
    keras20(os.path.join(out_dir, "keras20.h5"))
    keras22(os.path.join(out_dir, "keras22.h5"))
    tfkeras(os.path.join(out_dir, "tfkeras.h5"))
    keras3_h5(os.path.join(out_dir, "keras3.h5"))
    keras3_zip(os.path.join(out_dir, "keras3.keras"))
    windows_zip(os.path.join(out_dir, "windows.keras"))
    tfkeras213_zip(os.path.join(out_dir, "tfkeras213.keras"))
    weights_json(out_dir)
    weights_yaml(out_dir)
    keras1(out_dir)
    keras3_sequential_zip(os.path.join(out_dir, "keras3_seq.keras"))
    keras3_weights(out_dir)
    chunked(os.path.join(out_dir, "chunked.h5"))
    damaged(out_dir)


if __name__ == "__main__":
    main(sys.argv[1])
