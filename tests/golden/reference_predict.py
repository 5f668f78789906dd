#!/usr/bin/python3
"""Reference outputs for a Keras model, computed without quiver.

usage: reference_predict.py --model M [--architecture A] --inputs in.jsonl --out out.jsonl
                            [--engine tfjs|numpy|auto]

Reads the model with keras_file.py (h5py, independent of quiver's C++ reader), cleans the
config for TensorFlow.js (keras_config.py) and runs TensorFlow.js Layers (tfjs_predict.mjs,
pure-JS CPU backend). Where tfjs departs from Keras, the numpy reference of the Keras
equations (keras_numpy_ref.py) gives the values instead; `auto` (the default) picks tfjs when
it can reproduce Keras for this model and numpy otherwise, and says which and why on stdout.
Both engines run whenever possible and their maximum difference is reported: two independent
implementations that agree are the evidence for the expected values.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_config  # noqa: E402
import keras_file  # noqa: E402
import keras_numpy_ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE_MODULES = os.environ.get("QUIVER_NPM_DIR", os.path.join(ROOT, "third_party/npm/node_modules"))
AGREE_TOL = 1e-5

_RNN = ("LSTM", "GRU", "SimpleRNN")
# Layers where tfjs was seen to depart from Keras when a mask reaches them (measured with
# make_models.py --engine tfjs against the numpy reference): GlobalAveragePooling1D ignores the
# mask (Keras takes the masked mean). Other mask paths (Dense, TimeDistributed, Conv1D,
# merges) agreed; the tfjs-vs-numpy cross-check in predict_many catches any new departure.
_TFJS_MASK_BAD = {"GlobalAveragePooling1D", "GlobalAvgPool1D"}
_TFJS_MISSING_ACTIVATIONS = {"leaky_relu", "exponential"}
_WEIGHTED = set(_RNN) | {"Embedding", "Dense", "CuDNNLSTM", "CuDNNGRU", "Bidirectional",
                         "TimeDistributed", "Conv1D", "BatchNormalization", "LayerNormalization"}


def _walk_layers(layers):
  for l in layers:
    yield l
    inner = l["config"].get("layer")
    if isinstance(inner, dict):
      yield from _walk_layers([inner])


def tfjs_blockers(cleaned, graph, flav, masked_layers, causal_rewritten=False):
  """Reasons why tfjs would not reproduce Keras for this model (empty: tfjs is right)."""
  reasons = []
  by_name = {l["name"]: l for l in graph[0]}
  for l in _walk_layers(graph[0]):
    cls, cfg = l["class_name"], l["config"]
    if cls == "CuDNNGRU" or (cls == "GRU" and cfg.get("reset_after", False)):
      reasons.append("GRU reset_after=True (tfjs rejects it)")
    for key in ("activation", "recurrent_activation"):
      act = cfg.get(key)
      if act in _TFJS_MISSING_ACTIVATIONS:
        reasons.append("activation %s (not in tfjs)" % act)
      if act == "hard_sigmoid" and flav == "k3":
        reasons.append("hard_sigmoid in a Keras 3 file (tfjs uses 0.2x+0.5)")
    if cls in ("Attention", "AdditiveAttention", "MultiHeadAttention"):
      reasons.append("%s (not run by tfjs here; the numpy reference is checked against "
                     "PyTorch in check_numpy_ref.py)" % cls)
    if cls == "Conv1D" and cfg.get("padding") == "causal" and not causal_rewritten:
      reasons.append("causal Conv1D (tfjs lacks it)")
  for name in masked_layers:
    cls = by_name[name]["class_name"]
    if cls in _TFJS_MASK_BAD:
      reasons.append("masked %s (tfjs ignores the mask)" % cls)
    elif cls == "Bidirectional" and flav != "k2" and \
        by_name[name]["config"]["layer"]["config"].get("return_sequences"):
      reasons.append("masked Bidirectional return_sequences (tf.keras and Keras 3 zero the "
                     "padded outputs; tfjs carries them like standalone Keras 2)")
  return sorted(set(reasons))


def _causal_pad_layers(conv, in_len, channels):
  """Reshape + ZeroPadding2D + Reshape: left-pads (k-1)*d steps, which is causal padding."""
  k = keras_numpy_ref._int(conv["config"]["kernel_size"])
  pad = (k - 1) * keras_numpy_ref._int(conv["config"].get("dilation_rate", 1))
  name = conv["config"]["name"]
  conv["config"]["padding"] = "valid"
  return [{"class_name": "Reshape", "config": {"name": name + "_causal_a",
                                               "target_shape": [in_len, 1, channels]}},
          {"class_name": "ZeroPadding2D", "config": {"name": name + "_causal_b",
                                                     "padding": [[pad, 0], [0, 0]]}},
          {"class_name": "Reshape", "config": {"name": name + "_causal_c",
                                               "target_shape": [in_len + pad, channels]}}]


def _tfjs_causal(cleaned, shapes):
  """Rewrites causal Conv1D (which tfjs lacks) in a Sequential model; None if impossible."""
  if cleaned["class_name"] != "Sequential":
    return None
  out = []
  for l in cleaned["config"]["layers"]:
    if l["class_name"] == "Conv1D" and l["config"].get("padding") == "causal":
      in_shape = shapes.get(l["config"]["name"])
      if in_shape is None or "batch_input_shape" in l["config"]:
        return None
      out += _causal_pad_layers(l, in_shape[0], in_shape[1])
    out.append(l)
  cleaned["config"]["layers"] = out
  return cleaned


def _tfjs_model(cleaned, weights):
  """CuDNN layers become LSTM / GRU with converted weights (what Keras' loader does)."""
  layers = cleaned["config"]["layers"]
  weights = dict(weights)
  for l in layers:
    name = l["config"]["name"]
    inner = l["config"].get("layer")
    if l["class_name"] in ("CuDNNLSTM", "CuDNNGRU"):
      cls, cfg, w = keras_numpy_ref.cudnn_to_plain(l["class_name"], l["config"], weights[name])
      l["class_name"], l["config"], weights[name] = cls, cfg, w
    elif l["class_name"] == "Bidirectional" and inner["class_name"] in ("CuDNNLSTM", "CuDNNGRU"):
      w, h = weights[name], len(weights[name]) // 2
      cls, cfg, wf = keras_numpy_ref.cudnn_to_plain(inner["class_name"], inner["config"], w[:h])
      _, _, wb = keras_numpy_ref.cudnn_to_plain(inner["class_name"], inner["config"], w[h:])
      inner["class_name"], inner["config"], weights[name] = cls, cfg, wf + wb
  return cleaned, weights


class Prepared:
  """A model read and analysed, ready for either engine."""

  def __init__(self, case_id, model_path, architecture, inputs):
    self.id = case_id
    self.inputs = inputs
    data = keras_file.read_model(model_path, architecture)
    self.keras_version = data.keras_version
    self.flavour = keras_config.flavour(data.keras_version)
    config = data.config
    if data.keras_version.startswith("1"):
      config = keras_config.from_keras1(config)
    self.cleaned = keras_config.clean_config(config, self.flavour)
    self.graph = keras_config.to_graph(self.cleaned)
    self.weights = {k: [np.asarray(a, dtype=np.float64) for a in v]
                    for k, v in data.weights.items()}
    self._match_weights_by_order()
    if data.keras_version.startswith("1"):
      classes = {l["name"]: l["class_name"] for l in self.graph[0]}
      self.weights = {k: keras_file.keras1_weights(classes.get(k), v)
                      for k, v in self.weights.items()}

  def _match_weights_by_order(self):
    """Keras loads h5 weights by order of the layers that have weights (KERAS.md 1.2)."""
    names = {l["name"] for l in self.graph[0]}
    if all(k in names for k, v in self.weights.items() if v):
      return
    with_w = [v for v in self.weights.values() if v]
    needing = [l["name"] for l in self.graph[0] if l["class_name"] in _WEIGHTED]
    self.weights = dict(zip(needing, with_w))


def run_tfjs_batch(prepared, node="node"):
  """{id: outputs | Exception} for every model, in one Node process."""
  with tempfile.TemporaryDirectory() as tmp:
    cases = []
    for i, p in enumerate(prepared):
      topology, weights = _tfjs_model(json.loads(json.dumps(p.tfjs_config or p.cleaned)),
                                      p.weights)
      wfile = os.path.join(tmp, "w%d.bin" % i)
      entries, blobs = [], []
      for name, arrays in weights.items():
        entries.append({"layer": name, "shapes": [list(a.shape) for a in arrays]})
        blobs += [np.asarray(a, dtype="<f4").reshape(-1) for a in arrays]
      (np.concatenate(blobs) if blobs else np.zeros(0, "<f4")).tofile(wfile)
      cases.append({"id": str(i), "topology": topology, "weights_file": wfile,
                    "weights": entries, "inputs": p.inputs})
    job, result = os.path.join(tmp, "job.json"), os.path.join(tmp, "result.json")
    with open(job, "w") as f:
      json.dump({"node_modules": NODE_MODULES, "cases": cases}, f)
    proc = subprocess.run([node, os.path.join(HERE, "tfjs_predict.mjs"), job, result],
                          capture_output=True, text=True)
    if proc.returncode != 0:
      raise RuntimeError("tfjs_predict.mjs failed: %s" % proc.stderr.strip()[:500])
    with open(result) as f:
      res = json.load(f)
  out = {}
  for i, p in enumerate(prepared):
    r = res[str(i)]
    out[p.id] = np.asarray(r["outputs"]) if "outputs" in r else RuntimeError(r["error"])
  return out


def max_diff(a, b, finite_only=False):
  """Max |a - b|; NaN matches NaN (Keras' masked mean of an all-padding row is NaN), a NaN
  against a number is infinitely far unless finite_only (then such entries are skipped)."""
  a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
  if a.shape != b.shape:
    return float("inf")
  nan_a, nan_b = np.isnan(a), np.isnan(b)
  if (nan_a != nan_b).any() and not finite_only:
    return float("inf")
  d = np.abs(a - b)[~(nan_a | nan_b)]
  return float(d.max()) if d.size else 0.0


def predict_many(specs, engine="auto", measure_departures=False):
  """specs: [(id, model, architecture, inputs)] -> {id: result dict}.

  A result has "outputs" (list of rows) or "error", plus "engine", "reasons" (why tfjs was not
  used) and "agreement" (max |tfjs - numpy| when both ran). With measure_departures, tfjs also
  runs where it is known to depart from Keras and "tfjs_departure" records by how much.
  """
  results, prepared = {}, []
  for case_id, model, arch, inputs in specs:
    try:
      prepared.append(Prepared(case_id, model, arch, inputs))
    except Exception as e:  # a file the harness cannot read: report, don't stop the batch
      results[case_id] = {"error": "read: %s" % e}
  numpy_out = {}
  for p in prepared:
    try:
      outs, info = keras_numpy_ref.run(p.graph, p.weights, p.inputs, p.flavour)
      numpy_out[p.id] = outs[0] if len(outs) == 1 else ValueError("%d outputs" % len(outs))
      p.masked, p.shapes = info["masked_layers"], info["input_shapes"]
    except Exception as e:
      numpy_out[p.id] = e
      p.masked, p.shapes = [], {}
  for p in prepared:
    p.tfjs_config = p.cleaned
    if any(l["class_name"] == "Conv1D" and l["config"].get("padding") == "causal"
           for l in p.graph[0]):
      p.tfjs_config = _tfjs_causal(json.loads(json.dumps(p.cleaned)), p.shapes)
    p.blockers = tfjs_blockers(p.cleaned, p.graph, p.flavour, p.masked,
                               p.tfjs_config is not None)
  tfjs_out = {}
  if engine != "numpy":
    tfjs_out = run_tfjs_batch([p for p in prepared
                               if not p.blockers or engine == "tfjs" or measure_departures])
  for p in prepared:
    results[p.id] = _choose(p, numpy_out.get(p.id), tfjs_out.get(p.id), engine)
  return results


def _choose(p, npv, tfv, engine):
  r = {"reasons": p.blockers, "flavour": p.flavour}
  np_ok, tf_ok = not isinstance(npv, Exception), tfv is not None and not isinstance(tfv, Exception)
  if np_ok and tf_ok:
    if p.blockers and engine == "auto":
      r["tfjs_departure"] = max_diff(npv, tfv, finite_only=True)
    else:
      r["agreement"] = max_diff(npv, tfv)
  if isinstance(tfv, Exception):
    r["tfjs_error"] = str(tfv)
  if isinstance(npv, Exception):
    r["numpy_error"] = str(npv)
  use_tfjs = engine == "tfjs" or (engine == "auto" and not p.blockers)
  value, name = (tfv, "tfjs") if use_tfjs else (npv, "numpy")
  if value is None or isinstance(value, Exception):
    r["error"] = "%s: %s" % (name, value)
    return r
  if engine == "auto" and r.get("agreement", 0.0) > AGREE_TOL:
    r["error"] = "tfjs and numpy disagree by %.3g" % r["agreement"]
    return r
  r["engine"] = name
  r["outputs"] = np.asarray(value, dtype=np.float64).tolist()
  return r


def read_inputs(path):
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def describe(case_id, r):
  if "error" in r:
    return "%s: ERROR %s" % (case_id, r["error"])
  s = "%s: engine=%s" % (case_id, r["engine"])
  if r.get("reasons"):
    s += " (numpy reference because: %s)" % "; ".join(r["reasons"])
  if "agreement" in r:
    s += " tfjs-vs-numpy max diff %.2e" % r["agreement"]
  if "tfjs_departure" in r:
    s += "; tfjs departs from the Keras equations here by %.2e" % r["tfjs_departure"]
  elif r.get("reasons") and "tfjs_error" in r:
    s += "; tfjs: %s" % r["tfjs_error"][:80]
  return s


def main():
  ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
  ap.add_argument("--model", required=True)
  ap.add_argument("--architecture")
  ap.add_argument("--inputs", required=True)
  ap.add_argument("--out", required=True)
  ap.add_argument("--engine", choices=["tfjs", "numpy", "auto"], default="auto")
  args = ap.parse_args()
  r = predict_many([("model", args.model, args.architecture, read_inputs(args.inputs))],
                   args.engine)["model"]
  print(describe(args.model, r))
  if "error" in r:
    return 1
  with open(args.out, "w") as f:
    for row in r["outputs"]:
      f.write(json.dumps(row) + "\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())
