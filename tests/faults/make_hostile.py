#!/usr/bin/python3
"""Writes hostile model files for the server fault tests, made from one valid quiver .h5.

usage: make_hostile.py VALID.h5 OUT_DIR

Every file here must fail to load cleanly without harming the process that serves:
  deep_nesting.h5    model_config nested 100,000 levels deep (0.6 MB of brackets)
  deep_layer_config.h5  a layer config holding objects nested 100,000 levels deep
  huge_length.h5     InputLayer / Embedding declaring an input length of 2**40
  huge_units.h5      the LSTM declaring 2**31 - 1 units
  huge_vocab.h5      the Embedding declaring input_dim 2**40
  config_not_json.h5 model_config that is not JSON
  truncated.h5       the first half of the valid file
  bitflip_K.h5       the valid file with 16 bytes flipped (K = 0..7, seeded)
  weight_bitflip.h5  one low mantissa bit of the first weight flipped: still a valid file
                     that parses, caught only by quiver_checksum
  zeros.h5           the valid file's size of zero bytes
  empty.h5           zero bytes
  zip_bomb.keras     a .keras zip whose config.json inflates to 256 MB of spaces
  dotdot.keras       a .keras zip with ../config.json and ../../model.weights.h5 entries
  not_a_model.keras  a zip holding only a text file
"""
import json
import random
import shutil
import sys
import zipfile

import h5py


def with_config(src, dst, edit):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        raw = f.attrs["model_config"]
        cfg = raw.decode() if isinstance(raw, bytes) else raw
        new = edit(cfg)
        del f.attrs["model_config"]
        f.attrs["model_config"] = new.encode() if isinstance(new, str) else new
        # Without quiver_checksum, as a file from another tool: the limits, not the
        # checksum, must be what refuses it.
        f.attrs.pop("quiver_checksum", None)


def set_key(cfg_text, key, value):
    cfg = json.loads(cfg_text)

    def walk(node):
        if isinstance(node, dict):
            for k, v in list(node.items()):
                if k == key:
                    node[k] = value(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(cfg)
    return json.dumps(cfg)


def main():
    valid, out = sys.argv[1], sys.argv[2]
    data = open(valid, "rb").read()
    depth = 100000
    with_config(valid, f"{out}/deep_nesting.h5", lambda c: "[" * depth + "]" * depth)

    def deep_layer(c):  # objects nested inside the first layer's config, the rest intact
        cfg = json.loads(c)
        cfg["config"]["layers"][0]["config"]["nested"] = "@@"
        return json.dumps(cfg).replace('"@@"', '{"a": ' * depth + "1" + "}" * depth)

    with_config(valid, f"{out}/deep_layer_config.h5", deep_layer)
    big = 2 ** 40

    def shape(v):
        return [v[0], big] + list(v[2:]) if isinstance(v, list) and len(v) >= 2 else v

    with_config(valid, f"{out}/huge_length.h5",
                lambda c: set_key(set_key(set_key(c, "batch_input_shape", shape), "batch_shape", shape),
                                  "input_length", lambda v: big))
    with_config(valid, f"{out}/huge_units.h5", lambda c: set_key(c, "units", lambda v: 2 ** 31 - 1))
    with_config(valid, f"{out}/huge_vocab.h5", lambda c: set_key(c, "input_dim", lambda v: big))
    with_config(valid, f"{out}/config_not_json.h5", lambda c: "{not json")
    open(f"{out}/truncated.h5", "wb").write(data[: len(data) // 2])
    rng = random.Random(13)
    for k in range(8):
        b = bytearray(data)
        for _ in range(16):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        open(f"{out}/bitflip_{k}.h5", "wb").write(bytes(b))
    with h5py.File(valid, "r") as f:  # the first weight's bytes in the file
        mw = f["model_weights"]
        first = [n.decode() if isinstance(n, bytes) else n for n in mw.attrs["layer_names"]][0]
        wname = mw[first].attrs["weight_names"][0]
        offset = mw[first][wname.decode() if isinstance(wname, bytes) else wname].id.get_offset()
    b = bytearray(data)
    b[offset + 1] ^= 0x01
    open(f"{out}/weight_bitflip.h5", "wb").write(bytes(b))
    open(f"{out}/zeros.h5", "wb").write(bytes(len(data)))
    open(f"{out}/empty.h5", "wb").write(b"")
    with zipfile.ZipFile(f"{out}/zip_bomb.keras", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("config.json", "w", force_zip64=True) as f:
            chunk = b" " * (1 << 20)
            for _ in range(256):
                f.write(chunk)
        z.writestr("metadata.json", '{"keras_version": "3.8.0"}')
    with zipfile.ZipFile(f"{out}/dotdot.keras", "w") as z:
        z.writestr("../config.json", '{"class_name": "Sequential", "config": {"layers": []}}')
        z.writestr("../../model.weights.h5", data)
        z.writestr("metadata.json", '{"keras_version": "3.8.0"}')
    with zipfile.ZipFile(f"{out}/not_a_model.keras", "w") as z:
        z.writestr("readme.txt", "hello")


if __name__ == "__main__":
    main()
