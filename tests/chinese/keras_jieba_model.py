#!/usr/bin/python3
"""The Python side of the Chinese end-to-end checks: a Keras-layout model whose tokenizer was
fitted by keras_preprocessing on jieba output, and what Python gives for raw sentences.

usage: keras_jieba_model.py OUT_DIR [--fit N] [--check N]

Sentences: real Chinese text from Debian's fortunes-zh (/usr/share/games/fortunes/chinese,
tang300, song100): the lines with at least 4 Han characters (ANSI colour escapes and all),
N evenly spaced ones to fit the tokenizer and N others to check.

Writes to OUT_DIR:
  model.h5          Embedding(V, 8) -> LSTM(6) -> Dense(3, softmax), random weights, in
                    tf.keras 2.11's layout (tests/golden/net_builder.py + model_writer.py)
  tokenizer.json    keras_preprocessing Tokenizer(num_words=V) fitted on
                    [" ".join(jieba.cut(s)) for s in fit sentences], to_json()
  user.dict         a user dictionary (jieba.load_userdict format) for the user-dict cases:
                    a 4-character Han run of each of the first 8 check sentences (with a
                    frequency, a frequency and a tag, or nothing), and the most frequent
                    2-character word of the fit sentences with frequency 0 (split from now on)
  sentences.txt     the check sentences, one a line (none contains "\\n" or "\\r")
  train.csv         fit + check sentences (columns text,label; labels alternate a/b) and
  train_word_index.json   the word_index of a Tokenizer fitted on them after jieba with the
                    user dictionary: what `quiver train --segmenter jieba --user-dict` must fit
  expected.json     {"maxlen": T, "labels": [...], "ids": {case: [[padded ids] per sentence]},
                     "scores": [[3 floats] per sentence], "engine": "tfjs" | "numpy"}
                    cases: "jieba", "jieba-nohmm", "jieba-search", and "user:<mode>" with the
                    user dictionary: pad_sequences(texts_to_sequences([" ".join(cut(s))]), T)
                    with the one tokenizer; "scores" are the TensorFlow.js reference
                    (tests/golden/reference_predict.py) on the "jieba" ids.
Exit 77 when a Python module, the fortunes, node or TensorFlow.js are missing.
"""
import argparse
import csv
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "golden"))

try:
  import jieba
  import numpy as np
  from keras_preprocessing.sequence import pad_sequences
  from keras_preprocessing.text import Tokenizer
  import model_writer
  import reference_predict
  from net_builder import Net
except ImportError as e:
  print("missing Python module: %s" % e, file=sys.stderr)
  sys.exit(77)

FORTUNES = ["/usr/share/games/fortunes/" + n for n in ("chinese", "tang300", "song100")]
HAN = re.compile("[\u4e00-\u9fff]")
V, T, LABELS = 400, 24, ["甲", "乙", "丙"]
FORMS = ("%s 100000 n", "%s 100000", "%s")


def user_dict_text(tok, fit, check):
  lines = []
  for i, s in enumerate(check[:8]):
    run = re.search("[\u4e00-\u9fff]{4}", s)
    if run:
      lines.append(FORMS[i % 3] % run.group(0))
  counts = {}
  for s in fit:
    for w in tok.lcut(s):
      if len(w) == 2 and len(HAN.findall(w)) == 2:
        counts[w] = counts.get(w, 0) + 1
  lines.append(max(sorted(counts), key=counts.get) + " 0")
  return "".join(l + "\n" for l in lines)


def sentences():
  out, seen = [], set()
  for path in FORTUNES:
    if not os.path.exists(path):
      print("fortunes-zh absent: " + path, file=sys.stderr)
      sys.exit(77)
    with open(path, encoding="utf-8") as f:
      for line in f.read().split("\n"):
        line = line.rstrip("\r")
        if len(HAN.findall(line)) >= 4 and line not in seen:
          seen.add(line)
          out.append(line)
  return out


def evenly(rows, k, offset=0):
  return [rows[(i * len(rows) + offset) // k] for i in range(k)]


def cut(tok, mode, s):
  if mode == "jieba-search":
    return tok.lcut_for_search(s)
  return tok.lcut(s, HMM=mode == "jieba")


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("out_dir")
  ap.add_argument("--fit", type=int, default=600)
  ap.add_argument("--check", type=int, default=40)
  args = ap.parse_args()
  tfjs = os.path.join(reference_predict.NODE_MODULES, "@tensorflow", "tfjs")
  if not os.path.isdir(tfjs) or shutil.which("node") is None:
    print("TensorFlow.js (%s) or node absent" % tfjs, file=sys.stderr)
    return 77
  os.makedirs(args.out_dir, exist_ok=True)
  jieba.setLogLevel(60)
  rows = sentences()
  fit = evenly(rows, args.fit)
  check = evenly(rows, args.check, offset=len(rows) // (2 * args.check) + 1)
  # Python's pipeline: Tokenizer fitted on jieba's default cut joined by spaces.
  default = jieba.Tokenizer()
  tokenizer = Tokenizer(num_words=V)
  tokenizer.fit_on_texts([" ".join(default.lcut(s)) for s in fit])
  with open(os.path.join(args.out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
    f.write(tokenizer.to_json())
  user_dict = os.path.join(args.out_dir, "user.dict")
  with open(user_dict, "w", encoding="utf-8") as f:
    f.write(user_dict_text(default, fit, check))
  user = jieba.Tokenizer()  # after the default one: Force_Split_Words is process-wide
  user.load_userdict(user_dict)
  ids = {}
  for prefix, tok in (("", default), ("user:", user)):
    for mode in ("jieba", "jieba-nohmm", "jieba-search"):
      seqs = tokenizer.texts_to_sequences([" ".join(cut(tok, mode, s)) for s in check])
      ids[prefix + mode] = pad_sequences(seqs, maxlen=T).tolist()
  with open(os.path.join(args.out_dir, "sentences.txt"), "w", encoding="utf-8") as f:
    f.write("".join(s + "\n" for s in check))
  with open(os.path.join(args.out_dir, "train.csv"), "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(["text", "label"])
    w.writerows((s, "ab"[i % 2]) for i, s in enumerate(fit + check))
  fitted = Tokenizer()
  fitted.fit_on_texts([" ".join(user.lcut(s)) for s in fit + check])
  with open(os.path.join(args.out_dir, "train_word_index.json"), "w", encoding="utf-8") as f:
    json.dump(fitted.word_index, f, ensure_ascii=False)

  net = Net("chinese_lstm", T, V, seed=20261126)
  net.chain(("Embedding", dict(input_dim=V, output_dim=8, mask_zero=False)),
            ("LSTM", dict(units=6, recurrent_activation="sigmoid")),
            ("Dense", dict(units=len(LABELS), activation="softmax")))
  layout = model_writer.LAYOUTS["tf2.11"]
  net.assign_names(layout.style)
  model_path, _ = model_writer.write(net, layout, args.out_dir)
  result = reference_predict.predict_many([("chinese", model_path, None, ids["jieba"])])["chinese"]
  if "outputs" not in result:
    print("reference failed: %s" % result.get("error"), file=sys.stderr)
    return 1
  with open(os.path.join(args.out_dir, "expected.json"), "w", encoding="utf-8") as f:
    json.dump({"maxlen": T, "labels": LABELS, "ids": ids, "scores": result["outputs"],
               "engine": result["engine"]}, f, ensure_ascii=False)
  return 0


if __name__ == "__main__":
  sys.exit(main())
