#!/usr/bin/python3
"""Accuracy and speed of quiver's weight modes (issue 5): fp32 (exact), bf16, int8.

1. The real Keras models of ../shared/keras-models: `quiver predict --input-ids --weights W`
   on each model's inputs.jsonl; max abs diff against Keras' expected.jsonl and against
   quiver fp32, and decisions changed against fp32 (argmax over the last axis; one-unit
   outputs: > 0.5).
2. Sentiment models trained here with `quiver train` on the UCI Sentiment Labelled Sentences
   (examples/data/{amazon,imdb,yelp}.csv from scripts/sentiment-data.mjs): LSTM, BiLSTM and
   BiGRU, 196 units; every sentence of the CSV through `quiver predict --tokenizer`; the same
   diffs, and the accuracy on the CSV's labels per mode.
3. Speed: `quiver bench` on the inference benchmark's bilstm_t40 (bench/run.sh's models) at
   batch 1 and 256, one thread, per mode.
Prints Markdown tables. The machine may be shared: speed figures are indicative.

Usage: bench/weight_modes.py --quiver build/quiver [--work DIR] [--epochs N] [--seconds S]
"""

import argparse
import csv as csvmod
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODES = ("fp32", "bf16", "int8")


def run(cmd, stdin_path=None):
  with open(stdin_path) if stdin_path else open(os.devnull) as f:
    p = subprocess.run(cmd, stdin=f, capture_output=True, text=True)
  if p.returncode != 0:
    sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stderr.strip()[-2000:]))
  return p.stdout


def rows_of(text):
  return [json.loads(l) for l in text.splitlines() if l.strip()]


def flat(v):
  return np.concatenate([flat(x) for x in v]) if isinstance(v, list) else np.array([float(v)])


def decisions(row):
  """The row's decisions: argmax over the last axis, or > 0.5 for one-unit outputs."""
  if isinstance(row, dict):
    row = row["scores"]
  try:
    a = np.array(row, dtype=np.float64)
  except ValueError:  # several outputs of different shapes
    return tuple(d for part in row for d in decisions(part))
  if a.ndim == 0 or a.shape[-1] == 1:
    return tuple((a.reshape(-1) > 0.5).tolist())
  return tuple(np.argmax(a, axis=-1).reshape(-1).tolist())


def scores(row):
  return flat(row["scores"] if isinstance(row, dict) else row)


def compare(base, other):
  """(max abs diff, rows whose decisions differ) between two lists of output rows."""
  d = max(float(np.max(np.abs(scores(a) - scores(b)))) for a, b in zip(base, other))
  changed = sum(decisions(a) != decisions(b) for a, b in zip(base, other))
  return d, changed


def real_models(a):
  root = os.path.join(a.shared, "keras-models")
  print("\n### Real Keras models (%s)\n" % root)
  print("| model | rows | fp32 vs Keras | bf16 vs Keras | bf16 vs fp32 | bf16 changed | "
        "int8 vs Keras | int8 vs fp32 | int8 changed |")
  print("|---|---|---|---|---|---|---|---|---|")
  for name in sorted(os.listdir(root)):
    d = os.path.join(root, name)
    expected = os.path.join(d, "expected.jsonl")
    if not os.path.isfile(expected):
      continue
    model = next(os.path.join(d, f) for f in ("model.h5", "model.keras", "weights.h5")
                 if os.path.exists(os.path.join(d, f)))
    cmd = [a.quiver, "predict", "--model", model, "--input-ids"]
    for arch in ("architecture.json", "architecture.yml"):
      if os.path.exists(os.path.join(d, arch)):
        cmd += ["--architecture", os.path.join(d, arch)]
    keras = rows_of(open(expected).read())
    out = {m: rows_of(run(cmd + ["--weights", m], os.path.join(d, "inputs.jsonl"))) for m in MODES}
    cells = ["%.1e" % compare(keras, out["fp32"])[0]]
    for m in ("bf16", "int8"):
      vk, _ = compare(keras, out[m])
      vf, ch = compare(out["fp32"], out[m])
      cells += ["%.1e" % vk, "%.1e" % vf, "%d" % ch]
    print("| %s | %d | %s |" % (name, len(keras), " | ".join(cells)), flush=True)


