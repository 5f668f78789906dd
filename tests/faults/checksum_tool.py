#!/usr/bin/python3
"""quiver_checksum, computed independently of quiver (h5py + zlib), and damage to order.

usage: checksum_tool.py compute FILE.h5        prints the checksum JSON as the format defines it
       checksum_tool.py recorded FILE.h5       prints the quiver_checksum attribute quiver wrote
       checksum_tool.py flip-weight FILE.h5 OUT.h5   flips one bit of the output kernel's
                                                     first value, in place in the file bytes
       checksum_tool.py set-attr FILE.h5 OUT.h5 NAME VALUE   rewrites one root attribute
       checksum_tool.py drop FILE.h5 OUT.h5    removes quiver_checksum (a file as Keras writes)

The format (src/keras_io/quiver_checksum.h): CRC-32 (zlib.crc32) of
  attributes: model_config and quiver_* except quiver_checksum, name order, each name then
              value, each as uint64 LE length + UTF-8 bytes
  layers:     per model_weights layer_names entry: per weight_names entry, the name
              (length-prefixed), rank and dims as int64 LE, float32 LE values.
"""
import json
import shutil
import struct
import sys
import zlib

import h5py
import numpy as np


def text(v):
    if isinstance(v, bytes):
        return v.rstrip(b"\0").decode("utf8")
    if isinstance(v, np.ndarray):
        return text(v.reshape(-1)[0])
    return str(v)


def names(attr):
    return [text(x) for x in np.asarray(attr).reshape(-1)]


def lp(b):
    return struct.pack("<Q", len(b)) + b


def compute(path):
    with h5py.File(path, "r") as f:
        crc = 0
        for name in sorted(f.attrs.keys()):
            if name != "model_config" and not (name.startswith("quiver_") and name != "quiver_checksum"):
                continue
            crc = zlib.crc32(lp(name.encode()) + lp(text(f.attrs[name]).encode()), crc)
        layers = {}
        mw = f["model_weights"]
        for layer in names(mw.attrs["layer_names"]):
            g = mw[layer]
            c = 0
            for w in names(g.attrs["weight_names"]):
                d = np.asarray(g[w], dtype="<f4")
                c = zlib.crc32(lp(w.encode()) + struct.pack("<Q", d.ndim) +
                               b"".join(struct.pack("<q", n) for n in d.shape) + d.tobytes(), c)
            layers[layer] = "%08x" % c
        return {"algorithm": "crc32", "attributes": "%08x" % crc, "layers": layers}


def last_kernel_offset(path):
    """Where the first value of the last layer's first weight (the output kernel) is stored."""
    with h5py.File(path, "r") as f:
        mw = f["model_weights"]
        for layer in reversed(names(mw.attrs["layer_names"])):
            ws = names(mw[layer].attrs["weight_names"])
            if ws:
                return mw[layer][ws[0]].id.get_offset()
    raise SystemExit("no weights")


def main():
    cmd, src = sys.argv[1], sys.argv[2]
    if cmd == "compute":
        print(json.dumps(compute(src), sort_keys=True))
        return
    if cmd == "recorded":
        with h5py.File(src, "r") as f:
            print(text(f.attrs["quiver_checksum"]))
        return
    out = sys.argv[3]
    if cmd == "flip-weight":
        offset = last_kernel_offset(src)
        data = bytearray(open(src, "rb").read())
        data[offset + 2] ^= 0x40  # the top mantissa bit of a float32: still finite, ~x1.5
        open(out, "wb").write(bytes(data))
        return
    shutil.copyfile(src, out)
    with h5py.File(out, "r+") as f:
        if cmd == "set-attr":
            f.attrs[sys.argv[4]] = sys.argv[5]
        elif cmd == "drop":
            del f.attrs["quiver_checksum"]


if __name__ == "__main__":
    main()
