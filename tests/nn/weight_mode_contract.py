#!/usr/bin/python3
"""The accuracy contract of the reduced weight modes (issue 19 item 4), against Keras' own
outputs (never against quiver's fp32 output):

  mode              | max |delta| of an output: real models | golden models | decisions changed
  bf16              | <= 5e-3                                | <= 5e-3       | 0 (real models)
  bf16, VDPBF16PS   | <= 2e-2                                | <= 2e-2       | 0 (real models)
  int8              | <= 2e-2                                | <= 1e-2       | 0 (real models)

(bf16 with VDPBF16PS, on CPUs with AVX512_BF16, rounds the activations to bf16 too.)

fp32 stays within 1e-5 of Keras (nn_keras_models, golden_tfjs_models). The bounds are
documented in docs/nn.md ("Weight modes"); a decision is the argmax over the last axis, or
> 0.5 for a one-unit output, of every output of the row.

1. The real Keras models of ../shared/keras-models (their inputs.jsonl / expected.jsonl from
   Keras itself): `quiver predict --input-ids --weights MODE`. Skipped, and said so, when the
   folder is absent.
2. The generated golden models of tests/golden (expected values from TensorFlow.js Layers or
   the numpy Keras reference; run_golden.py generates them, cached by hash in --golden-work):
   the recurrent ones (LSTM, GRU, SimpleRNN, CuDNN, Bidirectional), whose outputs the modes
   change. Outputs that are not bounded probabilities are compared relative to
   max(1, |expected|).

3. Held-out sentences of three sentiment models (the issue's example): LSTM, BiLSTM and BiGRU
   trained here by `quiver train` (32 units, 5 epochs, maxlen 40, seed 1) on 4/5 of the UCI
   Sentiment Labelled Sentences (amazon, imdb, yelp; scripts/sentiment-data.mjs from the npm
   `sentiment` package's fixtures), every 5th sentence held out (600 in all): against the
   same model in fp32, max |delta prob| <= 5e-3 (bf16 with VDPBF16PS: 2e-2) and >= 99.5 %
   identical decisions per mode.
   Skipped, and said so, without node or the fixtures.

Usage: weight_mode_contract.py --quiver build/quiver [--shared ../shared]
                               [--golden-work build/golden_cases] [--work DIR]
                               [--modes bf16,int8] [--parts real,golden,sentiment] [--report]
--report prints every model's figures. Exit 0 pass, 1 fail, 77 when nothing could be checked.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))

BOUNDS = {  # mode: (real models, golden models)
    "bf16": (5e-3, 5e-3),
    "bf16-dot": (2e-2, 2e-2),
    "int8": (2e-2, 1e-2),
}


def bf16_dot_products():
  """Whether quiver's bf16 mode uses VDPBF16PS here (simd_level() == kAvx512Bf16)."""
  cap = os.environ.get("QUIVER_SIMD")
  if cap is not None and cap != "avx512bf16":
    return False
  try:
    with open("/proc/cpuinfo") as f:
      return "avx512_bf16" in f.read().split()
  except OSError:
    return False


def bound(mode, part):
  if mode == "bf16" and bf16_dot_products():
    mode = "bf16-dot"
  return BOUNDS[mode][part]
RECURRENT = ("lstm", "gru", "simple_rnn", "simplernn", "cudnn", "bidirectional", "rnn")


def flat(v):
  return [x for y in v for x in flat(y)] if isinstance(v, list) else \
      [float("nan") if v is None else float(v)]


def scores(row):
  return row["scores"] if isinstance(row, dict) else row


def decisions(v):
  """Argmax over the last axis (or > 0.5 for one unit) of every output of a row."""
  if isinstance(v, list) and v and all(not isinstance(x, list) for x in v):
    if len(v) == 1:
      return (v[0] is not None and v[0] > 0.5,)
    return (max(range(len(v)), key=lambda i: -math.inf if v[i] is None else v[i]),)
  if isinstance(v, list):
    return tuple(d for x in v for d in decisions(x))
  return (v is not None and v > 0.5,)


def predict(quiver, model, arch, mode, inputs_path):
  cmd = [quiver, "predict", "--model", model, "--input-ids", "--weights", mode]
  if arch:
    cmd += ["--architecture", arch]
  with open(inputs_path) as f:
    p = subprocess.run(cmd, stdin=f, capture_output=True, text=True, timeout=300)
  if p.returncode != 0:
    raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[-500:]))
  return p.stdout


