#!/usr/bin/python3
"""Training speed and accuracy: quiver train vs PyTorch, same data, split, architecture and
hyperparameters.

usage: OPENBLAS_CORETYPE=SkylakeX bench/train_vs_torch.py [--quiver build/quiver]
           [--types lstm,bilstm] [--threads 1,2] [--epochs 5] [--seeds 1,2,3]

Data: the UCI Sentiment Labelled Sentences (npm `sentiment` fixtures amazon/imdb/yelp),
every 5th sentence of each source held out (as tests/train/test_data.h). Both sides use
Keras' Tokenizer (num_words 2000, fitted on the training texts) and pre-padding to the
same maxlen; Embedding(2000, 128) -> SpatialDropout1D(0.4) -> [Bi]LSTM(196, dropout 0.2)
-> Dense(2, softmax), categorical cross-entropy, Adam(1e-3, eps 1e-7), batch 32, shuffled
each epoch. recurrent_dropout is 0 on both sides (torch.nn.LSTM has none).
Prints a Markdown table: seconds per epoch (mean over epochs) and held-out accuracy.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NPM = os.environ.get("QUIVER_NPM_DIR", os.path.join(ROOT, "third_party/npm/node_modules"))


def load_split():
  train, test = [], []
  for name in ("amazon", "imdb", "yelp"):
    rows = json.load(open(os.path.join(NPM, "sentiment/test/fixtures", name + ".json")))
    for i, r in enumerate(rows):
      if not isinstance(r.get("class"), int):  # each fixture ends with an empty record
        continue
      (test if i % 5 == 4 else train).append((r["text"], str(r["class"])))
  return train, test


def write_csv(path, rows):
  import csv
  with open(path, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, quoting=csv.QUOTE_ALL)
    w.writerow(["text", "label"])
    w.writerows(rows)


def run_quiver(binary, tmp, arch, threads, epochs, seed):
  model = os.path.join(tmp, f"q_{arch}_{threads}_{seed}.h5")
  cmd = [binary, "train", "--data", os.path.join(tmp, "train.csv"), "--model", model,
         "--type", arch, "--epochs", str(epochs), "--batch-size", "32", "--threads", str(threads),
         "--recurrent-dropout", "0", "--seed", str(seed), "--json", "--quiet"]
  report = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
  ev = json.loads(subprocess.run([binary, "evaluate", "--model", model, "--data",
                                  os.path.join(tmp, "test.csv"), "--json"],
                                 check=True, capture_output=True, text=True).stdout)
  secs = [e["seconds"] for e in report["epochs"]]
  return float(np.mean(secs)), ev["accuracy"], report["maxlen"]


def run_torch(train, test, arch, threads, epochs, maxlen, seed):
  import torch
  from keras_preprocessing.sequence import pad_sequences
  from keras_preprocessing.text import Tokenizer
  torch.set_num_threads(threads)
  torch.manual_seed(seed)
  tok = Tokenizer(num_words=2000)
  tok.fit_on_texts([t for t, _ in train])
  def encode(rows):
    x = pad_sequences(tok.texts_to_sequences([t for t, _ in rows]), maxlen=maxlen)
    y = np.array([int(l) for _, l in rows])
    return torch.tensor(x, dtype=torch.long), torch.tensor(y)
  xtr, ytr = encode(train)
  xte, yte = encode(test)
  bi = arch.startswith("bi")
  cell = torch.nn.GRU if "gru" in arch else torch.nn.LSTM

  class Net(torch.nn.Module):
    def __init__(self):
      super().__init__()
      self.emb = torch.nn.Embedding(2000, 128)
      torch.nn.init.uniform_(self.emb.weight, -0.05, 0.05)
      self.rnn = cell(128, 196, batch_first=True, bidirectional=bi)
      self.out = torch.nn.Linear(392 if bi else 196, 2)

    def forward(self, x):
      e = self.emb(x)
      if self.training:  # SpatialDropout1D(0.4), then the RNN's input dropout 0.2 (per example)
        keep = (torch.rand(e.shape[0], 1, e.shape[2]) >= 0.4).float() / 0.6
        keep = keep * (torch.rand(e.shape[0], 1, e.shape[2]) >= 0.2).float() / 0.8
        e = e * keep
      _, h = self.rnn(e)
      h = h[0] if isinstance(h, tuple) else h
      h = torch.cat([h[0], h[1]], dim=1) if bi else h[-1]
      return self.out(h)

  net = Net()
  opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
  lossf = torch.nn.CrossEntropyLoss()
  secs = []
  for _ in range(epochs):
    net.train()
    t0 = time.perf_counter()
    perm = torch.randperm(len(xtr))
    for i in range(0, len(xtr), 32):
      idx = perm[i:i + 32]
      opt.zero_grad()
      loss = lossf(net(xtr[idx]), ytr[idx])
      loss.backward()
      opt.step()
    secs.append(time.perf_counter() - t0)
  net.eval()
  with torch.no_grad():
    acc = (net(xte).argmax(1) == yte).float().mean().item()
  return float(np.mean(secs)), acc


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", default=os.path.join(ROOT, "build/quiver"))
  ap.add_argument("--types", default="lstm,bilstm")
  ap.add_argument("--threads", default="1,2")
  ap.add_argument("--epochs", type=int, default=5)
  ap.add_argument("--seeds", default="1",
                  help="comma list: each seed trains both once; accuracies as mean ± sd")
  a = ap.parse_args()
  seeds = [int(x) for x in a.seeds.split(",")]
  if os.environ.get("OPENBLAS_CORETYPE") is None:
    print("warning: set OPENBLAS_CORETYPE=SkylakeX or Debian's OpenBLAS uses slow kernels",
          file=sys.stderr)
  train, test = load_split()
  rows = ["| model | threads | quiver s/epoch | PyTorch s/epoch | PyTorch/quiver | "
          "quiver acc | PyTorch acc |", "|---|---|---|---|---|---|---|"]
  with tempfile.TemporaryDirectory() as tmp:
    write_csv(os.path.join(tmp, "train.csv"), train)
    write_csv(os.path.join(tmp, "test.csv"), test)
    for arch in a.types.split(","):
      for threads in [int(t) for t in a.threads.split(",")]:
        q = [run_quiver(a.quiver, tmp, arch, threads, a.epochs, seed) for seed in seeds]
        maxlen = q[0][2]
        t = [run_torch(train, test, arch, threads, a.epochs, maxlen, seed) for seed in seeds]
        qs, ts = np.mean([r[0] for r in q]), np.mean([r[0] for r in t])
        qacc, tacc = [r[1] for r in q], [r[1] for r in t]
        def acc(v):
          return f"{np.mean(v):.4f}" + (f" ± {np.std(v, ddof=1):.4f}" if len(v) > 1 else "")
        rows.append(f"| {arch} (maxlen {maxlen}) | {threads} | {qs:.2f} | {ts:.2f} | {ts / qs:.2f} | "
                    f"{acc(qacc)} | {acc(tacc)} |")
        print(rows[-1], "quiver", qacc, "torch", tacc, file=sys.stderr, flush=True)
  print(f"{len(train)} training / {len(test)} held-out sentences, {a.epochs} epochs, batch 32, "
        f"seeds {a.seeds}")
  print("\n".join(rows))


if __name__ == "__main__":
  main()
