#!/usr/bin/python3
"""Golden test driver: quiver's numbers against the independent Keras reference.

usage: run_golden.py --quiver BIN [--work DIR] [--known FILE] [--only SUBSTRING] [--jobs N]
                     [--write-known FILE]

Generates every case of make_models.py into WORK/<hash of the generator sources>/ (reused
when it exists, so reruns are fast), runs `quiver predict --model M [--architecture A]
--input-ids` on each case's inputs.jsonl, and compares with expected.jsonl: max abs diff
<= 1e-5 (NaN, which Keras gives for a masked mean over an all-padding row, must be NaN).
Each case runs a second time with the rows reversed; every row's output must be bit-identical
(a row's result may not depend on its batch). Prints one line per case and 'N passed, N failed'.
Cases listed in known_failures.txt (name + reason per line) are reported as expected failures
and do not fail the run.
--write-known FILE rewrites such a list with exactly the cases that fail now.
Exit code 77 (CTest SKIP_RETURN_CODE) when python3-h5py / numpy or node is missing.
"""

import argparse
import concurrent.futures
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-5
SKIP = 77


def generator_hash():
  h = hashlib.sha256()
  for name in sorted(os.listdir(HERE)):
    if name.endswith((".py", ".mjs")) and name != "run_golden.py":
      with open(os.path.join(HERE, name), "rb") as f:
        h.update(name.encode() + f.read())
  return h.hexdigest()[:16]


def generate(work):
  folder = os.path.join(work, generator_hash())
  manifest = os.path.join(folder, "manifest.json")
  if not os.path.exists(manifest):
    os.makedirs(work, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="gen-", dir=work)  # private: parallel runs may race
    proc = subprocess.run([sys.executable, os.path.join(HERE, "make_models.py"), tmp],
                          capture_output=True, text=True)
    if proc.returncode != 0:
      print(proc.stdout[-3000:] + proc.stderr[-3000:])
      raise SystemExit("make_models.py failed")
    try:
      os.rename(tmp, folder)
    except OSError:  # another run finished first; use its copy
      shutil.rmtree(tmp, ignore_errors=True)
  with open(manifest) as f:
    return folder, json.load(f)


_NONFINITE = re.compile(r"(?<![\w.])(-?)(nan|inf|infinity)(?![\w])", re.IGNORECASE)


def parse_rows(text):
  """JSON lines, accepting the bare nan / inf tokens printf("%.9g") produces."""
  rows = []
  for line in text.splitlines():
    if line.strip():
      fixed = _NONFINITE.sub(lambda m: (m.group(1) + ("Infinity" if m.group(2).lower()
                                                      .startswith("inf") else "NaN"))
                             .replace("-NaN", "NaN"), line)
      rows.append(json.loads(fixed))
  return rows


def flat(v):
  return [x for y in v for x in flat(y)] if isinstance(v, list) else \
      [float("nan") if v is None else float(v)]


def compare(expected, actual):
  """(ok, message) for two lists of rows."""
  if len(expected) != len(actual):
    return False, "%d rows expected, %d printed" % (len(expected), len(actual))
  worst = 0.0
  for i, (e, a) in enumerate(zip(expected, actual)):
    fe, fa = flat(e), flat(a)
    if len(fe) != len(fa):
      return False, "row %d: %d values expected, %d printed" % (i, len(fe), len(fa))
    for x, y in zip(fe, fa):
      if math.isnan(x) or math.isnan(y):
        if not (math.isnan(x) and math.isnan(y)):
          return False, "row %d: NaN mismatch (expected %r, got %r)" % (i, x, y)
        continue
      worst = max(worst, abs(x - y))
  return worst <= TOL, "max diff %.2e" % worst


def _predict(quiver, d, meta, rows_text):
  """(ok, stdout or message) of one `quiver predict --input-ids` run."""
  args = [quiver, "predict", "--model", os.path.join(d, meta["model"])]
  if meta.get("architecture"):
    args += ["--architecture", os.path.join(d, meta["architecture"])]
  args.append("--input-ids")
  try:
    proc = subprocess.run(args, input=rows_text, capture_output=True, text=True, timeout=60)
  except subprocess.TimeoutExpired:
    return False, "timeout after 60 s"
  if proc.returncode != 0:
    first = (proc.stderr.strip().splitlines() or ["(no message)"])[0]
    first = first.replace(d + os.sep, "")  # keep messages free of the temp folder
    return False, "exit %d: %s" % (proc.returncode, first[:300])
  return True, proc.stdout