def trained_models(a):
  data = os.path.join(ROOT, "examples", "data")
  if not os.path.isfile(os.path.join(data, "yelp.csv")):
    run(["node", os.path.join(ROOT, "scripts", "sentiment-data.mjs"),
         os.path.join(ROOT, "third_party", "npm", "node_modules", "sentiment", "test", "fixtures"),
         data])
  os.makedirs(a.work, exist_ok=True)
  print("\n### Sentiment models trained by quiver (UCI sentences, %d epochs, 196 units)\n" %
        a.epochs)
  print("| model | sentences | fp32 accuracy | bf16 accuracy | int8 accuracy | bf16 vs fp32 | "
        "bf16 changed | int8 vs fp32 | int8 changed |")
  print("|---|---|---|---|---|---|---|---|---|")
  for name, kind in (("amazon", "lstm"), ("imdb", "bilstm"), ("yelp", "bigru")):
    csv = os.path.join(data, name + ".csv")
    model = os.path.join(a.work, "%s_%s.h5" % (name, kind))
    if not os.path.exists(model):
      run([a.quiver, "train", "--data", csv, "--model", model, "--type", kind, "--epochs",
           str(a.epochs), "--maxlen", "40", "--threads", "2"])
    with open(csv, newline="") as f:
      records = list(csvmod.DictReader(f))
    texts = os.path.join(a.work, name + ".txt")
    with open(texts, "w") as f:
      f.writelines(" ".join(r["text"].split()) + "\n" for r in records)
    labels = [r["label"] for r in records]
    tok = model[:-3] + ".tokenizer.json"
    out = {m: rows_of(run([a.quiver, "predict", "--model", model, "--tokenizer", tok,
                           "--weights", m], texts)) for m in MODES}
    acc = {m: np.mean([["negative", "positive"][int(np.argmax(r["scores"]))] == l
                       for r, l in zip(out[m], labels)]) for m in MODES}
    cells = ["%.4f" % acc[m] for m in MODES]
    for m in ("bf16", "int8"):
      vf, ch = compare(out["fp32"], out[m])
      cells += ["%.1e" % vf, "%d" % ch]
    print("| %s (%s) | %d | %s |" % (name, kind, len(labels), " | ".join(cells)), flush=True)


def speed(a):
  model = os.path.join(a.models, "bilstm_t40.h5")
  if not os.path.exists(model):
    print("\n(speed skipped: %s missing; bench/run.sh writes it)" % model)
    return
  print("\n### Speed, bilstm_t40 (Embedding(2000,128) → BiLSTM(196) → Dense(2)), 1 thread\n")
  print("| weights | batch 1 median ms | batch 256 sentences/s | load ms | RSS MB |")
  print("|---|---|---|---|---|")
  for m in MODES:
    r = {b: json.loads(run([a.quiver, "bench", "--model", model, "--batch", str(b), "--seq-len",
                            "40", "--threads", "1", "--seconds", str(a.seconds), "--weights", m]))
         for b in (1, 256)}
    print("| %s | %.3f | %.0f | %.1f | %.1f |" % (m, r[1]["median_ms"], r[256]["sentences_per_s"],
                                                 r[1]["load_ms"], r[1]["rss_mb"]), flush=True)


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
  ap.add_argument("--work", help="folder for the trained models (default: next to quiver)")
  ap.add_argument("--models", help="bench/run.sh's model folder (default: next to quiver)")
  ap.add_argument("--epochs", type=int, default=3)
  ap.add_argument("--seconds", type=float, default=2.0)
  ap.add_argument("--parts", default="real,trained,speed")
  a = ap.parse_args()
  build = os.path.dirname(os.path.abspath(a.quiver))
  a.work = a.work or os.path.join(build, "weight-modes")
  a.models = a.models or os.path.join(build, "bench-models")
  with open("/proc/loadavg") as f:
    print("load average before: %s" % " ".join(f.read().split()[:3]))
  parts = a.parts.split(",")
  if "real" in parts:
    real_models(a)
  if "trained" in parts:
    trained_models(a)
  if "speed" in parts:
    speed(a)


if __name__ == "__main__":
  main()
