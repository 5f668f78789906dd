#!/usr/bin/python3
"""Validates the reference harness itself on ../shared/keras-models (Keras-reference outputs).

usage: check_shared_models.py [SHARED_DIR] [--tol 1e-6] [--engine auto|tfjs|numpy]
Each folder's model goes through reference_predict.predict_many and must match expected.jsonl
within the tolerance. CTest uses --engine numpy (seconds); the default `auto` also runs tfjs on
every model and requires both engines to agree, but tfjs needs minutes for the T=500 LSTMs.
Prints one line per model and 'N passed, N failed'.
Exits 77 (CTest SKIP_RETURN_CODE) with a SKIP line when the folder, python3-h5py or node is
missing.
"""

import argparse
import glob
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
  here = os.path.dirname(os.path.abspath(__file__))
  default = os.environ.get("QUIVER_SHARED_DIR", os.path.join(here, "../../../shared"))
  ap = argparse.ArgumentParser()
  ap.add_argument("shared", nargs="?", default=default)
  ap.add_argument("--tol", type=float, default=1e-6)
  ap.add_argument("--engine", default="auto", choices=["auto", "tfjs", "numpy"])
  args = ap.parse_args()
  folder = os.path.join(args.shared, "keras-models")
  if not os.path.isdir(folder):
    print("SKIP: %s is absent" % folder)
    return 77
  if shutil.which("node") is None:
    print("SKIP: node is missing")
    return 77
  try:
    import reference_predict  # needs h5py and numpy
  except ImportError as e:
    print("SKIP: %s" % e)
    return 77
  specs, expected = [], {}
  for d in sorted(glob.glob(os.path.join(folder, "*/"))):
    if not os.path.exists(os.path.join(d, "expected.jsonl")):
      continue
    name = os.path.basename(d.rstrip("/"))
    model = next(p for p in (os.path.join(d, m) for m in ("model.h5", "model.keras", "weights.h5"))
                 if os.path.exists(p))
    arch = next((p for p in (os.path.join(d, a) for a in ("architecture.json", "architecture.yml"))
                 if os.path.exists(p)), None)
    inputs = reference_predict.read_inputs(os.path.join(d, "inputs.jsonl"))
    specs.append((name, model, arch, inputs))
    expected[name] = reference_predict.read_inputs(os.path.join(d, "expected.jsonl"))
  results = reference_predict.predict_many(specs, args.engine)
  passed = failed = 0
  for name, _, _, _ in specs:
    r = results[name]
    if "error" in r:
      ok, msg = False, r["error"]
    else:
      d = reference_predict.max_diff(r["outputs"], expected[name])
      ok, msg = d <= args.tol, "max diff vs expected.jsonl %.2e" % d
    how = reference_predict.describe("", r)[2:] if "error" not in r else ""
    print("%-40s %-4s %s  %s" % (name, "ok" if ok else "FAIL", msg, how))
    passed, failed = passed + ok, failed + (not ok)
  print("%d passed, %d failed" % (passed, failed))
  return 0 if failed == 0 else 1


if __name__ == "__main__":
  sys.exit(main())