def diffs(expected, actual, relative):
  """(max |delta| (relative to max(1, |e|) when asked), rows whose decisions differ)."""
  if len(expected) != len(actual):
    return math.inf, len(expected)
  worst, changed = 0.0, 0
  for e, a in zip(expected, actual):
    fe, fa = flat(scores(e)), flat(scores(a))
    if len(fe) != len(fa):
      return math.inf, len(expected)
    for x, y in zip(fe, fa):
      if math.isnan(x) or math.isnan(y):
        if not (math.isnan(x) and math.isnan(y)):
          return math.inf, len(expected)
        continue
      worst = max(worst, abs(x - y) / (max(1.0, abs(x)) if relative else 1.0))
    changed += decisions(scores(e)) != decisions(scores(a))
  return worst, changed


def real_models(a, modes, failures, report):
  root = os.path.join(a.shared, "keras-models")
  if not os.path.isdir(root):
    print("real models skipped: %s is absent" % root)
    return 0
  from run_golden import parse_rows
  checked = 0
  for name in sorted(os.listdir(root)):
    d = os.path.join(root, name)
    expected_path = os.path.join(d, "expected.jsonl")
    if not os.path.isfile(expected_path):
      continue
    model = next((os.path.join(d, f) for f in ("model.h5", "model.keras", "weights.h5")
                  if os.path.exists(os.path.join(d, f))), None)
    arch = next((os.path.join(d, f) for f in ("architecture.json", "architecture.yml")
                 if os.path.exists(os.path.join(d, f))), None)
    with open(expected_path) as f:
      expected = parse_rows(f.read())
    for mode in modes:
      worst, changed = diffs(expected, parse_rows(
          predict(a.quiver, model, arch, mode, os.path.join(d, "inputs.jsonl"))), False)
      limit = bound(mode, 0)
      ok = worst <= limit and changed == 0
      if report or not ok:
        print("%-4s %-4s %-40s rows %3d  max |delta| %.2e (bound %.0e)  decisions changed %d"
              % ("ok" if ok else "FAIL", mode, name, len(expected), worst, limit, changed))
      if not ok:
        failures.append("%s %s" % (mode, name))
      checked += 1
  print("real models: %d model x mode checks" % checked)
  return checked


def golden_models(a, modes, failures, report):
  import run_golden
  missing = run_golden.deps_missing()
  if missing:
    print("golden models skipped: %s" % missing)
    return 0
  folder, manifest = run_golden.generate(a.golden_work)
  known = run_golden.read_known(os.path.join(ROOT, "tests", "golden", "known_failures.txt"))
  checked = 0
  for meta in manifest:
    name = meta["name"]
    if name in known or not any(k in name.lower() for k in RECURRENT):
      continue
    d = os.path.join(folder, name)
    with open(os.path.join(d, "expected.jsonl")) as f:
      expected = run_golden.parse_rows(f.read())
    arch = os.path.join(d, meta["architecture"]) if meta.get("architecture") else None
    for mode in modes:
      try:
        out = predict(a.quiver, os.path.join(d, meta["model"]), arch, mode,
                      os.path.join(d, "inputs.jsonl"))
      except RuntimeError as e:
        print("FAIL %s %s: %s" % (mode, name, e))
        failures.append("%s %s" % (mode, name))
        continue
      worst, _ = diffs(expected, run_golden.parse_rows(out), True)
      limit = bound(mode, 1)
      ok = worst <= limit
      if report or not ok:
        print("%-4s %-4s %-60s max rel |delta| %.2e (bound %.0e)"
              % ("ok" if ok else "FAIL", mode, name, worst, limit))
      if not ok:
        failures.append("%s %s" % (mode, name))
      checked += 1
  print("golden models: %d model x mode checks" % checked)
  return checked


SENTIMENT = (("amazon", "lstm"), ("imdb", "bilstm"), ("yelp", "bigru"))
SENTIMENT_MAX_DELTA = 5e-3
SENTIMENT_MIN_SAME = 0.995


def sentiment_data(work):
  """The three CSVs (text,label), generated from the npm `sentiment` fixtures when needed."""
  data = os.path.join(ROOT, "examples", "data")
  if all(os.path.isfile(os.path.join(data, n + ".csv")) for n, _ in SENTIMENT):
    return data
  npm = os.environ.get("QUIVER_NPM_DIR") or os.path.join(ROOT, "third_party", "npm",
                                                         "node_modules")
  fixtures = [os.path.join(npm, "sentiment", "test", "fixtures"),
              os.path.join(ROOT, "third_party", "cache", "sentiment-5.0.2", "test", "fixtures")]
  src = next((f for f in fixtures if os.path.isdir(f)), None)
  if src is None or not shutil.which("node"):
    return None
  data = os.path.join(work, "data")
  subprocess.run(["node", os.path.join(ROOT, "scripts", "sentiment-data.mjs"), src, data],
                 check=True, capture_output=True)
  return data


