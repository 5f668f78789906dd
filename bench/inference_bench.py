"""Runs quiver, ONNX Runtime, PyTorch and oneDNN (its RNN primitive in fp32, bf16 and int8,
bench/onednn_bench) side by side on the inference benchmark's models and prints one Markdown
table of quiver's figures and its ratios to every peer (called by bench/run.sh, which builds
quiver and writes the models first).

1. Agreement: every peer's outputs on inputs_T.jsonl (8 rows) against `quiver predict
   --input-ids`: max abs diff must be <= 1e-5 for the fp32 peers, or the run stops before
   timing anything; the reduced-precision engines' diffs (oneDNN bf16 / int8, quiver bf16 /
   int8) are reported in their own table. A mode oneDNN refuses on this CPU is reported as
   refused and not timed.
2. Timing: for each variant, T, batch in (1, 256) and threads in (1, 2), the three engines run
   one after the other (so they share the machine's state), each in its own process with the
   same one-line JSON protocol (quiver bench / ort_bench.mjs / torch_bench.py).
Ratios: batch 1 -> latency ratio quiver_ms / peer_ms (lower is better); batch > 1 ->
throughput ratio quiver_sentences_per_s / peer_sentences_per_s (higher is better).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def time_calls(call, seconds):
  """quiver bench's protocol for an in-process peer: a warm-up of at least 2 calls and 10 %
  of `seconds`, then calls for `seconds`. Returns the stats every peer prints: median and
  p90 of the per-call times (ms, nearest rank), the fastest call, and calls per second."""
  warm = time.perf_counter()
  n = 0
  while n < 2 or time.perf_counter() - warm < seconds * 0.1:
    call()
    n += 1
  times = []
  start = time.perf_counter()
  while not times or time.perf_counter() - start < seconds:
    s = time.perf_counter()
    call()
    times.append((time.perf_counter() - s) * 1000.0)
  total = time.perf_counter() - start
  return {"median_ms": round(float(np.percentile(times, 50, method="nearest")), 4),
          "p90_ms": round(float(np.percentile(times, 90, method="nearest")), 4),
          "min_ms": round(min(times), 4), "calls_per_s": len(times) / total}


def rss_mb():
  """VmRSS of this process in MB (the peers' rss_mb)."""
  with open("/proc/self/status") as f:
    for line in f:
      if line.startswith("VmRSS:"):
        return int(line.split()[1]) / 1024.0
  return -1.0


def run_json(cmd, env=None):
  p = subprocess.run(cmd, capture_output=True, text=True, env=env)
  if p.returncode != 0:
    sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stderr.strip()[-2000:]))
  return json.loads(p.stdout.strip().splitlines()[-1])


def torch_env():
  env = dict(os.environ, OPENBLAS_CORETYPE="SkylakeX")
  return env


class Engines:
  def __init__(self, args):
    self.a = args

  def cmd(self, engine, name, batch, seq_len, threads, check=None):
    m = os.path.join(self.a.models, name)
    common = ["--batch", str(batch), "--seq-len", str(seq_len), "--threads", str(threads),
              "--seconds", str(self.a.seconds)]
    if engine.startswith("quiver"):  # quiver, or quiver_bf16 / quiver_int8 beside it
      mode = engine.partition("_")[2] or self.a.weights
      weights = ["--weights", mode] if mode != "fp32" else []
      return [self.a.quiver, "bench", "--model", m + ".h5"] + common + weights, None
    if engine.startswith("onednn"):  # onednn (fp32), onednn_bf16, onednn_int8
      mode = engine.partition("_")[2] or "fp32"
      extra = ["--check"] + list(check) if check else []
      return [self.a.onednn, m + ".h5", "--mode", mode] + common + extra, None
    if engine == "ort":
      extra = ["--check"] + list(check) if check else []
      return ["node", os.path.join(HERE, "ort_bench.mjs"), m + ".onnx"] + common + extra, None
    extra = ["--check"] + list(check) if check else []
    return [sys.executable, os.path.join(HERE, "torch_bench.py"), m + ".pt"] + common + extra, \
        torch_env()

  def run(self, engine, name, batch, seq_len, threads, check=None):
    cmd, env = self.cmd(engine, name, batch, seq_len, threads, check)
    return run_json(cmd, env)


def read_rows(path):
  return [json.loads(l) for l in open(path) if l.strip()]


