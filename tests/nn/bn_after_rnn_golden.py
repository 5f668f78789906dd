#!/usr/bin/python3
"""BatchNormalization after recurrent layers, at every kernel level, against float64 numpy.

usage: bn_after_rnn_golden.py --quiver BIN [--work DIR] [--tol 2e-6]

The shape of the real Keras 3.5 model of issue 16: Embedding -> Bidirectional(LSTM,
return_sequences) -> BatchNormalization -> Bidirectional(LSTM) -> BatchNormalization ->
Dense(relu) -> Dense(12, softmax). BatchNormalization multiplies its input by
gamma / sqrt(moving_variance + epsilon); here the moving variances are small (0.01-0.05, as
after tanh-bounded LSTM outputs) and gamma up to 2, so the scale is 4-20 and an error in the
LSTM's gate math is amplified as in that model (the earlier AVX-512 sigmoid/tanh gave 1.3e-5
on it). Written as a Keras 3 .keras zip and a tf.keras 2.11 .h5 by tests/golden's writer;
the reference is tests/golden/keras_numpy_ref.py in float64 (the numpy Keras reference the
golden harness checks against TensorFlow.js and PyTorch). quiver predict --input-ids runs
under QUIVER_SIMD=plain, avx2, avx512 and avx512bf16 (each level caps the dispatch: on a CPU
without it, it runs the best level the CPU has) and must stay within --tol of the reference.
Exit 77 (skip) without python3-h5py / numpy.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden")
sys.path.insert(0, GOLDEN)

try:
  import numpy as np
  import model_writer
  import reference_predict
  from net_builder import Net
  from make_models import make_inputs
except ImportError as e:
  print("SKIP: %s" % e)
  sys.exit(77)

T, V, E, U = 24, 60, 16, 24
LEVELS = ["plain", "avx2", "avx512", "avx512bf16"]


def build(name, seed):
  net = Net(name, T, V, seed)
  bn = dict(axis=-1, epsilon=1e-3, center=True, scale=True)
  net.chain(
      ("Embedding", dict(input_dim=V, output_dim=E, mask_zero=False)),
      ("Bidirectional", dict(layer=net.inner("LSTM", units=U, return_sequences=True),
                             merge_mode="concat")),
      ("BatchNormalization", bn),
      ("Bidirectional", dict(layer=net.inner("LSTM", units=U), merge_mode="concat")),
      ("BatchNormalization", bn),
      ("Dense", dict(units=32, activation="relu")),
      ("Dense", dict(units=12, activation="softmax")))
  rng = np.random.default_rng(seed + 7)
  for node in net.nodes:
    if node.cls == "BatchNormalization":  # gamma, beta, moving_mean, moving_variance
      c = node.weights[0].shape
      node.weights[0] = rng.uniform(1.0, 2.0, c)
      node.weights[1] = rng.uniform(-0.2, 0.2, c)
      node.weights[2] = rng.uniform(-0.1, 0.1, c)
      node.weights[3] = rng.uniform(0.01, 0.05, c)
  return net


def max_diff(expected, actual):
  e = np.asarray(expected, dtype=np.float64)
  a = np.asarray(actual, dtype=np.float64)
  if e.shape != a.shape:
    raise ValueError("shape %s expected, %s printed" % (e.shape, a.shape))
  return float(np.max(np.abs(e - a)))


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--work", default=None)
  ap.add_argument("--tol", type=float, default=2e-6)
  args = ap.parse_args()
  work = args.work or tempfile.mkdtemp(prefix="quiver_bn_after_rnn_")
  failed = 0
  for layout_key in ("k3.8-keras", "tf2.11"):
    name = "bn_after_bilstm_" + layout_key.replace(".", "_").replace("-", "_")
    net = build(name, 1616)
    layout = model_writer.LAYOUTS[layout_key]
    net.assign_names(layout.style)
    folder = os.path.join(work, name)
    os.makedirs(folder, exist_ok=True)
    model, arch = model_writer.write(net, layout, folder)
    inputs = make_inputs(np.random.default_rng(16), T, V)
    ref = reference_predict.predict_many([(name, model, arch, inputs)], "numpy")[name]
    if "outputs" not in ref:
      print("FAIL %s: no numpy reference: %s" % (name, ref.get("error")))
      failed += 1
      continue
    rows = "".join(json.dumps(r) + "\n" for r in inputs)
    for level in LEVELS:
      env = dict(os.environ, QUIVER_SIMD=level)
      cmd = [args.quiver, "predict", "--model", model, "--input-ids"]
      proc = subprocess.run(cmd, input=rows, capture_output=True, text=True, env=env,
                            timeout=120)
      if proc.returncode != 0:
        print("FAIL %s QUIVER_SIMD=%s: exit %d: %s" % (name, level, proc.returncode,
                                                       proc.stderr.strip()[:300]))
        failed += 1
        continue
      actual = [json.loads(l) for l in proc.stdout.splitlines() if l.strip()]
      d = max_diff(ref["outputs"], actual)
      ok = d <= args.tol
      failed += not ok
      print("%s %s QUIVER_SIMD=%s: max abs diff %.2e (tolerance %.0e)"
            % ("ok  " if ok else "FAIL", name, level, d, args.tol))
  print("%s" % ("all passed" if not failed else "%d failed" % failed))
  return 1 if failed else 0


if __name__ == "__main__":
  sys.exit(main())