def sentiment_models(a, modes, failures, report):
  import csv
  os.makedirs(a.work, exist_ok=True)
  data = sentiment_data(a.work)
  if data is None:
    print("sentiment models skipped: node or the npm sentiment fixtures are missing")
    return 0
  checked = 0
  total = {m: [0, 0, 0.0] for m in modes}  # sentences, same decisions, max |delta|
  for name, kind in SENTIMENT:
    with open(os.path.join(data, name + ".csv"), newline="") as f:
      records = list(csv.DictReader(f))
    train = [r for i, r in enumerate(records) if i % 5 != 4]
    held = [r for i, r in enumerate(records) if i % 5 == 4]
    train_csv = os.path.join(a.work, name + "_train.csv")
    with open(train_csv, "w", newline="") as f:
      w = csv.DictWriter(f, fieldnames=["text", "label"])
      w.writeheader()
      w.writerows({"text": r["text"], "label": r["label"]} for r in train)
    model = os.path.join(a.work, "%s_%s.h5" % (name, kind))
    p = subprocess.run([a.quiver, "train", "--data", train_csv, "--model", model, "--type", kind,
                        "--epochs", "5", "--maxlen", "40", "--seed", "1", "--threads", "2"],
                       capture_output=True, text=True)
    if p.returncode != 0:
      raise RuntimeError("quiver train %s: %s" % (name, p.stderr.strip()[-500:]))
    texts = os.path.join(a.work, name + "_held_out.txt")
    with open(texts, "w") as f:
      f.writelines(" ".join(r["text"].split()) + "\n" for r in held)
    out = {}
    for mode in ["fp32"] + modes:
      with open(texts) as f:
        p = subprocess.run([a.quiver, "predict", "--model", model, "--tokenizer",
                            model[:-3] + ".tokenizer.json", "--weights", mode], stdin=f,
                           capture_output=True, text=True)
      if p.returncode != 0:
        raise RuntimeError("quiver predict %s %s: %s" % (name, mode, p.stderr.strip()[-500:]))
      out[mode] = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    labels = sorted({r["label"] for r in records})
    right = sum(labels[max(range(len(labels)), key=lambda k: o["scores"][k])] == r["label"]
                for o, r in zip(out["fp32"], held))
    if report:
      print("     fp32 %-14s held-out accuracy %.3f" % ("%s (%s)" % (name, kind),
                                                        right / len(held)))
    for mode in modes:
      worst, changed = diffs(out["fp32"], out[mode], False)
      t = total[mode]
      t[0] += len(held)
      t[1] += len(held) - changed
      t[2] = max(t[2], worst)
      if report:
        print("     %-4s %-14s held out %d  max |delta prob| vs fp32 %.2e  decisions changed %d"
              % (mode, "%s (%s)" % (name, kind), len(held), worst, changed))
  for mode in modes:
    n, same, worst = total[mode]
    limit = SENTIMENT_MAX_DELTA if mode == "int8" or not bf16_dot_products() else bound(mode, 0)
    ok = worst <= limit and same >= SENTIMENT_MIN_SAME * n
    print("%-4s %-4s sentiment held-out: %d sentences, %.2f %% identical decisions (bound %.1f %%),"
          " max |delta prob| %.2e (bound %.0e)" % ("ok" if ok else "FAIL", mode, n,
                                                   100.0 * same / n, 100 * SENTIMENT_MIN_SAME,
                                                   worst, limit))
    if not ok:
      failures.append("%s sentiment" % mode)
    checked += 1
  return checked


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
  ap.add_argument("--golden-work", default=os.path.join(ROOT, "build", "golden_cases"))
  ap.add_argument("--modes", default="bf16,int8")
  ap.add_argument("--parts", default="real,golden,sentiment")
  ap.add_argument("--work", default=os.path.join(ROOT, "build", "weight_mode_contract"),
                  help="folder for the sentiment models and data")
  ap.add_argument("--report", action="store_true")
  a = ap.parse_args()
  modes = a.modes.split(",")
  failures = []
  checked = 0
  if "real" in a.parts:
    checked += real_models(a, modes, failures, a.report)
  if "golden" in a.parts:
    checked += golden_models(a, modes, failures, a.report)
  if "sentiment" in a.parts:
    checked += sentiment_models(a, modes, failures, a.report)
  if failures:
    print("%d failed: %s" % (len(failures), ", ".join(failures)))
    return 1
  if checked == 0:
    print("nothing checked")
    return 77
  print("all %d checks within the contract" % checked)
  return 0


if __name__ == "__main__":
  sys.exit(main())
