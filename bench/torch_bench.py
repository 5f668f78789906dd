"""PyTorch peer of `quiver bench` (Debian python3-torch, run with OPENBLAS_CORETYPE=SkylakeX).

/usr/bin/python3 bench/torch_bench.py MODEL.pt --batch B --seq-len T --threads N [--seconds S]
    [--check INPUTS.jsonl OUT.jsonl]
Loads the TorchScript module written by inference_models.py (timed: load_ms), sets
torch.set_num_threads(N), optionally writes its outputs for the check rows, then times
forward() under torch.inference_mode() on random ids in [1, 2000) and prints the same one-line
JSON form as quiver bench (rss_mb: VmRSS of this Python process).
"""

import argparse
import json
import time

import numpy as np
import torch

from inference_bench import rss_mb, time_calls


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("model")
  ap.add_argument("--batch", type=int, default=1)
  ap.add_argument("--seq-len", type=int, default=40)
  ap.add_argument("--threads", type=int, default=1)
  ap.add_argument("--seconds", type=float, default=3.0)
  ap.add_argument("--vocab", type=int, default=2000)
  ap.add_argument("--check", nargs=2)
  a = ap.parse_args()
  torch.set_num_threads(a.threads)
  torch.set_num_interop_threads(1)
  t0 = time.perf_counter()
  model = torch.jit.load(a.model).eval()
  load_ms = (time.perf_counter() - t0) * 1000.0
  with torch.inference_mode():
    if a.check:
      rows = [json.loads(l) for l in open(a.check[0]) if l.strip()]
      out = model(torch.tensor(rows, dtype=torch.int64)).numpy()
      with open(a.check[1], "w") as f:
        for r in out:
          f.write(json.dumps([float(x) for x in r]) + "\n")
    ids = torch.tensor(np.random.default_rng(12345).integers(1, a.vocab, (a.batch, a.seq_len)),
                       dtype=torch.int64)
    t = time_calls(lambda: model(ids), a.seconds)
  print(json.dumps({
      "batch": a.batch, "seq_len": a.seq_len, "threads": a.threads,
      "median_ms": t["median_ms"], "p90_ms": t["p90_ms"],
      "sentences_per_s": round(a.batch * t["calls_per_s"], 1),
      "load_ms": round(load_ms, 2), "rss_mb": round(rss_mb(), 1)}))


if __name__ == "__main__":
  main()