def max_diff(a, b):
  if len(a) != len(b) or any(len(x) != len(y) for x, y in zip(a, b)):
    return float("inf")
  return max(abs(x - y) for r, s in zip(a, b) for x, y in zip(r, s))


def quiver_rows(a, name, inputs, mode):
  with open(inputs) as f:
    p = subprocess.run([a.quiver, "predict", "--model", os.path.join(a.models, name + ".h5"),
                        "--input-ids", "--weights", mode], stdin=f, capture_output=True,
                       text=True)
  if p.returncode != 0:
    sys.exit("quiver predict failed on %s: %s" % (name, p.stderr.strip()))
  return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


def reduced(engine):
  """The weight mode of a bf16 / int8 engine ("" for fp32 ones)."""
  return engine.partition("_")[2]


def check_agreement(eng, name, seq_len):
  """Returns {engine: max abs diff vs quiver fp32} for every peer (and quiver's own reduced
  modes); exits when an fp32 peer disagrees by more than 1e-5. Reduced-precision engines
  (onednn_int8, quiver_int8, ...) are not held to 1e-5: their diffs are what the table's
  accuracy columns report. A peer that refuses its mode on this CPU is marked refused."""
  a = eng.a
  inputs = os.path.join(a.models, "inputs_%d.jsonl" % seq_len)
  ours = quiver_rows(a, name, inputs, "fp32")
  diffs = {}
  for peer in a.peer_list:
    if peer.startswith("quiver_"):
      diffs[peer] = max_diff(ours, quiver_rows(a, name, inputs, reduced(peer)))
      continue
    out = os.path.join(a.models, "%s_%s_check.jsonl" % (name, peer))
    if os.path.exists(out):
      os.remove(out)
    cmd, env = eng.cmd(peer, name, 1, seq_len, 1, check=(inputs, out))
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
      sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stderr.strip()[-2000:]))
    if not os.path.exists(out):  # refused (onednn_bench printed why)
      diffs[peer] = "refused: " + json.loads(p.stdout.strip().splitlines()[-1])["refused"]
      continue
    diffs[peer] = max_diff(ours, read_rows(out))
    if not reduced(peer) and not diffs[peer] <= 1e-5:
      sys.exit("%s disagrees with quiver on %s: max abs diff %g" % (peer, name, diffs[peer]))
  return diffs


def loadavg():
  with open("/proc/loadavg") as f:
    return " ".join(f.read().split()[:3])


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--models", required=True)
  ap.add_argument("--seconds", type=float, default=3.0)
  ap.add_argument("--variants", default="bilstm,lstm,bigru")
  ap.add_argument("--seq-lens", default="40,200")
  ap.add_argument("--batches", default="1,256")
  ap.add_argument("--threads", default="1,2")
  ap.add_argument("--json-out", help="also write every measurement here (JSON lines)")
  ap.add_argument("--peers", default="ort,torch,onednn,onednn_bf16,onednn_int8",
                  help="peers to check and time: ort, torch, onednn[_bf16|_int8] (oneDNN's "
                       "RNN primitive in that mode), quiver_bf16 / quiver_int8 (quiver's "
                       "other weight modes beside the main column)")
  ap.add_argument("--onednn", help="the onednn_bench binary (default: next to quiver, "
                                   "bench/onednn_bench; the oneDNN peers are left out when "
                                   "it is absent)")
  ap.add_argument("--torch-max-batch", type=int, default=1 << 30,
                  help="time PyTorch only up to this batch (it takes seconds per call at 256 "
                       "on a loaded machine); its agreement check still runs")
  ap.add_argument("--weights", default="fp32", choices=("fp32", "bf16", "int8"),
                  help="quiver's weight mode for the timings (the agreement check is fp32)")
  a = ap.parse_args()
  a.peer_list = [p for p in a.peers.split(",") if p]
  a.onednn = a.onednn or os.path.join(os.path.dirname(os.path.abspath(a.quiver)), "bench",
                                      "onednn_bench")
  if not os.path.exists(a.onednn) and any(p.startswith("onednn") for p in a.peer_list):
    print("oneDNN peers skipped: %s not built (libdnnl-dev missing?)" % a.onednn, flush=True)
    a.peer_list = [p for p in a.peer_list if not p.startswith("onednn")]
  eng = Engines(a)
  variants = a.variants.split(",")
  seq_lens = [int(x) for x in a.seq_lens.split(",")]
  print("machine: %s, %d cpus, load average before: %s" % (platform.processor() or
        platform.machine(), os.cpu_count(), loadavg()), flush=True)
  if a.weights != "fp32":
    print("quiver timed with --weights %s (agreement checked in fp32)" % a.weights, flush=True)
  rows, loads, agreement = [], {}, {}
  for v in variants:
    for t in seq_lens:
      name = "%s_t%d" % (v, t)
      agreement[name] = check_agreement(eng, name, t)
      print("agreement %s: max abs diff vs quiver fp32: %s" % (name, ", ".join(
          "%s %s" % (p, d if isinstance(d, str) else "%.1e" % d)
          for p, d in agreement[name].items())), flush=True)
      for b in [int(x) for x in a.batches.split(",")]:
        for th in [int(x) for x in a.threads.split(",")]:
          engines = ["quiver"] + [p for p in a.peer_list
                                  if (p != "torch" or b <= a.torch_max_batch)
                                  and not isinstance(agreement[name][p], str)]
          r = {e: eng.run(e, name, b, t, th) for e in engines}
          rows.append((v, t, b, th, r))
          if b == 1 and th == 1:
            loads[name] = r
          print("  %s B=%d threads=%d: %s" % (name, b, th, json.dumps(r)), flush=True)
  if a.json_out:
    with open(a.json_out, "w") as f:
      for v, t, b, th, r in rows:
        f.write(json.dumps({"variant": v, "seq_len": t, "batch": b, "threads": th, **r}) + "\n")
  print_tables(rows, loads, a.peer_list, agreement)
  print("\nload average after: %s" % loadavg())


