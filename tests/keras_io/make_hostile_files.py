#!/usr/bin/python3
"""Writes hostile model files for the limit tests (docs/limits.md).

Usage: make_hostile_files.py OUT_DIR

Each file is small on disk but declares something that would exhaust the stack or the
memory of a reader that trusted it: configs nested 100,000 levels deep (JSON and YAML,
.h5 attribute, .keras config.json, architecture files), a YAML alias bomb, an input length
of 2^40, units of 2^40, an Embedding vocabulary of 2^40, a zip entry declaring 4 GB from
a few deflated bytes, a "../" entry, 10,001 entries. Built with h5py/zipfile directly (see
make_keras_files.py for the layouts); the weights are correct where the test needs the
declared size, not a weight mismatch, to be what fails.
"""
import io
import json
import os
import struct
import sys
import zipfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_keras_files import arr, k3_functional_config, k3_weights_h5, layer, write_layer_group  # noqa: E402

DEEP = 100000  # levels: 0.2 MB of brackets


def deep_json(levels):
    return "[" * levels + "]" * levels


def sequential(embedding_kw, lstm_units=3, vocab=10, length=5):
    emb = dict(input_dim=vocab, output_dim=4, batch_input_shape=[None, length],
               input_length=length, dtype="int32")
    emb.update(embedding_kw)
    return {"class_name": "Sequential", "config": [
        layer("Embedding", "embedding_1", **emb),
        layer("LSTM", "lstm_1", units=lstm_units),
        layer("Dense", "dense_1", units=1, activation="sigmoid")]}


