#!/usr/bin/python3
"""The Python module's speed (issue 17, docs/performance.md "Python module"), in one run:

  * quiver.Model.predict from Python vs `quiver bench` (the same model, batch, length and
    threads, C++ in-process) at batch 256: throughput, and the ratio;
  * the overhead of one Python call at batch 1: Python's median per call minus the C++
    median per call on the same model (and on a tiny model, where the C++ call itself is a
    few microseconds);
  * PyTorch from Python (Debian python3-torch, TorchScript, OPENBLAS_CORETYPE=SkylakeX) on the
    same network and weights (bench/inference_models.py), at batch 1 and 256.

Every engine runs as its own process, one after the other, with the one-line JSON protocol
of `quiver bench`. Before timing, Python's outputs must equal `quiver predict --input-ids`'s
bit for bit, and PyTorch's be within 1e-5 of them.

Usage: bench/python_bench.sh [--seconds S] [--variants lstm,bilstm] [--seq-len 40] [--threads 1]
       (sets PYTHONPATH to the build tree's module; QUIVER_BUILD_DIR, default build)
       /usr/bin/python3 bench/python_bench.py --engine python MODEL --batch B --seq-len T
           --threads N --seconds S     (one measurement: what the driver runs)
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from inference_bench import loadavg, rss_mb, run_json, time_calls, torch_env  # noqa: E402


def measure_python(a):
    """quiver bench's protocol, from Python: seeded random ids in [1, vocab), a warm-up of at
    least 2 calls and 10 % of S, then calls for S seconds."""
    import quiver
    t0 = time.perf_counter()
    model = quiver.Model.load(a.model)
    load_ms = (time.perf_counter() - t0) * 1000.0
    vocab = model.info["vocab_size"]
    ids = np.random.default_rng(12345).integers(1, vocab, (a.batch, a.seq_len)).astype(np.int32)
    t = time_calls(lambda: model.predict(ids, threads=a.threads), a.seconds)
    print(json.dumps({
        "batch": a.batch, "seq_len": a.seq_len, "threads": a.threads,
        "median_ms": t["median_ms"], "p90_ms": t["p90_ms"], "min_ms": t["min_ms"],
        "sentences_per_s": round(a.batch * t["calls_per_s"], 1),
        "load_ms": round(load_ms, 2), "rss_mb": round(rss_mb(), 1)}))


def check_agreement(a, h5, pt, inputs):
    """Python's outputs == quiver predict's (bit for bit); PyTorch's within 1e-5."""
    import quiver
    rows = [json.loads(l) for l in open(inputs) if l.strip()]
    ours = quiver.Model.load(h5).predict(np.array(rows, dtype=np.int32))[0]
    with open(inputs) as f:
        p = subprocess.run([a.quiver, "predict", "--model", h5, "--input-ids"], stdin=f,
                           capture_output=True, text=True, check=True)
    cli = np.array([json.loads(l) for l in p.stdout.splitlines() if l.strip()], dtype=np.float32)
    if not np.array_equal(ours, cli):
        sys.exit("quiver from Python differs from quiver predict on %s" % h5)
    out = os.path.join(os.path.dirname(h5), os.path.basename(pt) + ".check.jsonl")
    run_json([sys.executable, os.path.join(HERE, "torch_bench.py"), pt, "--batch", "1",
              "--seq-len", str(a.seq_len), "--seconds", "0.1", "--check", inputs, out],
             torch_env())
    torch_out = np.array([json.loads(l) for l in open(out) if l.strip()])
    diff = float(np.max(np.abs(torch_out - ours)))
    if not diff <= 1e-5:
        sys.exit("PyTorch differs from quiver by %g on %s" % (diff, pt))
    return diff


def drive(a):
    common = lambda b: ["--batch", str(b), "--seq-len", str(a.seq_len), "--threads",
                        str(a.threads), "--seconds", str(a.seconds)]
    py = [sys.executable, os.path.abspath(__file__), "--engine", "python"]
    rows = []
    print("load average before: %s" % loadavg(), file=sys.stderr)
    for variant in a.variants.split(","):
        h5 = os.path.join(a.models, "%s_t%d.h5" % (variant, a.seq_len))
        pt = os.path.join(a.models, "%s_t%d.pt" % (variant, a.seq_len))
        diff = check_agreement(a, h5, pt, os.path.join(a.models, "inputs_%d.jsonl" % a.seq_len))
        for batch in (1, 256):
            r = {"model": variant, "batch": batch, "torch_diff": diff}
            r["cpp"] = run_json([a.quiver, "bench", "--model", h5] + common(batch))
            r["python"] = run_json(py + [h5] + common(batch))
            if batch <= a.torch_max_batch:
                r["torch"] = run_json([sys.executable, os.path.join(HERE, "torch_bench.py"), pt]
                                      + common(batch), torch_env())
            rows.append(r)
            print(json.dumps(r), file=sys.stderr)
    if a.tiny:
        for batch in (1,):
            r = {"model": "tiny", "batch": batch}
            r["cpp"] = run_json([a.quiver, "bench", "--model", a.tiny, "--batch", "1", "--seq-len",
                                 str(a.tiny_seq_len), "--threads", "1", "--seconds", str(a.seconds)])
            r["python"] = run_json(py + [a.tiny, "--batch", "1", "--seq-len", str(a.tiny_seq_len),
                                         "--threads", "1", "--seconds", str(a.seconds)])
            rows.append(r)
            print(json.dumps(r), file=sys.stderr)
    print("load average after: %s" % loadavg(), file=sys.stderr)
    print_table(rows)


def print_table(rows):
    print("| model | T | batch | quiver bench (C++) median ms | sent/s | Python median ms | sent/s "
          "| Python / C++ throughput | Python overhead per call | PyTorch median ms | sent/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c, p, t = r["cpp"], r["python"], r.get("torch")
        overhead_us = (p["median_ms"] - c["median_ms"]) * 1000.0
        print("| %s | %d | %d | %.4f | %.0f | %.4f | %.0f | %.3f | %+.1f µs | %s | %s |" % (
            r["model"], c["seq_len"], r["batch"], c["median_ms"], c["sentences_per_s"],
            p["median_ms"], p["sentences_per_s"], p["sentences_per_s"] / c["sentences_per_s"],
            overhead_us, "%.3f" % t["median_ms"] if t else "—", "%.0f" % t["sentences_per_s"] if t else "—"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=("python",))
    ap.add_argument("model", nargs="?")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--quiver")
    ap.add_argument("--models")
    ap.add_argument("--variants", default="lstm,bilstm")
    ap.add_argument("--torch-max-batch", type=int, default=256)
    ap.add_argument("--tiny", help="a tiny model for the per-call overhead")
    ap.add_argument("--tiny-seq-len", type=int, default=8)
    a = ap.parse_args()
    if a.engine == "python":
        measure_python(a)
    else:
        drive(a)


if __name__ == "__main__":
    main()