NAMES = {"quiver": "quiver", "ort": "ORT", "torch": "PyTorch", "onednn": "oneDNN",
         "onednn_bf16": "oneDNN bf16", "onednn_int8": "oneDNN int8",
         "quiver_bf16": "quiver bf16", "quiver_int8": "quiver int8"}


def cell(r, engine, key, fmt):
  return fmt % r[engine][key] if engine in r else "—"


def ratio(q, r, engine, batch):
  """batch 1: latency ratio quiver / peer (lower is better); else throughput ratio."""
  if engine not in r:
    return "—"
  if batch == 1:
    return "%.2f×" % (q["median_ms"] / r[engine]["median_ms"])
  return "%.2f×" % (q["sentences_per_s"] / r[engine]["sentences_per_s"])


def print_tables(rows, loads, peers, agreement):
  """One table: quiver's figures, each peer's, and quiver's ratio to each (batch 1: latency
  ratio, lower is better; batch > 1: throughput ratio, higher is better)."""
  names = [NAMES.get(p, p) for p in peers]
  head = ["model", "T", "batch", "threads", "quiver ms", "quiver sent/s"]
  for n in names:
    head += ["%s ms" % n, "%s sent/s" % n]
  head += ["vs %s" % n for n in names]
  print("\n| " + " | ".join(head) + " |")
  print("|" + "---|" * len(head))
  for v, t, b, th, r in rows:
    q = r["quiver"]
    cells = [v, "%d" % t, "%d" % b, "%d" % th, "%.3f" % q["median_ms"],
             "%.0f" % q["sentences_per_s"]]
    for p in peers:
      cells += [cell(r, p, "median_ms", "%.3f"), cell(r, p, "sentences_per_s", "%.0f")]
    cells += [ratio(q, r, p, b) for p in peers]
    print("| " + " | ".join(cells) + " |")
  print("\nAgreement (8 rows, max |delta| of the probabilities vs quiver fp32; checked before "
        "timing):\n")
  print("| model | " + " | ".join(names) + " |")
  print("|---|" + "---|" * len(names))
  for name, d in agreement.items():
    print("| %s | %s |" % (name, " | ".join(
        x if isinstance(x, str) else "%.1e" % x for x in (d.get(p, "—") for p in peers))))
  print("\n| model | quiver load ms | " + " | ".join("%s load ms" % n for n in names) +
        " | quiver RSS MB | " + " | ".join("%s RSS MB" % n for n in names) + " |")
  print("|---|---|" + "---|" * len(names) + "---|" + "---|" * len(names))
  for name, r in loads.items():
    print("| %s | %.1f | %s | %.1f | %s |" % (
        name, r["quiver"]["load_ms"], " | ".join(cell(r, p, "load_ms", "%.1f") for p in peers),
        r["quiver"]["rss_mb"], " | ".join(cell(r, p, "rss_mb", "%.1f") for p in peers)))


if __name__ == "__main__":
  main()