def write_h5(path, config_text, vocab=10, units=3):
    """A Keras 2.2.4 .h5 with model_config `config_text` and weights for the small model."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.2.4"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = config_text.encode("utf8")
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = [b"embedding_1", b"lstm_1", b"dense_1"]
        write_layer_group(mw, "embedding_1", [("embedding_1/embeddings:0", arr((vocab, 4), 1))], True)
        write_layer_group(mw, "lstm_1", [("lstm_1/kernel:0", arr((4, 4 * units), 2)),
                                         ("lstm_1/recurrent_kernel:0", arr((units, 4 * units), 3)),
                                         ("lstm_1/bias:0", arr((4 * units,), 4))], True)
        write_layer_group(mw, "dense_1", [("dense_1/kernel:0", arr((units, 1), 5)),
                                          ("dense_1/bias:0", arr((1,), 6))], True)


def deep_h5(path):
    # The nesting sits inside one layer's config, where a reader copies and normalises it.
    text = json.dumps(sequential({}))
    text = text.replace('"mask_zero"', '"x"', 1)
    text = text.replace('"dtype": "int32"', '"dtype": "int32", "deep": ' + deep_json(DEEP), 1)
    write_h5(path, text)


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members:
            z.writestr(name, data)


def deep_keras(path):
    config = json.dumps(k3_functional_config())
    config = config.replace('"trainable": true', '"trainable": true, "deep": ' + deep_json(DEEP), 1)
    write_zip(path, [("metadata.json", json.dumps({"keras_version": "3.8.0"})),
                     ("config.json", config), ("model.weights.h5", k3_weights_h5())])


def zip_with(path, extra):
    write_zip(path, [("metadata.json", json.dumps({"keras_version": "3.8.0"})),
                     ("config.json", json.dumps(k3_functional_config())),
                     ("model.weights.h5", k3_weights_h5())] + extra)


def zip_bomb(path):
    """model.weights.h5: 1000 zero bytes deflated to a few, declaring 4,294,967,280 (local
    and central headers agree, as libzip's consistency check wants)."""
    buf = io.BytesIO()
    write_zip(buf, [("metadata.json", json.dumps({"keras_version": "3.8.0"})),
                    ("config.json", json.dumps(k3_functional_config())),
                    ("model.weights.h5", b"\0" * 1000)], zipfile.ZIP_DEFLATED)
    data = bytearray(buf.getvalue())
    name = b"model.weights.h5"
    at = data.find(b"PK\x03\x04")  # local headers
    while at >= 0:
        if data[at + 30:at + 30 + len(name)] == name:
            struct.pack_into("<I", data, at + 22, 0xFFFFFFF0)  # uncompressed size
        at = data.find(b"PK\x03\x04", at + 4)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        if data[at + 46:at + 46 + len(name)] == name:
            struct.pack_into("<I", data, at + 24, 0xFFFFFFF0)
        at = data.find(b"PK\x01\x02", at + 4)
    with open(path, "wb") as f:
        f.write(data)


def many_entries(path):
    zip_with(path, [("pad/%d" % i, b"") for i in range(10001)])


def architectures(out_dir):
    p = lambda name: os.path.join(out_dir, name)  # noqa: E731
    with open(p("deep_arch.json"), "w") as f:
        f.write('{"class_name": "Sequential", "config": ' + deep_json(DEEP) + "}")
    with open(p("deep_flow.yaml"), "w") as f:  # flow style: yaml-cpp's own guard (2000)
        f.write("class_name: Sequential\nconfig: " + deep_json(DEEP) + "\n")
    with open(p("deep_block.yaml"), "w") as f:  # block style, 300 levels: our limit (256)
        f.write("class_name: Sequential\nconfig:\n")
        for i in range(300):
            f.write("  " * (i + 1) + "-\n")
        f.write("  " * 301 + "- 1\n")
    with open(p("alias_bomb.yaml"), "w") as f:  # 9 levels of 10 aliases: 10^9 values
        f.write("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
        for i in range(1, 10):
            refs = ", ".join(["*a%d" % (i - 1)] * 10)
            f.write("a%d: &a%d [%s]\n" % (i, i, refs))
        f.write("class_name: Sequential\nconfig: [*a9]\n")


def weights_only(path):
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"embedding_1", b"lstm_1", b"dense_1"]
        write_layer_group(f, "embedding_1", [("embedding_1/embeddings:0", arr((10, 4), 1))], True)
        write_layer_group(f, "lstm_1", [("lstm_1/kernel:0", arr((4, 12), 2)),
                                        ("lstm_1/recurrent_kernel:0", arr((3, 12), 3)),
                                        ("lstm_1/bias:0", arr((12,), 4))], True)
        write_layer_group(f, "dense_1", [("dense_1/kernel:0", arr((3, 1), 5)),
                                         ("dense_1/bias:0", arr((1,), 6))], True)


def compressed_weights(path, vocab=250000):
    """4 MB of Embedding weights (zeros) stored gzip-compressed in a file of ~30 kB."""
    write_h5(path, json.dumps(sequential({}, vocab=vocab)))
    with h5py.File(path, "a") as f:
        g = f["model_weights/embedding_1"]
        del g["embedding_1/embeddings:0"]
        g.create_dataset("embedding_1/embeddings:0", data=np.zeros((vocab, 4), np.float32),
                         chunks=(vocab // 10, 4), compression="gzip", compression_opts=9)


def compact_bias(path, stored_bytes):
    """small.h5 with dense_1's bias (1 float) in a compact dataset whose header claims
    `stored_bytes` of data (4 is the truth; libhdf5 1.10.8 does not check the claim)."""
    write_h5(path, json.dumps(sequential({})))
    with h5py.File(path, "a") as f:
        g = f["model_weights/dense_1/dense_1"]
        del g["bias:0"]
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        ds = h5py.h5d.create(g.id, b"bias:0", h5py.h5t.IEEE_F32LE,
                             h5py.h5s.create_simple((1,)), dcpl)
        ds.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([6.0], np.float32))
    data = bytearray(open(path, "rb").read())
    # The layout message, version 3: 03, class 0 (compact), size (2 bytes LE), the data.
    marker = b"\x03\x00\x04\x00" + np.array([6.0], np.float32).tobytes()
    at = data.find(marker)
    assert at >= 0 and data.find(marker, at + 1) < 0, "compact layout message not found once"
    data[at + 2:at + 4] = struct.pack("<H", stored_bytes)
    with open(path, "wb") as f:
        f.write(data)


def main(out_dir):
    p = lambda name: os.path.join(out_dir, name)  # noqa: E731
    write_h5(p("small.h5"), json.dumps(sequential({})))
    write_h5(p("max_length.h5"), json.dumps(sequential({}, length=2 ** 20)))
    compressed_weights(p("compressed_weights.h5"))
    deep_h5(p("deep_config.h5"))
    write_h5(p("huge_length.h5"), json.dumps(sequential({}, length=2 ** 40)))
    write_h5(p("huge_units.h5"), json.dumps(sequential({}, lstm_units=2 ** 40)))
    write_h5(p("huge_vocab.h5"), json.dumps(sequential({}, vocab=2 ** 40)))
    write_h5(p("wrapped_length.h5"), json.dumps(sequential({}, length=2 ** 64 - 1)))
    deep_keras(p("deep_config.keras"))
    zip_bomb(p("zip_bomb.keras"))
    zip_with(p("dotdot.keras"), [("../../etc/evil", b"x")])
    many_entries(p("many_entries.keras"))
    architectures(out_dir)
    weights_only(p("weights_only.h5"))
    compact_bias(p("compact_bias.h5"), 4)
    compact_bias(p("compact_bias_empty.h5"), 0)
    compact_bias(p("compact_bias_short.h5"), 2)


if __name__ == "__main__":
    main(sys.argv[1])