def run_case(quiver, folder, meta):
  """Compares with expected.jsonl, then reruns with the rows reversed: each row's output must
  be bit-identical whatever batch it is in (issue 2's isolation promise)."""
  d = os.path.join(folder, meta["name"])
  with open(os.path.join(d, "inputs.jsonl")) as f:
    lines = [l for l in f.read().splitlines() if l.strip()]
  ok, out = _predict(quiver, d, meta, "\n".join(lines) + "\n")
  if not ok:
    return False, out
  try:
    actual = parse_rows(out)
  except ValueError as e:
    return False, "unreadable output: %s" % e
  with open(os.path.join(d, "expected.jsonl")) as f:
    expected = parse_rows(f.read())
  ok, msg = compare(expected, actual)
  if not ok:
    return ok, msg
  ok2, out2 = _predict(quiver, d, meta, "\n".join(reversed(lines)) + "\n")
  if not ok2:
    return False, "rerun with rows reversed: " + out2
  again = list(reversed(out2.strip().splitlines()))
  first = out.strip().splitlines()
  changed = [i for i, (a, b) in enumerate(zip(first, again)) if a != b]
  if changed or len(first) != len(again):
    return False, "%s, but rows %s change when the batch order changes" % (msg, changed)
  return True, msg


def read_known(path):
  known = {}
  if path and os.path.exists(path):
    with open(path) as f:
      for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
          name, _, reason = line.partition(" ")
          known[name] = reason.strip()
  return known


def write_known(path, failures):
  with open(path, "w") as f:
    f.write("# Golden cases quiver fails today: case name, then the symptom (max diff or first\n"
            "# error line). run_golden.py reports them as expected failures; remove a line when\n"
            "# the case passes. Regenerate: run_golden.py --quiver Q --write-known THIS_FILE\n")
    for name, msg in failures:
      f.write("%s %s\n" % (name, " ".join(msg.split())))


def deps_missing():
  if shutil.which("node") is None:
    return "node is missing"
  try:
    import h5py  # noqa: F401
    import numpy  # noqa: F401
  except ImportError as e:
    return "python3-h5py / numpy missing (%s)" % e
  return None


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--work", default=os.path.join(HERE, "../../build/golden_cases"))
  ap.add_argument("--known", default=os.path.join(HERE, "known_failures.txt"))
  ap.add_argument("--only", default="")
  ap.add_argument("--jobs", type=int, default=2)
  ap.add_argument("--write-known", help="write the failing cases (name + first error) here")
  args = ap.parse_args()
  missing = deps_missing()
  if missing:
    print("SKIP golden_tfjs_models: %s" % missing)
    return SKIP
  folder, metas = generate(os.path.abspath(args.work))
  metas = [m for m in metas if args.only in m["name"]]
  known = read_known(args.known)
  with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
    results = list(pool.map(lambda m: run_case(args.quiver, folder, m), metas))
  passed = failed = xfail = 0
  for meta, (ok, msg) in zip(metas, results):
    ref = meta.get("engine", "?")
    if ok:
      status = "ok" if meta["name"] not in known else "ok (XPASS: remove from known_failures.txt)"
      passed += 1
    elif meta["name"] in known:
      status, xfail = "expected failure (%s)" % known[meta["name"]], xfail + 1
    else:
      status, failed = "FAIL", failed + 1
    print("%-42s %-5s %s  [%s]  %s" % (meta["name"], ref, msg, meta["layout"], status))
  print("golden cases in %s" % folder)
  if args.write_known:
    write_known(args.write_known, [(m["name"], msg) for m, (ok, msg) in zip(metas, results)
                                   if not ok])
  print("%d passed, %d failed (%d expected failures listed in known_failures.txt)"
        % (passed, failed, xfail))
  return 1 if failed else 0


if __name__ == "__main__":
  sys.exit(main())
